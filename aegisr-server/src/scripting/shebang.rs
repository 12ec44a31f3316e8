//! The `#!lua flags=...` first line a Redis 7 script may start with.

/// What a script's shebang declares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    /// `flags=no-writes`: the script may not write, as under EVAL_RO.
    pub no_writes: bool,
}

/// Reads the shebang of `body`, if any: its flags, and the code to compile (the shebang
/// line turned into a comment, so line numbers stay those of the body). The error is
/// Redis's text without its "ERR " code.
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, Option<Vec<u8>>), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::default(), None));
    }
    let line_end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let line = String::from_utf8_lossy(&body[..line_end]);
    let mut words = line.split_ascii_whitespace();
    let engine = words.next().unwrap_or("#!");
    if engine != "#!lua" {
        return Err(format!("Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = ScriptFlags::default();
    for word in words {
        let Some(list) = word.strip_prefix("flags=") else {
            return Err(format!("Unknown lua shebang option: {word}"));
        };
        for flag in list.split(',').filter(|f| !f.is_empty()) {
            match flag {
                "no-writes" => flags.no_writes = true,
                // Accepted with no effect here: no OOM refusal inside scripts, no
                // stale replicas, standalone keys.
                "allow-oom" | "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                other => return Err(format!("Unexpected flag in script shebang: {other}")),
            }
        }
    }
    let mut code = b"--".to_vec();
    code.extend_from_slice(body);
    Ok((flags, Some(code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_as_redis_reads_them() {
        assert_eq!(parse(b"return 1").unwrap(), (ScriptFlags::default(), None));
        let (flags, code) = parse(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.no_writes);
        assert_eq!(code.unwrap(), b"--#!lua flags=no-writes,allow-oom\nreturn 1");
        assert_eq!(parse(b"#!js\nreturn 1").unwrap_err(), "Unexpected engine in script shebang: #!js");
        assert_eq!(parse(b"#!lua flags=bogus\n").unwrap_err(), "Unexpected flag in script shebang: bogus");
        assert_eq!(parse(b"#!lua name=x\n").unwrap_err(), "Unknown lua shebang option: name=x");
    }
}
