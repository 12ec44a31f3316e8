//! Redis 7 functions (FUNCTION LOAD/DELETE/FLUSH/LIST/DUMP/RESTORE/STATS/KILL, FCALL,
//! FCALL_RO) through real clients and raw RESP, following Redis 7.0's documented
//! behaviour, replies and error texts (checked by hand against Redis 7.0.15): the
//! load-time API, the reply shapes in RESP2 and RESP3, the flags, the errors for bad input,
//! killing a running function, and the libraries surviving a restart from the journal and
//! from a snapshot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, get, run, wait_until};

const LIB: &str = "#!lua name=mylib
redis.register_function('echo_key', function(keys, args) return keys[1] end)
redis.register_function{function_name='setter', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end, description='sets a key'}
redis.register_function{function_name='getter', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes', 'allow-stale'}}";

fn load(con: &mut redis::Connection, code: &str) -> String {
    run(con, &["FUNCTION", "LOAD", code])
}

#[test]
fn load_call_and_list() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    assert_eq!(load(&mut c, LIB), "mylib");
    assert_eq!(run::<String>(&mut c, &["FCALL", "echo_key", "1", "k", "a"]), "k");
    assert_eq!(run::<String>(&mut c, &["FCALL", "setter", "1", "k", "v"]), "OK");
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    assert_eq!(run::<String>(&mut c, &["FCALL_RO", "getter", "1", "k"]), "v");
    assert_eq!(run::<String>(&mut c, &["FCALL", "getter", "1", "k"]), "v");
    // Function names are found whatever their case, as Redis's function table does; the
    // names are listed as registered. Another library may not take one in other case.
    assert_eq!(run::<String>(&mut c, &["FCALL", "GETTER", "1", "k"]), "v");
    assert_eq!(run::<String>(&mut c, &["FCALL_RO", "Getter", "1", "k"]), "v");
    assert_eq!(
        fail(&mut c, &["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('SETTER', function() end)"]),
        "ERR Function SETTER already exists"
    );
    // Functions get their keys and arguments, never KEYS/ARGV.
    load(
        &mut c,
        "#!lua name=shapes\nredis.register_function('counts', function(k, a) return {#k, #a, k[2], a[1]} end)\n\
         redis.register_function('globals', function(k, a) return KEYS end)",
    );
    let counts: redis::Value = run(&mut c, &["FCALL", "counts", "2", "a", "b", "c"]);
    assert_eq!(
        counts,
        redis::Value::Array(vec![
            redis::Value::Int(2),
            redis::Value::Int(1),
            redis::Value::BulkString(b"b".to_vec()),
            redis::Value::BulkString(b"c".to_vec()),
        ])
    );
    assert_eq!(
        fail(&mut c, &["FCALL", "globals", "0"]),
        "ERR user_function:3: Script attempted to access nonexistent global variable 'KEYS' script: globals, on @user_function:3."
    );

    let mut raw = server.raw();
    raw.expect(
        &["FUNCTION", "LIST", "LIBRARYNAME", "MY*"],
        "*1\r\n*6\r\n$12\r\nlibrary_name\r\n$5\r\nmylib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*3\r\n\
         *6\r\n$4\r\nname\r\n$8\r\necho_key\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n\
         *6\r\n$4\r\nname\r\n$6\r\ngetter\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*2\r\n+no-writes\r\n+allow-stale\r\n\
         *6\r\n$4\r\nname\r\n$6\r\nsetter\r\n$11\r\ndescription\r\n$10\r\nsets a key\r\n$5\r\nflags\r\n*0\r\n",
    );
    raw.expect(&["FUNCTION", "LIST", "LIBRARYNAME", "nomatch"], "*0\r\n");
    let listed: Vec<redis::Value> = run(&mut c, &["FUNCTION", "LIST", "WITHCODE"]);
    assert_eq!(listed.len(), 2);
    let with_code: Vec<redis::Value> = run(&mut c, &["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "mylib"]);
    let redis::Value::Array(fields) = &with_code[0] else { panic!("{with_code:?}") };
    assert_eq!(fields.len(), 8);
    assert_eq!(fields[6], redis::Value::BulkString(b"library_code".to_vec()));
    assert_eq!(fields[7], redis::Value::BulkString(LIB.as_bytes().to_vec()));
}

#[test]
fn resp3_reply_shapes() {
    let server = TestServer::start();
    load(
        &mut server.sync_conn(),
        "#!lua name=lib\nredis.register_function{function_name='f', callback=function() return 1 end, flags={'no-writes'}}",
    );
    let mut raw = server.raw_resp3();
    raw.expect(
        &["FUNCTION", "LIST"],
        "*1\r\n%3\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n\
         %3\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n_\r\n$5\r\nflags\r\n~1\r\n+no-writes\r\n",
    );
    raw.expect(
        &["FUNCTION", "STATS"],
        "%2\r\n$14\r\nrunning_script\r\n_\r\n$7\r\nengines\r\n%1\r\n$3\r\nLUA\r\n\
         %2\r\n$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n",
    );
    let mut raw2 = server.raw();
    raw2.expect(
        &["FUNCTION", "STATS"],
        "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n\
         *4\r\n$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n",
    );
}

#[test]
fn load_errors_as_redis_words_them() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let cases: &[(&str, &str)] = &[
        ("return 1", "ERR Missing library metadata"),
        ("#!lua name=x", "ERR Invalid library metadata"),
        ("#!lua\nreturn 1", "ERR Library name was not given"),
        ("#!lua name=x foo\n", "ERR Invalid metadata value given: foo"),
        ("#!lua name=x name=y\n", "ERR Invalid metadata value, name argument was given multiple times"),
        (
            "#!lua name=a-b\n",
            "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
        ("#!js name=x\nreturn 1", "ERR Engine 'js' not found"),
        ("#!lua name=x\nreturn 1", "ERR No functions registered"),
        ("#!lua name=x\nx(", "ERR Error compiling function: user_function:2: unexpected symbol near '<eof>'"),
        (
            "#!lua name=x\nredis.call('ping')",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'",
        ),
        (
            "#!lua name=x\nlocal s = string.format('%d', 1)",
            "ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'string'",
        ),
        (
            "#!lua name=x\nfoo = 1",
            "ERR Error registering functions: ERR user_function:2: Attempt to modify a readonly table",
        ),
        (
            "#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
            "ERR Error registering functions: ERR Function already exists in the library",
        ),
        (
            "#!lua name=x\nredis.register_function('f', 1)",
            "ERR Error registering functions: ERR second argument to redis.register_function must be a function",
        ),
        (
            "#!lua name=x\nredis.register_function()",
            "ERR Error registering functions: ERR wrong number of arguments to redis.register_function",
        ),
        (
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}",
            "ERR Error registering functions: ERR unknown flag given",
        ),
        (
            "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, foo=1}",
            "ERR Error registering functions: ERR unknown argument given to redis.register_function",
        ),
        (
            "#!lua name=x\nredis.register_function{callback=function() end}",
            "ERR Error registering functions: ERR redis.register_function must get a function name argument",
        ),
        (
            "#!lua name=x\nredis.register_function{function_name='f'}",
            "ERR Error registering functions: ERR redis.register_function must get a callback argument",
        ),
        (
            "#!lua name=x\nredis.register_function('a-b', function() end)",
            "ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
        ),
        ("#!lua name=x\nwhile true do end", "ERR Error registering functions: ERR FUNCTION LOAD timeout"),
    ];
    for (code, error) in cases {
        assert_eq!(fail(&mut c, &["FUNCTION", "LOAD", code]), *error, "{code}");
    }
    assert_eq!(run::<Vec<redis::Value>>(&mut c, &["FUNCTION", "LIST"]), vec![]);
    load(&mut c, LIB);
    assert_eq!(fail(&mut c, &["FUNCTION", "LOAD", LIB]), "ERR Library 'mylib' already exists");
    assert_eq!(
        fail(&mut c, &["FUNCTION", "LOAD", "#!lua name=other\nredis.register_function('setter', function() end)"]),
        "ERR Function setter already exists"
    );
    assert_eq!(fail(&mut c, &["FUNCTION", "LOAD", "x", LIB]), "ERR Unknown option given: x");
    assert_eq!(fail(&mut c, &["FUNCTION", "LOAD", "REPLACE"]), "ERR Missing library metadata");
    assert_eq!(fail(&mut c, &["FUNCTION", "LOAD"]), "ERR wrong number of arguments for 'function|load' command");
    assert_eq!(fail(&mut c, &["FUNCTION", "NOPE"]), "ERR unknown subcommand 'NOPE'. Try FUNCTION HELP.");
    // REPLACE swaps the library whole: its old functions go.
    let replaced = "#!lua name=mylib\nredis.register_function('fresh', function() return 'new' end)";
    assert_eq!(run::<String>(&mut c, &["FUNCTION", "LOAD", "replace", replaced]), "mylib");
    assert_eq!(run::<String>(&mut c, &["FCALL", "fresh", "0"]), "new");
    assert_eq!(fail(&mut c, &["FCALL", "setter", "1", "k", "v"]), "ERR Function not found");
}

#[test]
fn fcall_errors_and_flags() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    load(&mut c, LIB);
    load(
        &mut c,
        "#!lua name=more\nredis.register_function{function_name='ro_writer', callback=function() return redis.call('set', 'x', 'y') end, flags={'no-writes'}}\n\
         redis.register_function('nested', function() return redis.call('fcall', 'echo_key', 0) end)\n\
         redis.register_function('boom', function() error('boom') end)",
    );
    assert_eq!(fail(&mut c, &["FCALL", "nosuch", "0"]), "ERR Function not found");
    assert_eq!(fail(&mut c, &["FCALL", "nosuch", "x"]), "ERR Function not found");
    assert_eq!(fail(&mut c, &["FCALL", "echo_key", "x"]), "ERR Bad number of keys provided");
    assert_eq!(fail(&mut c, &["FCALL", "echo_key", "-1"]), "ERR Number of keys can't be negative");
    assert_eq!(
        fail(&mut c, &["FCALL", "echo_key", "3", "a"]),
        "ERR Number of keys can't be greater than number of args"
    );
    assert_eq!(fail(&mut c, &["FCALL", "echo_key"]), "ERR wrong number of arguments for 'fcall' command");
    assert_eq!(
        fail(&mut c, &["FCALL_RO", "setter", "1", "k", "v"]),
        "ERR Can not execute a script with write flag using *_ro command."
    );
    assert_eq!(
        fail(&mut c, &["FCALL", "ro_writer", "0"]),
        "ERR Write commands are not allowed from read-only scripts. script: ro_writer, on @user_function:2."
    );
    assert_eq!(
        fail(&mut c, &["FCALL", "nested", "0"]),
        "ERR This Redis command is not allowed from script script: nested, on @user_function:3."
    );
    assert_eq!(fail(&mut c, &["FCALL", "boom", "0"]), "ERR user_function:4: boom script: boom, on @user_function:4.");
    assert_eq!(get(&mut c, "x"), None);
    // Inside MULTI, and the key count is what COMMAND GETKEYS and cluster routing use.
    let replies: Vec<redis::Value> = redis::pipe()
        .atomic()
        .cmd("FCALL")
        .arg("setter")
        .arg(1)
        .arg("t")
        .arg("1")
        .cmd("FCALL_RO")
        .arg("getter")
        .arg(1)
        .arg("t")
        .query(&mut c)
        .unwrap();
    assert_eq!(replies[1], redis::Value::BulkString(b"1".to_vec()));
    let keys: Vec<String> = run(&mut c, &["COMMAND", "GETKEYS", "FCALL", "f", "2", "a", "b", "c"]);
    assert_eq!(keys, ["a", "b"]);
    let keys: Vec<String> = run(&mut c, &["COMMAND", "GETKEYS", "FCALL_RO", "f", "1", "a", "b"]);
    assert_eq!(keys, ["a"]);
}

