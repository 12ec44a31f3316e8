//! The interactive REPL: rustyline with completion, hints and colouring from
//! the server's COMMAND DOCS, history in `~/.aegisr_history`, `help`, Ctrl-C
//! to cancel a line (or a blocking command), Ctrl-D to leave.

use std::borrow::Cow;
use std::path::PathBuf;

use nu_ansi_term::{Color, Style};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use crate::connection::Connection;
use crate::docs::Docs;
use crate::oneshot;
use crate::output::{Output, Status};
use crate::split::{SplitError, split};

/// Words the REPL handles itself.
const LOCAL_WORDS: [&str; 4] = ["help", "quit", "exit", "clear"];

/// Completion, hints, colouring and multi-line validation for one line.
pub(crate) struct ReplHelper {
    docs: Docs,
    color: bool,
}

impl ReplHelper {
    pub(crate) fn new(docs: Docs, color: bool) -> Self {
        Self { docs, color }
    }

    /// Where the word under the cursor starts, and what may replace it.
    pub(crate) fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
        let prefix = &before[start..];
        let previous: Vec<&str> = before[..start].split_whitespace().collect();
        let names: Vec<String> = match previous.as_slice() {
            [] => self.docs.commands.iter().map(|c| c.name.clone()).chain(LOCAL_WORDS.map(str::to_owned)).collect(),
            [help] if help.eq_ignore_ascii_case("help") => self
                .docs
                .commands
                .iter()
                .map(|c| c.name.clone())
                .chain(self.docs.groups().into_iter().map(|g| format!("@{g}")))
                .collect(),
            [command] => match self.docs.find(command) {
                Some(doc) => doc.subcommands.iter().map(|s| s.sub_name().to_owned()).collect(),
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        // Follow the case the user types in; upper case by default, as Redis documents commands.
        let lower = !prefix.is_empty() && !prefix.bytes().any(|b| b.is_ascii_uppercase());
        let mut matches: Vec<String> = names
            .into_iter()
            .filter(|n| n.len() >= prefix.len() && n[..prefix.len()].eq_ignore_ascii_case(prefix))
            .map(|n| if lower { n.to_lowercase() } else { n.to_uppercase() })
            .collect();
        matches.sort();
        matches.dedup();
        if let [only] = matches.as_mut_slice() {
            only.push(' ');
        }
        (start, matches)
    }

    /// The syntax still to type, shown greyed after the cursor at the end of
    /// the line: `GET` shows ` key`; `SET k ` shows `value [NX | XX] ...`.
    pub(crate) fn hint_text(&self, line: &str) -> Option<String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let command = self.docs.find(words.first()?)?;
        let (doc, used) = match words
            .get(1)
            .and_then(|w| command.subcommands.iter().find(|s| s.sub_name().eq_ignore_ascii_case(w)))
        {
            Some(sub) => (sub, 2),
            None => (command, 1),
        };
        let tokens = syntax_tokens(&doc.syntax);
        let ends_with_space = line.ends_with(char::is_whitespace);
        if words.len() == used && !ends_with_space {
            return (!doc.syntax.is_empty()).then(|| format!(" {}", doc.syntax));
        }
        if !ends_with_space {
            return None;
        }
        let typed = words.len() - used;
        let rest = tokens.get(typed..)?;
        (!rest.is_empty()).then(|| rest.join(" "))
    }
}

