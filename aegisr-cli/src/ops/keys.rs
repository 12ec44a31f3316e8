//! `bigkeys` and `memkeys`: walk the keyspace with SCAN (a batch at a time,
//! TYPE and a size command pipelined per batch), so the server never blocks,
//! and report the biggest key of each type with per-type totals.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use aegisr_proto::{Bytes, Reply};

use super::scan::{ScanError, Scanner};
use crate::args::ScanOpts;
use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};
use crate::render::quote;

/// What "big" means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    /// Length: bytes of a string, elements of an aggregate (`bigkeys`).
    Length,
    /// Memory in bytes from MEMORY USAGE (`memkeys`); falls back to Length
    /// when the server has no MEMORY command.
    Memory,
}

/// The command that measures a key of type `key_type` by length, and the unit.
fn length_command(key_type: &str) -> Option<(&'static str, &'static str)> {
    Some(match key_type {
        "string" => ("STRLEN", "bytes"),
        "list" => ("LLEN", "items"),
        "hash" => ("HLEN", "fields"),
        "set" => ("SCARD", "members"),
        "zset" => ("ZCARD", "members"),
        "stream" => ("XLEN", "entries"),
        _ => return None,
    })
}

/// Totals for one type.
#[derive(Debug, Default)]
pub(crate) struct TypeStats {
    pub keys: u64,
    pub total: u64,
    pub biggest: Option<(Bytes, u64)>,
    pub unit: &'static str,
}

/// The whole walk's findings.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub sampled: u64,
    pub key_bytes: u64,
    pub types: BTreeMap<String, TypeStats>,
}

impl Report {
    /// Adds one key; returns a progress line when it is a new biggest.
    pub(crate) fn add(&mut self, key: &Bytes, key_type: &str, size: Option<u64>, unit: &'static str) -> Option<String> {
        self.sampled += 1;
        self.key_bytes += key.len() as u64;
        let stats = self.types.entry(key_type.to_owned()).or_default();
        stats.keys += 1;
        stats.unit = unit;
        let size = size?;
        stats.total += size;
        if stats.biggest.as_ref().is_some_and(|(_, biggest)| *biggest >= size) {
            return None;
        }
        stats.biggest = Some((key.clone(), size));
        Some(format!("Biggest {key_type:>6} found so far '{}' with {size} {unit}", quoted(key)))
    }

    /// The summary printed at the end, redis-cli style.
    pub(crate) fn summary(&self) -> String {
        let mut out = String::from("\n-------- summary -------\n\n");
        let _ = writeln!(out, "Sampled {} keys in the keyspace!", self.sampled);
        let avg = if self.sampled == 0 { 0.0 } else { self.key_bytes as f64 / self.sampled as f64 };
        let _ = writeln!(out, "Total key length in bytes is {} (avg len {avg:.2})\n", self.key_bytes);
        for (key_type, stats) in &self.types {
            if let Some((key, size)) = &stats.biggest {
                let _ = writeln!(out, "Biggest {key_type:>6} found '{}' has {size} {}", quoted(key), stats.unit);
            }
        }
        out.push('\n');
        for (key_type, stats) in &self.types {
            let share = if self.sampled == 0 { 0.0 } else { 100.0 * stats.keys as f64 / self.sampled as f64 };
            let avg = if stats.keys == 0 { 0.0 } else { stats.total as f64 / stats.keys as f64 };
            if stats.unit.is_empty() {
                let _ = writeln!(out, "{} {key_type} keys, size unknown ({share:.2}% of keys)", stats.keys);
            } else {
                let _ = writeln!(
                    out,
                    "{} {key_type} keys with {} {} ({share:.2}% of keys, avg size {avg:.2})",
                    stats.keys, stats.total, stats.unit
                );
            }
        }
        out
    }
}

fn quoted(key: &[u8]) -> String {
    let mut out = String::new();
    quote(key, &mut out);
    out
}

