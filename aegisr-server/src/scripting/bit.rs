//! The `bit` library Redis loads (LuaBitOp): 32-bit operations on Lua numbers, results as
//! signed 32-bit numbers.

use mlua::{Lua, Value, Variadic};

use super::lib_args::check_number;

/// Argument `position` of `function` as LuaBitOp reads it (a number, or a string Lua
/// reads as one): modulo 2^32, as a signed 32-bit value.
fn tobit(lua: &Lua, value: Option<&Value>, position: usize, function: &str) -> mlua::Result<i32> {
    let n = check_number(lua, value, position, function)?;
    // LuaBitOp adds 2^52+2^51 and takes the low word: round to nearest, wrap modulo 2^32.
    let rounded = n.round_ties_even();
    if !rounded.is_finite() {
        return Ok(0);
    }
    Ok((rounded.rem_euclid(4_294_967_296.0) as u64 as u32) as i32)
}

/// A function of any number of arguments (at least one) folded with `op`.
fn fold(lua: &Lua, name: &'static str, op: fn(i32, i32) -> i32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, args: Variadic<Value>| {
        let mut acc = tobit(lua, args.first(), 1, name)?;
        for (i, v) in args.iter().enumerate().skip(1) {
            acc = op(acc, tobit(lua, Some(v), i + 1, name)?);
        }
        Ok(acc)
    })
}

/// A function of a value and a shift count (taken modulo 32).
fn shift(lua: &Lua, name: &'static str, op: fn(i32, u32) -> i32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, args: Variadic<Value>| {
        let x = tobit(lua, args.first(), 1, name)?;
        let n = tobit(lua, args.get(1), 2, name)?;
        Ok(op(x, (n & 31) as u32))
    })
}

/// A function of one value.
fn unary(lua: &Lua, name: &'static str, op: fn(i32) -> i32) -> mlua::Result<mlua::Function> {
    lua.create_function(move |lua, args: Variadic<Value>| Ok(op(tobit(lua, args.first(), 1, name)?)))
}

pub fn install(lua: &Lua) -> mlua::Result<()> {
    let bit = lua.create_table()?;
    bit.set("tobit", unary(lua, "tobit", |x| x)?)?;
    bit.set("bnot", unary(lua, "bnot", |x| !x)?)?;
    bit.set("bswap", unary(lua, "bswap", |x| (x as u32).swap_bytes() as i32)?)?;
    bit.set("band", fold(lua, "band", |x, y| x & y)?)?;
    bit.set("bor", fold(lua, "bor", |x, y| x | y)?)?;
    bit.set("bxor", fold(lua, "bxor", |x, y| x ^ y)?)?;
    bit.set("lshift", shift(lua, "lshift", |x, n| ((x as u32) << n) as i32)?)?;
    bit.set("rshift", shift(lua, "rshift", |x, n| ((x as u32) >> n) as i32)?)?;
    bit.set("arshift", shift(lua, "arshift", |x, n| x >> n)?)?;
    bit.set("rol", shift(lua, "rol", |x, n| (x as u32).rotate_left(n) as i32)?)?;
    bit.set("ror", shift(lua, "ror", |x, n| (x as u32).rotate_right(n) as i32)?)?;
    bit.set(
        "tohex",
        lua.create_function(|lua, args: Variadic<Value>| {
            let x = tobit(lua, args.first(), 1, "tohex")? as u32;
            let n = match args.get(1) {
                // Absent, not nil (LuaBitOp's lua_isnone).
                None => 8,
                n => tobit(lua, n, 2, "tohex")?,
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
