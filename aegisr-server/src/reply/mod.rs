//! Replies, protocol-neutral. A command writes its reply into a [`ReplySink`] as a stream of
//! typed items (RESP3's types); each door encodes them its own way. The RESP door writes the
//! bytes straight into the connection's output buffer, so a GET copies its value once, from
//! the table to the socket buffer, with no reply object in between.

mod tree;

pub use tree::{Reply, ReplyTree};

/// The protocol a session speaks, chosen with HELLO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

impl Protocol {
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// Where a command writes its reply. Aggregates announce their length first, then their
/// items follow; a map of `n` entries is followed by `2n` items, key then value.
pub trait ReplySink {
    fn simple(&mut self, text: &str);
    /// An error; `message` starts with its code (`ERR ...`, `WRONGTYPE ...`).
    fn error(&mut self, message: &str);
    fn integer(&mut self, n: i64);
    fn bulk(&mut self, bytes: &[u8]);
    /// A missing string (RESP2 `$-1`).
    fn null(&mut self);
    /// A missing aggregate (RESP2 `*-1`).
    fn null_array(&mut self);
    fn double(&mut self, value: f64);
    /// A double whose text Redis formats its own way for this reply (GEOPOS coordinates
    /// are `%.17Lf` text, not the shortest form): a bulk string in RESP2, a double in
    /// RESP3. A sink keeping values rather than text keeps `value`.
    fn double_text(&mut self, value: f64, _text: &str) {
        self.double(value);
    }
    fn boolean(&mut self, value: bool);
    fn array(&mut self, len: usize);
    fn map(&mut self, len: usize);
    fn set(&mut self, len: usize);
    fn push(&mut self, len: usize);
    fn verbatim(&mut self, format: &str, text: &[u8]);
    fn big_number(&mut self, digits: &str);

    /// Switches the protocol for what follows (HELLO replies in the protocol it chose).
    fn set_protocol(&mut self, _protocol: Protocol) {}

    fn ok(&mut self) {
        self.simple("OK");
    }

    /// A count or length (lengths are far below `i64::MAX`; a larger one saturates).
    fn count(&mut self, n: usize) {
        self.integer(i64::try_from(n).unwrap_or(i64::MAX));
    }

    fn bulk_or_null(&mut self, bytes: Option<&[u8]>) {
        match bytes {
            Some(b) => self.bulk(b),
            None => self.null(),
        }
    }

    /// An array of bulk strings.
    fn bulks(&mut self, items: &mut dyn ExactSizeIterator<Item = &[u8]>) {
        self.array(items.len());
        for item in items {
            self.bulk(item);
        }
    }
}

/// Formats a double as Redis does in replies: integers without a fraction, `inf`/`-inf`,
/// otherwise the shortest text that reads back as the same value.
pub fn format_double(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value.is_nan() {
        return "nan".to_owned();
    }
    let text = format!("{value}");
    // Rust prints huge and tiny values in full; Redis uses %.17g, which switches to an
    // exponent. Keep full text below 1e17 (what %.17g prints without exponent as well).
    if value.abs() >= 1e17 || (value != 0.0 && value.abs() < 1e-4) {
        return format!("{value:e}").replace('e', "e+").replace("e+-", "e-");
    }
    text
}
