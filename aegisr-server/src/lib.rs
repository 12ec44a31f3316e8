//! The Aegisr daemon as a library: a sharded, multi-threaded in-memory data store that
//! speaks RESP2/RESP3 (every Redis client works) and gRPC (`aegisr.v1`).
//!
//! Dependencies point one way: the doors (`resp`, `grpc`) call `commands`, which call
//! `engine` and `types`. The engine knows nothing of sockets, protobuf or RESP frames.
//! `main.rs` is a thin wrapper over [`server::run`].

pub mod acl;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod engine;
pub mod grpc;
pub mod metrics;
pub mod persist;
pub mod pubsub;
pub mod reply;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod types;
