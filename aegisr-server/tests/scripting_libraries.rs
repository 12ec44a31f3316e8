//! The libraries Redis loads into Lua (cjson, cmsgpack, struct, bit) and the sandbox's
//! protections, through EVAL with the redis crate: outputs and error messages as Redis 7's
//! tests (tests/unit/scripting.tcl) expect them and as Redis 7.0.15 gives them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run};

fn eval<T: redis::FromRedisValue>(con: &mut redis::Connection, script: &str) -> T {
    run(con, &["EVAL", script, "0"])
}

fn eval_fails(con: &mut redis::Connection, script: &str) -> String {
    fail(con, &["EVAL", script, "0"])
}

/// A Lua helper that prints a string's bytes in hex, as Redis's tests do.
const HEX: &str = "local function hex(s) local h = '' for i = 1, #s do h = h .. string.format('%02x', string.byte(s, i)) end return h end ";

#[test]
fn cmsgpack_packs_as_redis_tests_expect() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let packed =
        |con: &mut redis::Connection, expr: &str| -> String { eval(con, &format!("{HEX} return hex({expr})")) };
    // "cmsgpack can pack double?" and "cmsgpack can pack negative int64?"
    assert_eq!(packed(&mut con, "cmsgpack.pack(0.1)"), "cb3fb999999999999a");
    assert_eq!(packed(&mut con, "cmsgpack.pack(-1099511627776)"), "d3ffffff0000000000");
    // The smallest encodings, and a float when it holds the value exactly.
    assert_eq!(
        packed(&mut con, "cmsgpack.pack(1, -5, 200, -100, 300, 70000, 5000000000, 1.5, true, false, nil)"),
        "01fbccc8d09ccd012cce00011170cf000000012a05f200ca3fc00000c3c2c0"
    );
    // Arrays are tables with keys 1..n exactly; anything else is a map.
    assert_eq!(packed(&mut con, "cmsgpack.pack({}, {1, 'a'}, {[1] = 1, [3] = 3})"), "909201a1618201010303");
    assert_eq!(packed(&mut con, "cmsgpack.pack(string.rep('x', 40))"), format!("d928{}", "78".repeat(40)));
}

#[test]
fn cmsgpack_packs_circular_references_sixteen_deep() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Redis's "cmsgpack can pack and unpack circular references?".
    let script = format!(
        "{HEX} local a = {{x=nil,y=5}} local b = {{x=a}} a['x'] = b
        local encoded = cmsgpack.pack(a)
        local re = cmsgpack.unpack(encoded)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.y == re.y)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)
        return {{hex(encoded), re.x.x.x.x.x.x.x.x.y == re.y, re.y == 5}}"
    );
    let reply: (String, i64, i64) = eval(&mut con, &script);
    assert_eq!(
        reply.0,
        "82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a178\
         82a17905a17881a17882a17905a17881a17882a17905a17881a178c0"
    );
    assert_eq!((reply.1, reply.2), (1, 1));
}

#[test]
fn cmsgpack_unpacks_streams_and_refuses_bad_input() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let all: Vec<i64> = eval(&mut con, "return {cmsgpack.unpack(cmsgpack.pack(1, 2, 300, -70000))}");
    assert_eq!(all, vec![1, 2, 300, -70000]);
    // unpack_one and unpack_limit return the offset to go on from first (-1 at the end).
    let one: Vec<i64> = eval(&mut con, "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}");
    assert_eq!(one, vec![1, 1]);
    let last: Vec<i64> = eval(&mut con, "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 1)}");
    assert_eq!(last, vec![-1, 2]);
    let limited: Vec<i64> = eval(&mut con, "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}");
    assert_eq!(limited, vec![2, 1, 2]);
    // A round trip of nested tables and long strings.
    let round: (String, i64, i64) = eval(
        &mut con,
        "local t = cmsgpack.unpack(cmsgpack.pack({s = string.rep('x', 70000), a = {1, {2, 3}}, m = {k = -1}}))
         return {#t.s == 70000 and 'ok' or 'bad', t.a[2][2], t.m.k}",
    );
    assert_eq!(round, ("ok".to_owned(), 3, -1));
    for (script, error) in [
        ("return cmsgpack.pack()", "bad argument #0 to 'pack' (MessagePack pack needs input.)"),
        ("return cmsgpack.unpack('\\217')", "Missing bytes in input."),
        ("return cmsgpack.unpack('\\193')", "Bad data format in input."),
        ("return cmsgpack.unpack_one('', 5)", "Start offset 5 greater than input length 0."),
        (
            "return cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)",
            "Invalid request to unpack with offset of 0 and limit of 3.",
        ),
        ("return cmsgpack.unpack()", "bad argument #1 to 'unpack' (string expected, got no value)"),
        // A header declaring four billion elements allocates nothing before the data ends.
        ("return cmsgpack.unpack('\\221\\255\\255\\255\\255')", "Missing bytes in input."),
    ] {
        let e = eval_fails(&mut con, script);
        assert!(e.starts_with(&format!("ERR user_script:1: {error} script: ")), "{script}: {e}");
    }
    // Deep nesting is bounded by Lua's stack, not the server's: an error, nothing more.
    let deep = "return cmsgpack.unpack(string.rep('\\145', 100000) .. '\\001')";
    let e = eval_fails(&mut con, deep);
    assert!(e.contains("stack overflow (in function mp_decode_to_lua_array)"), "{e}");
    let nested: i64 = eval(&mut con, "return cmsgpack.unpack(string.rep('\\145', 3000) .. '\\001') ~= nil and 1 or 0");
    assert_eq!(nested, 1);
    // The library is read-only.
    let e = eval_fails(&mut con, "cmsgpack.pack = function() return 1 end");
    assert!(e.contains("Attempt to modify a readonly table"), "{e}");
}

