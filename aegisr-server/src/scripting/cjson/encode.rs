//! `cjson.encode`: a Lua value as lua-cjson writes it.

use mlua::{Lua, Table, Value};

use super::{Config, InvalidNumbers};
use crate::scripting::lib_args::lib_error;

/// C's `%.<precision>g`.
fn format_g(n: f64, precision: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_owned();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_owned();
    }
    let p = precision.max(1);
    let scientific = format!("{:.*e}", p - 1, n);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let trim = |s: &str| -> String {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s.to_owned() }
    };
    if exponent < -4 || exponent >= p as i64 {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exponent.unsigned_abs())
    } else {
        let decimals = usize::try_from(p as i64 - 1 - exponent).unwrap_or(0);
        trim(&format!("{n:.decimals$}"))
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::LightUserData(_) | Value::UserData(_) => "userdata",
        other => other.type_name(),
    }
}

fn exception(lua: &Lua, value: &Value, reason: &str) -> mlua::Error {
    lib_error(lua, format!("Cannot serialise {}: {reason}", type_name(value)))
}

fn append_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// `value`, a number, as lua-cjson writes it.
fn append_number(lua: &Lua, config: &Config, out: &mut Vec<u8>, value: &Value) -> mlua::Result<()> {
    let n = number_of(value).unwrap_or(0.0);
    if !n.is_finite() {
        match config.encode_invalid {
            InvalidNumbers::Off => return Err(exception(lua, value, "must not be NaN or Inf")),
            InvalidNumbers::On if n.is_nan() => {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            InvalidNumbers::On => {}
            InvalidNumbers::Null => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(format_g(n, usize::try_from(config.precision).unwrap_or(14)).as_bytes());
    Ok(())
}

fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        _ => None,
    }
}

/// A table being written: an array (its table, length, next index) or an object (its
/// pairs, the next one).
enum Open {
    Array(Table, usize, usize),
    Object(Vec<(Value, Value)>, usize),
}

/// The array length of `t` (its largest key), or `None` for an object.
fn array_length(lua: &Lua, config: &Config, t: &Table) -> mlua::Result<Option<usize>> {
    let mut max = 0.0f64;
    let mut items = 0i64;
    for pair in t.pairs::<Value, Value>() {
        let (key, _) = pair?;
        match number_of(&key) {
            Some(k) if k.floor() == k && k >= 1.0 => {
                max = max.max(k);
                items += 1;
            }
            _ => return Ok(None),
        }
    }
    #[allow(clippy::cast_precision_loss)]
    if config.sparse_ratio > 0 && max > (items * config.sparse_ratio) as f64 && max > config.sparse_safe as f64 {
        if !config.sparse_convert {
            return Err(exception(lua, &Value::Table(t.clone()), "excessively sparse array"));
        }
        return Ok(None);
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok((max > 0.0).then_some(max as usize))
}

pub(super) fn encode(lua: &Lua, config: &Config, value: &Value) -> mlua::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    let mut next = Some(value.clone());
    loop {
        if let Some(value) = next.take() {
            match &value {
                Value::String(s) => append_string(&mut out, &s.as_bytes()),
                Value::Integer(_) | Value::Number(_) => {
                    append_number(lua, config, &mut out, &value)?;
                }
                Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
                Value::Nil => out.extend_from_slice(b"null"),
                Value::LightUserData(u) if u.0.is_null() => out.extend_from_slice(b"null"),
                Value::Table(t) => {
                    let depth = open.len() + 1;
                    if depth as i64 > config.encode_max_depth {
                        return Err(lib_error(lua, format!("Cannot serialise, excessive nesting ({depth})")));
                    }
                    match array_length(lua, config, t)? {
                        Some(len) => {
                            out.push(b'[');
                            open.push(Open::Array(t.clone(), len, 1));
                        }
                        None => {
                            out.push(b'{');
                            let pairs = t.pairs::<Value, Value>().collect::<mlua::Result<Vec<_>>>()?;
                            open.push(Open::Object(pairs, 0));
                        }
                    }
                }
                other => return Err(exception(lua, other, "type not supported")),
            }
        }
        // The next value of the innermost open table, or close it.
        let Some(innermost) = open.last_mut() else { return Ok(out) };
        match innermost {
            Open::Array(t, len, index) => {
                if *index > *len {
                    out.push(b']');
                    open.pop();
                    continue;
                }
                if *index > 1 {
                    out.push(b',');
                }
                next = Some(t.raw_get::<Value>(*index)?);
                *index += 1;
            }
            Open::Object(pairs, index) => {
                let Some((key, value)) = pairs.get(*index).cloned() else {
                    out.push(b'}');
                    open.pop();
                    continue;
                };
                if *index > 0 {
                    out.push(b',');
                }
                *index += 1;
                match &key {
                    Value::Integer(_) | Value::Number(_) => {
                        out.push(b'"');
                        append_number(lua, config, &mut out, &key)?;
                        out.extend_from_slice(b"\":");
                    }
                    Value::String(s) => {
                        append_string(&mut out, &s.as_bytes());
                        out.push(b':');
                    }
                    other => return Err(exception(lua, other, "table key must be a number or string")),
                }
                next = Some(value);
            }
        }
    }
}