#[test]
fn delete_flush_stats_and_info() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    load(&mut c, LIB);
    load(&mut c, "#!lua name=second\nredis.register_function('two', function() return 2 end)");
    let info: String = run(&mut c, &["INFO", "memory"]);
    assert!(info.contains("number_of_functions:4\r\n"), "{info}");
    assert!(info.contains("number_of_libraries:2\r\n"), "{info}");
    for field in
        ["used_memory_vm_functions:", "used_memory_functions:", "used_memory_vm_total:", "used_memory_scripts:"]
    {
        assert!(info.contains(field), "{field} missing: {info}");
    }
    assert_eq!(fail(&mut c, &["FUNCTION", "DELETE", "nosuch"]), "ERR Library not found");
    assert_eq!(run::<String>(&mut c, &["FUNCTION", "DELETE", "mylib"]), "OK");
    assert_eq!(fail(&mut c, &["FCALL", "setter", "1", "k", "v"]), "ERR Function not found");
    assert_eq!(run::<i64>(&mut c, &["FCALL", "two", "0"]), 2);
    let mut raw = server.raw();
    raw.expect(
        &["FUNCTION", "STATS"],
        "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n\
         *4\r\n$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n",
    );
    assert_eq!(fail(&mut c, &["FUNCTION", "FLUSH", "x"]), "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    assert_eq!(
        fail(&mut c, &["FUNCTION", "FLUSH", "sync", "x"]),
        "ERR unknown subcommand or wrong number of arguments for 'FLUSH'. Try FUNCTION HELP."
    );
    assert_eq!(run::<String>(&mut c, &["FUNCTION", "FLUSH", "ASYNC"]), "OK");
    assert_eq!(fail(&mut c, &["FCALL", "two", "0"]), "ERR Function not found");
    // SCRIPT FLUSH and FUNCTION FLUSH leave each other's alone.
    load(&mut c, LIB);
    run::<String>(&mut c, &["SCRIPT", "FLUSH"]);
    assert_eq!(run::<String>(&mut c, &["FCALL", "echo_key", "1", "k"]), "k");
    let help: Vec<String> = run(&mut c, &["FUNCTION", "HELP"]);
    assert_eq!(help[0], "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_eq!(help.last().map(String::as_str), Some("    Prints this help."));
}

