//! Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT) through real clients and
//! raw RESP, following Redis 7's documented behaviour (checked by hand against Redis
//! 7.0.15): the conversions both ways in RESP2 and RESP3, error replies and their
//! `script: <sha>, on @user_script:<line>.` suffix, pcall, NOSCRIPT and the redis crate's
//! `Script` (EVALSHA, then EVAL on NOSCRIPT), the script cache, atomicity under concurrent
//! clients, read-only scripts, the sandbox, SCRIPT KILL and BUSY.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, get, run, set, wait_until};

/// The SHA1 digest Redis names a script by.
fn sha(script: &str) -> String {
    redis::Script::new(script).get_hash().to_owned()
}

/// Runs `EVAL script 0` on a raw connection and checks the reply bytes.
fn expect_eval(raw: &mut common::RawConn, script: &str, expected: &str) {
    raw.expect(&["EVAL", script, "0"], expected);
}

#[test]
fn lua_values_become_replies_as_redis_documents_in_resp2() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect_eval(&mut raw, "return 1", ":1\r\n");
    // Numbers are truncated to integers.
    expect_eval(&mut raw, "return 3.99", ":3\r\n");
    expect_eval(&mut raw, "return -3.7", ":-3\r\n");
    expect_eval(&mut raw, "return 'hello'", "$5\r\nhello\r\n");
    expect_eval(&mut raw, "return true", ":1\r\n");
    expect_eval(&mut raw, "return false", "$-1\r\n");
    expect_eval(&mut raw, "return nil", "$-1\r\n");
    // An array stops at the first nil.
    expect_eval(&mut raw, "return {1,2,3,'x',nil,4}", "*4\r\n:1\r\n:2\r\n:3\r\n$1\r\nx\r\n");
    expect_eval(
        &mut raw,
        "return {1,{2,{3}},true,false,'z'}",
        "*5\r\n:1\r\n*2\r\n:2\r\n*1\r\n:3\r\n:1\r\n$-1\r\n$1\r\nz\r\n",
    );
    expect_eval(&mut raw, "return {ok='fine'}", "+fine\r\n");
    expect_eval(&mut raw, "return redis.status_reply('FINE')", "+FINE\r\n");
    // {err=...} is the whole error; error_reply adds the ERR code when there is none.
    expect_eval(&mut raw, "return {err='bad'}", "-bad\r\n");
    expect_eval(&mut raw, "return redis.error_reply('bad')", "-ERR bad\r\n");
    expect_eval(&mut raw, "return redis.error_reply('MY bad')", "-MY bad\r\n");
    expect_eval(&mut raw, "return redis.error_reply('-X y')", "-X y\r\n");
    // Tables with no integer keys are empty arrays; a string err/ok field wins.
    expect_eval(&mut raw, "return {foo='bar'}", "*0\r\n");
    expect_eval(&mut raw, "return {err=3}", "*0\r\n");
    // RESP3-only shapes degrade as a RESP2 client gets them.
    expect_eval(&mut raw, "return {map={a=1}}", "*2\r\n$1\r\na\r\n:1\r\n");
    expect_eval(&mut raw, "return {double=3.5}", "$3\r\n3.5\r\n");
    expect_eval(&mut raw, "return {set={a=true}}", "*1\r\n$1\r\na\r\n");
    expect_eval(&mut raw, "return {big_number='123'}", "$3\r\n123\r\n");
}

#[test]
fn replies_become_lua_values_as_redis_documents_in_resp2() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    set(&mut c, "s", "abc");
    run::<i64>(&mut c, &["HSET", "h", "a", "1"]);
    run::<i64>(&mut c, &["ZADD", "z", "1.5", "m"]);
    let mut raw = server.raw();
    // Integer -> number, bulk -> string, nil bulk -> false, status -> {ok=...},
    // error -> {err=...} (through pcall), array -> table.
    expect_eval(&mut raw, "return type(redis.call('incr','n'))", "$6\r\nnumber\r\n");
    expect_eval(&mut raw, "return type(redis.call('get','s'))", "$6\r\nstring\r\n");
    expect_eval(&mut raw, "return type(redis.call('get','nokey'))", "$7\r\nboolean\r\n");
    expect_eval(&mut raw, "return redis.call('get','nokey') == false", ":1\r\n");
    expect_eval(&mut raw, "return redis.call('set','t','v').ok", "$2\r\nOK\r\n");
    expect_eval(
        &mut raw,
        "return redis.pcall('incr','s').err",
        "$43\r\nERR value is not an integer or out of range\r\n",
    );
    expect_eval(&mut raw, "return redis.call('hgetall','h')", "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
    // A double is its string in RESP2.
    expect_eval(&mut raw, "return redis.call('zscore','z','m')", "$3\r\n1.5\r\n");
    // The status table goes back to the client as a status.
    expect_eval(&mut raw, "return redis.call('ping')", "+PONG\r\n");
    // Arguments: strings and numbers (as Lua prints them).
    expect_eval(&mut raw, "redis.call('set', 'num', 10) return redis.call('get', 'num')", "$2\r\n10\r\n");
}