#[test]
fn struct_packs_unpacks_and_sizes_records() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let bytes: Vec<i64> = eval(&mut con, "return {string.byte(struct.pack('>i', 1), 1, -1)}");
    assert_eq!(bytes, vec![0, 0, 0, 1]);
    let n: i64 = eval(&mut con, "return struct.unpack('>i', struct.pack('>i', -2))");
    assert_eq!(n, -2);
    let values: Vec<i64> = eval(
        &mut con,
        "return {struct.unpack('BbHhLlTiI', struct.pack('BbHhLlTiI', 255, -1, 65535, -2, 123456789012, -123456789012, 77, -5, 4000000000))}",
    );
    // The values, then the position after them (1-based).
    assert_eq!(values, vec![255, -1, 65535, -2, 123456789012, -123456789012, 77, -5, 4000000000, 39]);
    let strings: Vec<String> = eval(&mut con, "return {struct.unpack('s s bc0', 'ab\\0cd\\0\\3xyz')}");
    assert_eq!(strings, vec!["ab", "cd", "xyz", "11"]);
    // Alignment: '!4' pads an int to a multiple of 4.
    let aligned: Vec<i64> = eval(&mut con, "return {string.byte(struct.pack('!4 b i', 1, 2), 1, -1)}");
    assert_eq!(aligned, vec![1, 0, 0, 0, 2, 0, 0, 0]);
    let sizes: Vec<i64> =
        eval(&mut con, "return {struct.size('i'), struct.size('b d'), struct.size('!8 b d'), struct.size('c5 i')}");
    assert_eq!(sizes, vec![4, 9, 16, 9]);
    for (script, error) in [
        ("return struct.size('s')", "bad argument #1 to 'size' (option 's' has no fixed size)"),
        ("return struct.size('i33')", "integral size 33 is larger than limit of 32"),
        ("return struct.pack('z', 1)", "bad argument #1 to 'pack' (invalid format option 'z')"),
        ("return struct.pack('i')", "bad argument #2 to 'pack' (number expected, got nil)"),
        ("return struct.pack('c5', 'abc')", "bad argument #3 to 'pack' (string too short)"),
        ("return struct.unpack('i', 'abc')", "bad argument #2 to 'unpack' (data string too short)"),
        ("return struct.unpack('i', 'abcd', 0)", "bad argument #3 to 'unpack' (offset must be 1 or greater)"),
        ("return struct.unpack('s', 'abc')", "unfinished string in data"),
        ("return struct.unpack('c0', 'abc')", "format 'c0' needs a previous size"),
        ("return struct.size('!3 b')", "alignment 3 is not a power of 2"),
    ] {
        let e = eval_fails(&mut con, script);
        assert!(e.starts_with(&format!("ERR user_script:1: {error} script: ")), "{script}: {e}");
    }
}

