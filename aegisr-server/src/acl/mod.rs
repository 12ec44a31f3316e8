//! Authentication and access control, as Redis 7's ACLs: the user table (always holding
//! `default`), rules as ACL SETUSER takes them ([`user`]), the permission check run by the
//! dispatcher ([`check`]), the ACL LOG ([`log`]) and the ACL file ([`file`]).
//!
//! A session holds its user's handle; ACL SETUSER swaps the rules inside the handle, so
//! connections see a change at their next command, as in Redis. The handle caches whether
//! the user may do everything: for such a user (the default one, unless restricted) the
//! dispatcher's whole check is one atomic load.

pub mod catalog;
pub mod check;
pub mod file;
pub mod log;
pub mod user;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::RwLock;

pub use user::{RuleError, User};

/// The reply to a command sent before authenticating.
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// The reply to bad credentials (whatever was wrong, as Redis).
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// One user, shared by the table and the sessions authenticated as it.
#[derive(Debug)]
pub struct UserHandle {
    pub name: String,
    rules: RwLock<Arc<User>>,
    /// The rules allow every command, key and channel: the check is skipped.
    unrestricted: AtomicBool,
}

impl UserHandle {
    fn new(name: &str, user: User) -> UserHandle {
        let unrestricted = AtomicBool::new(user.unrestricted());
        UserHandle { name: name.to_owned(), rules: RwLock::new(Arc::new(user)), unrestricted }
    }

    /// Whether every command, key and channel is allowed (one relaxed load).
    pub fn unrestricted(&self) -> bool {
        self.unrestricted.load(Ordering::Relaxed)
    }

    /// The current rules.
    pub fn user(&self) -> Arc<User> {
        self.rules.read().clone()
    }

    fn replace(&self, user: User) {
        // Cleared first and set last, so a reader never skips a check the new rules need.
        self.unrestricted.store(false, Ordering::Relaxed);
        let unrestricted = user.unrestricted();
        *self.rules.write() = Arc::new(user);
        self.unrestricted.store(unrestricted, Ordering::Relaxed);
    }
}

/// The user table and the ACL LOG of a node.
pub struct Acl {
    users: RwLock<BTreeMap<String, Arc<UserHandle>>>,
    default: Arc<UserHandle>,
    /// Allowed everything whatever the table says: internal sessions (journal replay, a
    /// replica applying its primary's writes) run as it.
    superuser: Arc<UserHandle>,
    /// The default user has a password or is off: new connections must authenticate.
    auth_required: AtomicBool,
    /// `acl-pubsub-default` is allchannels: new users and selectors may use every channel.
    all_channels_by_default: AtomicBool,
    pub log: log::AclLog,
}

impl Default for Acl {
    fn default() -> Self {
        Acl::new()
    }
}

impl Acl {
    /// A table with only the default user, `on nopass ~* &* +@all`.
    pub fn new() -> Acl {
        let default = Arc::new(UserHandle::new("default", User::default_user()));
        let users = BTreeMap::from([("default".to_owned(), default.clone())]);
        let superuser = Arc::new(UserHandle::new("default", User::default_user()));
        Acl {
            users: RwLock::new(users),
            default,
            superuser,
            auth_required: AtomicBool::new(false),
            all_channels_by_default: AtomicBool::new(false),
            log: Default::default(),
        }
    }

    pub fn default_user(&self) -> &Arc<UserHandle> {
        &self.default
    }

    /// The handle of internal sessions, never restricted (it is in no table).
    pub fn superuser(&self) -> &Arc<UserHandle> {
        &self.superuser
    }

    /// Whether a connection must authenticate before running commands.
    pub fn auth_required(&self) -> bool {
        self.auth_required.load(Ordering::Relaxed)
    }

    /// `acl-pubsub-default`: whether new users and selectors start with allchannels.
    pub fn set_pubsub_default(&self, all_channels: bool) {
        self.all_channels_by_default.store(all_channels, Ordering::Relaxed);
    }

    pub fn all_channels_by_default(&self) -> bool {
        self.all_channels_by_default.load(Ordering::Relaxed)
    }

    fn refresh_auth_required(&self) {
        let default = self.default.user();
        self.auth_required.store(!default.nopass || !default.enabled, Ordering::Relaxed);
    }

    pub fn get(&self, name: &[u8]) -> Option<Arc<UserHandle>> {
        let name = std::str::from_utf8(name).ok()?;
        self.users.read().get(name).cloned()
    }

    /// The user `name` if it is on and `password` opens it.
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<Arc<UserHandle>> {
        let handle = self.get(name)?;
        let user = handle.user();
        (user.enabled && user.password_matches(password)).then_some(handle)
    }