#[test]
fn resp3_conversions_after_setresp_3() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<i64>(&mut c, &["HSET", "h", "a", "1"]);
    run::<i64>(&mut c, &["SADD", "st", "x"]);
    run::<i64>(&mut c, &["ZADD", "z", "1.5", "m"]);
    for resp3_client in [false, true] {
        let mut raw = if resp3_client { server.raw_resp3() } else { server.raw() };
        // Inside the script: map, set, double, null as Redis documents them.
        expect_eval(
            &mut raw,
            "redis.setresp(3) local r = redis.call('hgetall','h') return {type(r.map), r.map.a}",
            "*2\r\n$5\r\ntable\r\n$1\r\n1\r\n",
        );
        expect_eval(&mut raw, "redis.setresp(3) return tostring(redis.call('smembers','st').set.x)", "$4\r\ntrue\r\n");
        expect_eval(&mut raw, "redis.setresp(3) return tostring(redis.call('zscore','z','m').double)", "$3\r\n1.5\r\n");
        expect_eval(&mut raw, "redis.setresp(3) return type(redis.call('get','nokey'))", "$3\r\nnil\r\n");
        expect_eval(&mut raw, "redis.setresp(3) return type(redis.call('exists','h'))", "$6\r\nnumber\r\n");
        if resp3_client {
            expect_eval(&mut raw, "redis.setresp(3) return redis.call('hgetall','h')", "%1\r\n$1\r\na\r\n$1\r\n1\r\n");
            expect_eval(&mut raw, "return {map={a=1}}", "%1\r\n$1\r\na\r\n:1\r\n");
            expect_eval(&mut raw, "return {double=3.5}", ",3.5\r\n");
            expect_eval(&mut raw, "return {set={a=true}}", "~1\r\n$1\r\na\r\n");
            expect_eval(&mut raw, "return {big_number='123'}", "(123\r\n");
            expect_eval(&mut raw, "return nil", "_\r\n");
            // Booleans stay booleans only for a script that asked for RESP3.
            expect_eval(&mut raw, "return true", ":1\r\n");
            expect_eval(&mut raw, "return false", "_\r\n");
            expect_eval(&mut raw, "redis.setresp(3) return {true, false}", "*2\r\n#t\r\n#f\r\n");
        } else {
            expect_eval(&mut raw, "redis.setresp(3) return redis.call('hgetall','h')", "*2\r\n$1\r\na\r\n$1\r\n1\r\n");
            expect_eval(&mut raw, "redis.setresp(3) return {true, false}", "*2\r\n:1\r\n:0\r\n");
        }
    }
}