#[test]
fn dump_and_restore_round_trip() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    load(&mut c, LIB);
    load(&mut c, "#!lua name=second\nredis.register_function('two', function() return 2 end)");
    let payload: Vec<u8> = run(&mut c, &["FUNCTION", "DUMP"]);
    let restore = |c: &mut redis::Connection, policy: Option<&str>| {
        let mut cmd = redis::cmd("FUNCTION");
        cmd.arg("RESTORE").arg(&payload);
        if let Some(policy) = policy {
            cmd.arg(policy);
        }
        cmd.query::<String>(c).map_err(|e| format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")))
    };
    assert_eq!(restore(&mut c, None).unwrap_err(), "ERR Library mylib already exists");
    assert_eq!(restore(&mut c, Some("APPEND")).unwrap_err(), "ERR Library mylib already exists");
    assert_eq!(restore(&mut c, Some("replace")).unwrap(), "OK");
    assert_eq!(
        restore(&mut c, Some("bogus")).unwrap_err(),
        "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
    );
    run::<String>(&mut c, &["FUNCTION", "FLUSH"]);
    assert_eq!(restore(&mut c, None).unwrap(), "OK");
    assert_eq!(run::<i64>(&mut c, &["FCALL", "two", "0"]), 2);
    assert_eq!(run::<Vec<u8>>(&mut c, &["FUNCTION", "DUMP"]), payload, "the payload round-trips");
    // FLUSH drops what is not in the payload.
    load(&mut c, "#!lua name=third\nredis.register_function('three', function() return 3 end)");
    assert_eq!(restore(&mut c, Some("FLUSH")).unwrap(), "OK");
    assert_eq!(fail(&mut c, &["FCALL", "three", "0"]), "ERR Function not found");
    // A colliding function in another library fails the restore, and nothing changes.
    run::<String>(&mut c, &["FUNCTION", "FLUSH"]);
    load(&mut c, "#!lua name=other\nredis.register_function('two', function() return 'other' end)");
    assert_eq!(restore(&mut c, Some("REPLACE")).unwrap_err(), "ERR Function two already exists");
    assert_eq!(run::<String>(&mut c, &["FCALL", "two", "0"]), "other");

    assert_eq!(fail(&mut c, &["FUNCTION", "RESTORE", "garbage"]), "ERR DUMP payload version or checksum are wrong");
    assert_eq!(fail(&mut c, &["FUNCTION", "RESTORE", ""]), "ERR DUMP payload version or checksum are wrong");
    let mut flipped = payload.clone();
    flipped[3] ^= 1;
    let flipped_err = redis::cmd("FUNCTION").arg("RESTORE").arg(&flipped).query::<String>(&mut c).unwrap_err();
    assert_eq!(flipped_err.detail(), Some("DUMP payload version or checksum are wrong"));
    assert_eq!(
        fail(&mut c, &["FUNCTION", "RESTORE", "x", "FLUSH", "y"]),
        "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP."
    );
    // An empty dump restores to nothing.
    run::<String>(&mut c, &["FUNCTION", "FLUSH"]);
    let empty: Vec<u8> = run(&mut c, &["FUNCTION", "DUMP"]);
    assert_eq!(empty.len(), 10);
    assert_eq!(redis::cmd("FUNCTION").arg("RESTORE").arg(&empty).query::<String>(&mut c).unwrap(), "OK");
}

