//! Encodes replies as RESP2 or RESP3 straight into a connection's output buffer.

use bytes::{BufMut, BytesMut};

use crate::reply::{Protocol, ReplySink, format_double};

impl crate::commands::blocking::ReplyTarget for BytesMut {
    fn with_sink(&mut self, protocol: Protocol, write: &mut dyn FnMut(&mut dyn ReplySink)) {
        write(&mut RespWriter::new(self, protocol));
    }
}

/// Bulk strings shorter than this (a header of at most two digits) are written in place.
const SHORT_BULK: usize = 100;

/// Bulk strings up to this long are copied without any variable-length copy.
const TINY_BULK: usize = 32;
/// A short bulk string's bytes besides the value: `$`, two digits, CRLF, CRLF.
const FRAMING: usize = 7;

/// Copies `src` (at most [`TINY_BULK`] bytes) into `dst`, of the same length, with a few
/// fixed-size moves that overlap in the middle instead of a call to memcpy.
fn copy_tiny(dst: &mut [u8], src: &[u8]) {
    let len = src.len();
    match len {
        0 => {}
        1..=3 => {
            dst[0] = src[0];
            dst[len / 2] = src[len / 2];
            dst[len - 1] = src[len - 1];
        }
        4..=7 => {
            dst[..4].copy_from_slice(&src[..4]);
            dst[len - 4..].copy_from_slice(&src[len - 4..]);
        }
        8..=16 => {
            dst[..8].copy_from_slice(&src[..8]);
            dst[len - 8..].copy_from_slice(&src[len - 8..]);
        }
        _ => {
            dst[..16].copy_from_slice(&src[..16]);
            dst[len - 16..].copy_from_slice(&src[len - 16..]);
        }
    }
}

/// A [`ReplySink`] writing RESP bytes for one session's protocol.
pub struct RespWriter<'a> {
    out: &'a mut BytesMut,
    protocol: Protocol,
    /// Error replies written (replaying the journal checks that none came; the error
    /// statistics are counted where errors arise, see `metrics::count_error_reply`).
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
        let len = bytes.len();
        if len >= SHORT_BULK {
            self.out.reserve(len + 16);
            self.len_header(b'$', len);
            self.out.put_slice(bytes);
            self.out.put_slice(b"\r\n");
            return;
        }
        // Most values are short, and a long reply (LRANGE, HGETALL) is many of them: the
        // reply is written in place, the room made first (a fixed-size write) and its unused
        // end cut after. Separate header and value writes were half of LRANGE's time, and
        // framing on the stack then copying the frame out stalled on reading back its
        // fresh bytes.
        let start = self.out.len();
        if len <= TINY_BULK {
            self.out.extend_from_slice(&[0u8; TINY_BULK + FRAMING]);
        } else {
            self.out.extend_from_slice(&[0u8; SHORT_BULK + FRAMING]);
        }
        let frame = &mut self.out[start..];
        frame[0] = b'$';
        let mut at = 1;
        if len >= 10 {
            frame[at] = b'0' + (len / 10) as u8;
            at += 1;
        }
        frame[at] = b'0' + (len % 10) as u8;
        frame[at + 1..at + 3].copy_from_slice(b"\r\n");
        at += 3;
        if len <= TINY_BULK {
            copy_tiny(&mut frame[at..at + len], bytes);
        } else {
            frame[at..at + len].copy_from_slice(bytes);
        }
        at += len;
        frame[at..at + 2].copy_from_slice(b"\r\n");
        self.out.truncate(start + at + 2);
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
    fn bulk_strings_of_every_length_around_the_short_path() {
        for len in (0..=130).chain([1000]) {
            // Distinct bytes, so a byte copied to the wrong place shows.
            let value: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let expected = format!("${len}\r\n{}\r\n", String::from_utf8(value.clone()).unwrap());
            assert_eq!(encode(Protocol::Resp2, |w| w.bulk(&value)), expected, "length {len}");
        }
        // After other replies, into a buffer with no spare room, and with more after it.
        let mut buf = BytesMut::new();
        let mut writer = RespWriter::new(&mut buf, Protocol::Resp2);
        writer.integer(5);
        writer.bulk(b"tiny");
        writer.bulk(b"");
        writer.integer(6);
        assert_eq!(&buf[..], b":5\r\n$4\r\ntiny\r\n$0\r\n\r\n:6\r\n");
        // Binary values pass through untouched, CR and LF included.
        assert_eq!(encode(Protocol::Resp3, |w| w.bulk(b"a\r\n\0b")), "$5\r\na\r\n\0b\r\n");
    }

    #[test]
    fn lines_cannot_break_framing() {
        assert_eq!(encode(Protocol::Resp2, |w| w.error("ERR bad\r\nthing")), "-ERR bad  thing\r\n");
    }
}
