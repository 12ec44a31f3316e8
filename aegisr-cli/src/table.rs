//! Tables (comfy-table) for replies that are naturally tabular, shown on a
//! terminal when they fit its width: a map of scalars (HGETALL, CONFIG GET)
//! and an array of equally long arrays of scalars (ZRANGE ... WITHSCORES).
//! Anything else, or anything too wide, falls back to redis-cli's layout.

use aegisr_proto::Reply;
use aegisr_proto::v1::reply::Kind;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

use crate::render::{double, quote};

/// The table for `reply` with a trailing newline, or `None` when the reply is
/// not tabular or the table is wider than `width` columns.
pub(crate) fn render(reply: &Reply, width: u16) -> Option<String> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Disabled);
    match reply.kind.as_ref()? {
        Kind::Map(m) if !m.entries.is_empty() => {
            table.set_header(["key", "value"]);
            for entry in &m.entries {
                table.add_row([cell(entry.key.as_ref()?)?, cell(entry.value.as_ref()?)?]);
            }
        }
        Kind::Array(a) if a.items.len() >= 2 => {
            let rows: Vec<&[Reply]> = a.items.iter().map(Reply::as_array).collect::<Option<_>>()?;
            let columns = rows.first()?.len();
            if columns < 2 || rows.iter().any(|r| r.len() != columns) {
                return None;
            }
            table.set_header((1..=columns).map(|c| c.to_string()));
            for row in rows {
                table.add_row(row.iter().map(cell).collect::<Option<Vec<_>>>()?);
            }
        }
        _ => return None,
    }
    let text = table.to_string();
    let fits = text.lines().all(|line| line.chars().count() <= usize::from(width));
    fits.then(|| text + "\n")
}

/// A scalar as a table cell: printable text bare, anything else quoted.
fn cell(reply: &Reply) -> Option<String> {
    Some(match reply.kind.as_ref() {
        None | Some(Kind::Null(_)) => "(nil)".to_owned(),
        Some(Kind::Simple(s)) => s.clone(),
        Some(Kind::Integer(i)) => i.to_string(),
        Some(Kind::Double(d)) => double(*d),
        Some(Kind::Boolean(b)) => b.to_string(),
        Some(Kind::BigNumber(n)) => n.clone(),
        Some(Kind::Bulk(b)) => {
            if !b.is_empty() && b.iter().all(|c| (0x20..=0x7e).contains(c)) {
                String::from_utf8_lossy(b).into_owned()
            } else {
                let mut quoted = String::new();
                quote(b, &mut quoted);
                quoted
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_of_scalars_is_a_two_column_table() {
        let map = Reply::map(vec![(Reply::bulk("f1"), Reply::bulk("v1")), (Reply::bulk("f2"), Reply::bulk(""))]);
        let text = render(&map, 80).unwrap();
        assert!(text.contains("key") && text.contains("value"), "{text}");
        assert!(text.contains("│ f1  ┆ v1    │"), "{text}");
        assert!(text.contains("\"\""), "empty strings are quoted: {text}");
    }

    #[test]
    fn rows_of_equal_length_are_a_table() {
        let rows = Reply::array(vec![
            Reply::array(vec![Reply::bulk("m"), Reply::double(1.5)]),
            Reply::array(vec![Reply::bulk("n"), Reply::double(2.0)]),
        ]);
        let text = render(&rows, 80).unwrap();
        assert!(text.contains("│ m ┆ 1.5 │"), "{text}");
    }

    #[test]
    fn other_shapes_and_wide_tables_fall_back() {
        assert!(render(&Reply::array(vec![Reply::bulk("a"), Reply::bulk("b")]), 80).is_none());
        assert!(render(&Reply::map(vec![]), 80).is_none());
        let ragged = Reply::array(vec![
            Reply::array(vec![Reply::integer(1), Reply::integer(2)]),
            Reply::array(vec![Reply::integer(1)]),
        ]);
        assert!(render(&ragged, 80).is_none());
        let nested = Reply::map(vec![(Reply::bulk("k"), Reply::array(vec![]))]);
        assert!(render(&nested, 80).is_none());
        let wide = Reply::map(vec![(Reply::bulk("k"), Reply::bulk("x".repeat(100)))]);
        assert!(render(&wide, 80).is_none());
        assert!(render(&wide, 200).is_some());
    }
}