#[test]
fn errors_carry_the_script_and_line_as_redis_writes_them() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    set(&mut c, "s", "abc");
    let script = "return redis.call('incr','s')";
    assert_eq!(
        fail(&mut c, &["EVAL", script, "0"]),
        format!("ERR value is not an integer or out of range script: {}, on @user_script:1.", sha(script))
    );
    // The line is the one that called.
    let script = "local x = 1\nredis.call('incr','s')\nreturn x";
    assert_eq!(
        fail(&mut c, &["EVAL", script, "0"]),
        format!("ERR value is not an integer or out of range script: {}, on @user_script:2.", sha(script))
    );
    // pcall returns the error table instead of raising it.
    let mut raw = server.raw();
    expect_eval(&mut raw, "return redis.pcall('incr','s')", "-ERR value is not an integer or out of range\r\n");
    expect_eval(&mut raw, "return redis.pcall('nosuch')", "-ERR Unknown Redis command called from script\r\n");
    expect_eval(
        &mut raw,
        "return redis.pcall()",
        "-ERR Please specify at least one argument for this redis lib call\r\n",
    );
    expect_eval(
        &mut raw,
        "return redis.pcall({})",
        "-ERR Lua redis lib command arguments must be strings or integers\r\n",
    );
    for (script, message) in [
        ("return redis.call('nosuch')", "ERR Unknown Redis command called from script"),
        ("return redis.call('get')", "ERR Wrong number of args calling Redis command from script"),
        ("return redis.call('multi')", "ERR This Redis command is not allowed from script"),
        ("return redis.call('blpop','l',0)", "ERR This Redis command is not allowed from script"),
        ("return redis.call('subscribe','ch')", "ERR This Redis command is not allowed from script"),
        ("return redis.call('eval','return 1','0')", "ERR This Redis command is not allowed from script"),
        ("error('boom')", "ERR user_script:1: boom"),
        ("return redis.setresp(4)", "ERR RESP version must be 2 or 3."),
    ] {
        assert_eq!(
            fail(&mut c, &["EVAL", script, "0"]),
            format!("{message} script: {}, on @user_script:1.", sha(script))
        );
    }
    assert_eq!(
        fail(&mut c, &["EVAL", "syntax error here", "0"]),
        "ERR Error compiling script (new function): user_script:1: '=' expected near 'error'"
    );
    assert_eq!(fail(&mut c, &["EVAL", "return 1", "-1"]), "ERR Number of keys can't be negative");
    assert_eq!(
        fail(&mut c, &["EVAL", "return 1", "3", "a"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(fail(&mut c, &["EVAL", "return 1", "x"]), "ERR value is not an integer or out of range");
    // A failed script leaves the connection usable.
    assert_eq!(get(&mut c, "s").as_deref(), Some("abc"));
}

#[test]
fn keys_and_argv_are_passed() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let reply: Vec<redis::Value> =
        run(&mut c, &["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}", "2", "k1", "k2", "a1"]);
    assert_eq!(
        reply,
        vec![
            redis::Value::BulkString(b"k1".to_vec()),
            redis::Value::BulkString(b"k2".to_vec()),
            redis::Value::BulkString(b"a1".to_vec()),
            redis::Value::Int(2),
            redis::Value::Int(1),
        ]
    );
    let n: i64 = run(&mut c, &["EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1", "counter", "5"]);
    assert_eq!(n, 5);
}

#[test]
fn script_cache_load_exists_flush_and_noscript() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let body = "return 'cached'";
    let digest: String = run(&mut c, &["SCRIPT", "LOAD", body]);
    assert_eq!(digest, sha(body));
    let exists: Vec<i64> = run(&mut c, &["SCRIPT", "EXISTS", &digest, &"f".repeat(40), &digest.to_uppercase()]);
    assert_eq!(exists, vec![1, 0, 1]);
    assert_eq!(run::<String>(&mut c, &["EVALSHA", &digest, "0"]), "cached");
    // Digests are matched whatever their case.
    assert_eq!(run::<String>(&mut c, &["EVALSHA", &digest.to_uppercase(), "0"]), "cached");
    // EVAL caches what it runs.
    run::<i64>(&mut c, &["EVAL", "return 7", "0"]);
    assert_eq!(run::<i64>(&mut c, &["EVALSHA", &sha("return 7"), "0"]), 7);
    assert!(run::<String>(&mut c, &["INFO", "memory"]).contains("number_of_cached_scripts:2"));
    assert_eq!(run::<String>(&mut c, &["SCRIPT", "FLUSH"]), "OK");
    assert_eq!(fail(&mut c, &["EVALSHA", &digest, "0"]), "NOSCRIPT No matching script. Please use EVAL.");
    assert_eq!(fail(&mut c, &["EVALSHA", "abc", "0"]), "NOSCRIPT No matching script. Please use EVAL.");
    assert_eq!(run::<Vec<i64>>(&mut c, &["SCRIPT", "EXISTS", &digest]), vec![0]);
    assert_eq!(run::<String>(&mut c, &["SCRIPT", "FLUSH", "ASYNC"]), "OK");
    assert_eq!(run::<String>(&mut c, &["SCRIPT", "FLUSH", "sync"]), "OK");
    assert_eq!(fail(&mut c, &["SCRIPT", "FLUSH", "x"]), "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    assert_eq!(
        fail(&mut c, &["SCRIPT", "LOAD", "x x"]),
        "ERR Error compiling script (new function): user_script:1: '=' expected near 'x'"
    );
    assert_eq!(fail(&mut c, &["SCRIPT", "KILL"]), "NOTBUSY No scripts in execution right now.");
    let help: Vec<String> = run(&mut c, &["SCRIPT", "HELP"]);
    assert!(help[0].starts_with("SCRIPT <subcommand>"));
}

#[test]
fn the_redis_crate_script_type_loads_on_noscript() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let script = redis::Script::new("return redis.call('incrby', KEYS[1], ARGV[1])");
    // The first call gets NOSCRIPT for EVALSHA and falls back to EVAL.
    let n: i64 = script.key("k").arg(3).invoke(&mut c).unwrap();
    assert_eq!(n, 3);
    let n: i64 = script.key("k").arg(4).invoke(&mut c).unwrap();
    assert_eq!(n, 7);
    run::<()>(&mut c, &["SCRIPT", "FLUSH"]);
    let n: i64 = script.key("k").arg(1).invoke(&mut c).unwrap();
    assert_eq!(n, 8);
}

