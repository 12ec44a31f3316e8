//! `scan`: every key matching a pattern (and type), one per line, with SCAN
//! so the server never blocks; and the cursor walk the key tools share.

use std::time::Duration;

use aegisr_proto::{Bytes, Reply};

use super::seconds;
use crate::args::ScanOpts;
use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};
use crate::render::Mode;

/// A SCAN cursor walk over the current database.
pub(crate) struct Scanner {
    cursor: Bytes,
    pattern: Option<String>,
    key_type: Option<String>,
    count: u32,
    pause: Duration,
    started: bool,
}

impl Scanner {
    pub(crate) fn new(opts: &ScanOpts, key_type: Option<&str>) -> Self {
        Self {
            cursor: Bytes::from_static(b"0"),
            pattern: opts.pattern.clone(),
            key_type: key_type.map(str::to_owned),
            count: opts.count.max(1),
            pause: seconds(opts.pause, 0.0),
            started: false,
        }
    }

    /// The next batch of keys, `None` when the walk is over. A server error
    /// (e.g. an unknown TYPE) ends the walk with that message.
    pub(crate) async fn next(&mut self, connection: &mut Connection) -> Result<Option<Vec<Bytes>>, ScanError> {
        if self.started && self.cursor.as_ref() == b"0" {
            return Ok(None);
        }
        if self.started && !self.pause.is_zero() {
            tokio::time::sleep(self.pause).await;
        }
        self.started = true;
        let mut args = vec![Bytes::from_static(b"SCAN"), self.cursor.clone()];
        if let Some(pattern) = &self.pattern {
            args.extend([Bytes::from_static(b"MATCH"), Bytes::from(pattern.clone())]);
        }
        args.extend([Bytes::from_static(b"COUNT"), Bytes::from(self.count.to_string())]);
        if let Some(key_type) = &self.key_type {
            args.extend([Bytes::from_static(b"TYPE"), Bytes::from(key_type.clone())]);
        }
        let reply = connection.execute(args).await?;
        let (cursor, keys) = parse_scan(&reply)?;
        self.cursor = cursor;
        Ok(Some(keys))
    }
}

/// Why a walk stopped early.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ScanError {
    #[error(transparent)]
    Connection(#[from] ConnectionError),
    #[error("SCAN failed: {0}")]
    Reply(String),
}

fn parse_scan(reply: &Reply) -> Result<(Bytes, Vec<Bytes>), ScanError> {
    if let Some(error) = reply.as_error() {
        return Err(ScanError::Reply(error.message.clone()));
    }
    let unexpected = || ScanError::Reply(format!("unexpected reply {reply:?}"));
    let [cursor, keys] = reply.as_array().ok_or_else(unexpected)? else { return Err(unexpected()) };
    let cursor = Bytes::copy_from_slice(cursor.as_bulk().ok_or_else(unexpected)?);
    let keys = keys.as_array().ok_or_else(unexpected)?;
    let keys = keys.iter().map(|k| k.as_bulk().map(Bytes::copy_from_slice)).collect::<Option<Vec<_>>>();
    Ok((cursor, keys.ok_or_else(unexpected)?))
}

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    opts: &ScanOpts,
    key_type: Option<&str>,
) -> Result<Status, ConnectionError> {
    let mut scanner = Scanner::new(opts, key_type);
    loop {
        match scanner.next(connection).await {
            Ok(Some(keys)) => {
                let mut text = Vec::new();
                for key in keys {
                    if output.mode == Mode::Json {
                        text.extend(serde_json::Value::from(String::from_utf8_lossy(&key)).to_string().bytes());
                    } else {
                        text.extend_from_slice(&key);
                    }
                    text.push(b'\n');
                }
                output.bytes(&text);
            }
            Ok(None) => return Ok(Status::Ok),
            Err(ScanError::Connection(error)) => return Err(error),
            Err(error @ ScanError::Reply(_)) => {
                output.problem(&error.to_string());
                return Ok(Status::ErrorReply);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scan_replies() {
        let reply = Reply::array(vec![Reply::bulk("17"), Reply::array(vec![Reply::bulk("a"), Reply::bulk("b")])]);
        let (cursor, keys) = parse_scan(&reply).unwrap();
        assert_eq!(cursor.as_ref(), b"17");
        assert_eq!(keys, [Bytes::from_static(b"a"), Bytes::from_static(b"b")]);
        assert!(
            matches!(parse_scan(&Reply::error("ERR unknown type")), Err(ScanError::Reply(m)) if m == "ERR unknown type")
        );
        assert!(parse_scan(&Reply::array(vec![Reply::bulk("0")])).is_err());
        assert!(parse_scan(&Reply::integer(1)).is_err());
    }
}