#[test]
fn cjson_passes_redis_json_tests() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // "EVAL - JSON numeric decoding" and "EVAL - JSON string decoding".
    // Numbers reach the reply truncated to integers.
    let numbers: Vec<i64> = eval(&mut con, "return {unpack(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'))}");
    assert_eq!(numbers, vec![0, -5000, -1, 0, 1023, 0]);
    let strings: Vec<String> =
        eval(&mut con, "local t = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}') return {t.keya, t.keyb}");
    assert_eq!(strings, vec!["a", "b"]);
    // "EVAL - JSON smoke test", configuration functions included.
    let smoke = r#"
        local some_map = { s1="Some string", n1=100, a1={"Some","String","Array"}, nil1=nil, b1=true, b2=false}
        local encoded = cjson.encode(some_map)
        local decoded = cjson.decode(encoded)
        assert(table.concat(some_map) == table.concat(decoded))
        cjson.encode_keep_buffer(false)
        encoded = cjson.encode(some_map)
        decoded = cjson.decode(encoded)
        assert(table.concat(some_map) == table.concat(decoded))
        local table1 = {one="one", [1]="one"}
        encoded = cjson.encode(table1)
        decoded = cjson.decode(encoded)
        assert(decoded["one"] == table1["one"])
        assert(decoded["1"] == table1[1])
        local array1 = {[1]="one", [2]="two", [3]="three"}
        encoded = cjson.encode(array1)
        decoded = cjson.decode(encoded)
        assert(table.concat(array1) == table.concat(decoded))
        local invalid_map = {}
        invalid_map[false] = "false"
        local ok, encoded = pcall(cjson.encode, invalid_map)
        assert(ok == false)
        cjson.encode_max_depth(1)
        ok, encoded = pcall(cjson.encode, some_map)
        assert(ok == false)
        cjson.decode_max_depth(1)
        ok, decoded = pcall(cjson.decode, '{"obj": {"array": [1,2,3,4]}}')
        assert(ok == false)
        return "OK""#;
    assert_eq!(eval::<String>(&mut con, smoke), "OK");
    // The settings last as long as the Lua state, as in Redis: SCRIPT FLUSH resets them.
    assert_eq!(eval::<Vec<i64>>(&mut con, "return {cjson.encode_max_depth(), cjson.decode_max_depth()}"), vec![1, 1]);
    run::<()>(&mut con, &["SCRIPT", "FLUSH"]);
    assert_eq!(
        eval::<Vec<i64>>(&mut con, "return {cjson.encode_max_depth(), cjson.decode_max_depth()}"),
        vec![1000, 1000]
    );
}

#[test]
fn cjson_writes_and_reads_as_lua_cjson() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let encoded: String =
        eval(&mut con, "return cjson.encode({'a/b\\127\\1\\n', 0.1, 1e300, 123456789012345678, -0.0})");
    assert_eq!(encoded, r#"["a\/b\u007f\u0001\n",0.1,1e+300,1.2345678901235e+17,-0]"#);
    // Holes in an array are null; an excessively sparse one is refused.
    assert_eq!(eval::<String>(&mut con, "return cjson.encode({[1]=1, [3]=3})"), "[1,null,3]");
    let e = eval_fails(&mut con, "return cjson.encode({[1]=1, [20]=2})");
    assert!(e.starts_with("ERR user_script:1: Cannot serialise table: excessively sparse array"), "{e}");
    let e = eval_fails(&mut con, "return cjson.encode(1/0)");
    assert!(e.starts_with("ERR user_script:1: Cannot serialise number: must not be NaN or Inf"), "{e}");
    // Escapes, surrogate pairs, and NaN, Infinity and hexadecimal read by default.
    assert_eq!(eval::<String>(&mut con, r#"return cjson.decode('"\\u00e9\\ud83d\\ude00\\/"')"#), "é😀/");
    assert_eq!(eval::<i64>(&mut con, "return cjson.decode('[0x10, +1, 01, NaN, -Infinity]')[1]"), 16);
    assert_eq!(
        eval::<i64>(
            &mut con,
            "return cjson.decode('{\"a\":{\"b\":[1,{\"c\":null}]}}').a.b[2].c == cjson.null and 1 or 0"
        ),
        1
    );
    for (script, error) in [
        ("return cjson.decode('[1,2')", "Expected comma or array end but found T_END at character 5"),
        ("return cjson.decode('{1:2}')", "Expected object key string but found T_NUMBER at character 2"),
        ("return cjson.decode('{\"a\" 2}')", "Expected colon but found T_NUMBER at character 6"),
        ("return cjson.decode('\"ab')", "Expected value but found unexpected end of string at character 4"),
        ("return cjson.decode('\"a\\\\qb\"')", "Expected value but found invalid escape code at character 3"),
        ("return cjson.decode('nul')", "Expected value but found invalid token at character 1"),
        ("return cjson.decode('1 2')", "Expected the end but found T_NUMBER at character 3"),
        ("return cjson.decode('')", "Expected value but found T_END at character 1"),
        ("return cjson.encode(1, 2)", "bad argument #1 to 'encode' (expected 1 argument)"),
        (
            "return cjson.encode_number_precision(15)",
            "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)",
        ),
        ("return cjson.encode_sparse_array('bad')", "bad argument #1 to 'encode_sparse_array' (invalid option 'bad')"),
        (
            "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))",
            "Found too many nested data structures (1001) at character 1001",
        ),
    ] {
        let e = eval_fails(&mut con, script);
        assert!(e.starts_with(&format!("ERR user_script:1: {error} script: ")), "{script}: {e}");
    }
    // Deep input is refused at the depth limit, however deep it goes.
    let e = eval_fails(&mut con, "return cjson.decode(string.rep('[', 1000000))");
    assert!(e.contains("Found too many nested data structures (1001)"), "{e}");
    let e = eval_fails(
        &mut con,
        "local t = {} local c = t for i = 1, 5000 do c[1] = {} c = c[1] end return cjson.encode(t)",
    );
    assert!(e.contains("Cannot serialise, excessive nesting (1001)"), "{e}");
}

#[test]
fn bit_errors_name_the_argument() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Redis's "lua bit.tohex bug".
    assert_eq!(eval::<String>(&mut con, "return bit.tohex(65535, -2147483648)"), "0000FFFF");
    assert_eq!(eval::<i64>(&mut con, "return bit.band('0x10', '  3 ')"), 0);
    for (script, error) in [
        ("return bit.band('x')", "bad argument #1 to 'band' (number expected, got string)"),
        ("return bit.band()", "bad argument #1 to 'band' (number expected, got no value)"),
        ("return bit.lshift(1)", "bad argument #2 to 'lshift' (number expected, got no value)"),
        ("return bit.tohex(255, nil)", "bad argument #2 to 'tohex' (number expected, got nil)"),
    ] {
        let e = eval_fails(&mut con, script);
        assert!(e.starts_with(&format!("ERR user_script:1: {error} script: ")), "{script}: {e}");
    }
}

#[test]
fn the_sandbox_resists_redis_tricks() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // "Try trick global protection 1" to "4", and the libraries' tables.
    for script in [
        "setmetatable(_G, {})",
        "local g = getmetatable(_G) g.__index = {}",
        "redis = function() return 1 end",
        "_G = {}",
        "redis.call = function() return 1 end",
        "cjson.encode = function() return 1 end",
        "cmsgpack.pack = function() return 1 end",
        "bit.lshift = function() return 1 end",
        "struct.pack = nil",
        "setmetatable(cjson, nil)",
    ] {
        let e = eval_fails(&mut con, script);
        assert!(e.contains("Attempt to modify a readonly table"), "{script}: {e}");
    }
    // "Binary code loading failed": precompiled chunks do not load.
    let e = eval_fails(&mut con, "return loadstring(string.dump(function() return 1 end))()");
    assert!(e.contains("attempt to call a nil value"), "{e}");
    assert_eq!(eval::<i64>(&mut con, "return loadstring('return 7')()"), 7);
    // Libraries show no metatable; gcinfo is there, as in Redis.
    assert_eq!(
        eval::<String>(&mut con, "return type(getmetatable(redis)) .. ' ' .. type(getmetatable(_G))"),
        "nil table"
    );
    assert_eq!(eval::<i64>(&mut con, "return gcinfo() > 0 and 1 or 0"), 1);
}

