//! `aegisr-server check-data DIR [--repair]`: verifies a data directory without starting a
//! node, and with `--repair` cuts the journal at the first damaged record, after printing
//! exactly what that drops.

use std::io::Write;
use std::path::Path;

use super::journal::SEGMENT_HEADER;
use super::recovery::{scan_segment, segments};

/// Checks `dir`, writing a report to `out`. Returns whether the directory is sound (after
/// the repair, with `repair`).
pub fn check_data(dir: &Path, repair: bool, out: &mut dyn Write) -> std::io::Result<bool> {
    if !dir.is_dir() {
        writeln!(out, "{}: not a directory", dir.display())?;
        return Ok(false);
    }
    let segments = segments(dir)?;
    if segments.is_empty() {
        writeln!(out, "{}: no journal segments; nothing to check", dir.display())?;
        return Ok(true);
    }
    let mut expected: Option<u64> = None;
    let mut total = 0u64;
    for (index, segment) in segments.iter().enumerate() {
        let len = std::fs::metadata(&segment.path)?.len();
        let name = segment.path.display();
        let scan = match scan_segment(&segment.path, expected, |_, _| {})? {
            Ok(scan) => scan,
            Err((offset, what)) => {
                writeln!(out, "{name}: {what} at offset {offset}")?;
                return report_damage(out, repair, &segments[index..], 0, len, total);
            }
        };
        total += scan.records;
        writeln!(out, "{name}: {} records, {} bytes", scan.records, scan.good_end)?;
        if scan.damage.is_none() && scan.good_end < len {
            writeln!(
                out,
                "{name}: then {} bytes of space reserved for records (a crash leaves it; the next start cuts it)",
                len - scan.good_end
            )?;
        }
        if let Some((offset, what, torn)) = scan.damage {
            let kind = if torn && index + 1 == segments.len() { " (a torn last write)" } else { "" };
            writeln!(out, "{name}: {what}{kind} at offset {offset}")?;
            return report_damage(out, repair, &segments[index..], offset, len, total);
        }
        expected = Some(segment.start_lsn + scan.good_end - SEGMENT_HEADER as u64);
    }
    writeln!(out, "OK: {total} records in {} segments", segments.len())?;
    Ok(true)
}

/// Says what cutting at `offset` of the first of `from` loses, and cuts with `repair`.
fn report_damage(
    out: &mut dyn Write,
    repair: bool,
    from: &[super::recovery::Segment],
    offset: u64,
    len: u64,
    good_records: u64,
) -> std::io::Result<bool> {
    let later: u64 = from[1..].iter().map(|s| std::fs::metadata(&s.path).map_or(0, |m| m.len())).sum();
    let offset = offset.max(SEGMENT_HEADER as u64).min(len);
    writeln!(
        out,
        "Repairing keeps the {good_records} records before the damage and drops {} bytes from {} on{}.",
        len - offset,
        from[0].path.display(),
        if from.len() > 1 {
            format!(", and {} later segment(s) ({later} bytes)", from.len() - 1)
        } else {
            String::new()
        }
    )?;
    if !repair {
        writeln!(out, "Run again with --repair to do that.")?;
        return Ok(false);
    }
    let file = std::fs::OpenOptions::new().write(true).open(&from[0].path)?;
    if offset <= SEGMENT_HEADER as u64 {
        // The header itself is bad: rewrite it so the segment starts where it claims to.
        drop(file);
        std::fs::remove_file(&from[0].path)?;
    } else {
        file.set_len(offset)?;
        file.sync_all()?;
    }
    for segment in &from[1..] {
        std::fs::remove_file(&segment.path)?;
    }
    writeln!(out, "Repaired.")?;
    Ok(true)
}
