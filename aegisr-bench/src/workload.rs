//! What a benchmark sends: command templates with `__key__`/`__data__` placeholders, the mix of
//! commands (`--ratio`, `--command`), key distributions (uniform, sequential, zipfian) and value
//! sizes. Everything here is pure and cheap so that request generation never limits throughput.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;
use std::str::FromStr;

use bytes::Bytes;

/// Placeholder replaced by a key from the key space.
pub const KEY_PLACEHOLDER: &str = "__key__";
/// Placeholder replaced by a value of `--data-size` bytes.
pub const DATA_PLACEHOLDER: &str = "__data__";

/// Errors in a workload description given on the command line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WorkloadError {
    /// A `--command` template that cannot be used.
    #[error("invalid command template {template:?}: {reason}")]
    Template {
        /// The template as given.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--ratio` that cannot be parsed.
    #[error("invalid ratio {ratio:?}: {reason}")]
    Ratio {
        /// The ratio as given.
        ratio: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Some other inconsistent setting.
    #[error("{0}")]
    Invalid(String),
}

/// One piece of an argument: literal bytes or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(Vec<u8>),
    Key,
    Data,
}

/// One argument of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ArgTemplate {
    pieces: Vec<Piece>,
    literal_len: usize,
    keys: usize,
    datas: usize,
    /// The whole RESP bulk string (`$3\r\nGET\r\n`) when the argument has no placeholder,
    /// so the hot path copies it in one go.
    encoded: Option<Vec<u8>>,
}

impl ArgTemplate {
    fn parse(token: &str) -> ArgTemplate {
        let mut pieces = Vec::new();
        let mut rest = token;
        while !rest.is_empty() {
            let next_key = rest.find(KEY_PLACEHOLDER);
            let next_data = rest.find(DATA_PLACEHOLDER);
            let (at, piece, len) = match (next_key, next_data) {
                (Some(k), Some(d)) if d < k => (d, Piece::Data, DATA_PLACEHOLDER.len()),
                (Some(k), _) => (k, Piece::Key, KEY_PLACEHOLDER.len()),
                (None, Some(d)) => (d, Piece::Data, DATA_PLACEHOLDER.len()),
                (None, None) => {
                    pieces.push(Piece::Literal(rest.as_bytes().to_vec()));
                    break;
                }
            };
            if at > 0 {
                pieces.push(Piece::Literal(rest.as_bytes()[..at].to_vec()));
            }
            pieces.push(piece);
            rest = &rest[at + len..];
        }
        let literal_len = pieces.iter().map(|p| if let Piece::Literal(l) = p { l.len() } else { 0 }).sum();
        let keys = pieces.iter().filter(|p| **p == Piece::Key).count();
        let datas = pieces.iter().filter(|p| **p == Piece::Data).count();
        let encoded = (keys == 0 && datas == 0).then(|| {
            let mut out = Vec::with_capacity(literal_len + 16);
            crate::resp::encode_bulk(&mut out, token.as_bytes());
            out
        });
        ArgTemplate { pieces, literal_len, keys, datas, encoded }
    }

    fn len_with(&self, key: &[u8], data: &[u8]) -> usize {
        self.literal_len + self.keys * key.len() + self.datas * data.len()
    }

    fn write_with(&self, out: &mut Vec<u8>, key: &[u8], data: &[u8]) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(l) => out.extend_from_slice(l),
                Piece::Key => out.extend_from_slice(key),
                Piece::Data => out.extend_from_slice(data),
            }
        }
    }
}

/// A command to send, e.g. `SET __key__ __data__`. Every `__key__` in one command gets the
/// same key; every `__data__` the same value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate {
    /// The template text as given (for messages).
    pub text: String,
    /// The command name, upper-cased (for reports).
    pub name: String,
    args: Vec<ArgTemplate>,
    /// `*N\r\n`.
    header: Vec<u8>,
    /// Whether any argument holds `__key__` / `__data__`.
    pub uses_key: bool,
    /// Whether any argument holds `__data__`.
    pub uses_data: bool,
}

