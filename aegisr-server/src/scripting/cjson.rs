//! `cjson.encode` / `cjson.decode`, as Redis's bundled lua-cjson does them for the common
//! cases: tables with keys 1..n are arrays (an empty table is `{}`), others objects; JSON
//! null decodes to `cjson.null`. Not implemented: the configuration functions
//! (`encode_sparse_array`, `encode_max_depth`...), which Redis scripts rarely call.

use mlua::{LightUserData, Lua, Table, Value};

/// lua-cjson's default encode_max_depth.
const MAX_DEPTH: usize = 1000;

fn null_value() -> Value {
    // lua-cjson's null is a light userdata NULL pointer.
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

fn encode(value: &Value, depth: usize) -> mlua::Result<serde_json::Value> {
    if depth > MAX_DEPTH {
        return Err(mlua::Error::RuntimeError("Cannot serialise, excessive nesting (1001)".into()));
    }
    Ok(match value {
        Value::Nil => serde_json::Value::Null,
        Value::LightUserData(u) if u.0.is_null() => serde_json::Value::Null,
        Value::Boolean(b) => serde_json::Value::Bool(*b),
        Value::Integer(n) => serde_json::Value::from(*n),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err(mlua::Error::RuntimeError("Cannot serialise number: must not be NaN or Inf".into()));
            }
            if n.fract() == 0.0 && n.abs() < 1e15 {
                serde_json::Value::from(*n as i64)
            } else {
                serde_json::Number::from_f64(*n).map_or(serde_json::Value::Null, serde_json::Value::Number)
            }
        }
        Value::String(s) => serde_json::Value::String(s.to_string_lossy()),
        Value::Table(t) => encode_table(t, depth)?,
        other => {
            return Err(mlua::Error::RuntimeError(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            )));
        }
    })
}

fn encode_table(t: &Table, depth: usize) -> mlua::Result<serde_json::Value> {
    let mut max_index = 0usize;
    let mut count = 0usize;
    let mut is_array = true;
    for pair in t.pairs::<Value, Value>() {
        let (key, _) = pair?;
        count += 1;
        match key {
            Value::Integer(i) if i >= 1 => max_index = max_index.max(i as usize),
            Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => max_index = max_index.max(n as usize),
            _ => is_array = false,
        }
    }
    if is_array && count > 0 && max_index <= count.saturating_mul(2).max(10) {
        let mut items = Vec::with_capacity(max_index.min(count));
        for i in 1..=max_index {
            items.push(encode(&t.raw_get::<Value>(i)?, depth + 1)?);
        }
        return Ok(serde_json::Value::Array(items));
    }
    if is_array && count > 0 {
        return Err(mlua::Error::RuntimeError("Cannot serialise table: excessively sparse array".into()));
    }
    let mut object = serde_json::Map::new();
    for pair in t.pairs::<Value, Value>() {
        let (key, value) = pair?;
        let key = match key {
            Value::String(s) => s.to_string_lossy(),
            Value::Integer(i) => i.to_string(),
            Value::Number(n) => crate::reply::format_double(n),
            _ => {
                return Err(mlua::Error::RuntimeError(
                    "Cannot serialise table: table key must be a number or string".into(),
                ));
            }
        };
        object.insert(key, encode(&value, depth + 1)?);
    }
    Ok(serde_json::Value::Object(object))
}

fn decode(lua: &Lua, value: serde_json::Value) -> mlua::Result<Value> {
    Ok(match value {
        serde_json::Value::Null => null_value(),
        serde_json::Value::Bool(b) => Value::Boolean(b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::String(lua.create_string(s)?),
        serde_json::Value::Array(items) => {
            let t = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                t.raw_set(i + 1, decode(lua, item)?)?;
            }
            Value::Table(t)
        }
        serde_json::Value::Object(map) => {
            let t = lua.create_table_with_capacity(0, map.len())?;
            for (k, v) in map {
                t.raw_set(k, decode(lua, v)?)?;
            }
            Value::Table(t)
        }
    })
}

pub fn install(lua: &Lua) -> mlua::Result<()> {
    let cjson = lua.create_table()?;
    cjson.set(
        "encode",
        lua.create_function(|_, value: Value| {
            let json = encode(&value, 0)?;
            serde_json::to_string(&json).map_err(|e| mlua::Error::RuntimeError(e.to_string()))
        })?,
    )?;
    cjson.set(
        "decode",
        lua.create_function(|lua, text: mlua::String| {
            let json: serde_json::Value = serde_json::from_slice(&text.as_bytes())
                .map_err(|e| mlua::Error::RuntimeError(format!("Expected value but found invalid token: {e}")))?;
            decode(lua, json)
        })?,
    )?;
    cjson.set("null", null_value())?;
    lua.globals().set("cjson", cjson)
}
