//! The `struct` library Redis loads (Roberto Ierusalimschy's struct 0.2): `pack`, `unpack`
//! and `size` of binary records described by a format string, with its options, sizes
//! (those of a 64-bit Linux machine: `l`, `L` and `T` are 8 bytes), alignment and errors.
//!
//! Formats: `>` big endian, `<` little endian, `!n` maximum alignment n (default 8), a space
//! ignored; `b`/`B` char, `h`/`H` short, `l`/`L` long, `T` size_t, `i`/`In` int of n bytes
//! (default 4, at most 32), `f` float, `d` double, `x` a zero byte, `cn` n chars (`c0`: the
//! whole string when packing, a length unpacked just before when unpacking), `s` a
//! zero-terminated string. Lower case integers are signed.

use mlua::{Lua, MultiValue, Value, Variadic};

use super::lib_args::{MAX_STACK, arg_error, check_bytes, check_number, lib_error, to_number};

/// Largest integer size (MAXINTSIZE).
const MAX_INT_SIZE: usize = 32;

/// Default and largest alignment: a double's on this machine (MAXALIGN).
const MAX_ALIGN: usize = 8;

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Default for Header {
    fn default() -> Header {
        // Native order here (x86-64 and aarch64 Linux), no alignment.
        Header { endian: Endian::Little, align: 1 }
    }
}

pub fn install(lua: &Lua) -> mlua::Result<()> {
    let table = lua.create_table()?;
    table.set("pack", lua.create_function(|lua, args: Variadic<Value>| pack(lua, &args))?)?;
    table.set("unpack", lua.create_function(|lua, args: Variadic<Value>| unpack(lua, &args))?)?;
    table.set("size", lua.create_function(|lua, args: Variadic<Value>| size(lua, &args))?)?;
    lua.globals().set("struct", table)
}

/// The format cursor.
struct Format<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Format<'_> {
    fn next(&mut self) -> Option<u8> {
        let b = self.bytes.get(self.at).copied()?;
        self.at += 1;
        Some(b)
    }

    /// A count following an option, or `default`.
    fn number(&mut self, lua: &Lua, default: usize) -> mlua::Result<usize> {
        if !self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut n: usize = 0;
        while let Some(&d) = self.bytes.get(self.at).filter(|d| d.is_ascii_digit()) {
            let digit = usize::from(d - b'0');
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(digit))
                .filter(|&n| n <= i32::MAX as usize)
                .ok_or_else(|| lib_error(lua, "integral size overflow"))?;
            self.at += 1;
        }
        Ok(n)
    }

    /// The size of option `opt` (0 for the control options).
    fn size_of(&mut self, lua: &Lua, opt: u8) -> mlua::Result<usize> {
        Ok(match opt {
            b'b' | b'B' | b'x' => 1,
            b'h' | b'H' => 2,
            b'l' | b'L' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(lua, 1)?,
            b'i' | b'I' => {
                let size = self.number(lua, 4)?;
                if size > MAX_INT_SIZE {
                    return Err(lib_error(lua, format!("integral size {size} is larger than limit of {MAX_INT_SIZE}")));
                }
                size
            }
            _ => 0,
        })
    }

    /// A control option: endianness, alignment, a space; anything else is refused.
    fn control(&mut self, lua: &Lua, opt: u8, header: &mut Header, function: &str) -> mlua::Result<()> {
        match opt {
            b' ' => {}
            b'>' => header.endian = Endian::Big,
            b'<' => header.endian = Endian::Little,
            b'!' => {
                let align = self.number(lua, MAX_ALIGN)?;
                if !align.is_power_of_two() {
                    return Err(lib_error(lua, format!("alignment {align} is not a power of 2")));
                }
                header.align = align;
            }
            _ => {
                return Err(arg_error(lua, 1, function, format!("invalid format option '{}'", char::from(opt))));
            }
        }
        Ok(())
    }
}

/// Padding before an item of `size` at `offset` (none for chars).
fn padding(offset: usize, header: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    // As struct.c computes it, odd sizes (i3) included.
    let size = size.min(header.align);
    size.wrapping_sub(offset & (size - 1)) & (size - 1)
}