impl CommandTemplate {
    /// Parses a template: arguments split on whitespace, `"..."` or `'...'` quote an argument
    /// holding spaces, `\` escapes the next character inside double quotes.
    pub fn parse(text: &str) -> Result<CommandTemplate, WorkloadError> {
        let bad = |reason: &str| WorkloadError::Template { template: text.to_owned(), reason: reason.to_owned() };
        let tokens = split_args(text).map_err(|r| bad(&r))?;
        let Some(first) = tokens.first() else { return Err(bad("it is empty")) };
        if first.contains(KEY_PLACEHOLDER) || first.contains(DATA_PLACEHOLDER) {
            return Err(bad("the command name cannot be a placeholder"));
        }
        let args: Vec<ArgTemplate> = tokens.iter().map(|t| ArgTemplate::parse(t)).collect();
        let uses_key = args.iter().any(|a| a.keys > 0);
        let uses_data = args.iter().any(|a| a.datas > 0);
        let mut header = Vec::with_capacity(8);
        header.push(b'*');
        header.extend_from_slice(itoa::Buffer::new().format(args.len()).as_bytes());
        header.extend_from_slice(b"\r\n");
        Ok(CommandTemplate {
            text: text.to_owned(),
            name: first.to_ascii_uppercase(),
            args,
            header,
            uses_key,
            uses_data,
        })
    }

    /// Appends the command as a RESP multibulk to `out`.
    #[inline]
    pub fn encode_resp(&self, out: &mut Vec<u8>, key: &[u8], data: &[u8]) {
        out.extend_from_slice(&self.header);
        for arg in &self.args {
            match &arg.encoded {
                Some(encoded) => out.extend_from_slice(encoded),
                None => {
                    out.push(b'$');
                    out.extend_from_slice(itoa::Buffer::new().format(arg.len_with(key, data)).as_bytes());
                    out.extend_from_slice(b"\r\n");
                    arg.write_with(out, key, data);
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
    }

    /// The command as separate arguments (for gRPC). `data` is sliced, not copied, when an
    /// argument is exactly `__data__`.
    pub fn to_args(&self, key: &[u8], data: &Bytes) -> Vec<Bytes> {
        self.args
            .iter()
            .map(|arg| match arg.pieces.as_slice() {
                [Piece::Data] => data.clone(),
                [Piece::Key] => Bytes::copy_from_slice(key),
                _ => {
                    let mut out = Vec::with_capacity(arg.len_with(key, data));
                    arg.write_with(&mut out, key, data);
                    Bytes::from(out)
                }
            })
            .collect()
    }
}

impl fmt::Display for CommandTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Splits a command line into arguments, honouring quotes.
fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_arg = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                in_arg = true;
                let quote = c;
                loop {
                    match chars.next() {
                        None => return Err(format!("unterminated {quote} quote")),
                        Some(q) if q == quote => break,
                        Some('\\') if quote == '"' => match chars.next() {
                            Some('n') => current.push('\n'),
                            Some('r') => current.push('\r'),
                            Some('t') => current.push('\t'),
                            Some(other) => current.push(other),
                            None => return Err("unterminated \" quote".to_owned()),
                        },
                        Some(other) => current.push(other),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_arg {
                    args.push(std::mem::take(&mut current));
                    in_arg = false;
                }
            }
            other => {
                in_arg = true;
                current.push(other);
            }
        }
    }
    if in_arg {
        args.push(current);
    }
    Ok(args)
}

/// The template behind a short command name used in `--ratio` (`set`, `get`, ...).
pub fn builtin_template(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "set" => "SET __key__ __data__",
        "get" => "GET __key__",
        "ping" => "PING",
        "incr" => "INCR __key__",
        "del" => "DEL __key__",
        "exists" => "EXISTS __key__",
        "append" => "APPEND __key__ __data__",
        "strlen" => "STRLEN __key__",
        "getset" => "GETSET __key__ __data__",
        "lpush" => "LPUSH __key__ __data__",
        "rpush" => "RPUSH __key__ __data__",
        "lpop" => "LPOP __key__",
        "rpop" => "RPOP __key__",
        "sadd" => "SADD __key__ __data__",
        "spop" => "SPOP __key__",
        "hset" => "HSET __key__ field __data__",
        "hget" => "HGET __key__ field",
        "zadd" => "ZADD __key__ 1 __data__",
        _ => return None,
    })
}

