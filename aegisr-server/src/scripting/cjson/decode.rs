//! `cjson.decode`: lua-cjson's lexer and parser, its errors included.

use mlua::{Lua, Table, Value};

use super::{Config, null_value};
use crate::scripting::lib_args::lib_error;

/// A token of lua-cjson's lexer.
enum Token {
    ObjectBegin,
    ObjectEnd,
    ArrayBegin,
    ArrayEnd,
    String(Vec<u8>),
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    /// What went wrong.
    Error(&'static str),
}

impl Token {
    fn name(&self) -> &'static str {
        match self {
            Token::ObjectBegin => "T_OBJ_BEGIN",
            Token::ObjectEnd => "T_OBJ_END",
            Token::ArrayBegin => "T_ARR_BEGIN",
            Token::ArrayEnd => "T_ARR_END",
            Token::String(_) => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Boolean(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(what) => what,
        }
    }
}

struct Lexer<'a> {
    /// The input up to its first NUL (where lua-cjson, reading a C string, stops).
    data: &'a [u8],
    at: usize,
    decode_invalid: bool,
}

impl Lexer<'_> {
    fn peek(&self, offset: usize) -> u8 {
        self.data.get(self.at + offset).copied().unwrap_or(0)
    }

    fn starts_with(&self, word: &[u8]) -> bool {
        self.data[self.at..].starts_with(word)
    }

    /// The next token and the (0-based) offset it starts at.
    fn next(&mut self) -> (Token, usize) {
        while matches!(self.peek(0), b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
        let start = self.at;
        let single = match self.peek(0) {
            0 => return (Token::End, start),
            b'{' => Token::ObjectBegin,
            b'}' => Token::ObjectEnd,
            b'[' => Token::ArrayBegin,
            b']' => Token::ArrayEnd,
            b',' => Token::Comma,
            b':' => Token::Colon,
            b'"' => return self.string(),
            b'-' | b'0'..=b'9' => {
                if !self.decode_invalid && self.invalid_number() {
                    return (Token::Error("invalid number"), start);
                }
                return self.number();
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {
                if self.starts_with(b"true") {
                    self.at += 4;
                    return (Token::Boolean(true), start);
                }
                if self.starts_with(b"false") {
                    self.at += 5;
                    return (Token::Boolean(false), start);
                }
                if self.starts_with(b"null") {
                    self.at += 4;
                    return (Token::Null, start);
                }
                if self.decode_invalid && self.invalid_number() {
                    return self.number();
                }
                return (Token::Error("invalid token"), start);
            }
            _ => return (Token::Error("invalid token"), start),
        };
        self.at += 1;
        (single, start)
    }

    /// lua-cjson's `json_is_invalid_number`: a number JSON forbids (a sign '+', hex,
    /// leading zeros, inf, nan).
    fn invalid_number(&self) -> bool {
        let mut p = self.at;
        let at = |i: usize| self.data.get(i).copied().unwrap_or(0);
        if at(p) == b'+' {
            return true;
        }
        if at(p) == b'-' {
            p += 1;
        }
        if at(p) == b'0' {
            let next = at(p + 1);
            return next | 0x20 == b'x' || next.is_ascii_digit();
        }
        if at(p) <= b'9' {
            return false;
        }
        let rest = &self.data[p.min(self.data.len())..];
        rest.len() >= 3 && (rest[..3].eq_ignore_ascii_case(b"inf") || rest[..3].eq_ignore_ascii_case(b"nan"))
    }

    fn number(&mut self) -> (Token, usize) {
        let start = self.at;
        match strtod(&self.data[self.at..]) {
            Some((n, used)) => {
                self.at += used;
                (Token::Number(n), start)
            }
            None => (Token::Error("invalid number"), start),
        }
    }

    fn string(&mut self) -> (Token, usize) {
        let start = self.at;
        self.at += 1;
        let mut text = Vec::new();
        loop {
            match self.peek(0) {
                b'"' => break,
                0 => return (Token::Error("unexpected end of string"), self.at),
                b'\\' => {
                    let unescaped = match self.peek(1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            if !self.unicode_escape(&mut text) {
                                return (Token::Error("invalid unicode escape code"), self.at);
                            }
                            continue;
                        }
                        _ => return (Token::Error("invalid escape code"), self.at),
                    };
                    text.push(unescaped);
                    self.at += 2;
                }
                b => {
                    text.push(b);
                    self.at += 1;
                }
            }
        }
        self.at += 1;
        (Token::String(text), start)
    }

    fn hex4(&self, offset: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, i| char::from(self.peek(offset + i)).to_digit(16).map(|d| acc << 4 | d))
    }

    /// `\uXXXX` (or a surrogate pair of them) at the cursor, appended as UTF-8.
    fn unicode_escape(&mut self, text: &mut Vec<u8>) -> bool {
        let Some(mut codepoint) = self.hex4(2) else { return false };
        let mut length = 6;
        if codepoint & 0xf800 == 0xd800 {
            // A high surrogate, and a low one in a second escape.
            if codepoint & 0x400 != 0 || self.peek(6) != b'\\' || self.peek(7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(8) else { return false };
            if low & 0xfc00 != 0xdc00 {
                return false;
            }
            codepoint = (((codepoint & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
            length = 12;
        }
        // lua-cjson writes any code point it computed, surrogates included.
        let mut utf8 = [0u8; 4];
        let n = match codepoint {
            0..=0x7f => {
                utf8[0] = codepoint as u8;
                1
            }
            0x80..=0x7ff => {
                utf8[0] = 0xc0 | (codepoint >> 6) as u8;
                utf8[1] = 0x80 | (codepoint & 0x3f) as u8;
                2
            }
            0x800..=0xffff => {
                utf8[0] = 0xe0 | (codepoint >> 12) as u8;
                utf8[1] = 0x80 | ((codepoint >> 6) & 0x3f) as u8;
                utf8[2] = 0x80 | (codepoint & 0x3f) as u8;
                3
            }
            _ => {
                utf8[0] = 0xf0 | (codepoint >> 18) as u8;
                utf8[1] = 0x80 | ((codepoint >> 12) & 0x3f) as u8;
                utf8[2] = 0x80 | ((codepoint >> 6) & 0x3f) as u8;
                utf8[3] = 0x80 | (codepoint & 0x3f) as u8;
                4
            }
        };
        text.extend_from_slice(&utf8[..n]);
        self.at += length;
        true
    }
}

/// C's `strtod` over the front of `text`: the number and the bytes it used (decimal,
/// hexadecimal, inf, infinity, nan, with an optional sign), or `None` if none starts it.
fn strtod(text: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let negative = match text.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &text[i..];
    let lower = |n: usize| rest.get(..n).map(<[u8]>::to_ascii_lowercase);
    if lower(8).as_deref() == Some(b"infinity") {
        return Some((sign * f64::INFINITY, i + 8));
    }
    if lower(3).as_deref() == Some(b"inf") {
        return Some((sign * f64::INFINITY, i + 3));
    }
    if lower(3).as_deref() == Some(b"nan") {
        let mut used = i + 3;
        // "nan(chars)" takes the parenthesis too.
        if text.get(used) == Some(&b'(')
            && let Some(close) = text[used..].iter().position(|&b| b == b')')
            && text[used + 1..used + close].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            used += close + 1;
        }
        return Some((if negative { -f64::NAN } else { f64::NAN }, used));
    }
    if rest.len() > 2 && rest[0] == b'0' && rest[1] | 0x20 == b'x' {
        if let Some((n, used)) = hex_float(&rest[2..]) {
            return Some((sign * n, i + 2 + used));
        }
        // "0x" without digits: the 0 alone.
        return Some((sign * 0.0, i + 1));
    }
    let digits = |from: usize| rest[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let whole = digits(0);
    let mut end = whole;
    let mut fraction = 0;
    if rest.get(end) == Some(&b'.') {
        fraction = digits(end + 1);
        if whole + fraction > 0 {
            end += 1 + fraction;
        }
    }
    if whole + fraction == 0 {
        return None;
    }
    if matches!(rest.get(end), Some(b'e' | b'E')) {
        let mut e = end + 1;
        if matches!(rest.get(e), Some(b'+' | b'-')) {
            e += 1;
        }
        let exponent = digits(e);
        if exponent > 0 {
            end = e + exponent;
        }
    }
    let literal = std::str::from_utf8(&rest[..end]).ok()?;
    let n: f64 = literal.parse().ok()?;
    Some((sign * n, i + end))
}

/// The hexadecimal digits (with an optional fraction and binary exponent) after "0x".
fn hex_float(text: &[u8]) -> Option<(f64, usize)> {
    let mut value = 0.0f64;
    let mut i = 0;
    let mut any = false;
    while let Some(d) = text.get(i).and_then(|b| char::from(*b).to_digit(16)) {
        value = value * 16.0 + f64::from(d);
        i += 1;
        any = true;
    }
    if text.get(i) == Some(&b'.') {
        let mut scale = 1.0 / 16.0;
        let mut j = i + 1;
        while let Some(d) = text.get(j).and_then(|b| char::from(*b).to_digit(16)) {
            value += f64::from(d) * scale;
            scale /= 16.0;
            j += 1;
            any = true;
        }
        if any {
            i = j;
        }
    }
    if !any {
        return None;
    }
    if matches!(text.get(i), Some(b'p' | b'P')) {
        let mut e = i + 1;
        let negative = text.get(e) == Some(&b'-');
        if matches!(text.get(e), Some(b'+' | b'-')) {
            e += 1;
        }
        let count = text[e.min(text.len())..].iter().take_while(|b| b.is_ascii_digit()).count();
        if count > 0 {
            let exponent: i32 = std::str::from_utf8(&text[e..e + count]).ok()?.parse().unwrap_or(i32::MAX);
            value *= 2f64.powi(if negative { -exponent } else { exponent });
            i = e + count;
        }
    }
    Some((value, i))
}

/// A table being read.
enum Filling {
    Array(Table, usize),
    /// The object, and the key whose value comes next.
    Object(Table, Vec<u8>),
}

pub(super) fn decode(lua: &Lua, config: &Config, text: &[u8]) -> mlua::Result<Value> {
    if text.len() >= 2 && (text[0] == 0 || text[1] == 0) {
        return Err(lib_error(lua, "JSON parser does not support UTF-16 or UTF-32"));
    }
    let data = &text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())];
    let mut lexer = Lexer { data, at: 0, decode_invalid: config.decode_invalid };
    let mut open: Vec<Filling> = Vec::new();
    let (mut token, mut at) = lexer.next();
    let result = loop {
        // A value where one is expected (`token`).
        let value = match std::mem::replace(&mut token, Token::End) {
            Token::String(s) => Value::String(lua.create_string(s)?),
            Token::Number(n) => Value::Number(n),
            Token::Boolean(b) => Value::Boolean(b),
            Token::Null => null_value(),
            begin @ (Token::ObjectBegin | Token::ArrayBegin) => {
                let depth = open.len() + 1;
                if depth as i64 > config.decode_max_depth {
                    return Err(lib_error(
                        lua,
                        format!("Found too many nested data structures ({depth}) at character {}", lexer.at),
                    ));
                }
                let table = lua.create_table()?;
                let object = matches!(begin, Token::ObjectBegin);
                (token, at) = lexer.next();
                if object {
                    match token {
                        Token::ObjectEnd => Value::Table(table),
                        Token::String(key) => {
                            expect_colon(lua, &mut lexer)?;
                            open.push(Filling::Object(table, key));
                            (token, at) = lexer.next();
                            continue;
                        }
                        other => return Err(parse_error(lua, "object key string", &other, at)),
                    }
                } else if matches!(token, Token::ArrayEnd) {
                    Value::Table(table)
                } else {
                    open.push(Filling::Array(table, 1));
                    continue;
                }
            }
            other => return Err(parse_error(lua, "value", &other, at)),
        };
        // Into the innermost table being read, then what follows it there.
        let mut value = Some(value);
        while let Some(filling) = open.last_mut() {
            let (next, next_at) = lexer.next();
            match filling {
                Filling::Array(table, index) => {
                    table.raw_set(*index, value.take())?;
                    *index += 1;
                    match next {
                        Token::Comma => {
                            (token, at) = lexer.next();
                            break;
                        }
                        Token::ArrayEnd => {}
                        other => return Err(parse_error(lua, "comma or array end", &other, next_at)),
                    }
                }
                Filling::Object(table, key) => {
                    table.raw_set(lua.create_string(std::mem::take(key))?, value.take())?;
                    match next {
                        Token::Comma => match lexer.next() {
                            (Token::String(name), _) => {
                                expect_colon(lua, &mut lexer)?;
                                *key = name;
                                (token, at) = lexer.next();
                                break;
                            }
                            (other, other_at) => return Err(parse_error(lua, "object key string", &other, other_at)),
                        },
                        Token::ObjectEnd => {}
                        other => return Err(parse_error(lua, "comma or object end", &other, next_at)),
                    }
                }
            }
            // The innermost table is complete: it is the value for the one around it.
            value = match open.pop() {
                Some(Filling::Array(table, _) | Filling::Object(table, _)) => Some(Value::Table(table)),
                None => break,
            };
        }
        if open.is_empty() {
            break value.unwrap_or(Value::Nil);
        }
    };
    match lexer.next() {
        (Token::End, _) => Ok(result),
        (other, other_at) => Err(parse_error(lua, "the end", &other, other_at)),
    }
}

/// lua-cjson's `json_throw_parse_error`: what was expected, and the token found instead
/// (its position counted from 1).
fn parse_error(lua: &Lua, expected: &str, token: &Token, at: usize) -> mlua::Error {
    lib_error(lua, format!("Expected {expected} but found {} at character {}", token.name(), at + 1))
}

fn expect_colon(lua: &Lua, lexer: &mut Lexer<'_>) -> mlua::Result<()> {
    match lexer.next() {
        (Token::Colon, _) => Ok(()),
        (other, at) => Err(parse_error(lua, "colon", &other, at)),
    }
}
