//! Drawing: a pure function of the [`App`] state, so tests render it on a `TestBackend`.
//! Without colour (NO_COLOR), state shows through words and bold/reversed text only.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Gauge, Paragraph, Row, Sparkline, Table, TableState, Tabs};

use crate::app::{App, ClientSort, CommandSort, Mode, Node, View};
use crate::format;

/// Lines each node takes in the overview.
const NODE_HEIGHT: u16 = 6;

pub(crate) fn fg(app: &App, color: Color) -> Style {
    if app.color { Style::default().fg(color) } else { Style::default() }
}

pub(crate) fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub(crate) fn selected(app: &App) -> Style {
    if app.color {
        Style::default().bg(Color::Blue).fg(Color::White)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    }
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [tabs, body, status] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1)]).areas(frame.area());
    let views = app.views();
    let titles: Vec<Line<'_>> =
        views.iter().enumerate().map(|(i, v)| Line::from(format!("{} {}", i + 1, v.title()))).collect();
    let highlight = if app.color { fg(app, Color::Yellow).add_modifier(Modifier::BOLD) } else { selected(app) };
    let index = views.iter().position(|v| *v == app.view).unwrap_or(0);
    frame.render_widget(Tabs::new(titles).select(index).highlight_style(highlight), tabs);
    match app.view {
        View::Overview => overview(frame, app, body),
        View::Commands => commands(frame, app, body),
        View::Slowlog => slowlog(frame, app, body),
        View::Clients => clients(frame, app, body),
        View::Keyspace => keyspace(frame, app, body),
        View::Cluster => crate::cluster_view::draw(frame, app, body),
    }
    status_bar(frame, app, status);
    if app.help {
        help(frame, app);
    }
    if let Mode::Confirm { id, addr, .. } = &app.mode {
        confirm(frame, app, *id, addr);
    }
}

fn status_bar(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let text = match (&app.mode, &app.notice) {
        (Mode::Filter, _) => format!("filter: {}_  (Enter keeps, Esc clears)", app.filter),
        (_, Some(notice)) => notice.clone(),
        _ if !app.filter.is_empty() => format!("filter: {}  (Esc clears)   ? help  q quit", app.filter),
        _ => "Tab views  <-/-> node  s sort  / filter  ? help  q quit".to_owned(),
    };
    frame.render_widget(Paragraph::new(text).style(fg(app, Color::DarkGray)), area);
}

/// `addr  UP|DOWN` as a block title.
fn node_title<'a>(app: &App, node: &'a Node) -> Line<'a> {
    let (state, color) = if node.up { ("UP", Color::Green) } else { ("DOWN", Color::Red) };
    let mut spans = vec![
        Span::styled(format!(" {} ", node.addr), bold()),
        Span::styled(state, fg(app, color).add_modifier(Modifier::BOLD)),
    ];
    if let Some(error) = &node.error {
        spans.push(Span::styled(format!(" {error} "), fg(app, Color::Red)));
    }
    Line::from(spans)
}