/// Parses `--ratio`: `set:get=1:10`, or memtier's bare `1:10` (SET:GET). Returns the command
/// names with their weights.
pub fn parse_ratio(ratio: &str) -> Result<Vec<(String, u32)>, WorkloadError> {
    let bad = |reason: String| WorkloadError::Ratio { ratio: ratio.to_owned(), reason };
    let (names, weights) = match ratio.split_once('=') {
        Some((names, weights)) => (names.split(':').map(str::trim).map(str::to_owned).collect::<Vec<_>>(), weights),
        None => (vec!["set".to_owned(), "get".to_owned()], ratio),
    };
    let weights: Vec<u32> = weights
        .split(':')
        .map(|w| w.trim().parse::<u32>().map_err(|_| bad(format!("{w:?} is not a whole number"))))
        .collect::<Result<_, _>>()?;
    if names.len() != weights.len() {
        return Err(bad(format!("{} commands but {} weights", names.len(), weights.len())));
    }
    if weights.iter().all(|w| *w == 0) {
        return Err(bad("every weight is 0".to_owned()));
    }
    for name in &names {
        if builtin_template(name).is_none() {
            return Err(bad(format!(
                "unknown command {name:?} (known: set get ping incr del exists append strlen getset lpush rpush lpop \
                 rpop sadd spop hset hget zadd; use --command for anything else)"
            )));
        }
    }
    Ok(names.into_iter().zip(weights).filter(|(_, w)| *w > 0).collect())
}

/// Picks commands in exact proportion to their weights, spread evenly (smooth weighted
/// round-robin, as nginx balances upstreams): with `1:10`, every run of 11 picks holds exactly
/// one of the first command and the picks do not bunch up.
#[derive(Debug, Clone)]
pub struct CommandMix {
    weights: Vec<i64>,
    current: Vec<i64>,
    total: i64,
}

impl CommandMix {
    /// A mix over `weights` (one per command, at least one non-zero).
    pub fn new(weights: &[u32]) -> CommandMix {
        let weights: Vec<i64> = weights.iter().map(|w| i64::from(*w)).collect();
        let total = weights.iter().sum();
        CommandMix { current: vec![0; weights.len()], weights, total }
    }

    /// The index of the next command.
    #[inline]
    pub fn next_index(&mut self) -> usize {
        if self.weights.len() == 1 {
            return 0;
        }
        let mut best = 0;
        for i in 0..self.weights.len() {
            self.current[i] += self.weights[i];
            if self.current[i] > self.current[best] {
                best = i;
            }
        }
        self.current[best] -= self.total;
        best
    }

    /// Skips `n` picks, so that clients starting together do not all send the same command.
    pub fn advance(&mut self, n: usize) {
        for _ in 0..n {
            self.next_index();
        }
    }
}

/// How keys are drawn from the key space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyPattern {
    /// Every key equally likely.
    Uniform,
    /// Keys in order, each thread starting at its own slice of the key space and wrapping.
    Sequential,
    /// Zipfian: key `i` (from 0) drawn with probability proportional to `1 / (i+1)^exponent`.
    Zipf {
        /// The skew; 0.99 is the YCSB default.
        exponent: f64,
    },
}

