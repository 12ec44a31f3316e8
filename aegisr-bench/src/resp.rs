//! A minimal RESP client for load generation: requests are encoded straight into one buffer
//! per pipeline (one `write` per pipeline) and replies are skipped over in the read buffer
//! without building values, so nothing is allocated per reply. Only what the benchmark needs
//! is kept: whether a reply is an error, and the error text.

use std::io;
use std::ops::Range;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Deepest nesting of aggregates accepted; deeper replies are treated as garbage.
const MAX_DEPTH: usize = 64;
/// Initial read buffer size; it grows for larger replies.
const READ_BUFFER: usize = 64 * 1024;

/// Errors on a RESP connection.
#[derive(Debug, thiserror::Error)]
pub enum RespError {
    /// Socket error.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The server closed the connection.
    #[error("server closed the connection")]
    Closed,
    /// The server sent bytes that are not RESP.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The server answered a setup command (AUTH, SELECT, ...) with an error.
    #[error("{0}")]
    Server(String),
}

/// Appends `bytes` as a RESP bulk string.
pub fn encode_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(itoa::Buffer::new().format(bytes.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends a command given as arguments as a RESP multibulk.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.push(b'*');
    out.extend_from_slice(itoa::Buffer::new().format(args.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in args {
        encode_bulk(out, arg.as_ref());
    }
}

/// What [`parse_reply`] found at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedReply {
    /// Bytes the whole reply takes.
    pub len: usize,
    /// Where the error text is, if the reply is an error (top level only).
    pub error: Option<Range<usize>>,
}

/// Finds the end of the line starting at `pos`; returns the index of its `\r`.
#[inline]
fn line_end(buf: &[u8], pos: usize) -> Option<usize> {
    let rest = buf.get(pos..)?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    if nl == 0 || rest[nl - 1] != b'\r' {
        return None;
    }
    Some(pos + nl - 1)
}

#[inline]
fn parse_int(digits: &[u8]) -> Result<i64, RespError> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() || digits.len() > 18 {
        return Err(RespError::Protocol(format!("bad length {:?}", String::from_utf8_lossy(digits))));
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(RespError::Protocol(format!("bad length {:?}", String::from_utf8_lossy(digits))));
        }
        value = value * 10 + i64::from(d - b'0');
    }
    Ok(if negative { -value } else { value })
}

/// Skips one value starting at `pos`; the result's `len` is the position just past it.
/// `Ok(None)` means more bytes are needed.
fn skip_value(buf: &[u8], pos: usize, depth: usize) -> Result<Option<ParsedReply>, RespError> {
    let done = |end: usize, error: Option<Range<usize>>| Ok(Some(ParsedReply { len: end, error }));
    if depth > MAX_DEPTH {
        return Err(RespError::Protocol("replies nested too deeply".to_owned()));
    }
    let Some(&kind) = buf.get(pos) else { return Ok(None) };
    let Some(cr) = line_end(buf, pos + 1) else {
        // A line without its `\n` yet; a bare `\n` without `\r` is garbage, but it is cheaper to
        // tell that apart only when the line is long (a well-formed header is short).
        if buf.len() - pos > 64 * 1024 && !matches!(kind, b'+' | b'-') {
            return Err(RespError::Protocol("reply header too long".to_owned()));
        }
        return Ok(None);
    };
    let line = pos + 1..cr;
    let after = cr + 2;
    match kind {
        b'+' | b':' | b'_' | b',' | b'#' | b'(' => done(after, None),
        b'-' => done(after, Some(line)),
        b'$' | b'=' | b'!' => {
            let len = parse_int(&buf[line])?;
            if len < 0 {
                return done(after, None);
            }
            let end = after + len as usize + 2;
            if buf.len() < end {
                return Ok(None);
            }
            if &buf[end - 2..end] != b"\r\n" {
                return Err(RespError::Protocol("bulk string not followed by CRLF".to_owned()));
            }
            let error = (kind == b'!').then_some(after..end - 2);
            done(end, error)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let count = parse_int(&buf[line])?;
            if count < 0 {
                return done(after, None);
            }
            let items = if matches!(kind, b'%' | b'|') { count as usize * 2 } else { count as usize };
            let mut at = after;
            for _ in 0..items {
                match skip_value(buf, at, depth + 1)? {
                    Some(item) => at = item.len,
                    None => return Ok(None),
                }
            }
            if kind == b'|' {
                // An attribute precedes the reply it annotates.
                return skip_value(buf, at, depth + 1);
            }
            done(at, None)
        }
        other => Err(RespError::Protocol(format!("unexpected reply type byte {:?}", other as char))),
    }
}

