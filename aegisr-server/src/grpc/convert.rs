//! Replies from the engine's tree form to protobuf.

use aegisr_proto::v1::{self, reply::Kind};

use crate::reply::Reply;

pub fn to_proto(reply: Reply) -> v1::Reply {
    let kind = match reply {
        Reply::Simple(s) => Kind::Simple(s),
        Reply::Error(message) => {
            let code = message.split_whitespace().next().unwrap_or("ERR").to_owned();
            Kind::Error(v1::Error { code, message })
        }
        Reply::Integer(n) => Kind::Integer(n),
        Reply::Bulk(b) => Kind::Bulk(b.into()),
        Reply::Null => Kind::Null(v1::Null { array: false }),
        Reply::NullArray => Kind::Null(v1::Null { array: true }),
        Reply::Double(d) => Kind::Double(d),
        Reply::Boolean(b) => Kind::Boolean(b),
        Reply::Array(items) => Kind::Array(aggregate(items)),
        Reply::Set(items) => Kind::Set(aggregate(items)),
        Reply::Push(items) => Kind::Push(aggregate(items)),
        Reply::Map(entries) => Kind::Map(v1::MapReply {
            entries: entries
                .into_iter()
                .map(|(k, v)| v1::MapEntry { key: Some(to_proto(k)), value: Some(to_proto(v)) })
                .collect(),
        }),
        Reply::Verbatim(format, text) => Kind::Verbatim(v1::Verbatim { format, text: text.into() }),
        Reply::BigNumber(digits) => Kind::BigNumber(digits),
    };
    v1::Reply { kind: Some(kind) }
}

fn aggregate(items: Vec<Reply>) -> v1::Aggregate {
    v1::Aggregate { items: items.into_iter().map(to_proto).collect() }
}
