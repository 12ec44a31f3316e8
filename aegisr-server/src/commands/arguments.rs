//! COMMAND DOCS `arguments`: the argument tree Redis documents for each command, built
//! from the one-line syntax the command table already holds (`key [NX | XX] score member
//! [score member ...]`), so the table stays the single place a command is described.
//! Tools read it for hints and completion (redis-cli 7 shows a command's arguments from
//! it). Names of unnamed groups and the types of plain words are inferred: `count` is an
//! integer, `score` a double, `key` a key; what is not recognised is a string.

use crate::reply::ReplySink;

/// One argument, as COMMAND DOCS describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Argument {
    pub name: String,
    pub kind: Kind,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    /// For `Kind::OneOf` and `Kind::Block`.
    pub arguments: Vec<Argument>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Key,
    String,
    Integer,
    Double,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Key => "key",
            Kind::String => "string",
            Kind::Integer => "integer",
            Kind::Double => "double",
            Kind::Pattern => "pattern",
            Kind::UnixTime => "unix-time",
            Kind::PureToken => "pure-token",
            Kind::OneOf => "oneof",
            Kind::Block => "block",
        }
    }
}

/// A parsed piece of syntax before it becomes arguments.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    Word(String),
    /// Alternatives, each a sequence; `optional` for `[...]`.
    Group {
        options: Vec<Vec<Node>>,
        optional: bool,
    },
    /// `...` after a node.
    Repeated(Box<Node>),
}

fn tokenize(syntax: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut chars = syntax.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' | ']' | '|' | '<' | '>' | '(' | ')' => {
                if !word.is_empty() {
                    tokens.push(std::mem::take(&mut word));
                }
                tokens.push(c.to_string());
            }
            '.' if word.is_empty() && chars.peek() == Some(&'.') => {
                while chars.peek() == Some(&'.') {
                    chars.next();
                }
                tokens.push("...".to_owned());
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    tokens.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

/// Alternatives up to `close` (or the end).
fn parse_options(tokens: &[String], pos: &mut usize, close: Option<&str>) -> Vec<Vec<Node>> {
    let mut options = vec![Vec::new()];
    while let Some(token) = tokens.get(*pos) {
        *pos += 1;
        let node = match token.as_str() {
            t if Some(t) == close => break,
            "|" => {
                options.push(Vec::new());
                continue;
            }
            "[" => Node::Group { options: parse_options(tokens, pos, Some("]")), optional: true },
            "<" => Node::Group { options: parse_options(tokens, pos, Some(">")), optional: false },
            "(" => Node::Group { options: parse_options(tokens, pos, Some(")")), optional: false },
            "..." => {
                if let Some(option) = options.last_mut()
                    && let Some(last) = option.pop()
                {
                    option.push(Node::Repeated(Box::new(last)));
                }
                continue;
            }
            // A stray closer: ignore it rather than lose the rest.
            "]" | ">" | ")" => continue,
            word => Node::Word(word.to_owned()),
        };
        if let Some(option) = options.last_mut() {
            option.push(node);
        }
    }
    options
}

fn is_token(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_uppercase()) && !word.chars().any(|c| c.is_ascii_lowercase())
}

fn kind_of(name: &str) -> Kind {
    match name {
        "key" | "newkey" | "destination" | "source" | "destkey" | "sourcekey" => Kind::Key,
        n if n.ends_with("key") && !n.ends_with("-key") => Kind::Key,
        "pattern" => Kind::Pattern,
        n if n.starts_with("unix-time") => Kind::UnixTime,
        "count" | "numkeys" | "numreplicas" | "numlocal" | "db" | "destination-db" | "index" | "start" | "end"
        | "stop" | "offset" | "slot" | "port" | "bit" | "cursor" | "seconds" | "milliseconds" | "decrement" | "ttl"
        | "rank" | "len" | "num-reply" => Kind::Integer,
        "timeout" | "score" | "longitude" | "latitude" | "radius" | "width" | "height" | "error_rate" => Kind::Double,
        _ => Kind::String,
    }
}

