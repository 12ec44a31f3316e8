//! An owned reply, built from the sink's item stream: what the gRPC door converts to
//! protobuf, and what unit tests look at.

use super::ReplySink;

/// A whole reply, mirroring RESP3's types.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Integer(i64),
    Bulk(Vec<u8>),
    Null,
    NullArray,
    Double(f64),
    Boolean(bool),
    Array(Vec<Reply>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Push(Vec<Reply>),
    Verbatim(String, Vec<u8>),
    BigNumber(String),
}

enum Open {
    Array(usize, Vec<Reply>),
    Set(usize, Vec<Reply>),
    Push(usize, Vec<Reply>),
    Map(usize, Vec<Reply>),
}

/// A [`ReplySink`] that assembles whole replies.
#[derive(Default)]
pub struct ReplyTree {
    open: Vec<Open>,
    done: Vec<Reply>,
}

impl ReplyTree {
    pub fn new() -> ReplyTree {
        ReplyTree::default()
    }

    /// The finished top-level replies, in order.
    pub fn take(&mut self) -> Vec<Reply> {
        std::mem::take(&mut self.done)
    }

    fn add(&mut self, mut reply: Reply) {
        loop {
            let Some(top) = self.open.last_mut() else {
                self.done.push(reply);
                return;
            };
            let (want, items) = match top {
                Open::Array(n, v) | Open::Set(n, v) | Open::Push(n, v) => (*n, v),
                Open::Map(n, v) => (*n * 2, v),
            };
            items.push(reply);
            if items.len() < want {
                return;
            }
            reply = match self.open.pop() {
                Some(Open::Array(_, v)) => Reply::Array(v),
                Some(Open::Set(_, v)) => Reply::Set(v),
                Some(Open::Push(_, v)) => Reply::Push(v),
                Some(Open::Map(_, v)) => {
                    let mut pairs = Vec::with_capacity(v.len() / 2);
                    let mut it = v.into_iter();
                    while let (Some(k), Some(val)) = (it.next(), it.next()) {
                        pairs.push((k, val));
                    }
                    Reply::Map(pairs)
                }
                None => return,
            };
        }
    }

    fn open(&mut self, open: Open, len: usize, empty: Reply) {
        if len == 0 {
            self.add(empty);
        } else {
            self.open.push(open);
        }
    }
}

impl ReplySink for ReplyTree {
    fn simple(&mut self, text: &str) {
        self.add(Reply::Simple(text.to_owned()));
    }
    fn error(&mut self, message: &str) {
        self.add(Reply::Error(message.to_owned()));
    }
    fn integer(&mut self, n: i64) {
        self.add(Reply::Integer(n));
    }
    fn bulk(&mut self, bytes: &[u8]) {
        self.add(Reply::Bulk(bytes.to_vec()));
    }
    fn null(&mut self) {
        self.add(Reply::Null);
    }
    fn null_array(&mut self) {
        self.add(Reply::NullArray);
    }
    fn double(&mut self, value: f64) {
        self.add(Reply::Double(value));
    }
    fn boolean(&mut self, value: bool) {
        self.add(Reply::Boolean(value));
    }
    fn array(&mut self, len: usize) {
        self.open(Open::Array(len, Vec::with_capacity(len.min(1024))), len, Reply::Array(Vec::new()));
    }
    fn map(&mut self, len: usize) {
        self.open(Open::Map(len, Vec::with_capacity(len.min(512) * 2)), len, Reply::Map(Vec::new()));
    }
    fn set(&mut self, len: usize) {
        self.open(Open::Set(len, Vec::with_capacity(len.min(1024))), len, Reply::Set(Vec::new()));
    }
    fn push(&mut self, len: usize) {
        self.open(Open::Push(len, Vec::with_capacity(len.min(1024))), len, Reply::Push(Vec::new()));
    }
    fn verbatim(&mut self, format: &str, text: &[u8]) {
        self.add(Reply::Verbatim(format.to_owned(), text.to_vec()));
    }
    fn big_number(&mut self, digits: &str) {
        self.add(Reply::BigNumber(digits.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_aggregates_are_assembled() {
        let mut t = ReplyTree::new();
        t.map(2);
        t.bulk(b"a");
        t.array(2);
        t.integer(1);
        t.array(0);
        t.bulk(b"b");
        t.null();
        t.ok();
        let replies = t.take();
        assert_eq!(
            replies,
            vec![
                Reply::Map(vec![
                    (Reply::Bulk(b"a".to_vec()), Reply::Array(vec![Reply::Integer(1), Reply::Array(vec![])])),
                    (Reply::Bulk(b"b".to_vec()), Reply::Null),
                ]),
                Reply::Simple("OK".into()),
            ]
        );
    }
}
