//! A user as ACL SETUSER builds it: flags, password hashes, and selectors (the root one
//! and any `(...)` ones) of commands, key patterns and channel patterns; the rules that
//! change it, and the text that describes it back (ACL LIST, ACL GETUSER, the ACL file).

use sha2::{Digest, Sha256};

use super::catalog::{CATEGORIES, catalog, category_index};

/// What a key pattern allows.
pub const READ: u8 = 1;
pub const WRITE: u8 = 2;
pub const READ_WRITE: u8 = READ | WRITE;

/// Why a rule was refused: the text after "Error in ACL SETUSER modifier '...': ".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    UnknownCommand,
    Syntax,
    KeyAfterAll,
    ChannelAfterAll,
    NoSuchPassword,
    BadHash,
    FirstArgOfSubcommand,
}

impl RuleError {
    /// Redis's `ACLSetUserStringError`.
    pub fn text(self) -> &'static str {
        match self {
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeyAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// Commands, keys and channels a user may use: the root selector, or one in parentheses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// A bit per command id of the catalog.
    allowed: Vec<u64>,
    /// Set only by `+@all`: commands added later are allowed too (Redis's reserved bit).
    future: bool,
    /// Every command allowed: `+@all` with nothing removed since.
    all_commands: bool,
    /// `+select|0`: first arguments allowed for a command otherwise denied, by id.
    first_args: Vec<(usize, Vec<String>)>,
    pub all_keys: bool,
    /// (pattern, READ/WRITE bits), in the order added.
    pub keys: Vec<(Vec<u8>, u8)>,
    pub all_channels: bool,
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// No commands, no keys, no channels: a new user's, or a new `(...)` selector's.
    pub fn empty() -> Selector {
        Selector {
            allowed: vec![0; catalog().len().div_ceil(64)],
            future: false,
            all_commands: false,
            first_args: Vec::new(),
            all_keys: false,
            keys: Vec::new(),
            all_channels: false,
            channels: Vec::new(),
        }
    }

    pub fn allows_command(&self, id: usize) -> bool {
        self.all_commands || self.bit(id)
    }

    fn bit(&self, id: usize) -> bool {
        self.allowed.get(id / 64).is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set_bit(&mut self, id: usize, on: bool) {
        if let Some(word) = self.allowed.get_mut(id / 64) {
            if on {
                *word |= 1 << (id % 64);
            } else {
                *word &= !(1 << (id % 64));
                self.all_commands = false;
            }
        }
    }

    fn set_all(&mut self, on: bool) {
        let count = catalog().len();
        for id in 0..count {
            self.set_bit(id, on);
        }
        self.future = on;
        self.all_commands = on;
        self.first_args.clear();
    }

    /// Whether every command is allowed (`+@all` with nothing removed since).
    pub fn allows_all_commands(&self) -> bool {
        self.all_commands
    }

    /// Whether this selector allows everything: the check can be skipped.
    pub fn unrestricted(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }

    /// The first arguments allowed for command `id` although its bit is off.
    pub fn first_args_of(&self, id: usize) -> Option<&[String]> {
        self.first_args.iter().find(|(i, _)| *i == id).map(|(_, a)| a.as_slice())
    }

    /// Redis's ACLChangeSelectorPerm: a command and all its subcommands.
    fn change_command(&mut self, id: usize, on: bool) {
        self.set_bit(id, on);
        self.first_args.retain(|(i, _)| *i != id);
        for &sub in &catalog().subcommands[id] {
            self.set_bit(sub, on);
        }
    }

    fn change_category(&mut self, cat: usize, on: bool) {
        let catalog = catalog();
        for id in 0..catalog.len() {
            if catalog.in_category(id, cat) {
                self.change_command(id, on);
            }
        }
    }

    /// Applies one rule that concerns a selector (commands, keys, channels).
    fn apply(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        let text = std::str::from_utf8(rule).map_err(|_| RuleError::Syntax)?;
        let lower = text.to_ascii_lowercase();
        match lower.as_str() {
            // `~*` and `&*` are `allkeys` and `allchannels` themselves (no error after
            // them), as Redis reads them.
            "allkeys" | "~*" => {
                self.all_keys = true;
                self.keys.clear();
            }
            "resetkeys" => {
                self.all_keys = false;
                self.keys.clear();
            }
            "allchannels" | "&*" => {
                self.all_channels = true;
                self.channels.clear();
            }
            "resetchannels" => {
                self.all_channels = false;
                self.channels.clear();
            }
            "allcommands" | "+@all" => self.set_all(true),
            "nocommands" | "-@all" => self.set_all(false),
            _ => match rule.first() {
                Some(b'~' | b'%') => self.add_key_pattern(rule)?,
                Some(b'&') => self.add_channel(&rule[1..])?,
                Some(b'+' | b'-') if rule.get(1) == Some(&b'@') => {
                    let cat = category_index(&text[2..]).ok_or(RuleError::UnknownCommand)?;
                    self.change_category(cat, rule[0] == b'+');
                }
                Some(b'+') => self.allow_command(&lower[1..])?,
                Some(b'-') => {
                    let id = catalog().id_of(&lower[1..]).ok_or(RuleError::UnknownCommand)?;
                    self.change_command(id, false);
                }
                _ => return Err(RuleError::Syntax),
            },
        }
        Ok(())
    }

    fn allow_command(&mut self, name: &str) -> Result<(), RuleError> {
        let catalog = catalog();
        // As Redis: what follows the last `|` is the subcommand or first argument, what
        // precedes it must name a command ("get|a|b" is unknown, "config|get|x" would be a
        // subcommand's first argument).
        let Some((command, sub)) = name.rsplit_once('|') else {
            let id = catalog.id_of(name).ok_or(RuleError::UnknownCommand)?;
            self.change_command(id, true);
            return Ok(());
        };
        let id = catalog.id_of(command).ok_or(RuleError::UnknownCommand)?;
        if command.contains('|') {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !catalog.subcommands[id].is_empty() {
            let sub_id = catalog.id_of(name).ok_or(RuleError::UnknownCommand)?;
            self.change_command(sub_id, true);
        } else if !self.bit(id) {
            // SELECT 0 of an otherwise denied SELECT: Redis's first-arg rules.
            match self.first_args.iter_mut().find(|(i, _)| *i == id) {
                Some((_, args)) if !args.iter().any(|a| a == sub) => args.push(sub.to_owned()),
                Some(_) => {}
                None => self.first_args.push((id, vec![sub.to_owned()])),
            }
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeyAfterAll);
        }
        let (flags, pattern) = if rule[0] == b'%' {
            let mut flags = 0;
            let mut at = 1;
            loop {
                match rule.get(at).map(u8::to_ascii_uppercase) {
                    Some(b'R') if flags & READ == 0 => flags |= READ,
                    Some(b'W') if flags & WRITE == 0 => flags |= WRITE,
                    Some(b'~') if flags != 0 => break,
                    _ => return Err(RuleError::Syntax),
                }
                at += 1;
            }
            (flags, &rule[at + 1..])
        } else {
            (READ_WRITE, &rule[1..])
        };
        if pattern == b"*" && flags == READ_WRITE {
            self.all_keys = true;
            self.keys.clear();
            return Ok(());
        }
        match self.keys.iter_mut().find(|(p, _)| p == pattern) {
            Some((_, existing)) => *existing |= flags,
            None => self.keys.push((pattern.to_vec(), flags)),
        }
        Ok(())
    }

    fn add_channel(&mut self, pattern: &[u8]) -> Result<(), RuleError> {
        if self.all_channels {
            return Err(RuleError::ChannelAfterAll);
        }
        if pattern == b"*" {
            self.all_channels = true;
            self.channels.clear();
        } else if !self.channels.iter().any(|c| c == pattern) {
            self.channels.push(pattern.to_vec());
        }
        Ok(())
    }

    /// The command rules, as Redis 7.0 describes them (`ACLDescribeSelectorCommandRules`):
    /// `+@all` or `-@all`, the categories that best fit the bitmap, then single commands.
    pub fn describe_commands(&self) -> String {
        let catalog = catalog();
        let additive = !self.future;
        let mut rules = String::from(if additive { "-@all " } else { "+@all " });
        let mut fake = Selector::empty();
        fake.set_all(!additive);
        // Categories are applied greedily: each pass picks the category with more
        // commands in common with what is left to describe than commands that differ.
        let mut left = self.clone();
        loop {
            let mut best = None;
            let (mut min_diff, mut max_same) = (usize::MAX, 0);
            for cat in 0..CATEGORIES.len() {
                let (mut on, mut off) = (0, 0);
                for id in 0..catalog.len() {
                    if catalog.in_category(id, cat) {
                        if left.bit(id) { on += 1 } else { off += 1 }
                    }
                }
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < min_diff || (diff == min_diff && same > max_same)) {
                    best = Some(cat);
                    min_diff = diff;
                    max_same = same;
                }
            }
            let Some(cat) = best else { break };
            fake.change_category(cat, additive);
            left.change_category(cat, !additive);
            rules.push(if additive { '+' } else { '-' });
            rules.push('@');
            rules.push_str(CATEGORIES[cat]);
            rules.push(' ');
        }
        for id in 0..catalog.len() {
            let mine = self.bit(id);
            if mine != fake.bit(id) {
                rules.push(if mine { '+' } else { '-' });
                rules.push_str(catalog.specs[id].name);
                rules.push(' ');
                fake.change_command(id, mine);
            }
            if !mine && let Some(args) = self.first_args_of(id) {
                for arg in args {
                    rules.push('+');
                    rules.push_str(catalog.specs[id].name);
                    rules.push('|');
                    rules.push_str(arg);
                    rules.push(' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// The key patterns as GETUSER shows them (`~*` for allkeys).
    pub fn describe_keys(&self) -> String {
        if self.all_keys {
            return "~*".to_owned();
        }
        let parts: Vec<String> = self.keys.iter().map(|(p, flags)| key_pattern_text(p, *flags)).collect();
        parts.join(" ")
    }

    /// The channel patterns as GETUSER shows them (`&*` for allchannels).
    pub fn describe_channels(&self) -> String {
        if self.all_channels {
            return "&*".to_owned();
        }
        let parts: Vec<String> = self.channels.iter().map(|c| format!("&{}", String::from_utf8_lossy(c))).collect();
        parts.join(" ")
    }

    /// Redis's `ACLDescribeSelector`: keys, channels, commands.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if self.all_keys {
            out.push_str("~* ");
        } else {
            for (p, flags) in &self.keys {
                out.push_str(&key_pattern_text(p, *flags));
                out.push(' ');
            }
        }
        if self.all_channels {
            out.push_str("&* ");
        } else {
            out.push_str("resetchannels ");
            for c in &self.channels {
                out.push('&');
                out.push_str(&String::from_utf8_lossy(c));
                out.push(' ');
            }
        }
        out.push_str(&self.describe_commands());
        out
    }
}

fn key_pattern_text(pattern: &[u8], flags: u8) -> String {
    let prefix = match flags {
        READ => "%R~",
        WRITE => "%W~",
        _ => "~",
    };
    format!("{prefix}{}", String::from_utf8_lossy(pattern))
}

/// A user: its flags, password hashes and selectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub enabled: bool,
    pub nopass: bool,
    /// `sanitize-payload` / `skip-sanitize-payload` (RESTORE's payload checks), if set.
    pub sanitize: Option<bool>,
    /// SHA-256 of each password, in lower-case hex.
    pub passwords: Vec<String>,
    pub root: Selector,
    pub selectors: Vec<Selector>,
}

impl User {
    /// A new user: off, no passwords, nothing allowed.
    pub fn new() -> User {
        User {
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            root: Selector::empty(),
            selectors: Vec::new(),
        }
    }

    /// The default user of a fresh node: `on nopass ~* &* +@all`.
    pub fn default_user() -> User {
        let mut user = User::new();
        for rule in ["on", "nopass", "~*", "&*", "+@all"] {
            // These rules are valid by construction.
            let _ = user.apply(rule.as_bytes());
        }
        user
    }

    /// A user created by ACL SETUSER or an ACL file: a new user with the channels
    /// `acl-pubsub-default` gives (`all_channels`: allchannels).
    pub fn created(all_channels: bool) -> User {
        let mut user = User::new();
        user.root.all_channels = all_channels;
        user
    }

    /// Applies one SETUSER rule.
    pub fn apply(&mut self, rule: &[u8]) -> Result<(), RuleError> {
        self.apply_with(rule, false)
    }

    /// Applies one SETUSER rule; `all_channels` is `acl-pubsub-default` (allchannels):
    /// what `reset` and a new `(...)` selector start with, as Redis's ACLCreateSelector.
    pub fn apply_with(&mut self, rule: &[u8], all_channels: bool) -> Result<(), RuleError> {
        let lower = String::from_utf8_lossy(rule).to_ascii_lowercase();
        match lower.as_str() {
            "on" => self.enabled = true,
            "off" => self.enabled = false,
            "nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            "resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            "sanitize-payload" => self.sanitize = Some(true),
            "skip-sanitize-payload" => self.sanitize = Some(false),
            "clearselectors" => self.selectors.clear(),
            "reset" => {
                for rule in
                    ["resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "clearselectors", "-@all"]
                {
                    self.apply(rule.as_bytes())?;
                }
                if all_channels {
                    self.apply(b"allchannels")?;
                }
            }
            _ => match rule.first() {
                Some(b'>') => {
                    let hash = hash_password(&rule[1..]);
                    if !self.passwords.contains(&hash) {
                        self.passwords.push(hash);
                    }
                    self.nopass = false;
                }
                Some(b'#') => {
                    let hash = valid_hash(&rule[1..])?;
                    if !self.passwords.contains(&hash) {
                        self.passwords.push(hash);
                    }
                    self.nopass = false;
                }
                Some(b'<') => self.remove_password(&hash_password(&rule[1..]))?,
                Some(b'!') => self.remove_password(&valid_hash(&rule[1..])?)?,
                Some(b'(') if rule.last() == Some(&b')') && rule.len() >= 2 => {
                    let mut selector = Selector::empty();
                    selector.all_channels = all_channels;
                    for part in rule[1..rule.len() - 1].split(|b| b.is_ascii_whitespace()).filter(|p| !p.is_empty()) {
                        selector.apply(part)?;
                    }
                    self.selectors.push(selector);
                }
                _ => self.root.apply(rule)?,
            },
        }
        Ok(())
    }

    fn remove_password(&mut self, hash: &str) -> Result<(), RuleError> {
        let before = self.passwords.len();
        self.passwords.retain(|p| p != hash);
        if self.passwords.len() == before {
            return Err(RuleError::NoSuchPassword);
        }
        Ok(())
    }

    /// Whether `password` opens this user (enabled is checked by the caller).
    pub fn password_matches(&self, password: &[u8]) -> bool {
        if self.nopass {
            return true;
        }
        let hash = hash_password(password);
        // Compared in full whatever matches first, as Redis's time-independent compare.
        self.passwords.iter().fold(false, |found, p| found | constant_time_eq(p.as_bytes(), hash.as_bytes()))
    }

    /// Whether every command, key and channel is allowed.
    pub fn unrestricted(&self) -> bool {
        self.root.unrestricted()
    }

    /// The flags GETUSER lists.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize {
            Some(false) => flags.push("skip-sanitize-payload"),
            Some(true) => flags.push("sanitize-payload"),
            None => {}
        }
        flags
    }

    /// Redis's `ACLDescribeUser`: the rules that rebuild this user (ACL LIST, ACL file).
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for flag in self.flags() {
            out.push_str(flag);
            out.push(' ');
        }
        for p in &self.passwords {
            out.push('#');
            out.push_str(p);
            out.push(' ');
        }
        out.push_str(&self.root.describe());
        for selector in &self.selectors {
            out.push_str(" (");
            out.push_str(&selector.describe());
            out.push(')');
        }
        out
    }
}

impl Default for User {
    fn default() -> Self {
        User::new()
    }
}

/// SETUSER's arguments with `(...)` selectors spread over several arguments joined back,
/// as Redis's `ACLMergeSelectorArguments`; the error names the unclosed selector.
pub fn merge_selector_arguments(args: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut open: Option<Vec<u8>> = None;
    for arg in args {
        if let Some(selector) = open.as_mut() {
            selector.push(b' ');
            selector.extend_from_slice(arg);
            if arg.last() == Some(&b')') {
                out.extend(open.take());
            }
        } else if arg.first() == Some(&b'(') && arg.last() != Some(&b')') {
            open = Some(arg.to_vec());
        } else {
            out.push(arg.to_vec());
        }
    }
    if let Some(selector) = open {
        return Err(format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(&selector)
        ));
    }
    Ok(out)
}