/// FUNCTION KILL and BUSY from another connection (the same from the function's own worker
/// and with one worker: see busy_scripts.rs).
#[test]
fn function_kill_and_stats_while_a_function_runs() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    run::<()>(&mut c, &["CONFIG", "SET", "busy-reply-threshold", "100"]);
    load(
        &mut c,
        "#!lua name=slow\nredis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}\n\
         redis.register_function('spin_write', function(k) redis.call('set', k[1], '1') while true do end end)",
    );
    let mut other = server.raw();
    other.expect(&["FUNCTION", "KILL"], "-NOTBUSY No scripts in execution right now.\r\n");
    let mut runner = server.raw();
    let mut other = server.raw();
    runner.command(&[b"FCALL", b"spin", b"0"]);
    let mut last = common::wait_for_busy(&mut other);
    assert_eq!(last, "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n");
    other.expect(
        &["SCRIPT", "KILL"],
        "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n",
    );
    other.command(&[b"FUNCTION", b"STATS"]);
    let lines: Vec<String> = (0..32).map(|_| other.read_line()).collect();
    assert_eq!(
        lines[..19].join(""),
        "*4\r\n$14\r\nrunning_script\r\n*6\r\n$4\r\nname\r\n$4\r\nspin\r\n$7\r\ncommand\r\n*3\r\n$5\r\nFCALL\r\n\
         $4\r\nspin\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n"
    );
    assert!(lines[19].starts_with(':'), "{}", lines[19]);
    assert_eq!(
        lines[20..].join(""),
        "$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n"
    );
    other.expect(&["FUNCTION", "KILL"], "+OK\r\n");
    assert_eq!(
        runner.read_line(),
        "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n"
    );
    runner.expect(&["PING"], "+PONG\r\n");
    other.expect(&["FUNCTION", "KILL"], "-NOTBUSY No scripts in execution right now.\r\n");

    // A function that wrote cannot be killed; an EVAL script cannot be killed by FUNCTION KILL.
    let mut runner = server.raw();
    let mut other = server.raw();
    runner.command(&[b"EVAL", b"while true do end", b"0"]);
    let refused = wait_until(Duration::from_secs(10), || {
        other.command(&[b"FUNCTION", b"KILL"]);
        last = other.read_line();
        !last.starts_with("-NOTBUSY")
    });
    assert!(refused);
    assert_eq!(last, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n");
    other.expect(
        &["FUNCTION", "STATS"],
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n",
    );
    other.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    assert!(runner.read_line().starts_with("-ERR Script killed by user with SCRIPT KILL..."));

    let mut runner = server.raw();
    let mut other = server.raw();
    runner.command(&[b"FCALL", b"spin_write", b"1", b"w"]);
    // BUSY comes once the function has run for busy-reply-threshold: it has written by then.
    common::wait_for_busy(&mut other);
    other.command(&[b"FUNCTION", b"KILL"]);
    let last = other.read_line();
    assert!(last.starts_with("-UNKILLABLE Sorry the script already executed write commands"), "{last}");
    other.command(&[b"SHUTDOWN", b"NOSAVE"]);
}

