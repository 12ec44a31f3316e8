//! The console's state and what keys do to it. No terminal here: the state is built from
//! feed updates and keys, and drawn by `ui`.

use std::collections::VecDeque;

use aegisr_proto::v1::{ClientInfo, NodeStats, SlowLogEntry};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::cluster::{ClusterState, Snapshot};

/// Ops/s samples kept per node for the sparkline.
pub const HISTORY: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    Commands,
    Slowlog,
    Clients,
    Keyspace,
    /// Only when watching a cluster.
    Cluster,
}

impl View {
    /// The views of every console (a cluster adds [`View::Cluster`]).
    pub const ALL: [View; 5] = [View::Overview, View::Commands, View::Slowlog, View::Clients, View::Keyspace];

    pub fn title(self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Commands => "Commands",
            View::Slowlog => "Slowlog",
            View::Clients => "Clients",
            View::Keyspace => "Keyspace",
            View::Cluster => "Cluster",
        }
    }
}

/// What the commands view sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandSort {
    Calls,
    Time,
}

/// What the clients view sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSort {
    Id,
    Idle,
    Age,
    Name,
}

/// One node as the console knows it.
#[derive(Debug, Clone, Default)]
pub struct Node {
    pub addr: String,
    pub stats: Option<NodeStats>,
    /// Whether the last attempt to reach it worked.
    pub up: bool,
    /// Why it is down.
    pub error: Option<String>,
    pub ops_history: VecDeque<u64>,
    pub slowlog: Vec<SlowLogEntry>,
    pub clients: Vec<ClientInfo>,
}

/// News from a node's feed.
#[derive(Debug, Clone)]
pub enum Update {
    Stats(usize, Box<NodeStats>),
    SlowLog(usize, Vec<SlowLogEntry>),
    Clients(usize, Vec<ClientInfo>),
    Down(usize, String),
    /// The answer to a kill: the text to show.
    Notice(String),
    /// A reading of the cluster (its members are added as nodes to watch).
    Cluster(Box<Snapshot>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Typing the filter after `/`.
    Filter,
    /// Asking before killing a client.
    Confirm {
        node: usize,
        id: u64,
        addr: String,
    },
}

/// What the caller must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    Kill { node: usize, id: u64 },
}

#[derive(Debug, Clone)]
pub struct App {
    pub nodes: Vec<Node>,
    pub view: View,
    /// The node the per-node views (commands, slowlog, clients) show.
    pub node: usize,
    /// The highlighted row of the current table.
    pub row: usize,
    pub filter: String,
    pub mode: Mode,
    pub help: bool,
    pub color: bool,
    pub command_sort: CommandSort,
    pub client_sort: ClientSort,
    /// A one-line message for the status bar (kill results...).
    pub notice: Option<String>,
    /// Set once a node answered ClusterStatus.
    pub cluster: Option<ClusterState>,
}

/// `host:port` without an `http://` scheme, to tell the same node given two ways.
fn bare(addr: &str) -> &str {
    addr.split_once("://").map_or(addr, |(_, rest)| rest).trim_end_matches('/')
}

impl App {
    pub fn new(addrs: &[String], color: bool) -> App {
        App {
            nodes: addrs.iter().map(|a| Node { addr: a.clone(), ..Node::default() }).collect(),
            view: View::Overview,
            node: 0,
            row: 0,
            filter: String::new(),
            mode: Mode::Normal,
            help: false,
            color,
            command_sort: CommandSort::Calls,
            client_sort: ClientSort::Id,
            notice: None,
            cluster: None,
        }
    }

    /// The views offered: the cluster view only when watching a cluster.
    pub fn views(&self) -> Vec<View> {
        let mut views = View::ALL.to_vec();
        if self.cluster.is_some() {
            views.push(View::Cluster);
        }
        views
    }

    /// Adds a node to watch unless it is already watched; returns its index.
    pub fn watch(&mut self, addr: &str) -> usize {
        match self.nodes.iter().position(|n| bare(&n.addr) == bare(addr)) {
            Some(index) => index,
            None => {
                self.nodes.push(Node { addr: addr.to_owned(), ..Node::default() });
                self.nodes.len() - 1
            }
        }
    }

