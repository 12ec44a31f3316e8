//! Where replies and messages go: the output mode chosen from the flags and
//! the terminal, and the exit status a run accumulates.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use aegisr_proto::Reply;

use crate::args::Global;
use crate::render::{self, Mode, Style};

/// How a run went; the worst outcome wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Ok,
    /// A reply was an error.
    ErrorReply,
    /// The connection failed, or the input was unusable.
    Failed,
}

impl Status {
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Status::Ok => ExitCode::SUCCESS,
            Status::ErrorReply => ExitCode::from(1),
            Status::Failed => ExitCode::from(2),
        }
    }
}

/// The output settings for this run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub mode: Mode,
    pub style: Style,
}

impl Output {
    pub(crate) fn new(global: &Global) -> Self {
        let terminal = std::io::stdout().is_terminal();
        let mode = if global.json {
            Mode::Json
        } else if global.csv {
            Mode::Csv
        } else if global.raw || (!terminal && !global.no_raw) {
            Mode::Raw
        } else {
            Mode::Human
        };
        let color = terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        let table_width =
            if terminal && mode == Mode::Human && !global.no_table { comfy_table::Table::new().width() } else { None };
        Self { mode, style: Style { color, table_width } }
    }

    /// Prints a reply; returns whether it was an error.
    pub(crate) fn reply(&self, reply: &Reply) -> Status {
        let bytes = render::render(reply, self.mode, self.style);
        let mut stdout = std::io::stdout().lock();
        // A closed stdout (e.g. `| head`) is not worth a panic or a message.
        let _ = stdout.write_all(&bytes).and_then(|()| stdout.flush());
        if reply.as_error().is_some() { Status::ErrorReply } else { Status::Ok }
    }

    /// Prints text as is.
    pub(crate) fn text(&self, text: &str) {
        self.bytes(text.as_bytes());
    }

    /// Prints bytes as they are.
    pub(crate) fn bytes(&self, bytes: &[u8]) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(bytes).and_then(|()| stdout.flush());
    }

    /// Prints a one-line problem on stderr, in red on a terminal.
    pub(crate) fn problem(&self, message: &str) {
        if self.style.color && std::io::stderr().is_terminal() {
            eprintln!("{}", nu_ansi_term::Color::Red.paint(message));
        } else {
            eprintln!("{message}");
        }
    }

    pub(crate) fn color(&self) -> bool {
        self.style.color
    }
}
