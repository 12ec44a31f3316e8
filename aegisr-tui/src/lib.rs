//! aegisr-tui: a live console over the Aegisr Admin gRPC service. One feed per node
//! streams `WatchStats` (and polls the slow log and clients) into the [`app::App`] state;
//! [`ui::draw`] renders that state, and is what the render tests check. Given a cluster
//! node, a cluster feed reads `ClusterStatus`, adds every member as a node to watch and
//! feeds the cluster view ([`cluster`], [`cluster_view`]).

pub mod app;
pub mod cli;
pub mod cluster;
pub mod cluster_view;
pub mod feed;
pub mod format;
pub mod run;
pub mod ui;
