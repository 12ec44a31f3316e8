//! Incremental request parser. It parses the input buffer in place: a command's arguments
//! are ranges of the buffer, viewed as byte slices while the command runs, and the buffer
//! is advanced past the command only once it has run, so no argument is split off, counted
//! or copied. It keeps its place inside a half-received command (the ranges of what was
//! parsed already), so a huge multibulk is parsed once, not again on every read. Limits are
//! checked on the headers, before anything is allocated for what they claim.

use bytes::{Buf, Bytes, BytesMut};
use smallvec::SmallVec;

use super::inline::split_inline;
use crate::commands::ArgViews;
use crate::types::string::parse_i64;

/// Longest header or inline line accepted without its newline (Redis's PROTO_INLINE_MAX_SIZE).
pub const MAX_LINE: usize = 64 * 1024;
/// Most arguments one multibulk may claim (Redis: INT_MAX).
const MAX_MULTIBULK: i64 = i32::MAX as i64;
/// Arguments preallocated for a multibulk, whatever it claims.
const MAX_PREALLOC_ARGS: usize = 1024;

/// Most arguments a command from a client that must still authenticate may have (Redis's).
const UNAUTHENTICATED_MAX_ARGS: usize = 10;
/// Longest argument such a client may send (Redis's): whoever does not know the password
/// cannot make the server buffer a large command.
const UNAUTHENTICATED_MAX_BULK: u64 = 16 * 1024;

/// The limits the parser enforces, from the live configuration.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    pub max_bulk_len: u64,
    /// The client has to authenticate first: its commands are held to a few short
    /// arguments.
    pub unauthenticated: bool,
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
    /// How many bytes at the start of the input buffer are parsed: the command being
    /// received, or the one last returned (the buffer is advanced past it on the next call,
    /// once it has run), after any empty commands skipped before it.
    parsed: usize,
    /// Where the arguments of the multibulk being received lie in the input buffer (offset,
    /// length); reused from command to command.
    spans: Vec<(usize, usize)>,
    /// The arguments of the last inline command (unescaped, so copied out of the buffer).
    inline: Vec<Bytes>,
}

/// The position of the first line's `\n` in `buf`.
fn find_line(buf: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', buf)
}

/// Reads the common form of a header at `pos`: `marker`, up to 18 digits without a leading
/// zero (or a lone `0`), `\r\n`; its number and where what follows it starts. `None` for
/// anything else (incomplete, signed, malformed, huge): [`RequestParser::next`]'s general
/// path judges those. Digits are read as they come: for a header of a few bytes, a search
/// for the newline costs more than the header.
fn quick_header(buf: &[u8], pos: usize, marker: u8) -> Option<(usize, usize)> {
    if *buf.get(pos)? != marker {
        return None;
    }
    let first = *buf.get(pos + 1)?;
    if !first.is_ascii_digit() {
        return None;
    }
    let mut n = usize::from(first - b'0');
    let mut at = pos + 2;
    loop {
        match *buf.get(at)? {
            digit @ b'0'..=b'9' if n != 0 && at - pos <= 18 => n = n * 10 + usize::from(digit - b'0'),
            b'\r' if *buf.get(at + 1)? == b'\n' => return Some((n, at + 2)),
            _ => return None,
        }
        at += 1;
    }
}

impl RequestParser {
    pub fn new() -> RequestParser {
        RequestParser::default()
    }

    /// Whether a command is half received (its bytes are not all in yet).
    pub fn in_progress(&self) -> bool {
        !matches!(self.state, State::Start)
    }

    /// How many of the `buffered` bytes of the input buffer are not parsed yet: what the
    /// query buffer limit applies to (the parsed arguments of a half-received command are
    /// not counted, as Redis does not count the arguments it has already read).
    pub fn unparsed(&self, buffered: usize) -> usize {
        buffered.saturating_sub(self.parsed)
    }

    /// How many more bytes the argument being received needs, to size the next read.
    pub fn wanted(&self, buffered: usize) -> usize {
        match self.state {
            State::MultiBulk { bulk_len: Some(len), .. } => {
                len.saturating_add(2).saturating_sub(self.unparsed(buffered))
            }
            _ => 0,
        }
    }

