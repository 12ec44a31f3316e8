//! aegisr-tui: a live console over the Aegisr Admin gRPC service. One feed per node
//! streams `WatchStats` (and polls the slow log and clients) into the [`app::App`] state;
//! [`ui::draw`] renders that state, and is what the render tests check.

pub mod app;
pub mod cli;
pub mod feed;
pub mod format;
pub mod run;
pub mod ui;
