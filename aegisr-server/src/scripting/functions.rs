//! Function libraries (Redis 7 functions): FUNCTION LOAD compiles a library and runs its
//! code, which registers functions with `redis.register_function`; FCALL runs one.
//!
//! The libraries live in a Lua state of their own (SCRIPT FLUSH leaves them alone, FUNCTION
//! FLUSH starts a fresh one), and their description in a [`Catalog`] outside it, so
//! FUNCTION LIST, DUMP, STATS and snapshots read them without the Lua state, which a running
//! function holds. Every change is made with the state's lock held, then published to the
//! catalog under its write lock, inside which the change is also logged (the `commit`
//! callbacks): a snapshot reads the catalog and the journal position under the read lock,
//! so it holds exactly the libraries of the records before that position.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};

use super::RunState;
use super::convert::ReplyErrors;
use super::engine::{Call, Engine, Registered, RunError};
use super::shebang::{self, ScriptFlags};
use crate::reply::{Reply, ReplySink};

/// The only engine, by the name Redis reports it under.
pub const ENGINE_NAME: &str = "LUA";

/// One registered function, as FUNCTION LIST shows it.
#[derive(Debug, Clone)]
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Bytes>,
    pub flags: ScriptFlags,
}

/// A loaded library.
#[derive(Debug, Clone)]
pub struct Library {
    pub name: String,
    /// The whole payload FUNCTION LOAD was given, first line included.
    pub code: Bytes,
    /// Its functions, by name.
    pub functions: Vec<FunctionInfo>,
}

/// The loaded libraries and their functions.
#[derive(Debug, Default)]
pub struct Catalog {
    libraries: BTreeMap<String, Arc<Library>>,
    /// Function name, lowercased (FCALL finds a function whatever the case, as Redis) ->
    /// (its library, its flags).
    functions: HashMap<String, (String, ScriptFlags)>,
}

/// The key of function `name` in the node-wide maps: names are case-insensitive there.
pub(crate) fn function_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

impl Catalog {
    fn insert(&mut self, library: Library) {
        for f in &library.functions {
            self.functions.insert(function_key(&f.name), (library.name.clone(), f.flags));
        }
        self.libraries.insert(library.name.clone(), Arc::new(library));
    }

    fn remove(&mut self, name: &str) -> Option<Arc<Library>> {
        let library = self.libraries.remove(name)?;
        for f in &library.functions {
            self.functions.remove(&function_key(&f.name));
        }
        Some(library)
    }
}

/// How FUNCTION RESTORE treats the libraries already loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    /// Drop them all first.
    Flush,
    /// Keep them; a library of the same name is an error.
    Append,
    /// Keep them; a library of the same name is replaced.
    Replace,
}

/// A library compiled and run, not yet visible.
struct Compiled {
    library: Library,
    callbacks: Vec<(String, mlua::Function)>,
}

/// The node's function libraries.
#[derive(Default)]
pub struct Functions {
    engine: Mutex<Option<Engine>>,
    catalog: RwLock<Catalog>,
    /// Bytes the functions' Lua state uses, as of its last change or run (INFO).
    pub memory: AtomicUsize,
    pub library_count: AtomicUsize,
    pub function_count: AtomicUsize,
    /// Bytes of the libraries' codes and names (INFO's used_memory_functions).
    pub code_bytes: AtomicUsize,
}

/// Opcode in front of each library in a DUMP payload and a snapshot section, as Redis's
/// `RDB_OPCODE_FUNCTION2`.
const LIBRARY_OPCODE: u8 = 0xF5;

/// Encodes libraries' codes (DUMP payloads, snapshot sections): each as the opcode, its
/// length as a varint and its bytes.
pub fn encode_codes(codes: &[Bytes]) -> Vec<u8> {
    let mut out = Vec::with_capacity(codes.iter().map(|c| c.len() + 6).sum());
    for code in codes {
        out.push(LIBRARY_OPCODE);
        crate::persist::record::put_varint(&mut out, code.len());
        out.extend_from_slice(code);
    }
    out
}

/// Decodes [`encode_codes`]'s output; `None` if it is not that.
pub fn decode_codes(mut input: &[u8]) -> Option<Vec<Bytes>> {
    let mut codes = Vec::new();
    while let Some((&opcode, rest)) = input.split_first() {
        if opcode != LIBRARY_OPCODE {
            return None;
        }
        let (len, next) = crate::persist::record::read_varint(rest, 0)?;
        let code = rest.get(next..next.checked_add(len)?)?;
        codes.push(Bytes::copy_from_slice(code));
        input = &rest[next + len..];
    }
    Some(codes)
}

