//! Incremental request parser. It consumes complete pieces of the input as they arrive and
//! keeps its place inside a half-received command, so a huge multibulk is parsed once, not
//! again on every read. Limits are checked on the headers, before anything is allocated for
//! what they claim.

use bytes::{Buf, Bytes, BytesMut};
use smallvec::SmallVec;

use super::inline::split_inline;
use crate::types::string::parse_i64;

/// Longest header or inline line accepted without its newline (Redis's PROTO_INLINE_MAX_SIZE).
pub const MAX_LINE: usize = 64 * 1024;
/// Most arguments one multibulk may claim (Redis: INT_MAX).
const MAX_MULTIBULK: i64 = i32::MAX as i64;
/// Arguments preallocated for a multibulk, whatever it claims.
const MAX_PREALLOC_ARGS: usize = 1024;

/// The limits the parser enforces, from the live configuration.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    pub max_bulk_len: u64,
}

/// A malformed request. The text follows "ERR Protocol error: "; the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ERR Protocol error: {0}")]
pub struct ProtocolError(pub String);

fn protocol(text: impl Into<String>) -> ProtocolError {
    ProtocolError(text.into())
}

#[derive(Debug, Default)]
enum State {
    #[default]
    Start,
    /// Inside a multibulk: `remaining` arguments to go, the next one's length if its header
    /// has been read.
    MultiBulk { remaining: usize, bulk_len: Option<usize> },
}

/// Parses requests from a connection's input buffer.
#[derive(Debug, Default)]
pub struct RequestParser {
    state: State,
    args: Vec<Bytes>,
}

/// The position of the first line's `\n` in `buf`.
fn find_line(buf: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', buf)
}

impl RequestParser {
    pub fn new() -> RequestParser {
        RequestParser::default()
    }

    /// Whether a command is half received (its bytes are not all in yet).
    pub fn in_progress(&self) -> bool {
        !matches!(self.state, State::Start)
    }

    /// How many more bytes the argument being received needs, to size the next read.
    pub fn wanted(&self, buffered: usize) -> usize {
        match self.state {
            State::MultiBulk { bulk_len: Some(len), .. } => (len + 2).saturating_sub(buffered),
            _ => 0,
        }
    }