#[tokio::test]
async fn the_redis_crate_script_type_works_on_async_connections() {
    let server = TestServer::start();
    let mut con = server.conn().await;
    let script = redis::Script::new("redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])");
    let v: String = script.key("a").arg("b").invoke_async(&mut con).await.unwrap();
    assert_eq!(v, "b");
}

#[test]
fn a_script_is_atomic_under_concurrent_clients() {
    // Spread: the clients race from different worker threads.
    let server = TestServer::start_with(&["--worker-placement", "spread"]);
    let script = "for i = 1, 1000 do redis.call('incr', KEYS[1]) end return redis.call('get', KEYS[1])";
    let clients = 4;
    let runs = 10;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // A reader never sees a counter between two scripts' increments.
    let reader = {
        let mut c = server.sync_conn();
        let done = done.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                let value: Option<i64> = run(&mut c, &["GET", "counter"]);
                assert_eq!(value.unwrap_or(0) % 1000, 0, "saw a script half done");
                reads += 1;
            }
            reads
        })
    };
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let mut c = server.sync_conn();
            std::thread::spawn(move || {
                for _ in 0..runs {
                    let after: i64 = run(&mut c, &["EVAL", script, "1", "counter"]);
                    assert_eq!(after % 1000, 0);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    let mut c = server.sync_conn();
    assert_eq!(get(&mut c, "counter"), Some((clients * runs * 1000).to_string()));
}

#[test]
fn read_only_scripts_refuse_writes() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    set(&mut c, "k", "v");
    assert_eq!(run::<String>(&mut c, &["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"]), "v");
    let script = "return redis.call('set','k','w')";
    assert_eq!(
        fail(&mut c, &["EVAL_RO", script, "0"]),
        format!(
            "ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:1.",
            sha(script)
        )
    );
    let digest: String = run(&mut c, &["SCRIPT", "LOAD", script]);
    assert!(fail(&mut c, &["EVALSHA_RO", &digest, "0"]).starts_with("ERR Write commands are not allowed"));
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    // pcall sees the refusal as an error table.
    let mut raw = server.raw();
    raw.expect(
        &["EVAL_RO", "return redis.pcall('del','k')", "0"],
        "-ERR Write commands are not allowed from read-only scripts.\r\n",
    );
}

#[test]
fn globals_are_protected_and_unsafe_libraries_absent() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    for (script, message) in [
        ("a = 1", "ERR user_script:1: Attempt to modify a readonly table"),
        ("return a", "ERR user_script:1: Script attempted to access nonexistent global variable 'a'"),
        ("return os.time()", "ERR user_script:1: Script attempted to access nonexistent global variable 'os'"),
        ("return io", "ERR user_script:1: Script attempted to access nonexistent global variable 'io'"),
        ("return loadfile", "ERR user_script:1: Script attempted to access nonexistent global variable 'loadfile'"),
        ("return dofile", "ERR user_script:1: Script attempted to access nonexistent global variable 'dofile'"),
        ("redis.call = nil", "ERR user_script:1: Attempt to modify a readonly table"),
        ("string.x = 1", "ERR user_script:1: Attempt to modify a readonly table"),
        ("rawset(_G, 'x', 1)", "ERR Attempt to modify a readonly table"),
    ] {
        assert_eq!(
            fail(&mut c, &["EVAL", script, "0"]),
            format!("{message} script: {}, on @user_script:1.", sha(script))
        );
    }
    // Locals are fine, and the standard libraries Redis loads are there.
    let v: String =
        run(&mut c, &["EVAL", "local t = {} table.insert(t, string.upper('a')) return t[1] .. math.floor(2.5)", "0"]);
    assert_eq!(v, "A2");
}

#[test]
fn redis_api_helpers() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(
        run::<String>(&mut c, &["EVAL", "return redis.sha1hex('')", "0"]),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    let constants: Vec<i64> = run(
        &mut c,
        &[
            "EVAL",
            "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_NONE, redis.REPL_AOF, redis.REPL_REPLICA, redis.REPL_ALL}",
            "0",
        ],
    );
    assert_eq!(constants, vec![0, 1, 2, 3, 0, 1, 2, 3]);
    assert_eq!(
        run::<Option<i64>>(&mut c, &["EVAL", "return redis.log(redis.LOG_WARNING, 'from a script')", "0"]),
        None
    );
    assert_eq!(run::<i64>(&mut c, &["EVAL", "return redis.replicate_commands()", "0"]), 1);
    assert_eq!(
        run::<Option<i64>>(&mut c, &["EVAL", "redis.set_repl(redis.REPL_ALL) return redis.breakpoint()", "0"]),
        None
    );
    assert!(run::<String>(&mut c, &["EVAL", "return redis.REDIS_VERSION", "0"]).starts_with('7'));
    let script = "return redis.log(1)";
    assert_eq!(
        fail(&mut c, &["EVAL", script, "0"]),
        format!("ERR redis.log() requires two arguments or more. script: {}, on @user_script:1.", sha(script))
    );
}