fn overview(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let shown: Vec<&Node> = app.nodes.iter().filter(|n| app.matches(&n.addr)).collect();
    let constraints: Vec<Constraint> =
        shown.iter().map(|_| Constraint::Length(NODE_HEIGHT)).chain([Constraint::Min(0)]).collect();
    let areas = Layout::vertical(constraints).split(area);
    for (node, area) in shown.into_iter().zip(areas.iter()) {
        let border = if node.up { Style::default() } else { fg(app, Color::Red) };
        let block = Block::bordered().title(node_title(app, node)).border_style(border);
        let inner = block.inner(*area);
        frame.render_widget(block, *area);
        let Some(s) = &node.stats else {
            let text = if node.up { "waiting for figures..." } else { "unreachable; retrying" };
            frame.render_widget(Paragraph::new(text), inner);
            continue;
        };
        let [line1, line2, spark, gauge] = Layout::vertical([Constraint::Length(1); 4]).areas(inner);
        let keys: u64 = s.keyspace.iter().map(|d| d.keys).sum();
        frame.render_widget(
            Paragraph::new(format!(
                "role {}  up {}  keys {}  clients {} ({} blocked)",
                s.role,
                format::duration(s.uptime_seconds),
                keys,
                s.connected_clients,
                s.blocked_clients
            )),
            line1,
        );
        frame.render_widget(
            Paragraph::new(format!(
                "ops/s {}  p50 {}  p99 {}  threads {}{}  shards {}",
                format::rate(s.ops_per_sec),
                format::micros(s.p50_usec),
                format::micros(s.p99_usec),
                s.worker_threads,
                worker_clients(&s.worker_clients),
                s.shards
            )),
            line2,
        );
        let history: Vec<u64> = node.ops_history.iter().copied().collect();
        let start = history.len().saturating_sub(usize::from(spark.width));
        frame.render_widget(Sparkline::default().data(&history[start..]).style(fg(app, Color::Cyan)), spark);
        let (ratio, label) = if s.maxmemory > 0 {
            let ratio = (s.used_memory as f64 / s.maxmemory as f64).clamp(0.0, 1.0);
            (
                ratio,
                format!(
                    "memory {} / {} ({:.0}%)",
                    format::bytes(s.used_memory),
                    format::bytes(s.maxmemory),
                    ratio * 100.0
                ),
            )
        } else {
            (0.0, format!("memory {} (no maxmemory)", format::bytes(s.used_memory)))
        };
        let color = if ratio > 0.9 { Color::Red } else { Color::Green };
        frame.render_widget(Gauge::default().ratio(ratio).label(label).gauge_style(fg(app, color)), gauge);
    }
}

/// The block a per-node view draws in, titled with the node and what the view shows.
fn node_block<'a>(app: &'a App, what: &str) -> Block<'a> {
    match app.nodes.get(app.node) {
        Some(node) => {
            let mut title = node_title(app, node);
            title.spans.push(Span::raw(format!(" {what} ")));
            Block::bordered().title(title)
        }
        None => Block::bordered().title(what.to_owned()),
    }
}

fn table_state(app: &App) -> TableState {
    TableState::default().with_selected(Some(app.row))
}

fn commands(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let sort = match app.command_sort {
        CommandSort::Calls => "by calls",
        CommandSort::Time => "by time",
    };
    let block = node_block(app, &format!("commands {sort} (s: sort)"));
    let mut commands: Vec<_> = app
        .nodes
        .get(app.node)
        .and_then(|n| n.stats.as_ref())
        .map(|s| s.commands.iter().filter(|c| app.matches(&c.name)).collect())
        .unwrap_or_default();
    match app.command_sort {
        CommandSort::Calls => commands.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name))),
        CommandSort::Time => commands.sort_by(|a, b| b.usec.cmp(&a.usec).then(a.name.cmp(&b.name))),
    }
    let rows = commands.iter().map(|c| {
        let per_call = if c.calls == 0 { 0.0 } else { c.usec as f64 / c.calls as f64 };
        Row::new([
            Cell::from(c.name.clone()),
            Cell::from(c.calls.to_string()),
            Cell::from(format::micros(c.usec as f64)),
            Cell::from(format::micros(per_call)),
            Cell::from(format::rate(c.ops_per_sec)),
            Cell::from(format::micros(c.p50_usec)),
            Cell::from(format::micros(c.p99_usec)),
            Cell::from((c.failed_calls + c.rejected_calls).to_string()),
        ])
    });
    let header = Row::new(["command", "calls", "time", "per call", "ops/s", "p50", "p99", "errors"]).style(bold());
    let widths = [
        Constraint::Min(14),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(6),
    ];
    let table = Table::new(rows, widths).header(header).block(block).row_highlight_style(selected(app));
    frame.render_stateful_widget(table, area, &mut table_state(app));
}

fn slowlog(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = node_block(app, "slow log, newest first");
    let entries: Vec<_> = app.nodes.get(app.node).map(|n| n.slowlog.iter().collect()).unwrap_or_default();
    let rows = entries
        .into_iter()
        .map(|e| {
            let args: Vec<String> = e.args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            (e, args.join(" "))
        })
        .filter(|(_, text)| app.matches(text))
        .map(|(e, text)| {
            Row::new([
                Cell::from(e.id.to_string()),
                Cell::from(format::micros(e.duration_usec as f64)),
                Cell::from(text),
                Cell::from(e.client_addr.clone()),
            ])
        });
    let header = Row::new(["id", "duration", "command", "client"]).style(bold());
    let widths = [Constraint::Length(6), Constraint::Length(10), Constraint::Min(20), Constraint::Length(22)];
    let table = Table::new(rows, widths).header(header).block(block).row_highlight_style(selected(app));
    frame.render_stateful_widget(table, area, &mut table_state(app));
}