#[test]
fn libraries_survive_a_restart_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--appendfsync", "always"]);
        let mut c = server.sync_conn();
        load(&mut c, LIB);
        load(&mut c, "#!lua name=gone\nredis.register_function('gone', function() return 1 end)");
        run::<String>(&mut c, &["FUNCTION", "DELETE", "gone"]);
        assert_eq!(run::<String>(&mut c, &["FCALL", "setter", "1", "k", "v"]), "OK");
        server.kill9();
    }
    let mut server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = server.sync_conn();
    assert_eq!(get(&mut c, "k").as_deref(), Some("v"));
    assert_eq!(run::<String>(&mut c, &["FCALL_RO", "getter", "1", "k"]), "v");
    assert_eq!(fail(&mut c, &["FCALL", "gone", "0"]), "ERR Function not found");
    // A snapshot keeps them too, and the journal after it adds what came later.
    run::<String>(&mut c, &["SAVE"]);
    load(&mut c, "#!lua name=later\nredis.register_function('later', function() return 'later' end)");
    server.kill9();
    let mut server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = server.sync_conn();
    let listed: Vec<redis::Value> = run(&mut c, &["FUNCTION", "LIST"]);
    assert_eq!(listed.len(), 2);
    assert_eq!(run::<String>(&mut c, &["FCALL", "later", "0"]), "later");
    assert_eq!(run::<String>(&mut c, &["FCALL", "echo_key", "1", "x"]), "x");
    // FUNCTION FLUSH is logged as well.
    run::<String>(&mut c, &["FUNCTION", "FLUSH"]);
    server.kill9();
    let server = TestServer::start_in(dir.path(), &["--appendonly", "yes", "--appendfsync", "always"]);
    let mut c = server.sync_conn();
    assert_eq!(run::<Vec<redis::Value>>(&mut c, &["FUNCTION", "LIST"]), vec![]);
}