#[test]
fn bit_and_cjson_libraries() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let bits: Vec<i64> = run(
        &mut c,
        &[
            "EVAL",
            "return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.bnot(0), bit.lshift(1, 4), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.tobit(2^32 + 5)}",
            "0",
        ],
    );
    assert_eq!(bits, vec![15, 3, 2, -1, 16, 15, -4, 5]);
    assert_eq!(run::<String>(&mut c, &["EVAL", "return bit.tohex(255)", "0"]), "000000ff");
    assert_eq!(run::<String>(&mut c, &["EVAL", "return bit.tohex(-1, -4)", "0"]), "FFFF");
    assert_eq!(run::<String>(&mut c, &["EVAL", "return cjson.encode({1, 2, {a = 1}})", "0"]), r#"[1,2,{"a":1}]"#);
    assert_eq!(run::<i64>(&mut c, &["EVAL", r#"return cjson.decode('{"a":[1,2.5,null,true]}').a[2]"#, "0"]), 2);
    assert_eq!(run::<i64>(&mut c, &["EVAL", r#"return cjson.decode('[null]')[1] == cjson.null and 1 or 0"#, "0"]), 1);
}

#[test]
fn a_script_inside_multi_runs_with_the_transaction() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["MULTI"]);
    run::<String>(&mut c, &["SET", "a", "1"]);
    run::<String>(&mut c, &["EVAL", "return redis.call('incr', KEYS[1])", "1", "a"]);
    run::<String>(&mut c, &["EVAL", "return redis.call('get', 'a')", "0"]);
    let replies: Vec<redis::Value> = run(&mut c, &["EXEC"]);
    assert_eq!(replies, vec![redis::Value::Okay, redis::Value::Int(2), redis::Value::BulkString(b"2".to_vec())]);
}

#[test]
fn select_inside_a_script_does_not_change_the_callers_database() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let v: String = run(
        &mut c,
        &["EVAL", "redis.call('select', 3) redis.call('set', 'k', 'in3') return redis.call('get', 'k')", "0"],
    );
    assert_eq!(v, "in3");
    assert_eq!(get(&mut c, "k"), None);
    run::<()>(&mut c, &["SELECT", "3"]);
    assert_eq!(get(&mut c, "k").as_deref(), Some("in3"));
}

/// A script, and a transaction, see one time from start to end (Redis's): a key that
/// expires meanwhile is still there for them, and gone after.
#[test]
fn scripts_and_transactions_see_time_stand_still() {
    let (server, _dir) = TestServer::start_with_debug(&[]);
    let mut c = server.sync_conn();
    // DEBUG is no script's command, unless this test switch allows it (as Redis's tests do).
    assert!(fail(&mut c, &["EVAL", "redis.call('DEBUG', 'SLEEP', '0')", "0"]).contains("not allowed from script"));
    run::<()>(&mut c, &["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "1"]);
    let script = "redis.call('SET', 'key', 'value', 'PX', '1') redis.call('DEBUG', 'SLEEP', '0.01') \
                  return redis.call('EXISTS', 'key')";
    assert_eq!(run::<i64>(&mut c, &["EVAL", script, "0"]), 1);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "key"]), 0);
    let (exists,): (i64,) = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("key")
        .arg("value")
        .arg("PX")
        .arg(1)
        .ignore()
        .cmd("DEBUG")
        .arg("SLEEP")
        .arg("0.01")
        .ignore()
        .cmd("EXISTS")
        .arg("key")
        .query(&mut c)
        .unwrap();
    assert_eq!(exists, 1);
    assert_eq!(run::<i64>(&mut c, &["EXISTS", "key"]), 0);
    run::<()>(&mut c, &["DEBUG", "SET-DISABLE-DENY-SCRIPTS", "0"]);
}

#[test]
fn a_scripts_writes_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--appendfsync", "always"]);
        let mut c = server.sync_conn();
        let n: i64 = run(
            &mut c,
            &[
                "EVAL",
                "redis.call('set', 'a', '1') redis.call('rpush', 'l', 'x', 'y') return redis.call('incr', 'a')",
                "0",
            ],
        );
        assert_eq!(n, 2);
        server.kill9();
    }
    let server = TestServer::start_in(dir.path(), &["--appendonly", "yes"]);
    let mut c = server.sync_conn();
    assert_eq!(get(&mut c, "a").as_deref(), Some("2"));
    assert_eq!(run::<Vec<String>>(&mut c, &["LRANGE", "l", "0", "-1"]), vec!["x", "y"]);
}

