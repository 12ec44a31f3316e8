//! Encodes replies as RESP2 or RESP3 straight into a connection's output buffer.

use bytes::{BufMut, BytesMut};

use crate::reply::{Protocol, ReplySink, format_double};

impl crate::commands::blocking::ReplyTarget for BytesMut {
    fn with_sink(&mut self, protocol: Protocol, write: &mut dyn FnMut(&mut dyn ReplySink)) {
        write(&mut RespWriter::new(self, protocol));
    }
}

/// A [`ReplySink`] writing RESP bytes for one session's protocol.
pub struct RespWriter<'a> {
    out: &'a mut BytesMut,
    protocol: Protocol,
    /// Error replies written, for the error counters.
    pub errors: u64,
}

impl<'a> RespWriter<'a> {
    pub fn new(out: &'a mut BytesMut, protocol: Protocol) -> RespWriter<'a> {
        RespWriter { out, protocol, errors: 0 }
    }

    fn header(&mut self, marker: u8, n: i64) {
        let mut formatter = itoa::Buffer::new();
        let digits = formatter.format(n).as_bytes();
        self.out.reserve(digits.len() + 3);
        self.out.put_u8(marker);
        self.out.put_slice(digits);
        self.out.put_slice(b"\r\n");
    }

    fn len_header(&mut self, marker: u8, len: usize) {
        self.header(marker, i64::try_from(len).unwrap_or(i64::MAX));
    }

    /// A simple string or error line; CR and LF would break the framing, so they become spaces.
    fn line(&mut self, marker: u8, text: &str) {
        self.out.put_u8(marker);
        if text.contains(['\r', '\n']) {
            self.out.put_slice(text.replace(['\r', '\n'], " ").as_bytes());
        } else {
            self.out.put_slice(text.as_bytes());
        }
        self.out.put_slice(b"\r\n");
    }

    fn resp3(&self) -> bool {
        self.protocol == Protocol::Resp3
    }
}

impl ReplySink for RespWriter<'_> {
    fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = protocol;
    }

    fn simple(&mut self, text: &str) {
        self.line(b'+', text);
    }

    fn error(&mut self, message: &str) {
        self.errors += 1;
        self.line(b'-', message);
    }

    fn integer(&mut self, n: i64) {
        self.header(b':', n);
    }

    fn bulk(&mut self, bytes: &[u8]) {
        self.out.reserve(bytes.len() + 16);
        self.len_header(b'$', bytes.len());
        self.out.put_slice(bytes);
        self.out.put_slice(b"\r\n");
    }

    fn null(&mut self) {
        self.out.put_slice(if self.resp3() { b"_\r\n" } else { b"$-1\r\n" });
    }

    fn null_array(&mut self) {
        self.out.put_slice(if self.resp3() { b"_\r\n" } else { b"*-1\r\n" });
    }

    fn double(&mut self, value: f64) {
        let text = format_double(value);
        if self.resp3() {
            self.line(b',', &text);
        } else {
            self.bulk(text.as_bytes());
        }
    }

    fn double_text(&mut self, _value: f64, text: &str) {
        if self.resp3() {
            self.line(b',', text);
        } else {
            self.bulk(text.as_bytes());
        }
    }

    fn boolean(&mut self, value: bool) {
        if self.resp3() {
            self.out.put_slice(if value { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.integer(i64::from(value));
        }
    }

    fn array(&mut self, len: usize) {
        self.len_header(b'*', len);
    }

    fn map(&mut self, len: usize) {
        if self.resp3() {
            self.len_header(b'%', len);
        } else {
            self.len_header(b'*', len.saturating_mul(2));
        }
    }

    fn set(&mut self, len: usize) {
        self.len_header(if self.resp3() { b'~' } else { b'*' }, len);
    }

    fn attribute(&mut self, len: usize) -> bool {
        if self.resp3() {
            self.len_header(b'|', len);
        }
        self.resp3()
    }

    fn push(&mut self, len: usize) {
        self.len_header(if self.resp3() { b'>' } else { b'*' }, len);
    }

    fn verbatim(&mut self, format: &str, text: &[u8]) {
        if self.resp3() {
            self.len_header(b'=', text.len() + 4);
            self.out.put_slice(format.as_bytes());
            self.out.put_u8(b':');
            self.out.put_slice(text);
            self.out.put_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    fn big_number(&mut self, digits: &str) {
        if self.resp3() {
            self.line(b'(', digits);
        } else {
            self.bulk(digits.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(protocol: Protocol, f: impl FnOnce(&mut RespWriter<'_>)) -> String {
        let mut buf = BytesMut::new();
        f(&mut RespWriter::new(&mut buf, protocol));
        String::from_utf8(buf.to_vec()).unwrap()
    }

    #[test]
    fn resp2_and_resp3_encodings() {
        let both = |f: fn(&mut RespWriter<'_>)| (encode(Protocol::Resp2, f), encode(Protocol::Resp3, f));
        assert_eq!(both(|w| w.null()), ("$-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|w| w.null_array()), ("*-1\r\n".into(), "_\r\n".into()));
        assert_eq!(both(|w| w.boolean(true)), (":1\r\n".into(), "#t\r\n".into()));
        assert_eq!(both(|w| w.double(1.5)), ("$3\r\n1.5\r\n".into(), ",1.5\r\n".into()));
        assert_eq!(both(|w| w.double(f64::INFINITY)), ("$3\r\ninf\r\n".into(), ",inf\r\n".into()));
        assert_eq!(
            both(|w| {
                w.map(1);
                w.bulk(b"k");
                w.integer(-7);
            }),
            ("*2\r\n$1\r\nk\r\n:-7\r\n".into(), "%1\r\n$1\r\nk\r\n:-7\r\n".into())
        );
        assert_eq!(both(|w| w.verbatim("txt", b"hi")), ("$2\r\nhi\r\n".into(), "=6\r\ntxt:hi\r\n".into()));
        assert_eq!(both(|w| w.set(0)), ("*0\r\n".into(), "~0\r\n".into()));
    }

    #[test]
    fn lines_cannot_break_framing() {
        assert_eq!(encode(Protocol::Resp2, |w| w.error("ERR bad\r\nthing")), "-ERR bad  thing\r\n");
    }
}