fn format_arg(lua: &Lua, args: &[Value], function: &str) -> mlua::Result<Vec<u8>> {
    check_bytes(lua, args.first(), 1, function)
}

/// Argument `position` (1-based) of `pack`: past its arguments it reads the nil it pushed
/// after them.
fn pack_arg(args: &[Value], position: usize) -> Option<&Value> {
    Some(args.get(position - 1).unwrap_or(&Value::Nil))
}

/// x86-64's truncating conversion of a double to a 64-bit integer: out of range (or NaN)
/// it gives the "integer indefinite" value, 2^63.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn truncate(x: f64) -> u64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&x) { x as i64 as u64 } else { 1 << 63 }
}

/// `n` in `size` bytes, two's complement for a negative number (bytes past the 64 bits of
/// a long are zero), converted as the C library does on x86-64, out of range numbers
/// included (`(unsigned long)1e20` is 0 there).
fn put_integer(out: &mut Vec<u8>, n: f64, size: usize, endian: Endian) {
    const HIGH: f64 = 9_223_372_036_854_775_808.0;
    let mut value = if n < HIGH {
        truncate(n)
    } else {
        // The compiler's unsigned conversion: subtract 2^63, convert, put the bit back.
        truncate(n - HIGH) ^ (1 << 63)
    };
    let mut bytes = vec![0u8; size];
    for byte in bytes.iter_mut() {
        *byte = (value & 0xff) as u8;
        value = value.checked_shr(8).unwrap_or(0);
    }
    if endian == Endian::Big {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

fn pack(lua: &Lua, args: &[Value]) -> mlua::Result<mlua::String> {
    let format = format_arg(lua, args, "pack")?;
    let mut fmt = Format { bytes: &format, at: 0 };
    let mut header = Header::default();
    let mut arg = 2;
    let mut out = Vec::new();
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size_of(lua, opt)?;
        let pad = padding(out.len(), &header, opt, size);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = check_number(lua, pack_arg(args, arg), arg, "pack")?;
                arg += 1;
                put_integer(&mut out, n, size, header.endian);
            }
            b'x' => out.push(0),
            b'f' => {
                #[allow(clippy::cast_possible_truncation)]
                let f = check_number(lua, pack_arg(args, arg), arg, "pack")? as f32;
                arg += 1;
                out.extend_from_slice(&if header.endian == Endian::Big { f.to_be_bytes() } else { f.to_le_bytes() });
            }
            b'd' => {
                let d = check_number(lua, pack_arg(args, arg), arg, "pack")?;
                arg += 1;
                out.extend_from_slice(&if header.endian == Endian::Big { d.to_be_bytes() } else { d.to_le_bytes() });
            }
            b'c' | b's' => {
                let s = check_bytes(lua, pack_arg(args, arg), arg, "pack")?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                if s.len() < size {
                    // struct.c checks after moving past the argument.
                    return Err(arg_error(lua, arg, "pack", "string too short"));
                }
                out.extend_from_slice(&s[..size]);
                if opt == b's' {
                    out.push(0);
                }
            }
            _ => fmt.control(lua, opt, &mut header, "pack")?,
        }
    }
    lua.create_string(out)
}

/// An integer of `size` bytes, sign-extended if `signed` (from the 64 bits a long holds).
fn get_integer(bytes: &[u8], endian: Endian, signed: bool, size: usize) -> f64 {
    let mut value: u64 = 0;
    let mut push = |b: u8| value = (value << 8) | u64::from(b);
    if endian == Endian::Big {
        bytes.iter().copied().for_each(&mut push);
    } else {
        bytes.iter().rev().copied().for_each(&mut push);
    }
    if !signed {
        #[allow(clippy::cast_precision_loss)]
        return value as f64;
    }
    // The sign bit of the size read; past 64 bits the shift wraps as x86's does.
    let mask = u64::MAX << ((size * 8).wrapping_sub(1) & 63);
    if value & mask != 0 {
        value |= mask;
    }
    #[allow(clippy::cast_possible_wrap, clippy::cast_precision_loss)]
    let signed = value as i64 as f64;
    signed
}

