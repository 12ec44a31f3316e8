//! The RESP door: the RESP2/RESP3 codec and the TCP listener that serves it.

mod buffers;
mod connection;
mod inline;
pub(crate) mod listener;
pub(crate) mod master_link;
pub(crate) mod master_position;
mod parser;
mod rdb_transfer;
mod replica_feed;
mod replica_resume;
mod writer;

pub(crate) use inline::split_inline;
pub use listener::serve;
pub use parser::{ParseLimits, ProtocolError, RequestParser};
pub use replica_resume::{ReplicaStream, ReplicaStreams};
pub use writer::RespWriter;