    pub fn apply(&mut self, update: Update) {
        match update {
            Update::Stats(i, stats) => {
                if let Some(node) = self.nodes.get_mut(i) {
                    node.ops_history.push_back(stats.ops_per_sec.round() as u64);
                    while node.ops_history.len() > HISTORY {
                        node.ops_history.pop_front();
                    }
                    node.up = true;
                    node.error = None;
                    node.stats = Some(*stats);
                }
            }
            Update::SlowLog(i, entries) => {
                if let Some(node) = self.nodes.get_mut(i) {
                    node.slowlog = entries;
                }
            }
            Update::Clients(i, clients) => {
                if let Some(node) = self.nodes.get_mut(i) {
                    node.clients = clients;
                }
            }
            Update::Down(i, error) => {
                if let Some(node) = self.nodes.get_mut(i) {
                    node.up = false;
                    node.error = Some(error);
                }
            }
            Update::Notice(text) => self.notice = Some(text),
            Update::Cluster(snapshot) => {
                match &mut self.cluster {
                    Some(state) => state.update(*snapshot),
                    None => self.cluster = Some(ClusterState::new(*snapshot)),
                }
                let members = self.cluster.as_ref().map(ClusterState::grpc_addresses).unwrap_or_default();
                for addr in members {
                    self.watch(&addr);
                }
            }
        }
    }

    /// Whether `text` passes the filter (case-insensitive substring).
    pub fn matches(&self, text: &str) -> bool {
        self.filter.is_empty() || text.to_ascii_lowercase().contains(&self.filter.to_ascii_lowercase())
    }

