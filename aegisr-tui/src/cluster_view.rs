//! The cluster view: state, epoch and leader; the slot map as a bar coloured by shard
//! group; every member by group with its role, replication offset, lag and last heartbeat
//! (a primary promoted by a recent failover is highlighted); the latest changes.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use crate::app::App;
use crate::cluster::{ClusterState, address, short};
use crate::ui::{bold, fg, selected};

/// Colours of shard groups, in turn.
const GROUP_COLORS: [Color; 6] = [Color::Cyan, Color::Magenta, Color::Green, Color::Yellow, Color::Blue, Color::Red];
/// Slots in a cluster.
const SLOTS: u32 = 16_384;
/// Events shown at most.
const EVENT_LINES: usize = 6;

fn group_color(group: u32) -> Color {
    GROUP_COLORS[group as usize % GROUP_COLORS.len()]
}

/// A group's mark in the slot bar: its id, or `?` past 9.
fn group_mark(group: u32) -> char {
    char::from_digit(group, 10).unwrap_or('?')
}

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = Block::bordered().title(Span::styled(" cluster ", bold()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(cluster) = &app.cluster else {
        frame.render_widget(Paragraph::new("not a cluster"), inner);
        return;
    };
    let events = cluster.events.len().min(EVENT_LINES) as u16;
    let [header, bar, table, log] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(events + 1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(header_line(app, cluster)), header);
    frame.render_widget(Paragraph::new(slot_bar(app, cluster, bar.width)), bar);
    members(frame, app, cluster, table);
    let mut lines = vec![Line::styled("recent changes", bold())];
    let skip = cluster.events.len().saturating_sub(EVENT_LINES);
    for event in cluster.events.iter().skip(skip) {
        let style = if event.starts_with("FAILOVER") {
            fg(app, Color::Yellow).add_modifier(Modifier::BOLD)
        } else {
            Style::default()
        };
        lines.push(Line::styled(format!("  {event}"), style));
    }
    frame.render_widget(Paragraph::new(lines), log);
}

fn header_line<'a>(app: &App, cluster: &'a ClusterState) -> Line<'a> {
    let s = &cluster.status;
    let assigned: u32 = s.slots.iter().map(|r| r.end - r.start + 1).sum();
    let (state, color) = if assigned == SLOTS { ("ok", Color::Green) } else { ("FAIL", Color::Red) };
    let leader = s
        .leader
        .and_then(|id| cluster.member(id))
        .map_or_else(|| "none".to_owned(), |m| format!("{} {}", short(&m.name), address(&m.host, m.resp_port)));
    let mut spans = vec![Span::styled(state, fg(app, color).add_modifier(Modifier::BOLD)), Span::raw("  epoch ")];
    let epoch_style =
        if cluster.highlight_left > 0 { fg(app, Color::Yellow).add_modifier(Modifier::BOLD) } else { bold() };
    spans.push(Span::styled(s.epoch.to_string(), epoch_style));
    spans.push(Span::raw(format!(
        "  leader {leader}  {} members  {} groups  {assigned}/{SLOTS} slots  {} migrating",
        s.members.len(),
        s.groups.len(),
        s.migrations.len()
    )));
    Line::from(spans)
}

/// The slot space in `width` cells, each showing the group owning most of its slots
/// (`.` when none does).
fn slot_bar<'a>(app: &App, cluster: &ClusterState, width: u16) -> Line<'a> {
    let width = u32::from(width.max(1));
    let owner = |slot: u32| cluster.status.slots.iter().find(|r| r.start <= slot && slot <= r.end).map(|r| r.group);
    let spans: Vec<Span<'a>> = (0..width)
        .map(|cell| {
            // The slot in the middle of the cell's share stands for it.
            let slot = ((2 * cell + 1) * SLOTS) / (2 * width);
            match owner(slot) {
                Some(group) => Span::styled(group_mark(group).to_string(), fg(app, group_color(group))),
                None => Span::raw("."),
            }
        })
        .collect();
    Line::from(spans)
}

fn members(frame: &mut Frame<'_>, app: &App, cluster: &ClusterState, area: Rect) {
    let s = &cluster.status;
    let mut rows = Vec::new();
    for group in &s.groups {
        let ranges: Vec<String> = s
            .slots
            .iter()
            .filter(|r| r.group == group.id)
            .map(|r| if r.start == r.end { r.start.to_string() } else { format!("{}-{}", r.start, r.end) })
            .collect();
        for id in std::iter::once(group.primary).chain(group.replicas.iter().copied()) {
            let Some(m) = cluster.member(id) else { continue };
            let primary = id == group.primary;
            let mut role = if primary { "primary".to_owned() } else { "replica".to_owned() };
            if s.leader == Some(id) {
                role.push('*');
            }
            let lag = if primary {
                String::new()
            } else {
                cluster.lag(id).map_or_else(|| "?".to_owned(), |l| format!("{l} B"))
            };
            let seen = cluster.last_seen(id).map_or_else(|| "?".to_owned(), |secs| format!("{:.0} ms", secs * 1000.0));
            let slots = if primary { format!("{} {}", group.slot_count, ranges.join(",")) } else { String::new() };
            let mut name = short(&m.name).to_owned();
            if cluster.is_new_primary(id) {
                name.push_str(" NEW");
            }
            let row = Row::new([
                Cell::from(Span::styled(group.id.to_string(), fg(app, group_color(group.id)))),
                Cell::from(role),
                Cell::from(name),
                Cell::from(address(&m.host, m.resp_port)),
                Cell::from(slots),
                Cell::from(cluster.offset(id).map_or_else(|| "?".to_owned(), |o| o.to_string())),
                Cell::from(lag),
                Cell::from(seen),
            ]);
            let highlighted = cluster.is_new_primary(id);
            rows.push(if highlighted {
                row.style(fg(app, Color::Yellow).add_modifier(Modifier::BOLD | Modifier::REVERSED))
            } else {
                row
            });
        }
    }
    let header = Row::new(["grp", "role", "name", "address", "slots", "offset", "lag", "seen"]).style(bold());
    let widths = [
        Constraint::Length(3),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Length(21),
        Constraint::Min(10),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    let table = Table::new(rows, widths).header(header).row_highlight_style(selected(app));
    frame.render_stateful_widget(table, area, &mut TableState::default().with_selected(Some(app.row)));
}