/// Parses the reply at the start of `buf` without copying it; `Ok(None)` when incomplete.
#[inline]
pub fn parse_reply(buf: &[u8]) -> Result<Option<ParsedReply>, RespError> {
    skip_value(buf, 0, 0)
}

/// A RESP connection with its write and read buffers.
pub struct RespConnection {
    stream: TcpStream,
    /// Requests being assembled; sent by [`RespConnection::flush`].
    pub out: Vec<u8>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl RespConnection {
    /// Connects to `addr` (TCP_NODELAY set), giving up after `timeout`.
    pub async fn connect(addr: &str, timeout: Duration) -> Result<RespConnection, RespError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(stream) => stream?,
            Err(_) => return Err(RespError::Io(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))),
        };
        stream.set_nodelay(true)?;
        Ok(RespConnection { stream, out: Vec::with_capacity(16 * 1024), buf: vec![0; READ_BUFFER], start: 0, end: 0 })
    }

    /// Writes everything in `out` and clears it.
    pub async fn flush(&mut self) -> Result<(), RespError> {
        self.stream.write_all(&self.out).await?;
        self.out.clear();
        Ok(())
    }

    /// Reads more bytes from the socket into the buffer.
    async fn fill(&mut self) -> Result<(), RespError> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let doubled = self.buf.len() * 2;
                self.buf.resize(doubled, 0);
            }
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err(RespError::Closed);
        }
        self.end += n;
        Ok(())
    }

    /// Reads `count` replies, calling `on_reply(index, error_text)` for each as it is parsed.
    /// Replies that arrive in one read are handed over together, right after that read, so the
    /// caller can take the time once per read.
    pub async fn read_replies(
        &mut self,
        count: usize,
        mut on_batch_start: impl FnMut(),
        mut on_reply: impl FnMut(usize, Option<&[u8]>),
    ) -> Result<(), RespError> {
        let mut done = 0;
        while done < count {
            let mut progressed = false;
            while done < count {
                let window = &self.buf[self.start..self.end];
                match parse_reply(window)? {
                    Some(reply) => {
                        if !progressed {
                            on_batch_start();
                            progressed = true;
                        }
                        on_reply(done, reply.error.map(|r| &window[r]));
                        self.start += reply.len;
                        done += 1;
                    }
                    None => break,
                }
            }
            if done < count {
                self.fill().await?;
            }
        }
        Ok(())
    }

    /// Reads one whole reply and returns its RESP bytes (for the few replies whose content
    /// matters, such as `CLUSTER SLOTS`).
    pub async fn read_reply_bytes(&mut self) -> Result<Vec<u8>, RespError> {
        loop {
            let window = &self.buf[self.start..self.end];
            if let Some(reply) = parse_reply(window)? {
                let bytes = window[..reply.len].to_vec();
                self.start += reply.len;
                return Ok(bytes);
            }
            self.fill().await?;
        }
    }

    /// Sends one command and returns `Err(Server)` if the reply is an error.
    pub async fn command<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Result<(), RespError> {
        encode_command(&mut self.out, args);
        self.flush().await?;
        let mut error = None;
        self.read_replies(1, || {}, |_, e| error = e.map(|e| String::from_utf8_lossy(e).into_owned())).await?;
        match error {
            Some(e) => Err(RespError::Server(e)),
            None => Ok(()),
        }
    }

    /// Sends raw pre-encoded requests (already in `out`) and returns the first error reply.
    pub async fn roundtrip_first_error(&mut self, count: usize) -> Result<Option<String>, RespError> {
        self.flush().await?;
        let mut first = None;
        self.read_replies(
            count,
            || {},
            |_, e| {
                if first.is_none() {
                    first = e.map(|e| String::from_utf8_lossy(e).into_owned());
                }
            },
        )
        .await?;
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Option<ParsedReply> {
        parse_reply(bytes).unwrap()
    }

    #[test]
    fn encodes_commands() {
        let mut out = Vec::new();
        encode_command(&mut out, &["SET", "k", ""]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }

    #[test]
    fn parses_simple_replies() {
        assert_eq!(parse(b"+OK\r\n"), Some(ParsedReply { len: 5, error: None }));
        assert_eq!(parse(b":12\r\n+OK"), Some(ParsedReply { len: 5, error: None }));
        assert_eq!(parse(b"-ERR bad\r\n"), Some(ParsedReply { len: 10, error: Some(1..8) }));
        assert_eq!(parse(b"$3\r\nabc\r\n"), Some(ParsedReply { len: 9, error: None }));
        assert_eq!(parse(b"$-1\r\n"), Some(ParsedReply { len: 5, error: None }));
        assert_eq!(parse(b"*-1\r\n"), Some(ParsedReply { len: 5, error: None }));
        assert_eq!(parse(b"$0\r\n\r\n"), Some(ParsedReply { len: 6, error: None }));
    }

    #[test]
    fn parses_aggregates_and_resp3() {
        let reply = b"*3\r\n$1\r\na\r\n:1\r\n*1\r\n+x\r\n";
        assert_eq!(parse(reply), Some(ParsedReply { len: reply.len(), error: None }));
        let map = b"%1\r\n+k\r\n,1.5\r\n";
        assert_eq!(parse(map).map(|r| r.len), Some(map.len()));
        let attr = b"|1\r\n+a\r\n#t\r\n:5\r\n";
        assert_eq!(parse(attr).map(|r| r.len), Some(attr.len()));
        assert_eq!(parse(b"_\r\n").map(|r| r.len), Some(3));
        assert_eq!(parse(b"!3\r\nERR\r\n"), Some(ParsedReply { len: 9, error: Some(4..7) }));
    }

    #[test]
    fn incomplete_replies_need_more() {
        let full = b"*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n";
        for cut in 0..full.len() {
            assert_eq!(parse(&full[..cut]), None, "cut at {cut}");
        }
        assert_eq!(parse(full).map(|r| r.len), Some(full.len()));
    }

    #[test]
    fn garbage_is_a_protocol_error() {
        assert!(parse_reply(b"?what\r\n").is_err());
        assert!(parse_reply(b"$x\r\n").is_err());
        assert!(parse_reply(b"$3\r\nabcde\r\n").is_err());
        let deep = "*1\r\n".repeat(MAX_DEPTH + 2) + ":1\r\n";
        assert!(parse_reply(deep.as_bytes()).is_err());
    }

    #[tokio::test]
    async fn reads_pipelined_replies_across_reads() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 1024];
            let _ = socket.read(&mut request).await.unwrap();
            // Split a reply across writes to exercise refills.
            socket.write_all(b"+PONG\r\n-ERR no\r\n$5\r\nhel").await.unwrap();
            socket.flush().await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            socket.write_all(b"lo\r\n").await.unwrap();
        });
        let mut conn = RespConnection::connect(&addr, Duration::from_secs(5)).await.unwrap();
        encode_command(&mut conn.out, &["PING"]);
        conn.flush().await.unwrap();
        let mut seen = Vec::new();
        conn.read_replies(3, || {}, |i, e| seen.push((i, e.map(<[u8]>::to_vec)))).await.unwrap();
        assert_eq!(seen, vec![(0, None), (1, Some(b"ERR no".to_vec())), (2, None)]);
        server.await.unwrap();
        let err = conn.read_replies(1, || {}, |_, _| {}).await.unwrap_err();
        assert!(matches!(err, RespError::Closed), "{err:?}");
    }
}