/// SCRIPT KILL and BUSY from another connection (the same from the script's own worker and
/// with one worker: see busy_scripts.rs).
#[test]
fn script_kill_stops_a_busy_script_and_others_get_busy() {
    let server = TestServer::start();
    run::<()>(&mut server.sync_conn(), &["CONFIG", "SET", "busy-reply-threshold", "100"]);
    let mut runner = server.raw();
    let mut other = server.raw();
    runner.command(&[b"EVAL", b"while true do end", b"0"]);
    // Past the threshold, other clients get BUSY (SCRIPT KILL is still allowed).
    let last = common::wait_for_busy(&mut other);
    assert_eq!(last, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
    other.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    let killed = runner.read_line();
    assert_eq!(
        killed,
        format!(
            "-ERR Script killed by user with SCRIPT KILL... script: {}, on @user_script:1.\r\n",
            sha("while true do end")
        )
    );
    // Both connections work again.
    runner.expect(&["PING"], "+PONG\r\n");
    other.expect(&["SCRIPT", "KILL"], "-NOTBUSY No scripts in execution right now.\r\n");
}

/// A script that catches the kill error with pcall and loops is still stopped: once killed,
/// it is stopped again at its next line outside the pcall (Redis's hook fires on every
/// line then); the next script runs normally.
#[test]
fn script_kill_stops_a_script_that_catches_the_error_with_pcall() {
    let server = TestServer::start();
    run::<()>(&mut server.sync_conn(), &["CONFIG", "SET", "busy-reply-threshold", "10"]);
    let mut runner = server.raw();
    let mut other = server.raw();
    let script = "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end";
    runner.command(&[b"EVAL", script.as_bytes(), b"0"]);
    common::wait_for_busy(&mut other);
    other.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    let killed = runner.read_line();
    assert!(killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."), "{killed}");
    runner.expect(&["EVAL", "local n = 0 for i = 1, 100000 do n = n + 1 end return n", "0"], ":100000\r\n");
    other.expect(&["PING"], "+PONG\r\n");
}

/// SORT of a set with BY and no pattern has no order of its own: from a script (as with
/// STORE) it is sorted alphabetically, so the script sees the same on every node.
#[test]
fn sort_by_a_constant_is_ordered_inside_scripts() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let members = ["z", "a", "azz", "b", "aa", "c", "aaa"];
    run::<i64>(&mut c, &[&["SADD", "myset"][..], &members].concat());
    let sorted: Vec<String> = run(&mut c, &["EVAL", "return redis.call('sort', KEYS[1], 'by', '_')", "1", "myset"]);
    assert_eq!(sorted, ["a", "aa", "aaa", "azz", "b", "c", "z"]);
    let with_get: Vec<Option<String>> =
        run(&mut c, &["EVAL", "return redis.call('sort', KEYS[1], 'by', '_', 'get', '#', 'get', '_:*')", "1", "myset"]);
    assert_eq!(with_get[..4], [Some("a".into()), None, Some("aa".into()), None]);
}

#[test]
fn a_script_that_wrote_cannot_be_killed_but_shutdown_nosave_stops_the_node() {
    let mut server = TestServer::start();
    // lua-time-limit is the old name of busy-reply-threshold.
    run::<()>(&mut server.sync_conn(), &["CONFIG", "SET", "lua-time-limit", "0"]);
    let mut runner = server.raw();
    let mut other = server.raw();
    let script: &[u8] = b"redis.call('set', 'w', '1') while true do end";
    // A SCRIPT KILL can land after the script started but before its first statement (the
    // write) ran: that kill is allowed, as in Redis. Then the script runs again, until a
    // kill finds it has written.
    let mut last = String::new();
    for _attempt in 0..20 {
        runner.command(&[b"EVAL", script, b"0"]);
        let busy = wait_until(Duration::from_secs(10), || {
            other.command(&[b"SCRIPT", b"KILL"]);
            last = other.read_line();
            !last.starts_with("-NOTBUSY")
        });
        assert!(busy);
        if last != "+OK\r\n" {
            break;
        }
        assert!(runner.read_line().starts_with("-ERR Script killed by user with SCRIPT KILL"));
    }
    assert!(last.starts_with("-UNKILLABLE Sorry the script already executed write commands"), "{last}");
    other.command(&[b"SHUTDOWN", b"NOSAVE"]);
    server.wait_exit();
}

#[test]
fn a_shebang_declares_flags() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let script = "#!lua flags=no-writes\nreturn redis.call('set','a','b')";
    assert_eq!(
        fail(&mut c, &["EVAL", script, "0"]),
        format!(
            "ERR Write commands are not allowed from read-only scripts. script: {}, on @user_script:2.",
            sha(script)
        )
    );
    let digest: String = run(&mut c, &["SCRIPT", "LOAD", script]);
    assert!(fail(&mut c, &["EVALSHA", &digest, "0"]).starts_with("ERR Write commands are not allowed"));
    assert_eq!(run::<i64>(&mut c, &["EVAL", "#!lua\nreturn 1", "0"]), 1);
    assert_eq!(fail(&mut c, &["EVAL", "#!js\nreturn 1", "0"]), "ERR Unexpected engine in script shebang: #!js");
    assert_eq!(
        fail(&mut c, &["EVAL", "#!lua flags=bogus\nreturn 1", "0"]),
        "ERR Unexpected flag in script shebang: bogus"
    );
    assert_eq!(fail(&mut c, &["EVAL", "#!lua name=x\nreturn 1", "0"]), "ERR Unknown lua shebang option: name=x");
}