fn plain(name: &str) -> Argument {
    if is_token(name) {
        return Argument {
            name: name.to_ascii_lowercase(),
            kind: Kind::PureToken,
            token: Some(name.to_owned()),
            optional: false,
            multiple: false,
            arguments: Vec::new(),
        };
    }
    Argument {
        name: name.to_owned(),
        kind: kind_of(name),
        token: None,
        optional: false,
        multiple: false,
        arguments: Vec::new(),
    }
}

/// A group's name: its arguments' names, joined.
fn group_name(arguments: &[Argument]) -> String {
    arguments.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join("-")
}

/// One argument standing for `arguments` (a block when there are several).
fn as_one(mut arguments: Vec<Argument>) -> Option<Argument> {
    match arguments.len() {
        0 => None,
        1 => arguments.pop(),
        _ => Some(Argument {
            name: group_name(&arguments),
            kind: Kind::Block,
            token: None,
            optional: false,
            multiple: false,
            arguments,
        }),
    }
}

fn convert_node(node: &Node) -> Option<Argument> {
    match node {
        Node::Word(word) => Some(plain(word)),
        Node::Repeated(inner) => convert_node(inner).map(|mut a| {
            a.multiple = true;
            a
        }),
        Node::Group { options, optional } => {
            let mut alternatives: Vec<Argument> = options.iter().filter_map(|o| as_one(convert_seq(o))).collect();
            let mut argument = if alternatives.len() > 1 {
                Argument {
                    name: group_name(&alternatives),
                    kind: Kind::OneOf,
                    token: None,
                    optional: false,
                    multiple: false,
                    arguments: alternatives,
                }
            } else {
                alternatives.pop()?
            };
            argument.optional |= *optional;
            Some(argument)
        }
    }
}

/// A sequence: `TOKEN value` pairs become tokened arguments, and `x [x ...]` (or
/// `a b [a b ...]`) one argument that repeats.
fn convert_seq(nodes: &[Node]) -> Vec<Argument> {
    let mut out: Vec<Argument> = Vec::new();
    let mut i = 0;
    while i < nodes.len() {
        // `x y [x y ...]`: the group repeats what precedes it.
        if let Node::Group { options, optional: true } = &nodes[i]
            && options.len() == 1
            && let Some((Node::Repeated(last), rest)) = options[0].split_last()
        {
            let mut pattern: Vec<Node> = rest.to_vec();
            pattern.push((**last).clone());
            if out.len() >= pattern.len() && i >= pattern.len() && nodes[i - pattern.len()..i] == pattern[..] {
                let repeated = out.split_off(out.len() - pattern.len());
                if let Some(mut argument) = as_one(repeated) {
                    argument.multiple = true;
                    out.push(argument);
                }
                i += 1;
                continue;
            }
        }
        // `TOKEN value`: the value is introduced by the token.
        if let Node::Word(word) = &nodes[i]
            && is_token(word)
            && let Some(next) = nodes.get(i + 1)
            && let Some(mut value) = match next {
                Node::Word(w) if !is_token(w) => Some(plain(w)),
                Node::Repeated(inner) if matches!(&**inner, Node::Word(w) if !is_token(w)) => convert_node(next),
                _ => None,
            }
        {
            value.token = Some(word.clone());
            out.push(value);
            i += 2;
            continue;
        }
        out.extend(convert_node(&nodes[i]));
        i += 1;
    }
    out
}

/// The argument tree of a command's syntax line.
pub fn parse(syntax: &str) -> Vec<Argument> {
    let tokens = tokenize(syntax);
    let mut pos = 0;
    let mut options = parse_options(&tokens, &mut pos, None);
    let nodes = if options.len() == 1 {
        options.pop().unwrap_or_default()
    } else {
        vec![Node::Group { options, optional: false }]
    };
    convert_seq(&nodes)
}

/// Writes `arguments` as COMMAND DOCS does: a map per argument. Keys are numbered in
/// order of appearance, one key spec per distinct key name.
pub fn write(out: &mut dyn ReplySink, arguments: &[Argument]) {
    let mut key_names = Vec::new();
    write_list(out, arguments, &mut key_names);
}

