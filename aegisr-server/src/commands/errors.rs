//! Every error text a command can reply with, in one place, worded as Redis 7 words them.

use crate::types::string::StringError;

/// A command's failure; its `Display` is the exact RESP error text, code first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("ERR syntax error")]
    Syntax,
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    #[error("ERR value is not a valid float")]
    NotFloat,
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    #[error("ERR increment would produce NaN or Infinity")]
    NanOrInfinity,
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    TooLarge,
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    #[error("ERR unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand { name: String, args: String },
    #[error("ERR unknown subcommand '{sub}'. Try {command} HELP.")]
    UnknownSubcommand { command: String, sub: String },
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpire(&'static str),
    #[error("ERR DB index is out of range")]
    DbOutOfRange,
    #[error("ERR no such key")]
    NoSuchKey,
    #[error("ERR invalid cursor")]
    InvalidCursor,
    #[error("ERR offset is out of range")]
    OffsetOutOfRange,
    #[error("ERR source and destination objects are the same")]
    SameObject,
    #[error("ERR Unsupported option {0}")]
    UnsupportedOption(String),
    #[error("ERR NX and XX, GT or LT options at the same time are not compatible")]
    ExpireNxConflict,
    #[error("ERR GT and LT options at the same time are not compatible")]
    ExpireGtLtConflict,
    /// An integer argument outside the range a command takes (Redis's `getRangeLong...`).
    #[error("ERR value is out of range, value must between {min} and {max}")]
    IntOutOfRange { min: i64, max: i64 },
    /// SWAPDB's parse error for its `first` or `second` index.
    #[error("ERR invalid {0} DB index")]
    InvalidDbIndex(&'static str),
    #[error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    )]
    LfuNotSelected,
    #[error(
        "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
    )]
    LfuSelected,
    #[error("ERR decrement would overflow")]
    DecrementOverflow,
    #[error("ERR The specified keys must contain string values")]
    LcsNotString,
    #[error("ERR If you want both the length and indexes, please just use IDX.")]
    LcsIdxWithLen,
    #[error("ERR String too long for LCS")]
    LcsStringTooLong,
    #[error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")]
    LcsTableTooLarge,
    #[error("ERR Insufficient memory, failed allocating transient memory for LCS")]
    LcsOutOfMemory,
    /// Any other text, code included (`ERR ...`, `NOPROTO ...`).
    #[error("{0}")]
    Message(String),
    /// A script's error that a command it called replied: the error statistics counted it
    /// when that command replied, the script's command only fails.
    #[error("{0}")]
    PassedOn(String),
    /// RESTORE without REPLACE onto an existing key.
    #[error("BUSYKEY Target key name already exists.")]
    BusyKey,
    /// RESTORE of a payload whose version or checksum does not match.
    #[error("ERR DUMP payload version or checksum are wrong")]
    DumpPayload,
    /// RESTORE of a payload with a good checksum whose value does not decode.
    #[error("ERR Bad data format")]
    BadDataFormat,
    /// A command that may grow memory, refused over maxmemory (commands/maxmemory.rs).
    #[error("OOM command not allowed when used memory > 'maxmemory'.")]
    Oom,
}

impl CommandError {
    /// An `ERR`-coded error with free text.
    pub fn err(text: impl std::fmt::Display) -> CommandError {
        CommandError::Message(format!("ERR {text}"))
    }

    /// The unknown-command error, quoting the first arguments as Redis does.
    pub fn unknown_command(name: &[u8], args: &[&[u8]]) -> CommandError {
        let mut quoted = String::new();
        for arg in args.iter().take(30) {
            quoted.push('\'');
            quoted.push_str(&lossy_prefix(arg, 128));
            quoted.push_str("' ");
        }
        CommandError::UnknownCommand { name: lossy_prefix(name, 128), args: quoted }
    }
}

fn lossy_prefix(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned()
}

impl From<StringError> for CommandError {
    fn from(e: StringError) -> CommandError {
        match e {
            StringError::NotInteger => CommandError::NotInteger,
            StringError::NotFloat => CommandError::NotFloat,
            StringError::Overflow => CommandError::Overflow,
            StringError::NanOrInfinity => CommandError::NanOrInfinity,
            StringError::TooLarge => CommandError::TooLarge,
            StringError::WrongType => CommandError::WrongType,
        }
    }
}

/// What a command handler returns: its reply went to the sink, or this error goes instead.
pub type CommandResult = Result<(), CommandError>;
