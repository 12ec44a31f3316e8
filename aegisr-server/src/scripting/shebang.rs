//! The `#!lua flags=...` first line a Redis 7 script may start with, and the
//! `#!<engine> name=<library>` line a function library starts with.

/// What a script's shebang, or a function's `flags` table, declares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    /// `no-writes`: the script may not write, as under EVAL_RO.
    pub no_writes: bool,
    /// `allow-oom`: the script may run while the node is over maxmemory.
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
    /// The flags were declared (a shebang, or a function): without it an EVAL script is a
    /// legacy one, which Redis never refuses for OOM up front.
    pub declared: bool,
}

/// Redis's script flag names, in its order (`scripts_flags_def`).
pub const FLAG_NAMES: [&str; 5] = ["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"];

impl ScriptFlags {
    /// Sets the flag named `name` (case-insensitively); false for an unknown name.
    pub fn set(&mut self, name: &str) -> bool {
        let flag = match name.to_ascii_lowercase().as_str() {
            "no-writes" => &mut self.no_writes,
            "allow-oom" => &mut self.allow_oom,
            "allow-stale" => &mut self.allow_stale,
            "no-cluster" => &mut self.no_cluster,
            "allow-cross-slot-keys" => &mut self.allow_cross_slot_keys,
            _ => return false,
        };
        *flag = true;
        true
    }

    /// The names of the flags set, in Redis's order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        let set = [self.no_writes, self.allow_oom, self.allow_stale, self.no_cluster, self.allow_cross_slot_keys];
        FLAG_NAMES.into_iter().zip(set).filter(|(_, on)| *on).map(|(name, _)| name)
    }
}

/// Reads the shebang of `body`, if any: its flags, and the code to compile (the shebang
/// line turned into a comment, so line numbers stay those of the body). The error is
/// Redis's text without its "ERR " code.
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, Option<Vec<u8>>), String> {
    if !body.starts_with(b"#!") {
        return Ok((ScriptFlags::default(), None));
    }
    // The shebang is a line: without a newline there is none (Redis's evalExtractShebangFlags),
    // and its words are split as Redis splits arguments (quotes included).
    let Some(line_end) = body.iter().position(|&b| b == b'\n') else {
        return Err("Invalid script shebang".into());
    };
    let words = match crate::resp::split_inline(&body[..line_end]) {
        Some(words) if !words.is_empty() => words,
        _ => return Err("Invalid engine in script shebang".into()),
    };
    let words: Vec<String> = words.iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
    if words[0] != "#!lua" {
        return Err(format!("Unexpected engine in script shebang: {}", words[0]));
    }
    let mut flags = ScriptFlags { declared: true, ..ScriptFlags::default() };
    for word in &words[1..] {
        let Some(list) = word.strip_prefix("flags=") else {
            return Err(format!("Unknown lua shebang option: {word}"));
        };
        // "flags=" declares none; "a,,b" has an empty, unknown one.
        for flag in list.split(',').filter(|_| !list.is_empty()) {
            if !FLAG_NAMES.contains(&flag) || !flags.set(flag) {
                return Err(format!("Unexpected flag in script shebang: {flag}"));
            }
        }
    }
    let mut code = b"--".to_vec();
    code.extend_from_slice(body);
    Ok((flags, Some(code)))
}

/// What the first line of a function library declares (Redis's
/// `functionExtractLibMetaData`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryMeta {
    /// The engine named after `#!`, as written.
    pub engine: String,
    pub name: String,
    /// Where the code to compile starts: at the end of the first line, its newline
    /// included, so line numbers stay those of the payload.
    pub body_start: usize,
}

/// Reads a library's metadata line. The error is Redis's text without its "ERR " code.
pub fn parse_library(code: &[u8]) -> Result<LibraryMeta, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(line_end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts = match crate::resp::split_inline(&code[..line_end]) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid library metadata".into()),
    };
    let engine = String::from_utf8_lossy(parts[0].get(2..).unwrap_or_default()).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err("Invalid metadata value, name argument was given multiple times".into());
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(format!("Invalid metadata value given: {}", String::from_utf8_lossy(part)));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    Ok(LibraryMeta { engine, name, body_start: line_end })
}

/// Whether `name` is a valid library or function name: letters, digits and underscores,
/// at least one.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs_as_redis_reads_them() {
        assert_eq!(parse(b"return 1").unwrap(), (ScriptFlags::default(), None));
        let (flags, code) = parse(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(flags.no_writes && flags.allow_oom && flags.declared);
        assert_eq!(flags.names().collect::<Vec<_>>(), ["no-writes", "allow-oom"]);
        assert_eq!(code.unwrap(), b"--#!lua flags=no-writes,allow-oom\nreturn 1");
        assert_eq!(parse(b"#!js\nreturn 1").unwrap_err(), "Unexpected engine in script shebang: #!js");
        assert_eq!(parse(b"#!lua flags=bogus\n").unwrap_err(), "Unexpected flag in script shebang: bogus");
        assert_eq!(parse(b"#!lua name=x\n").unwrap_err(), "Unknown lua shebang option: name=x");
        assert_eq!(parse(b"#!lua flags=no-writes").unwrap_err(), "Invalid script shebang");
        assert_eq!(parse(b"#!lua \"flags=no-writes\n").unwrap_err(), "Invalid engine in script shebang");
        assert_eq!(parse(b"#!lua flags=no-writes,,allow-oom\n").unwrap_err(), "Unexpected flag in script shebang: ");
        assert!(parse(b"#!lua flags=\n").unwrap().0.declared);
        assert!(parse(b"#!lua \"flags=no-writes\"\n").unwrap().0.no_writes);
    }

    #[test]
    fn library_metadata_as_redis_reads_it() {
        let meta = parse_library(b"#!lua name=mylib\nreturn 1").unwrap();
        assert_eq!((meta.engine.as_str(), meta.name.as_str(), meta.body_start), ("lua", "mylib", 16));
        assert_eq!(parse_library(b"#!LUA Name=x \n").unwrap().name, "x");
        assert_eq!(parse_library(b"return 1").unwrap_err(), "Missing library metadata");
        assert_eq!(parse_library(b"#!lua name=x").unwrap_err(), "Invalid library metadata");
        assert_eq!(parse_library(b"#!lua name=\"x\n").unwrap_err(), "Invalid library metadata");
        assert_eq!(parse_library(b"#!lua\n").unwrap_err(), "Library name was not given");
        assert_eq!(parse_library(b"#!lua  name=x   foo\n").unwrap_err(), "Invalid metadata value given: foo");
        assert_eq!(
            parse_library(b"#!lua name=x name=y\n").unwrap_err(),
            "Invalid metadata value, name argument was given multiple times"
        );
        assert_eq!(parse_library(b"#!lua name=\"x y\"\n").unwrap().name, "x y");
        assert!(valid_name("a_B9") && !valid_name("") && !valid_name("a-b") && !valid_name("x y"));
    }
}