#[test]
fn scripts_run_with_the_callers_acl_rules() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    run::<()>(&mut admin, &["ACL", "SETUSER", "limited", "on", "nopass", "~*", "+@all", "-set"]);
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["AUTH", "limited", "any"]);
    let check = |c: &mut redis::Connection, command: &str| -> Option<i64> {
        run(c, &["EVAL", &format!("return redis.acl_check_cmd({command})"), "0"])
    };
    // Lua's true is 1 and false is nil in RESP2.
    assert_eq!(check(&mut c, "'get', 'k'"), Some(1));
    assert_eq!(check(&mut c, "'set', 'k', 'v'"), None);
    assert_eq!(check(&mut admin, "'set', 'k', 'v'"), Some(1), "the default user may");
    assert!(
        fail(&mut c, &["EVAL", "return redis.acl_check_cmd('nosuch')", "0"])
            .contains("Invalid command passed to redis.acl_check_cmd()")
    );
    // And a command the user may not run fails inside the script too, in Redis's words,
    // logged with the "lua" context.
    let error = fail(&mut c, &["EVAL", "return redis.call('set', 'k', 'v')", "0"]);
    assert!(
        error.starts_with("ERR The user executing the script can't run this command or subcommand script: "),
        "{error}"
    );
    run::<()>(&mut admin, &["ACL", "SETUSER", "keys", "on", "nopass", "~a*", "+@all"]);
    run::<()>(&mut c, &["AUTH", "keys", "any"]);
    let error = fail(&mut c, &["EVAL", "return redis.call('get', 'b')", "0"]);
    assert!(error.contains("can't access at least one of the keys mentioned in the command arguments"), "{error}");
    let log: Vec<redis::Value> = run(&mut admin, &["ACL", "LOG", "1"]);
    assert!(format!("{log:?}").contains("lua"), "{log:?}");
}

#[test]
fn script_debug_no_is_accepted_and_the_debugger_refused() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(run::<String>(&mut con, &["SCRIPT", "DEBUG", "no"]), "OK");
    assert_eq!(run::<String>(&mut con, &["SCRIPT", "DEBUG", "NO"]), "OK");
    for mode in ["yes", "SYNC"] {
        let error = fail(&mut con, &["SCRIPT", "DEBUG", mode]);
        assert!(error.starts_with("ERR SCRIPT DEBUG YES and SYNC are not supported"), "{error}");
    }
    // Redis's argument errors.
    assert_eq!(fail(&mut con, &["SCRIPT", "DEBUG", "maybe"]), "ERR Use SCRIPT DEBUG YES/SYNC/NO");
    assert!(fail(&mut con, &["SCRIPT", "DEBUG"]).contains("wrong number of arguments for 'script|debug'"));
    assert!(fail(&mut con, &["SCRIPT", "DEBUG", "no", "x"]).contains("wrong number of arguments for 'script|debug'"));
    // Inside a transaction, as in Redis: replies are pending.
    let mut raw = server.raw();
    raw.expect(&["MULTI"], "+OK\r\n");
    raw.expect(&["SCRIPT", "DEBUG", "no"], "+QUEUED\r\n");
    raw.expect(&["EXEC"], "*1\r\n-ERR SCRIPT DEBUG must be called outside a pipeline\r\n");
    // Scripts still run as before.
    assert_eq!(run::<i64>(&mut con, &["EVAL", "return 7", "0"]), 7);
}