/// The SHA-256 of a password, in lower-case hex, as Redis stores it.
pub fn hash_password(password: &[u8]) -> String {
    hex(&Sha256::digest(password))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn valid_hash(hash: &[u8]) -> Result<String, RuleError> {
    if hash.len() != 64 || !hash.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(hash).into_owned())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> User {
        let mut u = User::new();
        for r in rules {
            u.apply(r.as_bytes()).unwrap();
        }
        u
    }

    #[test]
    fn descriptions_follow_redis() {
        assert_eq!(User::default_user().describe(), "on nopass ~* &* +@all");
        assert_eq!(user(&[]).describe(), "off resetchannels -@all");
        assert_eq!(user(&["reset"]).describe(), "off sanitize-payload resetchannels -@all");
        assert_eq!(user(&["-@all", "+@slow"]).describe(), "off resetchannels -@all +@slow");
        assert_eq!(user(&["+@all", "-get", "+get", "-set"]).describe(), "off resetchannels +@all -set");
        assert_eq!(user(&["%RW~a", "%R~b", "%W~b", "~c", "~*"]).describe(), "off ~* resetchannels -@all");
        assert_eq!(user(&["%R~a", "~a"]).describe(), "off ~a resetchannels -@all");
        assert_eq!(user(&["+select|0"]).describe(), "off resetchannels -@all +select|0");
        assert_eq!(
            user(&["on", "~foo*", "%R~bar*", "%W~baz*", "&chan*", "+@hash", "-hdel", "+get"]).describe(),
            "on ~foo* %R~bar* %W~baz* resetchannels &chan* -@all +@hash +get -hdel"
        );
        assert_eq!(user(&["(~foo +get)"]).describe(), "off resetchannels -@all (~foo resetchannels -@all +get)");
    }

    #[test]
    fn rule_errors() {
        let mut u = User::new();
        assert_eq!(u.apply(b"bogus"), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"+nosuch"), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"+@nosuch"), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"+config|get|x"), Err(RuleError::FirstArgOfSubcommand));
        assert_eq!(u.apply(b"+get|key1|key2"), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"-get|key1|key2"), Err(RuleError::UnknownCommand));
        assert_eq!(u.apply(b"+select|"), Err(RuleError::Syntax));
        assert_eq!(u.apply(b"#abc"), Err(RuleError::BadHash));
        assert_eq!(u.apply(b"<nopw"), Err(RuleError::NoSuchPassword));
        assert_eq!(u.apply(b"%X~a"), Err(RuleError::Syntax));
        u.apply(b"allkeys").unwrap();
        assert_eq!(u.apply(b"~a"), Err(RuleError::KeyAfterAll));
        u.apply(b"allchannels").unwrap();
        assert_eq!(u.apply(b"&a"), Err(RuleError::ChannelAfterAll));
        assert_eq!(u.apply(b"&*"), Ok(()));
        assert_eq!(u.apply(b"~*"), Ok(()));
        assert_eq!(u.apply(b"%R~*"), Err(RuleError::KeyAfterAll));
        assert_eq!(u.apply(b"(+nosuch)"), Err(RuleError::UnknownCommand));
    }

    #[test]
    fn passwords() {
        let mut u = user(&[">p1", "on"]);
        assert_eq!(u.passwords, [hash_password(b"p1")]);
        assert!(u.password_matches(b"p1"));
        assert!(!u.password_matches(b"p2"));
        u.apply(b"<p1").unwrap();
        assert!(!u.password_matches(b"p1"));
        u.apply(b"nopass").unwrap();
        assert!(u.password_matches(b"anything"));
        assert_eq!(hash_password(b"password"), "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8");
    }

    #[test]
    fn selectors_spread_over_arguments_are_merged() {
        let merged = merge_selector_arguments(&[b"on", b"(~foo", b"+get)"]).unwrap();
        assert_eq!(merged, [b"on".to_vec(), b"(~foo +get)".to_vec()]);
        assert_eq!(
            merge_selector_arguments(&[b"(+set"]).unwrap_err(),
            "Unmatched parenthesis in acl selector starting at '(+set'."
        );
    }
}