/// Draws 1-based ranks from a Zipf distribution over `1..=n` by rejection-inversion
/// (Hörmann and Derflinger, "Rejection-inversion to generate variates from monotone discrete
/// distributions", 1996), the method Apache Commons RNG uses: O(1) time and memory for any `n`
/// and any exponent > 0.
#[derive(Debug, Clone)]
pub struct Zipf {
    n: f64,
    exponent: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    s: f64,
}

impl Zipf {
    /// A sampler over `1..=n` with the given exponent (> 0).
    pub fn new(n: u64, exponent: f64) -> Result<Zipf, WorkloadError> {
        if n == 0 {
            return Err(WorkloadError::Invalid("the key space must hold at least one key".to_owned()));
        }
        if !(exponent.is_finite() && exponent > 0.0) {
            return Err(WorkloadError::Invalid(format!("the zipf exponent must be > 0, got {exponent}")));
        }
        let n = n as f64;
        let mut zipf = Zipf { n, exponent, h_integral_x1: 0.0, h_integral_n: 0.0, s: 0.0 };
        zipf.h_integral_x1 = zipf.h_integral(1.5) - 1.0;
        zipf.h_integral_n = zipf.h_integral(n + 0.5);
        zipf.s = 2.0 - zipf.h_integral_inverse(zipf.h_integral(2.5) - zipf.h(2.0));
        Ok(zipf)
    }

    /// A rank in `1..=n`; rank 1 is the most frequent.
    #[inline]
    pub fn sample(&self, rng: &mut fastrand::Rng) -> u64 {
        loop {
            let u = self.h_integral_n + rng.f64() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = (x + 0.5).floor().clamp(1.0, self.n);
            if k - x <= self.s || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u64;
            }
        }
    }

    fn h(&self, x: f64) -> f64 {
        (-self.exponent * x.ln()).exp()
    }

    fn h_integral(&self, x: f64) -> f64 {
        let log_x = x.ln();
        helper2((1.0 - self.exponent) * log_x) * log_x
    }

    fn h_integral_inverse(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.exponent)).max(-1.0);
        (helper1(t) * x).exp()
    }
}

/// `ln(1+x)/x`, accurate near 0.
fn helper1(x: f64) -> f64 {
    if x.abs() > 1e-8 { x.ln_1p() / x } else { 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x)) }
}

/// `(exp(x)-1)/x`, accurate near 0.
fn helper2(x: f64) -> f64 {
    if x.abs() > 1e-8 { x.exp_m1() / x } else { 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x)) }
}

/// Value sizes: fixed, or uniform in an inclusive range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueSize {
    /// Always this many bytes.
    Fixed(usize),
    /// Uniform in `min..=max` bytes.
    Range {
        /// Smallest size.
        min: usize,
        /// Largest size.
        max: usize,
    },
}

impl ValueSize {
    /// The largest value this can produce.
    pub fn max(self) -> usize {
        match self {
            ValueSize::Fixed(n) => n,
            ValueSize::Range { max, .. } => max,
        }
    }
}

impl FromStr for ValueSize {
    type Err = String;

    /// `32` or `32-1024`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parse = |v: &str| v.trim().parse::<usize>().map_err(|_| format!("{v:?} is not a size in bytes"));
        match s.split_once('-') {
            None => Ok(ValueSize::Fixed(parse(s)?)),
            Some((min, max)) => {
                let (min, max) = (parse(min)?, parse(max)?);
                if min > max {
                    return Err(format!("range {min}-{max} is empty"));
                }
                Ok(ValueSize::Range { min, max })
            }
        }
    }
}

/// Everything a client needs to generate requests; shared read-only by all threads.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The commands, in the order of `weights`.
    pub commands: Vec<CommandTemplate>,
    /// Relative frequency of each command.
    pub weights: Vec<u32>,
    /// Number of distinct keys.
    pub keyspace: u64,
    /// Prepended to the key number.
    pub key_prefix: String,
    /// How keys are drawn.
    pub key_pattern: KeyPattern,
    /// Value sizes.
    pub value_size: ValueSize,
    /// Random printable bytes that values are sliced from.
    pub data: Bytes,
    /// Seed of the run; each client derives its own.
    pub seed: u64,
    /// Report labels, one per command (the command name, made unique).
    pub labels: Vec<String>,
}