#[test]
fn script_errors_and_refusals_as_redis_words_them() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let eval_fails = |con: &mut redis::Connection, script: &str| fail(con, &["EVAL", script, "0"]);
    // What error() raises goes through Lua's tostring, as in Redis's error handler.
    let e = eval_fails(&mut con, "error()");
    assert!(e.starts_with("ERR nil script: "), "{e}");
    let e = eval_fails(&mut con, "error(true)");
    assert!(e.starts_with("ERR true script: "), "{e}");
    let e = eval_fails(&mut con, "error(123)");
    assert!(e.starts_with("ERR user_script:1: 123 script: "), "{e}");
    // XREAD and XREADGROUP refuse BLOCK from a script (named as the script wrote them).
    let e = eval_fails(&mut con, "return redis.call('xread', 'block', 0, 'streams', 's', '$')");
    assert!(e.starts_with("ERR xread command is not allowed with BLOCK option from scripts script: "), "{e}");
    // pcall returns the error as the reply, without the script's location.
    let e =
        eval_fails(&mut con, "return redis.pcall('XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', 0, 'streams', 's', '>')");
    assert_eq!(e, "ERR XREADGROUP command is not allowed with BLOCK option from scripts");
    // Inside MULTI, BLOCK only stops it from blocking.
    let mut raw = server.raw();
    raw.expect(&["MULTI"], "+OK\r\n");
    raw.expect(&["XREAD", "BLOCK", "0", "STREAMS", "s", "$"], "+QUEUED\r\n");
    raw.expect(&["EXEC"], "*1\r\n*-1\r\n");
}

#[test]
fn a_verbatim_string_table_becomes_a_verbatim_reply() {
    let server = TestServer::start();
    let mut raw = server.raw();
    expect_eval(&mut raw, "return {verbatim_string={format='txt', string='hi'}}", "$2\r\nhi\r\n");
    let mut raw3 = server.raw_resp3();
    expect_eval(&mut raw3, "return {verbatim_string={format='txt', string='hi'}}", "=6\r\ntxt:hi\r\n");
    // Three characters of the format, padded with spaces, as Redis writes it.
    expect_eval(&mut raw3, "return {verbatim_string={format='markdown', string='hi'}}", "=6\r\nmar:hi\r\n");
    expect_eval(&mut raw3, "return {verbatim_string={format='m', string='hi'}}", "=6\r\nm  :hi\r\n");
    // Without its string it is an (empty) array.
    expect_eval(&mut raw3, "return {verbatim_string={format='txt'}}", "*0\r\n");
}

#[test]
fn a_scripts_pcall_catches_redis_call_errors_as_their_text() {
    // Redis 7: redis.call raises its error table; Lua's pcall (Redis's own) gives its
    // `err` string, an xpcall handler the table.
    let server = TestServer::start();
    let mut con = server.sync_conn();
    let caught = |con: &mut redis::Connection, script: &str| -> Vec<String> { run(con, &["EVAL", script, "0"]) };
    assert_eq!(
        caught(&mut con, "local ok, e = pcall(redis.call, 'select', 99) return {tostring(ok), type(e), e}"),
        ["false", "string", "ERR DB index is out of range"]
    );
    assert_eq!(
        caught(&mut con, "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}"),
        ["false", "ERR Unknown Redis command called from script"]
    );
    assert_eq!(
        caught(&mut con, "local ok, e = pcall(redis.setresp, 5) return {tostring(ok), e}"),
        ["false", "ERR RESP version must be 2 or 3."]
    );
    assert_eq!(caught(&mut con, "local ok, e = pcall(error, {err='x y'}) return {tostring(ok), e}"), ["false", "x y"]);
    let handler = "local ok, e = xpcall(function() redis.call('select', 99) end, function(e) return type(e) .. ': ' .. e.err end) return {tostring(ok), e}";
    assert_eq!(caught(&mut con, handler), ["false", "table: ERR DB index is out of range"]);
    assert_eq!(run::<i64>(&mut con, &["EVAL", "return select('#', pcall(function() return 1, nil, 3 end))", "0"]), 4);
    // A command's error table says it was counted, as Redis 7.0's does.
    let fields = "local t = redis.pcall('select', 99) local r = {} for k, v in pairs(t) do r[#r+1] = k .. '=' .. tostring(v) end table.sort(r) return r";
    assert_eq!(caught(&mut con, fields), ["err=ERR DB index is out of range", "ignore_error_stats_update=true"]);
    // The line of a failing redis.call is still named, tail call or not.
    let error = fail(&mut con, &["EVAL", "local x = 1\nreturn redis.call('select', 99)", "0"]);
    assert!(error.ends_with(", on @user_script:2."), "{error}");
}