impl Functions {
    /// Runs `f` with the functions' Lua state, created on first use.
    fn with_engine<R>(
        &self,
        run: &Arc<RunState>,
        f: impl FnOnce(&mut Engine, &Self) -> Result<R, String>,
    ) -> Result<R, String> {
        let mut slot = self.engine.lock();
        if slot.is_none() {
            *slot = Some(Engine::new(run.clone()).map_err(|e| format!("cannot start Lua: {e}"))?);
        }
        let Some(engine) = slot.as_mut() else {
            return Err("cannot start Lua".into());
        };
        let result = f(engine, self);
        self.memory.store(engine.used_memory(), Ordering::Relaxed);
        result
    }

    /// Publishes a change of the catalog and logs it (`commit`) under its write lock.
    fn publish(&self, change: impl FnOnce(&mut Catalog), commit: impl FnOnce()) {
        let mut catalog = self.catalog.write();
        change(&mut catalog);
        self.library_count.store(catalog.libraries.len(), Ordering::Relaxed);
        self.function_count.store(catalog.functions.len(), Ordering::Relaxed);
        let bytes = catalog.libraries.values().map(|l| l.code.len() + l.name.len()).sum::<usize>()
            + catalog.functions.keys().map(String::len).sum::<usize>();
        self.code_bytes.store(bytes, Ordering::Relaxed);
        commit();
    }

