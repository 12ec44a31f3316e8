//! LOLWUT: Redis's tradition of a little generative art with the version underneath. Ours
//! draws a shield (Aegisr's aegis) of a size the arguments pick; tools only read the
//! `Redis ver.` line.

use super::args::{int, is};
use super::table::{CommandSpec, Flags, Group, KeyRange};
use super::{CommandResult, Ctx, REDIS_VERSION};

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "lolwut",
    arity: -1,
    flags: Flags::READONLY.or(Flags::FAST),
    keys: KeyRange::NONE,
    group: Group::Server,
    since: "5.0.0",
    summary: "Displays computer art and the Redis version",
    syntax: "[VERSION version]",
    handler: Some(lolwut),
    ..CommandSpec::BASE
}];

/// Widest shield drawn, whatever the arguments ask.
const MAX_WIDTH: i64 = 80;

fn lolwut(ctx: &mut Ctx<'_>, args: &[&[u8]]) -> CommandResult {
    let mut rest = &args[1..];
    if rest.len() >= 2 && is(rest[0], "version") {
        int(rest[1])?;
        rest = &rest[2..];
    }
    // Like LOLWUT 5's first argument, a number sets the drawing's width.
    let width = match rest.first() {
        Some(arg) => int(arg)?.clamp(8, MAX_WIDTH),
        None => 33,
    };
    let mut text = shield(usize::try_from(width).unwrap_or(33));
    text.push_str(&format!("\nAegisr keeps watch. Redis ver. {REDIS_VERSION}\n"));
    ctx.out.verbatim("txt", text.as_bytes());
    Ok(())
}

/// A heater shield `width` characters wide: straight sides, then a curve to a point.
fn shield(width: usize) -> String {
    let half = width as f64 / 2.0;
    let height = width / 2 + 2;
    let mut out = String::new();
    for row in 0..height {
        let y = row as f64 / height as f64;
        // Full width for the top third, then an ellipse closing to the point.
        let reach = if y < 0.35 { half } else { half * (1.0 - ((y - 0.35) / 0.65).powi(2)).max(0.0).sqrt() };
        let line: String = (0..width)
            .map(|col| {
                let x = (col as f64 + 0.5 - half).abs();
                if x > reach {
                    ' '
                } else if x > reach - 1.0 || row == 0 {
                    '#'
                } else if (col + row) % 4 == 0 {
                    '+'
                } else {
                    ' '
                }
            })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::shield;

    #[test]
    fn the_shield_narrows_to_a_point() {
        let art = shield(33);
        let widths: Vec<usize> = art.lines().map(|l| l.trim().len()).collect();
        assert_eq!(widths[0], 33);
        assert!(widths.last().is_some_and(|&w| w < 33 / 2), "{art}");
    }
}
