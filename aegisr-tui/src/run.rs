//! The terminal loop: raw mode and the alternate screen, keys in, updates in, frames out.

use std::io::Stdout;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{self, Event, KeyEventKind};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::{Action, App};
use crate::cli::Args;
use crate::{feed, ui};

/// How often keys are polled between updates.
const TICK: Duration = Duration::from_millis(100);

/// Puts the terminal back as it was, however the loop ends.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = disable_raw_mode();
        let _ = crossterm::execute!(std::io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
    }
}

pub fn run(args: &Args) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    if let Some(pass) = &args.pass {
        feed::set_credentials(args.user.clone(), pass.clone());
    }
    let (updates, received) = mpsc::channel();
    for (index, addr) in args.nodes.iter().enumerate() {
        runtime.spawn(feed::run(index, addr.clone(), args.interval, updates.clone()));
    }
    // Given a cluster node, every member is discovered and watched too.
    runtime.spawn(feed::cluster(args.nodes.clone(), args.interval, updates.clone()));
    let mut app = App::new(&args.nodes, args.color());

    enable_raw_mode().context("cannot put the terminal in raw mode")?;
    let _restore = Restore;
    crossterm::execute!(std::io::stdout(), EnterAlternateScreen).context("cannot switch screens")?;
    let mut terminal: Terminal<CrosstermBackend<Stdout>> =
        Terminal::new(CrosstermBackend::new(std::io::stdout())).context("cannot draw on the terminal")?;
    loop {
        while let Ok(update) = received.try_recv() {
            let known = app.nodes.len();
            app.apply(update);
            for (index, node) in app.nodes.iter().enumerate().skip(known) {
                runtime.spawn(feed::run(index, node.addr.clone(), args.interval, updates.clone()));
            }
        }
        terminal.draw(|frame| ui::draw(frame, &app))?;
        if !event::poll(TICK)? {
            continue;
        }
        match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => match app.key(key) {
                Action::Quit => break,
                Action::Kill { node, id } => {
                    if let Some(node) = app.nodes.get(node) {
                        runtime.spawn(feed::kill(node.addr.clone(), id, updates.clone()));
                    }
                }
                Action::None => {}
            },
            // The next draw takes the new size.
            Event::Resize(..) => terminal.autoresize()?,
            _ => {}
        }
    }
    drop(terminal);
    runtime.shutdown_background();
    Ok(())
}