impl Workload {
    /// Builds a workload; `commands` pairs each template with its weight.
    pub fn new(
        commands: Vec<(CommandTemplate, u32)>,
        keyspace: u64,
        key_prefix: String,
        key_pattern: KeyPattern,
        value_size: ValueSize,
        seed: u64,
    ) -> Result<Workload, WorkloadError> {
        if commands.is_empty() || commands.iter().all(|(_, w)| *w == 0) {
            return Err(WorkloadError::Invalid("no command to send".to_owned()));
        }
        if keyspace == 0 {
            return Err(WorkloadError::Invalid("--keyspace must be at least 1".to_owned()));
        }
        if let KeyPattern::Zipf { exponent } = key_pattern {
            Zipf::new(keyspace, exponent)?;
        }
        let commands: Vec<_> = commands.into_iter().filter(|(_, w)| *w > 0).collect();
        let mut labels: Vec<String> = Vec::with_capacity(commands.len());
        for (template, _) in &commands {
            let mut label = template.name.clone();
            let mut n = 2;
            while labels.contains(&label) {
                label = format!("{}#{n}", template.name);
                n += 1;
            }
            labels.push(label);
        }
        let mut rng = fastrand::Rng::with_seed(seed);
        let data: Vec<u8> = (0..value_size.max()).map(|_| rng.alphanumeric() as u8).collect();
        let (commands, weights) = commands.into_iter().unzip();
        Ok(Workload {
            commands,
            weights,
            keyspace,
            key_prefix,
            key_pattern,
            value_size,
            data: Bytes::from(data),
            seed,
            labels,
        })
    }
}

/// Per-thread cursor for sequential keys: a thread's clients share it so that, together, they
/// walk the thread's slice of the key space exactly once per lap (which is what prefill needs).
#[derive(Debug, Clone)]
pub struct SequentialCursor(Rc<Cell<u64>>);

impl SequentialCursor {
    /// A cursor starting at `start`.
    pub fn new(start: u64) -> SequentialCursor {
        SequentialCursor(Rc::new(Cell::new(start)))
    }
}

/// Where thread `thread` of `threads` starts in a key space of `keyspace` keys.
pub fn slice_start(keyspace: u64, thread: usize, threads: usize) -> u64 {
    (u128::from(keyspace) * thread as u128 / threads.max(1) as u128) as u64
}

enum KeySource {
    Uniform,
    Sequential(SequentialCursor),
    Zipf(Zipf),
}

/// One client's request generator.
pub struct RequestGenerator {
    rng: fastrand::Rng,
    mix: CommandMix,
    keys: KeySource,
    keyspace: u64,
    value_size: ValueSize,
    key_buf: Vec<u8>,
    prefix_len: usize,
}

impl RequestGenerator {
    /// A generator for client number `client` (unique across the run).
    pub fn new(workload: &Workload, client: u64, cursor: SequentialCursor) -> RequestGenerator {
        let seed = workload.seed ^ client.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let keys = match workload.key_pattern {
            KeyPattern::Uniform => KeySource::Uniform,
            KeyPattern::Sequential => KeySource::Sequential(cursor),
            // Validated in Workload::new; falling back to uniform keeps this infallible.
            KeyPattern::Zipf { exponent } => match Zipf::new(workload.keyspace, exponent) {
                Ok(z) => KeySource::Zipf(z),
                Err(_) => KeySource::Uniform,
            },
        };
        let mut mix = CommandMix::new(&workload.weights);
        let cycle: u32 = workload.weights.iter().sum();
        mix.advance((client % u64::from(cycle.max(1))) as usize);
        let mut key_buf = Vec::with_capacity(workload.key_prefix.len() + 20);
        key_buf.extend_from_slice(workload.key_prefix.as_bytes());
        RequestGenerator {
            rng: fastrand::Rng::with_seed(seed),
            mix,
            keys,
            keyspace: workload.keyspace,
            value_size: workload.value_size,
            prefix_len: key_buf.len(),
            key_buf,
        }
    }