    /// Compiles the library `code` in `engine`. `exists` says whether a library of its
    /// name may already be loaded (FUNCTION LOAD REPLACE) or not.
    fn compile(engine: &mut Engine, code: &[u8], exists: impl Fn(&str) -> bool) -> Result<Compiled, String> {
        let meta = shebang::parse_library(code)?;
        if !shebang::valid_name(&meta.name) {
            return Err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
        }
        if !meta.engine.eq_ignore_ascii_case(ENGINE_NAME) {
            return Err(format!("Engine '{}' not found", meta.engine));
        }
        if exists(&meta.name) {
            return Err(format!("Library '{}' already exists", meta.name));
        }
        let registered = engine.compile_library(&meta, code)?;
        let mut functions = Vec::with_capacity(registered.len());
        let mut callbacks = Vec::with_capacity(registered.len());
        for Registered { name, description, flags, callback } in registered {
            functions.push(FunctionInfo { name: name.clone(), description, flags });
            callbacks.push((name, callback));
        }
        functions.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Compiled { library: Library { name: meta.name, code: Bytes::copy_from_slice(code), functions }, callbacks })
    }

    /// FUNCTION LOAD: the library's name, or Redis's error text (without "ERR ").
    pub fn load(
        &self,
        run: &Arc<RunState>,
        code: &[u8],
        replace: bool,
        commit: impl FnOnce(),
    ) -> Result<String, String> {
        self.with_engine(run, |engine, this| {
            let catalog = this.catalog.read();
            let compiled = Self::compile(engine, code, |name| !replace && catalog.libraries.contains_key(name))?;
            let name = compiled.library.name.clone();
            for f in &compiled.library.functions {
                if catalog.functions.get(&function_key(&f.name)).is_some_and(|(library, _)| *library != name) {
                    return Err(format!("Function {} already exists", f.name));
                }
            }
            let old: Vec<String> = catalog
                .libraries
                .get(&name)
                .map(|l| l.functions.iter().map(|f| f.name.clone()).collect())
                .unwrap_or_default();
            drop(catalog);
            engine.install_functions(old, compiled.callbacks);
            this.publish(
                |catalog| {
                    catalog.remove(&name);
                    catalog.insert(compiled.library);
                },
                commit,
            );
            Ok(name)
        })
    }

    /// FUNCTION DELETE; `Err` with Redis's text when there is no such library.
    pub fn delete(&self, run: &Arc<RunState>, name: &str, commit: impl FnOnce()) -> Result<(), String> {
        self.with_engine(run, |engine, this| {
            let Some(library) = this.catalog.read().libraries.get(name).cloned() else {
                return Err("Library not found".into());
            };
            engine.install_functions(library.functions.iter().map(|f| f.name.clone()), Vec::new());
            this.publish(
                |catalog| {
                    catalog.remove(name);
                },
                commit,
            );
            Ok(())
        })
    }

    /// FUNCTION FLUSH: every library goes, with the Lua state.
    pub fn flush(&self, commit: impl FnOnce()) {
        let mut slot = self.engine.lock();
        *slot = None;
        self.memory.store(0, Ordering::Relaxed);
        self.publish(|catalog| *catalog = Catalog::default(), commit);
    }

    /// FUNCTION RESTORE of the libraries `codes`, by `policy`.
    pub fn restore(
        &self,
        run: &Arc<RunState>,
        codes: &[Bytes],
        policy: RestorePolicy,
        commit: impl FnOnce(),
    ) -> Result<(), String> {
        self.with_engine(run, |engine, this| {
            // As Redis: the payload's libraries are loaded on their own first (two of one
            // name are an error there), then joined to the loaded ones.
            let mut staged: Vec<Compiled> = Vec::with_capacity(codes.len());
            let mut staged_functions: HashMap<String, String> = HashMap::new();
            for code in codes {
                let compiled = Self::compile(engine, code, |name| staged.iter().any(|s| s.library.name == name))?;
                for f in &compiled.library.functions {
                    if staged_functions.contains_key(&function_key(&f.name)) {
                        return Err(format!("Function {} already exists", f.name));
                    }
                    staged_functions.insert(function_key(&f.name), compiled.library.name.clone());
                }
                staged.push(compiled);
            }
            let catalog = this.catalog.read();
            let mut replaced: Vec<String> = Vec::new();
            if policy != RestorePolicy::Flush {
                for s in &staged {
                    if catalog.libraries.contains_key(&s.library.name) {
                        if policy == RestorePolicy::Append {
                            return Err(format!("Library {} already exists", s.library.name));
                        }
                        replaced.push(s.library.name.clone());
                    }
                }
                for (function, (library, _)) in &catalog.functions {
                    if staged_functions.contains_key(function) && !replaced.contains(library) {
                        return Err(format!("Function {function} already exists"));
                    }
                }
            }
            let removed: Vec<String> = if policy == RestorePolicy::Flush {
                catalog.functions.keys().cloned().collect()
            } else {
                replaced
                    .iter()
                    .filter_map(|name| catalog.libraries.get(name))
                    .flat_map(|l| l.functions.iter().map(|f| f.name.clone()))
                    .collect()
            };
            drop(catalog);
            let mut callbacks = Vec::new();
            let mut libraries = Vec::with_capacity(staged.len());
            for s in staged {
                callbacks.extend(s.callbacks);
                libraries.push(s.library);
            }
            engine.install_functions(removed, callbacks);
            this.publish(
                |catalog| {
                    if policy == RestorePolicy::Flush {
                        *catalog = Catalog::default();
                    }
                    for name in &replaced {
                        catalog.remove(name);
                    }
                    for library in libraries {
                        catalog.insert(library);
                    }
                },
                commit,
            );
            Ok(())
        })
    }

    /// The flags of function `name`, if it exists.
    pub fn flags(&self, name: &str) -> Option<ScriptFlags> {
        self.catalog.read().functions.get(&function_key(name)).map(|(_, flags)| *flags)
    }

    /// The libraries whose name matches `pattern` (case-insensitively), or all, by name.
    pub fn list(&self, pattern: Option<&[u8]>) -> Vec<Arc<Library>> {
        let catalog = self.catalog.read();
        catalog
            .libraries
            .values()
            .filter(|l| pattern.is_none_or(|p| crate::engine::glob::string_match(p, l.name.as_bytes(), true)))
            .cloned()
            .collect()
    }

    /// Every library's code, by name (FUNCTION DUMP).
    pub fn codes(&self) -> Vec<Bytes> {
        self.catalog.read().libraries.values().map(|l| l.code.clone()).collect()
    }

    /// Every library's code and the journal position they are current at (`position` is
    /// read under the catalog's lock): what a snapshot keeps of them.
    pub fn image(&self, position: impl FnOnce() -> u64) -> (u64, Vec<Bytes>) {
        let catalog = self.catalog.read();
        (position(), catalog.libraries.values().map(|l| l.code.clone()).collect())
    }

    /// Runs function `name` (see [`Engine::run_function`]). The outer error is the Lua
    /// state's failure to start.
    pub fn run(
        &self,
        run: &Arc<RunState>,
        name: &str,
        keys: &[&[u8]],
        argv: &[&[u8]],
        call: &mut dyn FnMut(Call, Vec<Bytes>) -> Reply,
        out: &mut dyn ReplySink,
    ) -> Result<Result<ReplyErrors, RunError>, String> {
        self.with_engine(run, |engine, _| Ok(engine.run_function(name, keys, argv, call, out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_garbage_is_refused() {
        let codes = vec![Bytes::from_static(b"#!lua name=a\n"), Bytes::from(vec![b'x'; 300])];
        assert_eq!(decode_codes(&encode_codes(&codes)).unwrap(), codes);
        assert_eq!(decode_codes(&[]).unwrap(), Vec::<Bytes>::new());
        assert!(decode_codes(b"\x01").is_none());
        assert!(decode_codes(&[LIBRARY_OPCODE, 5, b'a']).is_none());
        assert!(decode_codes(&[LIBRARY_OPCODE, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_none());
    }
}
