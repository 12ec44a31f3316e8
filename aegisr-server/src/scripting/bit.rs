//! The `bit` library Redis loads (LuaBitOp): 32-bit operations on Lua numbers, results as
//! signed 32-bit numbers.

use mlua::{Lua, Value, Variadic};

/// A number as LuaBitOp reads it: modulo 2^32, as a signed 32-bit value.
fn tobit(value: &Value) -> mlua::Result<i32> {
    let n = match value {
        Value::Integer(n) => *n as f64,
        Value::Number(n) => *n,
        Value::String(s) => s.to_str().ok().and_then(|s| s.trim().parse::<f64>().ok()).ok_or_else(bad_argument)?,
        _ => return Err(bad_argument()),
    };
    // LuaBitOp adds 2^52+2^51 and takes the low word: round to nearest, wrap modulo 2^32.
    let rounded = n.round_ties_even();
    if !rounded.is_finite() {
        return Ok(0);
    }
    Ok((rounded.rem_euclid(4_294_967_296.0) as u64 as u32) as i32)
}

fn bad_argument() -> mlua::Error {
    mlua::Error::RuntimeError("bad argument (number expected)".into())
}

fn fold(args: &Variadic<Value>, start: i32, op: fn(i32, i32) -> i32) -> mlua::Result<i32> {
    let mut acc = start;
    let mut any = false;
    for v in args.iter() {
        let x = tobit(v)?;
        acc = if any { op(acc, x) } else { x };
        any = true;
    }
    if !any {
        return Err(bad_argument());
    }
    Ok(acc)
}

pub fn install(lua: &Lua) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    bit.set("tobit", lua.create_function(|_, v: Value| tobit(&v))?)?;
    bit.set("bnot", lua.create_function(|_, v: Value| Ok(!tobit(&v)?))?)?;
    bit.set("band", lua.create_function(|_, a: Variadic<Value>| fold(&a, -1, |x, y| x & y))?)?;
    bit.set("bor", lua.create_function(|_, a: Variadic<Value>| fold(&a, 0, |x, y| x | y))?)?;
    bit.set("bxor", lua.create_function(|_, a: Variadic<Value>| fold(&a, 0, |x, y| x ^ y))?)?;
    let shift =
        |op: fn(i32, u32) -> i32| move |_: &Lua, (v, n): (Value, Value)| Ok(op(tobit(&v)?, (tobit(&n)? & 31) as u32));
    bit.set("lshift", lua.create_function(shift(|x, n| ((x as u32) << n) as i32))?)?;
    bit.set("rshift", lua.create_function(shift(|x, n| ((x as u32) >> n) as i32))?)?;
    bit.set("arshift", lua.create_function(shift(|x, n| x >> n))?)?;
    bit.set("rol", lua.create_function(shift(|x, n| (x as u32).rotate_left(n) as i32))?)?;
    bit.set("ror", lua.create_function(shift(|x, n| (x as u32).rotate_right(n) as i32))?)?;
    bit.set("bswap", lua.create_function(|_, v: Value| Ok((tobit(&v)? as u32).swap_bytes() as i32))?)?;
    bit.set(
        "tohex",
        lua.create_function(|_, (v, n): (Value, Option<Value>)| {
            let x = tobit(&v)? as u32;
            let n = match n {
                Some(n) => tobit(&n)?,
                None => 8,
            };
            let (upper, width) = if n < 0 { (true, n.unsigned_abs().min(8)) } else { (false, (n as u32).min(8)) };
            let masked = if width >= 8 { x } else { x & ((1u32 << (4 * width)) - 1) };
            let text = if upper {
                format!("{masked:0width$X}", width = width as usize)
            } else {
                format!("{masked:0width$x}", width = width as usize)
            };
            Ok(text)
        })?,
    )?;
    lua.globals().set("bit", bit)
}