    /// The index of the next command to send.
    #[inline]
    pub fn next_command(&mut self) -> usize {
        self.mix.next_index()
    }

    /// The next key number, in `0..keyspace`.
    #[inline]
    pub fn next_key_index(&mut self) -> u64 {
        match &self.keys {
            KeySource::Uniform => self.rng.u64(0..self.keyspace),
            KeySource::Sequential(cursor) => {
                let k = cursor.0.get() % self.keyspace;
                cursor.0.set(k + 1);
                k
            }
            KeySource::Zipf(zipf) => zipf.sample(&mut self.rng) - 1,
        }
    }

    /// The next key (prefix + number); valid until the next call.
    #[inline]
    pub fn next_key(&mut self) -> &[u8] {
        let index = self.next_key_index();
        self.key_buf.truncate(self.prefix_len);
        self.key_buf.extend_from_slice(itoa::Buffer::new().format(index).as_bytes());
        &self.key_buf
    }

    /// The size of the next value.
    #[inline]
    pub fn next_value_size(&mut self) -> usize {
        match self.value_size {
            ValueSize::Fixed(n) => n,
            ValueSize::Range { min, max } => self.rng.usize(min..=max),
        }
    }

    /// Appends the next request (command picked by the mix) to `out` as RESP; returns the
    /// command index.
    #[inline]
    pub fn encode_next_resp(&mut self, workload: &Workload, out: &mut Vec<u8>) -> usize {
        let index = self.next_command();
        let template = &workload.commands[index];
        let size = if template.uses_data { self.next_value_size() } else { 0 };
        let data = &workload.data[..size];
        if template.uses_key {
            let key = self.next_key();
            template.encode_resp(out, key, data);
        } else {
            template.encode_resp(out, &[], data);
        }
        index
    }