#[test]
fn libraries_survive_a_restart_from_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
        let mut c = server.sync_conn();
        load(&mut c, LIB);
        run::<String>(&mut c, &["SAVE"]);
        server.kill9();
    }
    let server = TestServer::start_in(dir.path(), &["--appendonly", "no"]);
    let mut c = server.sync_conn();
    assert_eq!(run::<String>(&mut c, &["FCALL", "echo_key", "1", "x"]), "x");
    let info: String = run(&mut c, &["INFO", "memory"]);
    assert!(info.contains("number_of_libraries:1\r\n"), "{info}");
}

#[test]
fn command_table_lists_the_new_commands() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    let info: Vec<redis::Value> = run(&mut c, &["COMMAND", "INFO", "fcall", "fcall_ro", "function"]);
    assert!(info.iter().all(|v| !matches!(v, redis::Value::Nil)), "{info:?}");
    let docs: redis::Value = run(&mut c, &["COMMAND", "DOCS", "function"]);
    let text = format!("{docs:?}");
    for sub in [
        "function|load",
        "function|delete",
        "function|list",
        "function|dump",
        "function|restore",
        "function|stats",
        "function|kill",
        "function|flush",
        "function|help",
    ] {
        assert!(text.contains(sub), "{sub} missing from COMMAND DOCS");
    }
    let names: Vec<String> = run(&mut c, &["COMMAND", "LIST", "FILTERBY", "PATTERN", "fcall*"]);
    let mut names = names;
    names.sort();
    assert_eq!(names, ["fcall", "fcall_ro"]);
}