    /// Parses the next complete command in `buf` and puts its arguments in `args` (empty),
    /// as slices of the buffer (of the parser's own copy for an inline command); `Ok(false)`:
    /// more bytes are needed. The command stays in the buffer while it runs: the next call
    /// advances the buffer past it, so call this again once the command has run (or has
    /// copied what it keeps). An empty command is never returned: empty commands are skipped
    /// as Redis does. (The views are written in place, not returned: a returned vector of
    /// views is copied on its way out, a cost per command as large as the views'.)
    pub fn next<'a>(
        &'a mut self,
        buf: &'a mut BytesMut,
        limits: ParseLimits,
        args: &mut ArgViews<'a>,
    ) -> Result<bool, ProtocolError> {
        loop {
            let rest = &buf[self.parsed..];
            match self.state {
                State::Start => {
                    if self.parsed > 0 {
                        // The command returned last has run; empty commands are skipped.
                        buf.advance(self.parsed);
                        self.parsed = 0;
                        // A command of many arguments does not leave its positions' room
                        // behind for the connection's life (Redis frees each argv too).
                        if self.spans.capacity() > MAX_PREALLOC_ARGS {
                            self.spans = Vec::new();
                        }
                        continue;
                    }
                    let Some(&first) = rest.first() else { return Ok(false) };
                    if first == b'*' {
                        if let Some(used) = self.whole_command(rest, limits) {
                            self.parsed = used;
                            let buf: &'a [u8] = buf;
                            args.extend(self.spans.iter().map(|&(at, len)| &buf[at..at + len]));
                            return Ok(true);
                        }
                        let Some((count, used)) = Self::header(rest, b"multibulk count")? else { return Ok(false) };
                        let count = count
                            .filter(|&n| n <= MAX_MULTIBULK)
                            .ok_or_else(|| protocol("invalid multibulk length"))?;
                        self.parsed += used;
                        if count <= 0 {
                            continue;
                        }
                        let count = usize::try_from(count).map_err(|_| protocol("invalid multibulk length"))?;
                        if limits.unauthenticated && count > UNAUTHENTICATED_MAX_ARGS {
                            return Err(protocol("unauthenticated multibulk length"));
                        }
                        self.spans.clear();
                        self.spans.reserve(count.min(MAX_PREALLOC_ARGS));
                        self.state = State::MultiBulk { remaining: count, bulk_len: None };
                    } else {
                        let Some(end) = find_line(rest) else {
                            if rest.len() > MAX_LINE {
                                return Err(protocol("too big inline request"));
                            }
                            return Ok(false);
                        };
                        self.inline =
                            split_inline(&rest[..end]).ok_or_else(|| protocol("unbalanced quotes in request"))?;
                        self.parsed += end + 1;
                        if !self.inline.is_empty() {
                            args.extend(self.inline.iter().map(|arg| &arg[..]));
                            return Ok(true);
                        }
                    }
                }
                State::MultiBulk { remaining, bulk_len: None } => {
                    let Some(&first) = rest.first() else { return Ok(false) };
                    if first != b'$' {
                        return Err(protocol(format!("expected '$', got '{}'", char::from(first))));
                    }
                    let Some((len, used)) = Self::header(rest, b"bulk count")? else { return Ok(false) };
                    self.parsed += used;
                    let len = len
                        .and_then(|n| u64::try_from(n).ok())
                        .filter(|&n| n <= limits.max_bulk_len)
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| protocol("invalid bulk length"))?;
                    if limits.unauthenticated && len as u64 > UNAUTHENTICATED_MAX_BULK {
                        return Err(protocol("unauthenticated bulk length"));
                    }
                    self.state = State::MultiBulk { remaining, bulk_len: Some(len) };
                }
                State::MultiBulk { remaining, bulk_len: Some(len) } => {
                    if rest.len() < len.saturating_add(2) {
                        return Ok(false);
                    }
                    self.spans.push((self.parsed, len));
                    self.parsed += len + 2;
                    if remaining > 1 {
                        self.state = State::MultiBulk { remaining: remaining - 1, bulk_len: None };
                    } else {
                        self.state = State::Start;
                        let buf: &'a [u8] = buf;
                        args.extend(self.spans.iter().map(|&(at, len)| &buf[at..at + len]));
                        return Ok(true);
                    }
                }
            }
        }
    }

    /// The common case in one go: a multibulk of at most [`MAX_PREALLOC_ARGS`] arguments,
    /// all in `buf` (which starts with it) with well-formed headers, within the limits. Puts
    /// its arguments' positions in `spans` and returns its length; `None` (nothing kept)
    /// for anything else, which the state machine then parses, reporting what is wrong.
    fn whole_command(&mut self, buf: &[u8], limits: ParseLimits) -> Option<usize> {
        let (count, mut at) = quick_header(buf, 0, b'*')?;
        let (max_args, max_bulk) = if limits.unauthenticated {
            (UNAUTHENTICATED_MAX_ARGS, UNAUTHENTICATED_MAX_BULK.min(limits.max_bulk_len))
        } else {
            (MAX_PREALLOC_ARGS, limits.max_bulk_len)
        };
        if count == 0 || count > max_args {
            return None;
        }
        self.spans.clear();
        for _ in 0..count {
            let (len, start) = quick_header(buf, at, b'$')?;
            if len as u64 > max_bulk {
                return None;
            }
            let end = start.checked_add(len)?;
            if end.checked_add(2)? > buf.len() {
                return None;
            }
            self.spans.push((start, len));
            at = end + 2;
        }
        Some(at)
    }

    /// The second argument (most commands' first key) of each complete multibulk command
    /// at the start of `buf`, up to `out`'s capacity, read without consuming anything so
    /// a pipeline's keys can be prefetched together before its commands run; a key equal
    /// to the one before it is left out. Returns how many commands were read. Stops at
    /// anything else (an inline command, a partial frame, a malformed header): the parser
    /// proper reports those.
    pub fn peek_keys<'a, const N: usize>(buf: &'a [u8], out: &mut SmallVec<[&'a [u8]; N]>) -> usize {
        let (mut pos, mut commands) = (0, 0);
        while out.len() < N {
            let Some((count, mut at)) = quick_header(buf, pos, b'*') else { return commands };
            let mut key = None;
            for i in 0..count {
                let Some((len, start)) = quick_header(buf, at, b'$') else { return commands };
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

    const LIMITS: ParseLimits = ParseLimits { max_bulk_len: 512 * 1024 * 1024, unauthenticated: false };

    /// The next command, copied out.
    fn next(parser: &mut RequestParser, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let mut args = ArgViews::new();
        Ok(parser.next(buf, LIMITS, &mut args)?.then(|| crate::commands::owned_args(&args)))
    }

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(cmd) = next(&mut parser, &mut buf)? {
            out.push(cmd);
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
            if let Some(cmd) = next(&mut parser, &mut buf).unwrap() {
                got = Some(cmd);
            }
        }
        assert_eq!(got.unwrap(), vec![Bytes::from("SET"), Bytes::from("key"), Bytes::from("value")]);
        assert!(!parser.in_progress());
        // The command stays in the buffer until the next call, which finds nothing more.
        assert_eq!(buf.len(), input.len());
        assert!(next(&mut parser, &mut buf).unwrap().is_none());
        assert!(buf.is_empty());
    }

    #[test]
    fn a_command_arriving_in_pieces_is_parsed_once_and_kept_in_place() {
        // Two arguments arrive; the third is half there: what was parsed is remembered,
        // not split off, and only what is not parsed yet counts against the query buffer.
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc"[..]);
        assert!(next(&mut parser, &mut buf).unwrap().is_none());
        assert!(parser.in_progress());
        assert_eq!(parser.spans, vec![(8, 3), (17, 1)]);
        assert_eq!(parser.unparsed(buf.len()), 3);
        assert_eq!(parser.wanted(buf.len()), 9);
        buf.extend_from_slice(b"defghij\r\n*1\r\n$4\r\nPING\r\n");
        let cmd = next(&mut parser, &mut buf).unwrap();
        assert_eq!(cmd.unwrap(), vec![Bytes::from("SET"), Bytes::from("k"), Bytes::from("abcdefghij")]);
        let cmd = next(&mut parser, &mut buf).unwrap();
        assert_eq!(cmd.unwrap(), vec![Bytes::from("PING")]);
        assert!(next(&mut parser, &mut buf).unwrap().is_none());
        assert!(buf.is_empty());
    }

    #[test]
    fn empty_commands_alone_are_dropped_from_the_buffer() {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(&b"*0\r\n\r\n*-1\r\n"[..]);
        assert!(next(&mut parser, &mut buf).unwrap().is_none());
        assert!(buf.is_empty());
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
    fn a_client_that_must_authenticate_sends_only_short_commands() {
        let limits = ParseLimits { unauthenticated: true, ..LIMITS };
        let parse = |input: &[u8]| {
            let mut parser = RequestParser::new();
            let mut buf = BytesMut::from(input);
            let mut args = ArgViews::new();
            parser.next(&mut buf, limits, &mut args).map(|_| args.len())
        };
        let ten = b"*10\r\n".iter().chain(b"$1\r\na\r\n".repeat(10).iter()).copied().collect::<Vec<u8>>();
        assert_eq!(parse(&ten), Ok(10));
        assert_eq!(parse(b"*11\r\n").unwrap_err().to_string(), "ERR Protocol error: unauthenticated multibulk length");
        let big = format!("*2\r\n$4\r\nAUTH\r\n$16384\r\n{}\r\n", "p".repeat(16384));
        assert_eq!(parse(big.as_bytes()), Ok(2));
        assert_eq!(
            parse(b"*1\r\n$16385\r\n").unwrap_err().to_string(),
            "ERR Protocol error: unauthenticated bulk length"
        );
        assert_eq!(
            parse(b"*1\r\n$100000000\r\n").unwrap_err().to_string(),
            "ERR Protocol error: unauthenticated bulk length"
        );
    }

    #[test]
    fn the_one_pass_path_and_the_state_machine_agree() {
        // Forms the one-pass path leaves to the state machine: a bare `\n`, leading zeros
        // (refused as Redis's string2ll refuses them), a bulk over the limit, more arguments
        // than are preallocated, a bulk cut short.
        assert_eq!(parse_all(b"*1\n$4\nPING\r\n").unwrap(), vec![vec![Bytes::from("PING")]]);
        assert_eq!(
            parse_all(b"*1\r\n$04\r\nPING\r\n").unwrap_err().to_string(),
            "ERR Protocol error: invalid bulk length"
        );
        assert_eq!(
            parse_all(b"*01\r\n$4\r\nPING\r\n").unwrap_err().to_string(),
            "ERR Protocol error: invalid multibulk length"
        );
        let limits = ParseLimits { max_bulk_len: 3, unauthenticated: false };
        let mut buf = BytesMut::from(&b"*1\r\n$4\r\nPING\r\n"[..]);
        let mut parser = RequestParser::new();
        let mut args = ArgViews::new();
        let err = parser.next(&mut buf, limits, &mut args).unwrap_err();
        assert_eq!(err.to_string(), "ERR Protocol error: invalid bulk length");
        let mut many = format!("*{}\r\n", MAX_PREALLOC_ARGS + 1).into_bytes();
        for _ in 0..=MAX_PREALLOC_ARGS {
            many.extend_from_slice(b"$1\r\nx\r\n");
        }
        assert_eq!(parse_all(&many).unwrap()[0].len(), MAX_PREALLOC_ARGS + 1);
        drop(args);
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$3\r\nke"[..]);
        assert!(next(&mut parser, &mut buf).unwrap().is_none());
        buf.extend_from_slice(b"y\r\n");
        assert_eq!(next(&mut parser, &mut buf).unwrap().unwrap(), vec![Bytes::from("GET"), Bytes::from("key")]);
    }

    #[test]
    fn a_huge_claimed_multibulk_preallocates_little() {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(&b"*2147483647\r\n$1\r\na\r\n"[..]);
        assert!(next(&mut parser, &mut buf).unwrap().is_none());
        assert!(parser.spans.capacity() <= MAX_PREALLOC_ARGS + 1);
        assert!(parser.in_progress());
    }
}