    /// The next request as arguments (for gRPC) and its command index.
    pub fn next_args(&mut self, workload: &Workload) -> (usize, Vec<Bytes>) {
        let index = self.next_command();
        let template = &workload.commands[index];
        let size = if template.uses_data { self.next_value_size() } else { 0 };
        let data = workload.data.slice(..size);
        let args = if template.uses_key {
            let key = self.next_key();
            template.to_args(key, &data)
        } else {
            template.to_args(&[], &data)
        };
        (index, args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(commands: &[(&str, u32)], keyspace: u64, pattern: KeyPattern, size: ValueSize) -> Workload {
        let commands = commands.iter().map(|(t, w)| (CommandTemplate::parse(t).unwrap(), *w)).collect();
        Workload::new(commands, keyspace, "key:".to_owned(), pattern, size, 42).unwrap()
    }

    fn encode(template: &str, key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        CommandTemplate::parse(template).unwrap().encode_resp(&mut out, key, data);
        out
    }

    #[test]
    fn templates_encode_as_resp_multibulk() {
        assert_eq!(encode("PING", b"", b""), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(encode("SET __key__ __data__", b"k:1", b"abc"), b"*3\r\n$3\r\nSET\r\n$3\r\nk:1\r\n$3\r\nabc\r\n");
        // Placeholders inside an argument, and the same key twice.
        assert_eq!(
            encode("HSET user:__key__ f __key__-__data__", b"7", b"xy"),
            b"*4\r\n$4\r\nHSET\r\n$6\r\nuser:7\r\n$1\r\nf\r\n$4\r\n7-xy\r\n"
        );
        // Quotes keep spaces; an empty value is a valid argument.
        assert_eq!(encode("ECHO \"a b\" ''", b"", b""), b"*3\r\n$4\r\nECHO\r\n$3\r\na b\r\n$0\r\n\r\n");
    }

    #[test]
    fn template_metadata_and_errors() {
        let t = CommandTemplate::parse("lpush __key__ __data__").unwrap();
        assert_eq!(t.name, "LPUSH");
        assert!(t.uses_key && t.uses_data);
        let t = CommandTemplate::parse("PING").unwrap();
        assert!(!t.uses_key && !t.uses_data);
        assert!(CommandTemplate::parse("   ").is_err());
        assert!(CommandTemplate::parse("__key__ x").is_err());
        assert!(CommandTemplate::parse("SET \"k v").is_err());
    }

    #[test]
    fn template_args_for_grpc() {
        let t = CommandTemplate::parse("SET p:__key__ __data__").unwrap();
        let args = t.to_args(b"5", &Bytes::from_static(b"val"));
        assert_eq!(args, vec![Bytes::from_static(b"SET"), Bytes::from_static(b"p:5"), Bytes::from_static(b"val")]);
    }

    #[test]
    fn ratios_parse() {
        assert_eq!(parse_ratio("set:get=1:10").unwrap(), vec![("set".into(), 1), ("get".into(), 10)]);
        assert_eq!(parse_ratio("1:10").unwrap(), vec![("set".into(), 1), ("get".into(), 10)]);
        assert_eq!(parse_ratio("set:get:incr=0:1:2").unwrap(), vec![("get".into(), 1), ("incr".into(), 2)]);
        assert!(parse_ratio("set:get=1").is_err());
        assert!(parse_ratio("set:get=0:0").is_err());
        assert!(parse_ratio("set:frob=1:1").is_err());
        assert!(parse_ratio("set:get=a:1").is_err());
    }

    #[test]
    fn mix_is_exact_and_spread() {
        let mut mix = CommandMix::new(&[1, 10]);
        let picks: Vec<usize> = (0..110).map(|_| mix.next_index()).collect();
        assert_eq!(picks.iter().filter(|&&p| p == 0).count(), 10);
        // Every window of 11 consecutive picks holds exactly one of the rare command.
        for window in picks.windows(11) {
            assert_eq!(window.iter().filter(|&&p| p == 0).count(), 1, "{picks:?}");
        }
        let mut mix = CommandMix::new(&[3, 2, 5]);
        let mut counts = [0; 3];
        for _ in 0..1000 {
            counts[mix.next_index()] += 1;
        }
        assert_eq!(counts, [300, 200, 500]);
    }

    #[test]
    fn duplicate_command_names_get_unique_labels() {
        let w = workload(
            &[("LPUSH __key__ a", 1), ("lpush __key__ b", 1), ("GET __key__", 1)],
            10,
            KeyPattern::Uniform,
            ValueSize::Fixed(1),
        );
        assert_eq!(w.labels, ["LPUSH", "LPUSH#2", "GET"]);
    }

    #[test]
    fn uniform_keys_cover_the_keyspace() {
        let w = workload(&[("GET __key__", 1)], 10, KeyPattern::Uniform, ValueSize::Fixed(1));
        let mut g = RequestGenerator::new(&w, 0, SequentialCursor::new(0));
        let mut counts = [0u32; 10];
        for _ in 0..10_000 {
            counts[g.next_key_index() as usize] += 1;
        }
        for c in counts {
            assert!((800..1200).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn sequential_keys_walk_in_order_and_share_a_cursor() {
        let w = workload(&[("GET __key__", 1)], 5, KeyPattern::Sequential, ValueSize::Fixed(1));
        let cursor = SequentialCursor::new(slice_start(5, 1, 2));
        let mut a = RequestGenerator::new(&w, 0, cursor.clone());
        let mut b = RequestGenerator::new(&w, 1, cursor);
        let keys: Vec<u64> = (0..3).flat_map(|_| [a.next_key_index(), b.next_key_index()]).collect();
        assert_eq!(keys, [2, 3, 4, 0, 1, 2]);
        assert_eq!(a.next_key(), b"key:3");
    }

    #[test]
    fn zipf_frequencies_fall_with_rank() {
        for exponent in [0.5, 0.99, 1.0, 1.5] {
            let zipf = Zipf::new(100, exponent).unwrap();
            let mut rng = fastrand::Rng::with_seed(7);
            let mut counts = [0u64; 100];
            let draws = 400_000;
            for _ in 0..draws {
                let k = zipf.sample(&mut rng);
                assert!((1..=100).contains(&k));
                counts[(k - 1) as usize] += 1;
            }
            // Monotone on a coarse scale (noise can swap neighbours far down the tail).
            let buckets: Vec<u64> = counts.chunks(10).map(|c| c.iter().sum()).collect();
            assert!(buckets.windows(2).all(|w| w[0] > w[1]), "exponent {exponent}: {buckets:?}");
            assert!(counts[0] > counts[1] && counts[1] > counts[2] && counts[2] > counts[4], "{counts:?}");
            // The head matches the exact probability within 3%.
            let norm: f64 = (1..=100).map(|i| 1.0 / (i as f64).powf(exponent)).sum();
            let expected = draws as f64 / norm;
            let got = counts[0] as f64;
            assert!((got - expected).abs() / expected < 0.03, "exponent {exponent}: {got} vs {expected}");
        }
    }

    #[test]
    fn zipf_handles_huge_keyspaces_and_rejects_bad_exponents() {
        let zipf = Zipf::new(u64::from(u32::MAX) * 4, 0.99).unwrap();
        let mut rng = fastrand::Rng::with_seed(1);
        for _ in 0..1000 {
            let k = zipf.sample(&mut rng);
            assert!(k >= 1 && k <= u64::from(u32::MAX) * 4);
        }
        assert!(Zipf::new(10, 0.0).is_err());
        assert!(Zipf::new(10, f64::NAN).is_err());
        assert!(Zipf::new(0, 1.0).is_err());
    }

    #[test]
    fn value_sizes() {
        assert_eq!("32".parse::<ValueSize>().unwrap(), ValueSize::Fixed(32));
        assert_eq!("8-64".parse::<ValueSize>().unwrap(), ValueSize::Range { min: 8, max: 64 });
        assert!("64-8".parse::<ValueSize>().is_err());
        assert!("x".parse::<ValueSize>().is_err());
        let w = workload(&[("SET __key__ __data__", 1)], 10, KeyPattern::Uniform, ValueSize::Range { min: 8, max: 16 });
        assert_eq!(w.data.len(), 16);
        let mut g = RequestGenerator::new(&w, 3, SequentialCursor::new(0));
        let sizes: Vec<usize> = (0..1000).map(|_| g.next_value_size()).collect();
        assert!(sizes.iter().all(|s| (8..=16).contains(s)));
        assert!(sizes.contains(&8) && sizes.contains(&16));
    }

    #[test]
    fn generator_encodes_the_mix() {
        let w =
            workload(&[("SET __key__ __data__", 1), ("GET __key__", 3)], 1, KeyPattern::Uniform, ValueSize::Fixed(2));
        let mut g = RequestGenerator::new(&w, 0, SequentialCursor::new(0));
        let mut out = Vec::new();
        let picks: Vec<usize> = (0..4).map(|_| g.encode_next_resp(&w, &mut out)).collect();
        assert_eq!(picks.iter().filter(|&&p| p == 0).count(), 1);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("$3\r\nGET\r\n$5\r\nkey:0\r\n").count(), 3);
        assert_eq!(text.matches("$3\r\nSET\r\n$5\r\nkey:0\r\n$2\r\n").count(), 1);
    }
}