/// Replicas get the libraries by full sync (loaded before they joined) and through the
/// stream (loaded, replaced, deleted afterwards), and run the functions on READONLY reads.
#[test]
fn replicas_receive_the_libraries() {
    let primary = TestServer::start_with(&["--cluster", "--cluster-port", "0", "--replicas", "1"]);
    let mut con = primary.sync_conn();
    load(&mut con, LIB);
    assert_eq!(run::<String>(&mut con, &["FCALL", "setter", "1", "k", "v"]), "OK");
    let bus = primary.cluster.expect("the primary's cluster port").to_string();
    let replica = TestServer::start_with(&["--join", bus.as_str(), "--cluster-port", "0"]);
    for node in [&primary, &replica] {
        assert!(wait_until(Duration::from_secs(20), || common::members(node) == 2), "the map reaches every node");
    }
    load(&mut con, "#!lua name=later\nredis.register_function('later', function() return 'later' end)");
    load(&mut con, "#!lua name=gone\nredis.register_function('gone', function() return 1 end)");
    run::<String>(&mut con, &["FUNCTION", "DELETE", "gone"]);
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    let mut rcon = replica.sync_conn();
    let names = |c: &mut redis::Connection| -> Vec<String> {
        let listed: Vec<redis::Value> = run(c, &["FUNCTION", "LIST"]);
        listed
            .iter()
            .filter_map(|l| match l {
                redis::Value::Array(fields) => match &fields[1] {
                    redis::Value::BulkString(name) => Some(String::from_utf8_lossy(name).into_owned()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    };
    assert_eq!(names(&mut rcon), ["later", "mylib"]);
    assert_eq!(
        fail(&mut rcon, &["FUNCTION", "LOAD", "#!lua name=x\nredis.register_function('x', function() end)"]),
        "READONLY You can't write against a read only replica."
    );
    run::<String>(&mut rcon, &["READONLY"]);
    assert_eq!(run::<String>(&mut rcon, &["FCALL_RO", "getter", "1", "k"]), "v");
    // A flush reaches it too.
    run::<String>(&mut con, &["FUNCTION", "FLUSH"]);
    assert_eq!(run::<i64>(&mut con, &["WAIT", "1", "10000"]), 1);
    assert!(names(&mut rcon).is_empty());
}

/// Over maxmemory, a function (or a script with a shebang) is refused up front unless it
/// declares allow-oom or no-writes; a legacy EVAL script still runs, as in Redis.
#[test]
fn declared_flags_decide_oom_refusals() {
    let server = TestServer::start();
    let mut c = server.sync_conn();
    load(
        &mut c,
        "#!lua name=lib\nredis.register_function('plain', function() return 1 end)\n\
         redis.register_function{function_name='oom_ok', callback=function() return 2 end, flags={'allow-oom'}}\n\
         redis.register_function{function_name='reader', callback=function() return 3 end, flags={'no-writes'}}",
    );
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "1"]);
    let oom = "OOM command not allowed when used memory > 'maxmemory'.";
    assert_eq!(fail(&mut c, &["FCALL", "plain", "0"]), oom);
    assert_eq!(run::<i64>(&mut c, &["FCALL", "oom_ok", "0"]), 2);
    assert_eq!(run::<i64>(&mut c, &["FCALL", "reader", "0"]), 3);
    assert_eq!(fail(&mut c, &["FUNCTION", "LOAD", "REPLACE", "#!lua name=lib\nx"]), oom);
    assert_eq!(run::<i64>(&mut c, &["EVAL", "return 1", "0"]), 1);
    assert_eq!(fail(&mut c, &["EVAL", "#!lua\nreturn 1", "0"]), oom);
    assert_eq!(run::<i64>(&mut c, &["EVAL", "#!lua flags=allow-oom\nreturn 1", "0"]), 1);
    run::<()>(&mut c, &["CONFIG", "SET", "maxmemory", "0"]);
    assert_eq!(run::<i64>(&mut c, &["FCALL", "plain", "0"]), 1);
    assert_eq!(
        fail(&mut c, &["EVAL_RO", "#!lua\nreturn 1", "0"]),
        "ERR Can not execute a script with write flag using *_ro command."
    );
}