    /// The selected node's clients, filtered and sorted as shown.
    pub fn clients(&self) -> Vec<&ClientInfo> {
        let Some(node) = self.nodes.get(self.node) else { return Vec::new() };
        let mut clients: Vec<&ClientInfo> = node
            .clients
            .iter()
            .filter(|c| self.matches(&format!("{} {} {}", c.addr, c.name, c.last_command)))
            .collect();
        match self.client_sort {
            ClientSort::Id => clients.sort_by_key(|c| c.id),
            ClientSort::Idle => clients.sort_by_key(|c| std::cmp::Reverse(c.idle_seconds)),
            ClientSort::Age => clients.sort_by_key(|c| std::cmp::Reverse(c.age_seconds)),
            ClientSort::Name => clients.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id))),
        }
        clients
    }

    /// Rows in the current view, for moving the selection.
    fn rows(&self) -> usize {
        let node = self.nodes.get(self.node);
        match self.view {
            View::Overview | View::Keyspace => self.nodes.len(),
            View::Commands => node.and_then(|n| n.stats.as_ref()).map_or(0, |s| s.commands.len()),
            View::Slowlog => node.map_or(0, |n| n.slowlog.len()),
            View::Clients => self.clients().len(),
            View::Cluster => self.cluster.as_ref().map_or(0, |c| c.status.members.len()),
        }
    }

    fn switch_view(&mut self, view: View) {
        self.view = view;
        self.row = 0;
    }

    pub fn key(&mut self, key: KeyEvent) -> Action {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        match self.mode.clone() {
            Mode::Filter => {
                match key.code {
                    KeyCode::Enter => self.mode = Mode::Normal,
                    KeyCode::Esc => {
                        self.filter.clear();
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Backspace => {
                        self.filter.pop();
                    }
                    KeyCode::Char(c) => self.filter.push(c),
                    _ => {}
                }
                self.row = 0;
                return Action::None;
            }
            Mode::Confirm { node, id, .. } => {
                self.mode = Mode::Normal;
                return if matches!(key.code, KeyCode::Char('y' | 'Y')) {
                    Action::Kill { node, id }
                } else {
                    self.notice = Some("kill cancelled".to_owned());
                    Action::None
                };
            }
            Mode::Normal => {}
        }
        if self.help {
            // Any key closes the help; q still quits.
            self.help = false;
            return if key.code == KeyCode::Char('q') { Action::Quit } else { Action::None };
        }
        let views = self.views();
        let index = views.iter().position(|v| *v == self.view).unwrap_or(0);
        match key.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Tab => self.switch_view(views[(index + 1) % views.len()]),
            KeyCode::BackTab => self.switch_view(views[(index + views.len() - 1) % views.len()]),
            KeyCode::Char(c @ '1'..='9') => {
                if let Some(view) = views.get(usize::from(c as u8 - b'1')) {
                    self.switch_view(*view);
                }
            }
            KeyCode::Right => {
                self.node = (self.node + 1) % self.nodes.len().max(1);
                self.row = 0;
            }
            KeyCode::Left => {
                self.node = (self.node + self.nodes.len().max(1) - 1) % self.nodes.len().max(1);
                self.row = 0;
            }
            KeyCode::Down => self.row = (self.row + 1).min(self.rows().saturating_sub(1)),
            KeyCode::Up => self.row = self.row.saturating_sub(1),
            KeyCode::Char('/') => self.mode = Mode::Filter,
            KeyCode::Esc => self.filter.clear(),
            KeyCode::Char('s') => match self.view {
                View::Commands => {
                    self.command_sort = match self.command_sort {
                        CommandSort::Calls => CommandSort::Time,
                        CommandSort::Time => CommandSort::Calls,
                    }
                }
                View::Clients => {
                    self.client_sort = match self.client_sort {
                        ClientSort::Id => ClientSort::Idle,
                        ClientSort::Idle => ClientSort::Age,
                        ClientSort::Age => ClientSort::Name,
                        ClientSort::Name => ClientSort::Id,
                    }
                }
                _ => {}
            },
            KeyCode::Char('k') if self.view == View::Clients => {
                if let Some(client) = self.clients().get(self.row) {
                    self.mode = Mode::Confirm { node: self.node, id: client.id, addr: client.addr.clone() };
                }
            }
            _ => {}
        }
        Action::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(app: &mut App, code: KeyCode) -> Action {
        app.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn keys_move_between_views_and_kill_asks_first() {
        let mut app = App::new(&["a:1".to_owned()], true);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.view, View::Commands);
        press(&mut app, KeyCode::BackTab);
        press(&mut app, KeyCode::BackTab);
        assert_eq!(app.view, View::Keyspace);
        press(&mut app, KeyCode::Char('4'));
        assert_eq!(app.view, View::Clients);
        app.apply(Update::Clients(
            0,
            vec![
                ClientInfo { id: 3, addr: "x:1".into(), ..Default::default() },
                ClientInfo { id: 9, addr: "y:2".into(), ..Default::default() },
            ],
        ));
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Down);
        assert_eq!(app.row, 1);
        assert_eq!(press(&mut app, KeyCode::Char('k')), Action::None);
        assert!(matches!(app.mode, Mode::Confirm { id: 9, .. }));
        assert_eq!(press(&mut app, KeyCode::Char('n')), Action::None);
        press(&mut app, KeyCode::Char('k'));
        assert_eq!(press(&mut app, KeyCode::Char('y')), Action::Kill { node: 0, id: 9 });
        for c in "/y:".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.clients().len(), 1);
        press(&mut app, KeyCode::Char('?'));
        assert!(app.help);
        press(&mut app, KeyCode::Char('x'));
        assert!(!app.help);
        assert_eq!(press(&mut app, KeyCode::Char('q')), Action::Quit);
    }

    #[test]
    fn a_cluster_adds_its_members_and_the_cluster_view() {
        use aegisr_proto::v1::{ClusterMember, ClusterStatusReply};
        let mut app = App::new(&["http://127.0.0.1:7001".to_owned()], true);
        assert_eq!(app.views().len(), 5);
        let member =
            |id: u64| ClusterMember { id, host: "127.0.0.1".into(), grpc_port: 7000 + id as u32, ..Default::default() };
        let status = ClusterStatusReply { members: vec![member(1), member(2)], ..Default::default() };
        app.apply(Update::Cluster(Box::new(Snapshot { status, health: Vec::new() })));
        let addrs: Vec<&str> = app.nodes.iter().map(|n| n.addr.as_str()).collect();
        assert_eq!(addrs, ["http://127.0.0.1:7001", "127.0.0.1:7002"], "the given node is not added twice");
        assert_eq!(app.views().last(), Some(&View::Cluster));
        press(&mut app, KeyCode::Char('6'));
        assert_eq!(app.view, View::Cluster);
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.view, View::Overview);
        press(&mut app, KeyCode::BackTab);
        assert_eq!(app.view, View::Cluster);
    }

    #[test]
    fn a_node_going_down_keeps_its_last_figures() {
        let mut app = App::new(&["a:1".to_owned()], true);
        app.apply(Update::Stats(0, Box::new(NodeStats { ops_per_sec: 5.0, ..Default::default() })));
        app.apply(Update::Down(0, "connection refused".into()));
        assert!(!app.nodes[0].up);
        assert!(app.nodes[0].stats.is_some());
        app.apply(Update::Stats(0, Box::default()));
        assert!(app.nodes[0].up && app.nodes[0].error.is_none());
        assert_eq!(app.nodes[0].ops_history, [5, 0]);
    }
}