fn write_list<'a>(out: &mut dyn ReplySink, arguments: &'a [Argument], key_names: &mut Vec<&'a str>) {
    out.array(arguments.len());
    for argument in arguments {
        let key_index = (argument.kind == Kind::Key).then(|| {
            key_names.iter().position(|n| *n == argument.name).unwrap_or_else(|| {
                key_names.push(&argument.name);
                key_names.len() - 1
            })
        });
        let display = !matches!(argument.kind, Kind::PureToken | Kind::OneOf | Kind::Block);
        let flags: Vec<&str> = [(argument.optional, "optional"), (argument.multiple, "multiple")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        let fields = 2
            + usize::from(display)
            + usize::from(key_index.is_some())
            + usize::from(argument.token.is_some())
            + usize::from(!flags.is_empty())
            + usize::from(!argument.arguments.is_empty());
        out.map(fields);
        out.bulk(b"name");
        out.bulk(argument.name.as_bytes());
        out.bulk(b"type");
        out.bulk(argument.kind.name().as_bytes());
        if display {
            out.bulk(b"display_text");
            out.bulk(argument.name.as_bytes());
        }
        if let Some(index) = key_index {
            out.bulk(b"key_spec_index");
            out.count(index);
        }
        if let Some(token) = &argument.token {
            out.bulk(b"token");
            out.bulk(token.as_bytes());
        }
        if !flags.is_empty() {
            out.bulk(b"flags");
            out.set(flags.len());
            for flag in flags {
                out.simple(flag);
            }
        }
        if !argument.arguments.is_empty() {
            out.bulk(b"arguments");
            write_list(out, &argument.arguments, key_names);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(arguments: &[Argument]) -> String {
        arguments
            .iter()
            .map(|a| {
                let mut text = format!("{}:{}", a.name, a.kind.name());
                if let Some(t) = &a.token {
                    text.push_str(&format!("@{t}"));
                }
                if a.optional {
                    text.push('?');
                }
                if a.multiple {
                    text.push('*');
                }
                if !a.arguments.is_empty() {
                    text.push_str(&format!("({})", summary(&a.arguments)));
                }
                text
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn syntax_lines_become_redis_argument_trees() {
        let cases = [
            ("key", "key:key"),
            ("key [key ...]", "key:key*"),
            ("key element [element ...]", "key:key element:string*"),
            ("[channel [channel ...]]", "channel:string?*"),
            (
                "key seconds [NX | XX | GT | LT]",
                "key:key seconds:integer nx-xx-gt-lt:oneof?(nx:pure-token@NX xx:pure-token@XX gt:pure-token@GT lt:pure-token@LT)",
            ),
            (
                "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]",
                "key:key nx-xx:oneof?(nx:pure-token@NX xx:pure-token@XX) gt-lt:oneof?(gt:pure-token@GT lt:pure-token@LT) ch:pure-token@CH? incr:pure-token@INCR? score-member:block*(score:double member:string)",
            ),
            (
                "key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]",
                "key:key value:string nx-xx:oneof?(nx:pure-token@NX xx:pure-token@XX) get:pure-token@GET? seconds-milliseconds-keepttl:oneof?(seconds:integer@EX milliseconds:integer@PX keepttl:pure-token@KEEPTTL)",
            ),
            (
                "source destination [DB destination-db] [REPLACE]",
                "source:key destination:key destination-db:integer@DB? replace:pure-token@REPLACE?",
            ),
            ("<ON | OFF>", "on-off:oneof(on:pure-token@ON off:pure-token@OFF)"),
            ("", ""),
        ];
        for (syntax, expected) in cases {
            assert_eq!(summary(&parse(syntax)), expected, "{syntax}");
        }
    }

    #[test]
    fn malformed_syntax_does_not_panic() {
        for syntax in ["[", "]", "| |", "...", "[a | ]", "<", "a ... ...", "[[[x]]]"] {
            let _ = parse(syntax);
        }
    }
}