fn unpack(lua: &Lua, args: &[Value]) -> mlua::Result<MultiValue> {
    let format = format_arg(lua, args, "unpack")?;
    let data = check_bytes(lua, args.get(1), 2, "unpack")?;
    let start = match args.get(2) {
        None | Some(Value::Nil) => 1,
        Some(_) => {
            #[allow(clippy::cast_possible_truncation)]
            let n = check_number(lua, args.get(2), 3, "unpack")? as i64;
            n
        }
    };
    if start <= 0 {
        return Err(arg_error(lua, 3, "unpack", "offset must be 1 or greater"));
    }
    let mut pos = usize::try_from(start - 1).unwrap_or(usize::MAX);
    let mut fmt = Format { bytes: &format, at: 0 };
    let mut header = Header::default();
    let mut results = MultiValue::new();
    let too_short = |lua: &Lua| arg_error(lua, 2, "unpack", "data string too short");
    while let Some(opt) = fmt.next() {
        let mut size = fmt.size_of(lua, opt)?;
        pos = pos.saturating_add(padding(pos, &header, opt, size));
        if size > data.len() || pos > data.len() - size {
            return Err(too_short(lua));
        }
        if results.len() + 2 > MAX_STACK {
            return Err(lib_error(lua, "stack overflow (too many results)"));
        }
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = get_integer(&data[pos..pos + size], header.endian, opt.is_ascii_lowercase(), size);
                results.push_back(Value::Number(n));
            }
            b'x' => {}
            b'f' => {
                let mut raw = [0u8; 4];
                raw.copy_from_slice(&data[pos..pos + 4]);
                let f = if header.endian == Endian::Big { f32::from_be_bytes(raw) } else { f32::from_le_bytes(raw) };
                results.push_back(Value::Number(f64::from(f)));
            }
            b'd' => {
                let mut raw = [0u8; 8];
                raw.copy_from_slice(&data[pos..pos + 8]);
                let d = if header.endian == Endian::Big { f64::from_be_bytes(raw) } else { f64::from_le_bytes(raw) };
                results.push_back(Value::Number(d));
            }
            b'c' => {
                if size == 0 {
                    let previous = results.pop_back().and_then(|v| to_number(lua, &v));
                    let Some(length) = previous else {
                        return Err(lib_error(lua, "format 'c0' needs a previous size"));
                    };
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let length = length as usize;
                    size = length;
                    if size > data.len() || pos > data.len() - size {
                        return Err(too_short(lua));
                    }
                }
                results.push_back(Value::String(lua.create_string(&data[pos..pos + size])?));
            }
            b's' => {
                let Some(end) = data[pos..].iter().position(|&b| b == 0) else {
                    return Err(lib_error(lua, "unfinished string in data"));
                };
                results.push_back(Value::String(lua.create_string(&data[pos..pos + end])?));
                size = end + 1;
            }
            _ => fmt.control(lua, opt, &mut header, "unpack")?,
        }
        pos += size;
    }
    results.push_back(Value::Integer(i64::try_from(pos).unwrap_or(i64::MAX).saturating_add(1)));
    Ok(results)
}

fn size(lua: &Lua, args: &[Value]) -> mlua::Result<i64> {
    let format = format_arg(lua, args, "size")?;
    let mut fmt = Format { bytes: &format, at: 0 };
    let mut header = Header::default();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next() {
        let size = fmt.size_of(lua, opt)?;
        pos = pos.saturating_add(padding(pos, &header, opt, size));
        if opt == b's' {
            return Err(arg_error(lua, 1, "size", "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(arg_error(lua, 1, "size", "option 'c0' has no fixed size"));
        }
        if !opt.is_ascii_alphanumeric() {
            fmt.control(lua, opt, &mut header, "size")?;
        }
        pos = pos.saturating_add(size);
    }
    Ok(i64::try_from(pos).unwrap_or(i64::MAX))
}