    /// Takes the next complete command out of `buf`. `Ok(None)`: more bytes are needed.
    /// An empty command is never returned: empty commands are skipped as Redis does. The
    /// argument vector is reused from command to command; call [`RequestParser::release`]
    /// once the command has run so the input buffer's memory can be reused too.
    pub fn next(&mut self, buf: &mut BytesMut, limits: ParseLimits) -> Result<Option<&[Bytes]>, ProtocolError> {
        loop {
            match self.state {
                State::Start => {
                    let Some(&first) = buf.first() else { return Ok(None) };
                    if first == b'*' {
                        let Some((count, used)) = Self::header(buf, b"multibulk count")? else { return Ok(None) };
                        let count = count
                            .filter(|&n| n <= MAX_MULTIBULK)
                            .ok_or_else(|| protocol("invalid multibulk length"))?;
                        buf.advance(used);
                        if count <= 0 {
                            continue;
                        }
                        let count = usize::try_from(count).map_err(|_| protocol("invalid multibulk length"))?;
                        self.args.clear();
                        self.args.reserve(count.min(MAX_PREALLOC_ARGS));
                        self.state = State::MultiBulk { remaining: count, bulk_len: None };
                    } else {
                        let Some(end) = find_line(buf) else {
                            if buf.len() > MAX_LINE {
                                return Err(protocol("too big inline request"));
                            }
                            return Ok(None);
                        };
                        let line = buf.split_to(end + 1);
                        self.args =
                            split_inline(&line[..end]).ok_or_else(|| protocol("unbalanced quotes in request"))?;
                        if !self.args.is_empty() {
                            return Ok(Some(&self.args));
                        }
                    }
                }
                State::MultiBulk { remaining, bulk_len: None } => {
                    let Some(&first) = buf.first() else { return Ok(None) };
                    if first != b'$' {
                        return Err(protocol(format!("expected '$', got '{}'", char::from(first))));
                    }
                    let Some((len, used)) = Self::header(buf, b"bulk count")? else { return Ok(None) };
                    buf.advance(used);
                    let len = len
                        .and_then(|n| u64::try_from(n).ok())
                        .filter(|&n| n <= limits.max_bulk_len)
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| protocol("invalid bulk length"))?;
                    self.state = State::MultiBulk { remaining, bulk_len: Some(len) };
                }
                State::MultiBulk { remaining, bulk_len: Some(len) } => {
                    if buf.len() < len + 2 {
                        return Ok(None);
                    }
                    self.args.push(buf.split_to(len).freeze());
                    buf.advance(2);
                    if remaining > 1 {
                        self.state = State::MultiBulk { remaining: remaining - 1, bulk_len: None };
                    } else {
                        self.state = State::Start;
                        return Ok(Some(&self.args));
                    }
                }
            }
        }
    }

    /// Drops the arguments of the command just run (they share the input buffer).
    pub fn release(&mut self) {
        self.args.clear();
    }

    /// The second argument (most commands' first key) of each complete multibulk command
    /// at the start of `buf`, up to `out`'s capacity, read without consuming anything so
    /// a pipeline's keys can be prefetched together before its commands run; a key equal
    /// to the one before it is left out. Returns how many commands were read. Stops at
    /// anything else (an inline command, a partial frame, a malformed header): the parser
    /// proper reports those.
    pub fn peek_keys<'a, const N: usize>(buf: &'a [u8], out: &mut SmallVec<[&'a [u8]; N]>) -> usize {
        /// The number in a `<marker><digits>\r\n` header at `pos`, and where it ends. The
        /// digits are read in place: headers are a few bytes, shorter than a search call.
        fn header(buf: &[u8], pos: usize, marker: u8) -> Option<(usize, usize)> {
            if *buf.get(pos)? != marker {
                return None;
            }
            let mut n = 0usize;
            let mut at = pos + 1;
            loop {
                match *buf.get(at)? {
                    digit @ b'0'..=b'9' if at - pos <= 18 => n = n * 10 + usize::from(digit - b'0'),
                    b'\r' if at > pos + 1 && *buf.get(at + 1)? == b'\n' => return Some((n, at + 2)),
                    _ => return None,
                }
                at += 1;
            }
        }
        let (mut pos, mut commands) = (0, 0);
        while out.len() < N {
            let Some((count, mut at)) = header(buf, pos, b'*') else { return commands };
            let mut key = None;
            for i in 0..count {
                let Some((len, start)) = header(buf, at, b'$') else { return commands };
                let Some(end) = start.checked_add(len).filter(|&end| end + 2 <= buf.len()) else { return commands };
                if i == 1 {
                    key = Some(&buf[start..end]);
                }
                at = end + 2;
            }
            if let Some(key) = key.filter(|&key| out.last() != Some(&key)) {
                out.push(key);
            }
            pos = at;
            commands += 1;
        }
        commands
    }

    /// Reads the `<marker><digits>\r\n` header at the start of `buf` without consuming it:
    /// its number (`None` if not one) and the bytes it spans; `Ok(None)` if incomplete. No
    /// buffer is split off for it: a header is parsed in place.
    fn header(buf: &[u8], what: &[u8]) -> Result<Option<(Option<i64>, usize)>, ProtocolError> {
        match find_line(buf) {
            Some(end) => {
                let digits_end = if end > 0 && buf[end - 1] == b'\r' { end - 1 } else { end };
                let number = buf.get(1..digits_end).and_then(parse_i64);
                Ok(Some((number, end + 1)))
            }
            None if buf.len() > MAX_LINE => {
                Err(protocol(format!("too big {} string", String::from_utf8_lossy(what).replace("multibulk", "mbulk"))))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ParseLimits = ParseLimits { max_bulk_len: 512 * 1024 * 1024 };

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(cmd) = parser.next(&mut buf, LIMITS)? {
            out.push(cmd.to_vec());
        }
        Ok(out)
    }

    fn peek(input: &[u8]) -> Vec<&[u8]> {
        let mut keys = SmallVec::<[&[u8]; 4]>::new();
        let commands = RequestParser::peek_keys(input, &mut keys);
        assert!(commands >= keys.len());
        keys.to_vec()
    }

    #[test]
    fn peeked_keys_are_the_second_arguments_of_complete_commands() {
        let pipeline = b"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n";
        assert_eq!(peek(pipeline), vec![&b"k1"[..], b"k2"]);
        // A key repeated right after itself (LPUSH mylist ... LPUSH mylist) once.
        let repeated = b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n";
        assert_eq!(peek(repeated), vec![&b"a"[..], b"b"]);
        // At most the capacity asked for.
        let many: Vec<u8> = (0..10).flat_map(|i| format!("*2\r\n$3\r\nGET\r\n$1\r\n{i}\r\n").into_bytes()).collect();
        assert_eq!(peek(&many).len(), 4);
        // A partial last frame, an inline command or a malformed header ends the scan.
        assert_eq!(peek(&pipeline[..pipeline.len() - 3]), vec![&b"k1"[..]]);
        assert_eq!(peek(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n"), vec![&b"a"[..]]);
        for bad in [
            &b"*2\r\n$-1\r\n"[..],
            b"*x\r\n",
            b"*2\r\n$99999999999999999999\r\nGET\r\n",
            b"*9999999\r\n$1\r\na\r\n",
            b"$3\r\n",
        ] {
            assert!(peek(bad).is_empty(), "{bad:?}");
        }
        // The scan never consumes: the parser sees everything.
        assert_eq!(parse_all(pipeline).unwrap().len(), 3);
    }

    #[test]
    fn multibulk_inline_and_pipelines() {
        let cmds = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*1\r\n$4\r\nPING\r\n\r\n*0\r\n").unwrap();
        assert_eq!(
            cmds,
            vec![vec![Bytes::from("GET"), Bytes::from("k")], vec![Bytes::from("PING")], vec![Bytes::from("PING")]]
        );
    }

    #[test]
    fn byte_by_byte_arrival_gives_the_same_result() {
        let input = b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in input {
            buf.extend_from_slice(&[b]);
            if let Some(cmd) = parser.next(&mut buf, LIMITS).unwrap() {
                got = Some(cmd.to_vec());
            }
        }
        assert_eq!(got.unwrap().len(), 3);
        assert!(!parser.in_progress());
    }

    #[test]
    fn malformed_requests_are_refused_before_allocating() {
        let err = |input: &[u8]| parse_all(input).unwrap_err().to_string();
        assert_eq!(err(b"*1\r\n+PING\r\n"), "ERR Protocol error: expected '$', got '+'");
        assert_eq!(err(b"*1\r\n$-5\r\n"), "ERR Protocol error: invalid bulk length");
        assert_eq!(err(b"*1\r\n$abc\r\n"), "ERR Protocol error: invalid bulk length");
        assert_eq!(err(b"*1\r\n$536870913\r\n"), "ERR Protocol error: invalid bulk length");
        assert_eq!(err(b"*2147483648\r\n"), "ERR Protocol error: invalid multibulk length");
        assert_eq!(err(b"*x\r\n"), "ERR Protocol error: invalid multibulk length");
        assert_eq!(err(b"SET \"a b\r\n"), "ERR Protocol error: unbalanced quotes in request");
        let long = vec![b'*'; MAX_LINE + 2];
        assert_eq!(err(&long), "ERR Protocol error: too big mbulk count string");
        let inline = vec![b'a'; MAX_LINE + 2];
        assert_eq!(err(&inline), "ERR Protocol error: too big inline request");
    }

    #[test]
    fn a_huge_claimed_multibulk_preallocates_little() {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(&b"*2147483647\r\n$1\r\na\r\n"[..]);
        assert!(parser.next(&mut buf, LIMITS).unwrap().is_none());
        assert!(parser.args.capacity() <= MAX_PREALLOC_ARGS + 1);
        assert!(parser.in_progress());
    }
}