fn clients(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let sort = match app.client_sort {
        ClientSort::Id => "id",
        ClientSort::Idle => "idle",
        ClientSort::Age => "age",
        ClientSort::Name => "name",
    };
    let block = node_block(app, &format!("clients by {sort} (s: sort, k: kill)"));
    let rows = app.clients().into_iter().map(|c| {
        Row::new([
            Cell::from(c.id.to_string()),
            Cell::from(c.addr.clone()),
            Cell::from(c.name.clone()),
            Cell::from(format::duration(c.age_seconds)),
            Cell::from(format::duration(c.idle_seconds)),
            Cell::from(c.db.to_string()),
            Cell::from(c.last_command.clone()),
        ])
    });
    let header = Row::new(["id", "addr", "name", "age", "idle", "db", "last cmd"]).style(bold());
    let widths = [
        Constraint::Length(6),
        Constraint::Length(22),
        Constraint::Min(10),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(3),
        Constraint::Length(14),
    ];
    let table = Table::new(rows, widths).header(header).block(block).row_highlight_style(selected(app));
    frame.render_stateful_widget(table, area, &mut table_state(app));
}

fn keyspace(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut lines = Vec::new();
    for node in app.nodes.iter().filter(|n| app.matches(&n.addr)) {
        let mut head = vec![Span::styled(node.addr.clone(), bold())];
        if !node.up {
            head.push(Span::styled(" DOWN", fg(app, Color::Red).add_modifier(Modifier::BOLD)));
        }
        if let Some(s) = &node.stats {
            head.push(Span::raw(format!(
                "  expired {}  evicted {}  hits {}  misses {}",
                s.expired_keys, s.evicted_keys, s.keyspace_hits, s.keyspace_misses
            )));
            lines.push(Line::from(head));
            if s.keyspace.is_empty() {
                lines.push(Line::from("  (no keys)"));
            }
            for db in &s.keyspace {
                lines.push(Line::from(format!("  db{:<4} keys {:<12} expiring {}", db.db, db.keys, db.expires)));
            }
        } else {
            lines.push(Line::from(head));
        }
    }
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(" keyspace ")), area);
}

/// A rectangle of `width` x `height` centred in `area` (clipped to it).
fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let (width, height) = (width.min(area.width), height.min(area.height));
    Rect::new(area.x + (area.width - width) / 2, area.y + (area.height - height) / 2, width, height)
}

const HELP: &[&str] = &[
    "Tab / Shift-Tab   next / previous view",
    "1 .. 6            overview commands slowlog clients keyspace (cluster)",
    "Left / Right      previous / next node",
    "Up / Down         move the selection",
    "s                 change the sort order",
    "/                 filter (Enter keeps, Esc clears)",
    "k                 kill the selected client (asks first)",
    "?                 this help (any key closes)",
    "q, Ctrl-C         quit",
];

fn help(frame: &mut Frame<'_>, app: &App) {
    let area = centred(frame.area(), 66, HELP.len() as u16 + 2);
    frame.render_widget(Clear, area);
    let lines: Vec<Line<'_>> = HELP.iter().map(|l| Line::from(*l)).collect();
    let block = Block::bordered().title(" help ").border_style(fg(app, Color::Yellow));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn confirm(frame: &mut Frame<'_>, app: &App, id: u64, addr: &str) {
    let area = centred(frame.area(), 50, 3);
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(" confirm ").border_style(fg(app, Color::Red));
    frame.render_widget(Paragraph::new(format!("Kill client {id} ({addr})? y/n")).block(block), area);
}

/// Where the connections are, when several workers serve them: ` (clients 5/0)`.
fn worker_clients(counts: &[u32]) -> String {
    if counts.len() < 2 {
        return String::new();
    }
    let counts: Vec<String> = counts.iter().map(u32::to_string).collect();
    format!(" (clients {})", counts.join("/"))
}