#[test]
fn numbers_reach_commands_in_full() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Redis's "Number conversion precision test (issue #1118)".
    let script = "local value = 9007199254740991 redis.call('set', 'foo', value) return redis.call('get', 'foo')";
    assert_eq!(eval::<String>(&mut con, script), "9007199254740991");
    // Others as C's %.17g prints them (Redis 7.0; 7.2 writes the shortest text, "0.1").
    let script = "redis.call('set', 'foo', 0.1) redis.call('set', 'bar', 1e20) redis.call('set', 'baz', -0.0)
                  return {redis.call('get', 'foo'), redis.call('get', 'bar'), redis.call('get', 'baz')}";
    assert_eq!(eval::<Vec<String>>(&mut con, script), vec!["0.10000000000000001", "1e+20", "-0"]);
}

#[test]
fn redis_call_takes_as_many_arguments_as_lua_can_unpack() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Redis's "Script check unpack with huge args": more than a Rust function can receive
    // on Lua's stack, handed over in one table.
    let script = "local a = {} for i=1,7999 do a[i] = 1 end return redis.call('lpush', 'l', unpack(a))";
    assert_eq!(eval::<i64>(&mut con, script), 7999);
    let script = "local a = {} for i=1,3000 do a[i] = 'x' end local r = redis.pcall('rpush', 'l', unpack(a)) return r";
    assert_eq!(eval::<i64>(&mut con, script), 10999);
    // A nil among many is refused as among few, from the calling line.
    let script =
        "local a = {} for i=1,2000 do a[i] = 1 end a[500] = nil\nreturn redis.call('lpush', 'l', unpack(a, 1, 2000))";
    let e = eval_fails(&mut con, script);
    assert!(e.starts_with("ERR Lua redis lib command arguments must be strings or integers script: "), "{e}");
    assert!(e.ends_with("on @user_script:2."), "{e}");
    // A script tail-calling redis.call keeps its line in the error.
    let e = eval_fails(&mut con, "\n\nreturn redis.call('nosuchcommand')");
    assert!(e.starts_with("ERR Unknown Redis command called from script script: "), "{e}");
    assert!(e.ends_with("on @user_script:3."), "{e}");
}
