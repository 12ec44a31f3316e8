//! The ACL file (`aclfile`): one `user <name> <rules...>` line per user, as ACL SAVE
//! writes it and ACL LOAD (and the start) reads it.

use std::path::Path;

use super::User;
use super::user::merge_selector_arguments;

/// The reply when no ACL file is configured.
pub const NO_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

/// Parses an ACL file: every user, or every error found (Redis's wording, all in one
/// text) and nothing applied.
/// `all_channels`: `acl-pubsub-default` is allchannels (what new users start with).
pub fn parse(path: &Path, text: &str, all_channels: bool) -> Result<Vec<(String, User)>, String> {
    let file = path.display();
    let mut users: Vec<(String, User)> = Vec::new();
    let mut errors = String::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let words: Vec<&[u8]> = line.split_ascii_whitespace().map(str::as_bytes).collect();
        let Some(first) = words.first() else { continue };
        if !first.eq_ignore_ascii_case(b"user") || words.len() < 2 {
            errors.push_str(&format!("{file}:{line_no} should start with user keyword followed by the username. "));
            continue;
        }
        let name = String::from_utf8_lossy(words[1]).into_owned();
        if users.iter().any(|(n, _)| *n == name) {
            errors.push_str(&format!("WARNING: Duplicate user '{name}' found on line {line_no}. "));
            continue;
        }
        let rules = match merge_selector_arguments(&words[2..]) {
            Ok(rules) => rules,
            Err(e) => {
                errors.push_str(&format!("{file}:{line_no}: {e}. "));
                continue;
            }
        };
        let mut user = User::created(all_channels);
        let mut ok = true;
        for rule in &rules {
            if let Err(e) = user.apply_with(rule, all_channels) {
                errors.push_str(&format!(
                    "{file}:{line_no}: Error in applying operation '{}': {}. ",
                    String::from_utf8_lossy(rule),
                    e.text()
                ));
                ok = false;
                break;
            }
        }
        if ok {
            users.push((name, user));
        }
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str("WARNING: ACL errors detected, no change to the previously active ACL rules was performed");
        Err(errors)
    }
}

/// Where `aclfile` is, from the configuration: `None` when it is not set. A relative path
/// is taken in the data directory, as Redis (which works in its `dir`) takes it.
pub fn configured_path(config: &crate::config::ConfigStore) -> Option<std::path::PathBuf> {
    let file = config.string("aclfile");
    if file.is_empty() {
        return None;
    }
    Some(Path::new(&config.string("dir")).join(file))
}

/// Reads and parses the ACL file at `path` (`all_channels`: as [`parse`]).
pub fn read(path: &Path, all_channels: bool) -> Result<Vec<(String, User)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Error loading ACLs, opening file '{}': {e}", path.display()))?;
    parse(path, &text, all_channels)
}

/// Writes `lines` (ACL LIST's) to `path`, through a temporary file renamed over it so a
/// crash never leaves half a file.
pub fn write(path: &Path, lines: &[String]) -> std::io::Result<()> {
    let mut text = lines.join("\n");
    text.push('\n');
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_collected_as_redis_words_them() {
        let path = Path::new("/x/users.acl");
        let text = "user a on >p ~* +get\nuser b on +nosuch\nbogus line\nuser c on\nuser c off\n\n";
        assert_eq!(
            parse(path, text, false).unwrap_err(),
            "/x/users.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. /x/users.acl:3 should start with user keyword followed by the username. WARNING: Duplicate user 'c' found on line 5. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
        );
        let users = parse(path, "user a on >p ~* +get\n\nuser default on nopass ~* &* +@all\n", false).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(
            users[0].1.describe(),
            format!("on #{} ~* resetchannels -@all +get", super::super::user::hash_password(b"p"))
        );
    }
}
