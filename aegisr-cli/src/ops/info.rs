//! `info`: INFO through the Admin API, printed as headed, aligned sections
//! (or the server's text with --raw, or JSON).

use std::fmt::Write as _;

use nu_ansi_term::Style;

use crate::connection::{Connection, ConnectionError};
use crate::output::{Output, Status};
use crate::render::Mode;

/// INFO's text as `(section, [(field, value)])`, in the server's order.
pub(crate) fn parse(text: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut sections: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix('#') {
            sections.push((name.trim().to_owned(), Vec::new()));
        } else if let Some((field, value)) = line.split_once(':') {
            if sections.is_empty() {
                sections.push((String::new(), Vec::new()));
            }
            if let Some((_, fields)) = sections.last_mut() {
                fields.push((field.to_owned(), value.to_owned()));
            }
        }
    }
    sections
}

/// Headings, then `field  value` with the values of a section aligned.
pub(crate) fn pretty(text: &str, color: bool) -> String {
    let mut out = String::new();
    for (i, (name, fields)) in parse(text).iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let heading = format!("# {name}");
        let _ = writeln!(out, "{}", if color { Style::new().bold().paint(heading).to_string() } else { heading });
        let width = fields.iter().map(|(f, _)| f.len()).max().unwrap_or(0);
        for (field, value) in fields {
            let _ = writeln!(out, "{field:<width$}  {value}");
        }
    }
    out
}

fn json(text: &str) -> String {
    let object: serde_json::Map<String, serde_json::Value> = parse(text)
        .into_iter()
        .map(|(name, fields)| {
            let fields = fields.into_iter().map(|(f, v)| (f, serde_json::Value::from(v))).collect();
            (name.to_lowercase(), serde_json::Value::Object(fields))
        })
        .collect();
    serde_json::Value::Object(object).to_string() + "\n"
}

pub(super) async fn run(
    connection: &mut Connection,
    output: &Output,
    sections: &[String],
) -> Result<Status, ConnectionError> {
    let sections: Vec<&str> = sections.iter().map(String::as_str).collect();
    let reply = connection.info(&sections).await?;
    output.text(&match output.mode {
        Mode::Human => pretty(&reply.text, output.color()),
        Mode::Json => json(&reply.text),
        Mode::Raw | Mode::Csv => reply.text,
    });
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Server\r\nredis_version:7.2.0\r\ntcp_port:6379\r\n\r\n# Keyspace\r\ndb0:keys=2,expires=0\r\n";

    #[test]
    fn parses_sections_in_order() {
        let sections = parse(TEXT);
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].0, "Server");
        assert_eq!(sections[0].1[1], ("tcp_port".to_owned(), "6379".to_owned()));
        assert_eq!(sections[1].1[0].1, "keys=2,expires=0");
    }

    #[test]
    fn pretty_aligns_values() {
        assert_eq!(
            pretty(TEXT, false),
            "# Server\nredis_version  7.2.0\ntcp_port       6379\n\n# Keyspace\ndb0  keys=2,expires=0\n"
        );
    }

    #[test]
    fn json_groups_fields_by_section() {
        let value: serde_json::Value = serde_json::from_str(&json(TEXT)).unwrap();
        assert_eq!(value["server"]["tcp_port"], "6379");
        assert_eq!(value["keyspace"]["db0"], "keys=2,expires=0");
    }
}