/// Whether the server has MEMORY USAGE: COMMAND INFO MEMORY names it.
async fn has_memory_usage(connection: &mut Connection) -> Result<bool, ConnectionError> {
    let reply = connection
        .execute(vec![Bytes::from_static(b"COMMAND"), Bytes::from_static(b"INFO"), Bytes::from_static(b"MEMORY")])
        .await?;
    Ok(reply.as_array().and_then(<[Reply]>::first).is_some_and(|info| !info.is_null()))
}

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    opts: &ScanOpts,
    measure: Measure,
) -> Result<Status, ConnectionError> {
    let memory = measure == Measure::Memory && has_memory_usage(connection).await?;
    let mut intro = String::from("\n# Scanning the entire keyspace with SCAN (never blocking the server); ");
    intro.push_str(match (measure, memory) {
        (Measure::Length, _) => "biggest keys by length\n# (bytes for strings, elements for the rest). --pause 0.01 sleeps between SCAN calls.\n\n",
        (Measure::Memory, true) => "keys using the most memory\n# (MEMORY USAGE). --pause 0.01 sleeps between SCAN calls.\n\n",
        (Measure::Memory, false) => "keys using the most memory.\n# This server has no MEMORY USAGE (COMMAND INFO MEMORY is empty), so sizes are an\n# ESTIMATE from lengths (bytes for strings, elements for the rest), not memory.\n\n",
    });
    output.text(&intro);
    let mut report = Report::default();
    let mut scanner = Scanner::new(opts, None);
    loop {
        let keys = match scanner.next(connection).await {
            Ok(Some(keys)) => keys,
            Ok(None) => break,
            Err(ScanError::Connection(error)) => return Err(error),
            Err(error @ ScanError::Reply(_)) => {
                output.problem(&error.to_string());
                return Ok(Status::ErrorReply);
            }
        };
        if keys.is_empty() {
            continue;
        }
        let types = connection
            .execute_batch(keys.iter().map(|k| vec![Bytes::from_static(b"TYPE"), k.clone()]).collect())
            .await?;
        let types: Vec<String> = types.iter().map(|t| t.as_str().unwrap_or("none").to_owned()).collect();
        // One size command per key whose type has one; `None` marks the rest.
        let mut plan = Vec::with_capacity(keys.len());
        let mut batch = Vec::new();
        for (key, key_type) in keys.iter().zip(&types) {
            let command = if memory {
                Some((
                    vec![
                        Bytes::from_static(b"MEMORY"),
                        Bytes::from_static(b"USAGE"),
                        key.clone(),
                        Bytes::from_static(b"SAMPLES"),
                        Bytes::from_static(b"0"),
                    ],
                    "bytes",
                ))
            } else {
                length_command(key_type)
                    .map(|(name, unit)| (vec![Bytes::from_static(name.as_bytes()), key.clone()], unit))
            };
            plan.push(command.as_ref().map(|(_, unit)| *unit));
            batch.extend(command.map(|(args, _)| args));
        }
        let mut sizes = connection.execute_batch(batch).await?.into_iter();
        let mut progress = String::new();
        for ((key, key_type), unit) in keys.iter().zip(&types).zip(plan) {
            if key_type == "none" {
                // Deleted between SCAN and TYPE: not a key any more.
                if unit.is_some() {
                    sizes.next();
                }
                continue;
            }
            let size = match unit {
                Some(_) => sizes.next().and_then(|r| r.as_integer()).and_then(|n| u64::try_from(n).ok()),
                None => None,
            };
            if let Some(line) = report.add(key, key_type, size, unit.unwrap_or("")) {
                let _ = writeln!(progress, "{line}");
            }
        }
        output.text(&progress);
    }
    output.text(&report.summary());
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_biggest_per_type_and_totals() {
        let mut report = Report::default();
        assert!(report.add(&Bytes::from_static(b"a"), "string", Some(3), "bytes").is_some());
        assert!(report.add(&Bytes::from_static(b"bb"), "string", Some(2), "bytes").is_none());
        let line = report.add(&Bytes::from_static(b"c\n"), "string", Some(10), "bytes").unwrap();
        assert_eq!(line, "Biggest string found so far '\"c\\n\"' with 10 bytes");
        report.add(&Bytes::from_static(b"l"), "list", Some(4), "items");
        report.add(&Bytes::from_static(b"bf"), "MBbloom--", None, "");
        let summary = report.summary();
        assert!(summary.contains("Sampled 5 keys in the keyspace!"), "{summary}");
        assert!(summary.contains("Total key length in bytes is 8 (avg len 1.60)"), "{summary}");
        assert!(summary.contains("Biggest string found '\"c\\n\"' has 10 bytes"), "{summary}");
        assert!(summary.contains("Biggest   list found '\"l\"' has 4 items"), "{summary}");
        assert!(summary.contains("3 string keys with 15 bytes (60.00% of keys, avg size 5.00)"), "{summary}");
        assert!(summary.contains("1 MBbloom-- keys, size unknown (20.00% of keys)"), "{summary}");
    }

    #[test]
    fn length_commands_per_type() {
        assert_eq!(length_command("zset"), Some(("ZCARD", "members")));
        assert_eq!(length_command("MBbloom--"), None);
    }
}
