//! Aegisr's gRPC protocol and Rust client SDK.
//!
//! [`v1`] holds the code generated from `proto/aegisr/v1/*.proto`: the
//! messages, the `Data` and `Admin` clients and the server traits that
//! `aegisr-server` implements. [`Client`] is a small async SDK over both
//! services, and [`Reply`] gains constructors, accessors and a redis-cli-like
//! [`Display`](std::fmt::Display) in this crate. [`ClusterClient`] routes commands to
//! the node owning their key's slot in a cluster ([`slot`] computes slots as Redis does).
#![warn(missing_docs)]

mod backup;
mod client;
mod cluster_client;
mod reply;
pub mod slot;

/// Code generated from the `aegisr.v1` protobuf package.
///
/// Services: [`Data`](crate::v1::data_server::Data) /
/// [`DataClient`](crate::v1::data_client::DataClient) and
/// [`Admin`](crate::v1::admin_server::Admin) /
/// [`AdminClient`](crate::v1::admin_client::AdminClient).
/// All `bytes` fields are [`bytes::Bytes`].
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::nursery, clippy::unwrap_used, clippy::expect_used)]
pub mod v1 {
    tonic::include_proto!("aegisr.v1");
}

pub use backup::read_manifest;
pub use bytes::Bytes;
pub use client::{Client, ClientError};
pub use cluster_client::{ClusterClient, Redirect, parse_redirect};
pub use v1::{Command, InfoReply, Message, Reply, SubscribeRequest};