/// Splits a syntax line into tokens, keeping `[...]`, `(...)` and `<...>` groups whole.
fn syntax_tokens(syntax: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in syntax.chars() {
        match c {
            '[' | '(' | '<' => depth += 1,
            ']' | ')' | '>' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c.is_whitespace() && depth == 0 {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

/// The line with the command word in bold green (red when the server does
/// not know it) and quoted strings in yellow. Only escape codes are added, so
/// the display width is unchanged.
pub(crate) fn colour_line(line: &str, known: impl Fn(&str) -> bool) -> String {
    let trimmed = line.trim_start();
    let lead = line.len() - trimmed.len();
    let end = trimmed.find(char::is_whitespace).map_or(line.len(), |i| lead + i);
    let word = &line[lead..end];
    let mut out = String::from(&line[..lead]);
    if word.is_empty() || word.contains(['"', '\'']) {
        out.push_str(word);
    } else if known(word) {
        out.push_str(&Color::Green.bold().paint(word).to_string());
    } else {
        out.push_str(&Color::Red.paint(word).to_string());
    }
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let yellow = Color::Yellow.prefix().to_string();
    let reset = Style::new().suffix().to_string();
    let reset = if reset.is_empty() { "\u{1b}[0m".to_owned() } else { reset };
    for c in line[end..].chars() {
        match quote {
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                out.push_str(&yellow);
                out.push(c);
            }
            None => out.push(c),
            Some(q) => {
                out.push(c);
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                    out.push_str(&reset);
                }
            }
        }
    }
    if quote.is_some() {
        out.push_str(&reset);
    }
    out
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (start, names) = self.candidates(line, pos);
        let pairs = names.into_iter().map(|n| Pair { display: n.trim_end().to_owned(), replacement: n }).collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<String> {
        if pos < line.len() {
            return None;
        }
        self.hint_text(line)
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.color || self.docs.is_empty() {
            return Cow::Borrowed(line);
        }
        let docs = &self.docs;
        Cow::Owned(colour_line(line, |w| {
            docs.find(w).is_some() || LOCAL_WORDS.iter().any(|l| l.eq_ignore_ascii_case(w))
        }))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.color { Cow::Owned(Color::DarkGray.paint(hint).to_string()) } else { Cow::Borrowed(hint) }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.color
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        // An open quote continues on the next line, as in a shell.
        Ok(match split(ctx.input().as_bytes()) {
            Err(SplitError::Unterminated) => ValidationResult::Incomplete,
            _ => ValidationResult::Valid(None),
        })
    }
}

impl Helper for ReplHelper {}

fn prompt(connection: &Connection) -> String {
    prompt_text(&connection.addr(), connection.db(), connection.role(), connection.is_down())
}

/// `host:port (master)> `, `host:port[2] (master)> ` in database 2 (the role as INFO
/// replication reports it, left out while unknown), `not connected> ` when the last
/// attempt failed.
fn prompt_text(addr: &str, db: u32, role: Option<&str>, down: bool) -> String {
    if down {
        return "not connected> ".to_owned();
    }
    let db = if db == 0 { String::new() } else { format!("[{db}]") };
    let role = role.map(|r| format!(" ({r})")).unwrap_or_default();
    format!("{addr}{db}{role}> ")
}

/// `$AEGISR_CLI_HISTFILE` (empty: no history), else `~/.aegisr_history`.
fn history_path() -> Option<PathBuf> {
    match std::env::var_os("AEGISR_CLI_HISTFILE") {
        Some(path) if path.is_empty() => None,
        Some(path) => Some(PathBuf::from(path)),
        None => {
            std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|home| PathBuf::from(home).join(".aegisr_history"))
        }
    }
}

/// Connects and reads COMMAND DOCS; a failure is printed and the REPL goes on
/// ("not connected") until a command reconnects.
async fn load_docs(connection: &mut Connection, output: &Output) -> Docs {
    match Docs::fetch(connection).await {
        Ok(docs) => docs,
        Err(error) => {
            output.problem(&error.to_string());
            Docs::default()
        }
    }
}

pub(crate) fn run(runtime: &tokio::runtime::Runtime, connection: &mut Connection, output: &Output) -> Status {
    connection.fetch_role();
    let docs = runtime.block_on(load_docs(connection, output));
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .max_history_size(1000)
        .map_or_else(|_| Config::default(), |b| b.build());
    let mut editor: Editor<ReplHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(editor) => editor,
        Err(error) => {
            output.problem(&format!("aegisr-cli: cannot start the line editor: {error}"));
            return Status::Failed;
        }
    };
    editor.set_helper(Some(ReplHelper::new(docs, output.color())));
    let history = history_path();
    if let Some(path) = &history {
        // No history file yet is the normal first run.
        let _ = editor.load_history(path);
    }
    loop {
        let line = match editor.readline(&prompt(connection)) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(error) => {
                output.problem(&format!("aegisr-cli: cannot read the terminal: {error}"));
                return Status::Failed;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(line.as_str());
        if let Some(path) = &history {
            let _ = editor.save_history(path);
        }
        let mut args = match split(line.as_bytes()) {
            Ok(args) => args,
            Err(error) => {
                output.problem(&error.to_string());
                continue;
            }
        };
        let first = String::from_utf8_lossy(&args[0]).to_lowercase();
        match first.as_str() {
            "quit" | "exit" => break,
            "clear" => {
                let _ = editor.clear_screen();
                continue;
            }
            "help" | "?" if editor.helper().is_some_and(|h| !h.docs.is_empty()) => {
                let topic: Vec<String> = args[1..].iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
                if let Some(helper) = editor.helper() {
                    output.text(&helper.docs.help(&topic));
                }
                continue;
            }
            _ => {}
        }
        // redis-cli's `5 INCR x` runs a command five times.
        let mut times = 1u64;
        if args.len() > 1
            && let Ok(n) = first.parse::<u64>()
        {
            times = n;
            args.remove(0);
        }
        runtime.block_on(async {
            for _ in 0..times {
                tokio::select! {
                    status = oneshot::run_one(connection, output, &args) => if status == Status::Failed { break },
                    _ = tokio::signal::ctrl_c() => {
                        // Closing the stream ends the server's side, blocking waits included.
                        connection.drop_session();
                        output.problem("(interrupted)");
                        break;
                    }
                }
            }
        });
        if editor.helper().is_some_and(|h| h.docs.is_empty()) && connection.is_connected() {
            let docs = runtime.block_on(load_docs(connection, output));
            if let Some(helper) = editor.helper_mut() {
                helper.docs = docs;
            }
        }
    }
    Status::Ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docs::tests::sample;

    #[test]
    fn prompt_shows_address_database_and_role() {
        assert_eq!(prompt_text("127.0.0.1:7379", 0, Some("master"), false), "127.0.0.1:7379 (master)> ");
        assert_eq!(prompt_text("127.0.0.1:7379", 2, Some("master"), false), "127.0.0.1:7379[2] (master)> ");
        assert_eq!(prompt_text("[::1]:7379", 3, Some("slave"), false), "[::1]:7379[3] (slave)> ");
        assert_eq!(prompt_text("127.0.0.1:7379", 1, None, false), "127.0.0.1:7379[1]> ");
        assert_eq!(prompt_text("127.0.0.1:7379", 1, Some("master"), true), "not connected> ");
    }

    fn helper() -> ReplHelper {
        ReplHelper::new(sample(), false)
    }

    #[test]
    fn completes_command_names_in_the_typed_case() {
        let h = helper();
        assert_eq!(h.candidates("ge", 2), (0, vec!["get".to_owned(), "getrange".to_owned()]));
        assert_eq!(h.candidates("GETR", 4), (0, vec!["GETRANGE ".to_owned()]));
        assert_eq!(h.candidates("  lp", 4), (2, vec!["lpush ".to_owned()]));
        assert_eq!(h.candidates("qu", 2).1, ["quit "]);
        assert!(h.candidates("zz", 2).1.is_empty());
        let all = h.candidates("", 0).1;
        assert!(all.contains(&"CONFIG".to_owned()) && all.contains(&"HELP".to_owned()), "{all:?}");
    }

    #[test]
    fn completes_subcommands_and_help_topics() {
        let h = helper();
        assert_eq!(h.candidates("config ", 7), (7, vec!["GET".to_owned(), "SET".to_owned()]));
        assert_eq!(h.candidates("CONFIG s", 8), (7, vec!["set ".to_owned()]));
        assert_eq!(h.candidates("help @s", 7), (5, vec!["@server".to_owned(), "@string".to_owned()]));
        assert_eq!(h.candidates("help lp", 7).1, ["lpush "]);
        assert!(h.candidates("get k", 5).1.is_empty(), "no completion of arguments");
        // The cursor in the middle of the line completes the word before it.
        assert_eq!(h.candidates("ge k", 2), (0, vec!["get".to_owned(), "getrange".to_owned()]));
    }

    #[test]
    fn hints_show_the_remaining_syntax() {
        let h = helper();
        assert_eq!(h.hint_text("get").as_deref(), Some(" key"));
        assert_eq!(h.hint_text("GET ").as_deref(), Some("key"));
        assert_eq!(h.hint_text("get k ").as_deref(), None);
        assert_eq!(h.hint_text("set k ").as_deref(), Some("value [NX | XX] [GET]"));
        assert_eq!(h.hint_text("set k v NX ").as_deref(), Some("[GET]"));
        assert_eq!(h.hint_text("config get").as_deref(), Some(" parameter [parameter ...]"));
        assert_eq!(h.hint_text("config ").as_deref(), Some("<subcommand> [arguments]"));
        assert_eq!(h.hint_text("nosuch ").as_deref(), None);
        assert_eq!(h.hint_text("set k").as_deref(), None, "no hint while an argument is being typed");
    }

    #[test]
    fn syntax_tokens_keep_groups() {
        assert_eq!(syntax_tokens("key [EX seconds | PX ms] <a b>  c"), ["key", "[EX seconds | PX ms]", "<a b>", "c"]);
    }

    #[test]
    fn colouring_keeps_the_text() {
        let line = "set k \"a b\" 'c'";
        let coloured = colour_line(line, |w| w == "set");
        assert!(coloured.contains("\u{1b}[1;32mset\u{1b}[0m"), "{coloured:?}");
        assert!(coloured.contains("\u{1b}[33m\"a b\"\u{1b}[0m"), "{coloured:?}");
        let plain: String = strip_ansi(&coloured);
        assert_eq!(plain, line);
        assert!(colour_line("nope x", |_| false).starts_with("\u{1b}[31mnope"));
        assert_eq!(strip_ansi(&colour_line("get \"open", |_| true)), "get \"open");
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn validator_continues_open_quotes() {
        assert_eq!(split(b"set k \"open"), Err(SplitError::Unterminated));
    }
}