    /// ACL SETUSER: applies `rules` to user `name` (created if new) all or nothing.
    /// Returns the new user's handle.
    pub fn set_user(&self, name: &[u8], rules: &[&[u8]]) -> Result<Arc<UserHandle>, String> {
        if name.iter().any(|&b| b == b' ' || b == 0) {
            return Err("ERR Usernames can't contain spaces or null characters".into());
        }
        let name = String::from_utf8_lossy(name).into_owned();
        let rules = user::merge_selector_arguments(rules).map_err(|e| format!("ERR {e}"))?;
        let mut users = self.users.write();
        let existing = users.get(&name).cloned();
        let all_channels = self.all_channels_by_default();
        let mut user = existing.as_ref().map_or_else(|| User::created(all_channels), |h| (*h.user()).clone());
        for rule in &rules {
            user.apply_with(rule, all_channels).map_err(|e| {
                format!("ERR Error in ACL SETUSER modifier '{}': {}", String::from_utf8_lossy(rule), e.text())
            })?;
        }
        let handle = match existing {
            Some(handle) => {
                handle.replace(user);
                handle
            }
            None => {
                let handle = Arc::new(UserHandle::new(&name, user));
                users.insert(name, handle.clone());
                handle
            }
        };
        drop(users);
        self.refresh_auth_required();
        Ok(handle)
    }

    /// ACL DELUSER of one user: whether it existed. The default user cannot go.
    pub fn delete(&self, name: &[u8]) -> bool {
        let Ok(name) = std::str::from_utf8(name) else { return false };
        if name == "default" {
            return false;
        }
        let removed = self.users.write().remove(name);
        if let Some(handle) = &removed {
            // Sessions still holding it (until they are closed) may do nothing.
            handle.replace(User::new());
        }
        removed.is_some()
    }

    /// The user names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.users.read().keys().cloned().collect()
    }

    /// ACL LIST: `user <name> <rules>` for every user, sorted by name.
    pub fn list(&self) -> Vec<String> {
        self.users.read().values().map(|h| format!("user {} {}", h.name, h.user().describe())).collect()
    }

    /// `requirepass`: the default user's only password, or nopass when empty (Redis's
    /// `ACL SETUSER default resetpass >password`).
    pub fn set_requirepass(&self, password: &str) {
        let mut user = (*self.default.user()).clone();
        user.passwords.clear();
        user.nopass = password.is_empty();
        if !password.is_empty() {
            user.passwords.push(user::hash_password(password.as_bytes()));
        }
        self.default.replace(user);
        self.refresh_auth_required();
    }

    /// Replaces every user but `default` by `users`, and the default user's rules by
    /// those given for it (ACL LOAD); the handles of users that went are returned, so
    /// their connections can be closed.
    pub fn replace_all(&self, users: Vec<(String, User)>) -> Vec<Arc<UserHandle>> {
        let mut table = self.users.write();
        let gone: Vec<Arc<UserHandle>> =
            std::mem::take(&mut *table).into_iter().filter(|(n, _)| n != "default").map(|(_, h)| h).collect();
        let mut default_rules = User::default_user();
        for (name, user) in users {
            if name == "default" {
                default_rules = user;
            } else {
                table.insert(name.clone(), Arc::new(UserHandle::new(&name, user)));
            }
        }
        self.default.replace(default_rules);
        table.insert("default".to_owned(), self.default.clone());
        drop(table);
        for handle in &gone {
            handle.replace(User::new());
        }
        self.refresh_auth_required();
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirepass_switches_the_default_user() {
        let acl = Acl::new();
        assert!(!acl.auth_required());
        assert!(acl.default_user().unrestricted());
        acl.set_requirepass("secret");
        assert!(acl.auth_required());
        assert!(acl.authenticate(b"default", b"secret").is_some());
        assert!(acl.authenticate(b"default", b"nope").is_none());
        assert_eq!(acl.list(), [format!("user default on #{} ~* &* +@all", user::hash_password(b"secret"))]);
        acl.set_requirepass("");
        assert!(!acl.auth_required());
        assert_eq!(acl.list(), ["user default on nopass ~* &* +@all"]);
    }

    #[test]
    fn setuser_is_all_or_nothing() {
        let acl = Acl::new();
        acl.set_user(b"u", &[b"on", b">p"]).unwrap();
        let err = acl.set_user(b"u", &[b"off", b"+nosuch"]).unwrap_err();
        assert_eq!(err, "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
        assert!(acl.authenticate(b"u", b"p").is_some());
        assert_eq!(acl.set_user(b"a b", &[]).unwrap_err(), "ERR Usernames can't contain spaces or null characters");
        assert!(acl.delete(b"u"));
        assert!(!acl.delete(b"u"));
        assert!(!acl.delete(b"default"));
        assert_eq!(acl.names(), ["default"]);
    }
}
