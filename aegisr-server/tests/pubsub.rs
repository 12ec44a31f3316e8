//! Pub/sub through real clients: the redis crate's pub/sub API, raw RESP2 and RESP3
//! connections and the gRPC Subscribe stream. Ordering under concurrent publishers, a
//! thousand subscribers, glob patterns, subscribed-mode rules, RESP3 pushes between
//! replies, and a subscriber that never reads being cut off without harming anyone else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, fail, run, wait_until};
use tokio_stream::StreamExt;

fn publish(con: &mut redis::Connection, channel: &str, message: &str) -> i64 {
    run(con, &["PUBLISH", channel, message])
}

/// Waits until `channel` has `n` subscribers.
fn wait_subscribers(con: &mut redis::Connection, channel: &str, n: i64) {
    assert!(
        wait_until(Duration::from_secs(10), || {
            let (_, count): (String, i64) = run(con, &["PUBSUB", "NUMSUB", channel]);
            count == n
        }),
        "{channel} never had {n} subscribers"
    );
}

#[test]
fn subscribers_receive_what_is_published_to_their_channels_and_patterns() {
    let server = TestServer::start();
    let mut sub_con = server.sync_conn();
    let mut pubsub = sub_con.as_pubsub();
    pubsub.subscribe(&["news", "sport"]).unwrap();
    pubsub.psubscribe("weather.*").unwrap();
    let mut publisher = server.sync_conn();
    wait_subscribers(&mut publisher, "sport", 1);
    assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut publisher, &["PUBSUB", "NUMPAT"]) == 1));
    assert_eq!(publish(&mut publisher, "news", "first"), 1);
    assert_eq!(publish(&mut publisher, "weather.paris", "sunny"), 1);
    assert_eq!(publish(&mut publisher, "nobody", "lost"), 0);
    let msg = pubsub.get_message().unwrap();
    assert_eq!((msg.get_channel_name(), msg.get_payload::<String>().unwrap()), ("news", "first".to_owned()));
    let msg = pubsub.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "weather.paris");
    assert_eq!(msg.get_pattern::<String>().unwrap(), "weather.*");
    pubsub.unsubscribe("news").unwrap();
    pubsub.punsubscribe("weather.*").unwrap();
    wait_subscribers(&mut publisher, "news", 0);
    assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut publisher, &["PUBSUB", "NUMPAT"]) == 0));
    assert_eq!(publish(&mut publisher, "news", "second"), 0);
    assert_eq!(publish(&mut publisher, "sport", "goal"), 1);
    let channels: Vec<String> = run(&mut publisher, &["PUBSUB", "CHANNELS"]);
    assert_eq!(channels, ["sport"]);
    let info: String = run(&mut publisher, &["INFO", "stats"]);
    assert!(info.contains("pubsub_channels:1\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\n"), "{info}");
    // The redis crate unsubscribes from everything when its PubSub is dropped.
    drop(pubsub);
    wait_subscribers(&mut publisher, "sport", 0);
}

#[test]
fn confirmations_and_subscribed_mode_match_redis_in_resp2() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.expect(
        &["SUBSCRIBE", "a", "b"],
        "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n",
    );
    raw.expect(&["PSUBSCRIBE", "c*"], "*3\r\n$10\r\npsubscribe\r\n$2\r\nc*\r\n:3\r\n");
    raw.expect(
        &["GET", "x"],
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    raw.expect(&["PING"], "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    raw.expect(&["PING", "hi"], "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
    raw.expect(
        &["UNSUBSCRIBE", "a", "nope"],
        "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$4\r\nnope\r\n:2\r\n",
    );
    raw.expect(&["PUNSUBSCRIBE"], "*3\r\n$12\r\npunsubscribe\r\n$2\r\nc*\r\n:1\r\n");
    raw.expect(&["UNSUBSCRIBE"], "*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n");
    raw.expect(&["UNSUBSCRIBE"], "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    // Out of subscribed mode, commands run again.
    raw.expect(&["GET", "x"], "$-1\r\n");
    // Shard channels count on their own.
    raw.expect(&["SSUBSCRIBE", "s1"], "*3\r\n$10\r\nssubscribe\r\n$2\r\ns1\r\n:1\r\n");
    let mut publisher = server.sync_conn();
    assert_eq!(run::<i64>(&mut publisher, &["SPUBLISH", "s1", "m"]), 1);
    assert_eq!(publish(&mut publisher, "s1", "not-a-shard-message"), 0);
    let smessage = "*3\r\n$8\r\nsmessage\r\n$2\r\ns1\r\n$1\r\nm\r\n";
    assert_eq!(String::from_utf8(raw.read_exact_len(smessage.len())).unwrap(), smessage);
    let (_, n): (String, i64) = run(&mut publisher, &["PUBSUB", "SHARDNUMSUB", "s1"]);
    assert_eq!(n, 1);
    // A subscriber is a `pubsub` client with its counts in CLIENT LIST.
    let line: String = run(&mut publisher, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert!(line.contains(" flags=P db=0 sub=0 psub=0 ssub=1 "), "{line}");
    let normal: String = run(&mut publisher, &["CLIENT", "LIST", "TYPE", "normal"]);
    assert!(!normal.contains("flags=P"), "{normal}");
    // RESET leaves subscribed mode and drops the subscriptions.
    raw.expect(&["RESET"], "+RESET\r\n");
    let none: String = run(&mut publisher, &["CLIENT", "LIST", "TYPE", "pubsub"]);
    assert_eq!(none, "");
    assert_eq!(run::<i64>(&mut publisher, &["SPUBLISH", "s1", "m"]), 0);
    let mut c = server.sync_conn();
    assert_eq!(fail(&mut c, &["SUBSCRIBE"]), "ERR wrong number of arguments for 'subscribe' command");
    assert_eq!(fail(&mut c, &["PUBLISH", "a"]), "ERR wrong number of arguments for 'publish' command");
    for sub in ["CHANNELS", "shardchannels"] {
        assert_eq!(
            fail(&mut c, &["PUBSUB", sub, "a", "b"]),
            format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try PUBSUB HELP.")
        );
    }
    assert_eq!(fail(&mut c, &["PUBSUB", "NUMPAT", "x"]), "ERR wrong number of arguments for 'pubsub|numpat' command");
    // Redis's own help text.
    let help: Vec<String> = run(&mut c, &["PUBSUB", "HELP"]);
    assert_eq!(help.len(), 14);
    assert_eq!(help[0], "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_eq!(help[1], "CHANNELS [<pattern>]");
    assert_eq!(help[13], "    Prints this help.");
}

#[test]
fn resp3_clients_get_pushes_between_their_replies() {
    let server = TestServer::start();
    let mut raw = server.raw_resp3();
    raw.expect(&["SUBSCRIBE", "r3"], ">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n");
    // A RESP3 subscriber still runs commands.
    raw.expect(&["SET", "k", "v"], "+OK\r\n");
    let mut publisher = server.sync_conn();
    assert_eq!(publish(&mut publisher, "r3", "pushed"), 1);
    let push = ">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$6\r\npushed\r\n";
    assert_eq!(String::from_utf8(raw.read_exact_len(push.len())).unwrap(), push);
    raw.expect(&["GET", "k"], "$1\r\nv\r\n");
    raw.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn resp3_pushes_a_client_causes_itself_come_before_its_reply() {
    let server = TestServer::start();
    let mut raw = server.raw_resp3();
    raw.expect(&["SUBSCRIBE", "me"], ">3\r\n$9\r\nsubscribe\r\n$2\r\nme\r\n:1\r\n");
    // As Redis 7.0: the message is written while PUBLISH runs, before PUBLISH's reply.
    raw.expect(&["PUBLISH", "me", "hi"], ">3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$2\r\nhi\r\n:1\r\n");
    raw.expect(&["CONFIG", "SET", "notify-keyspace-events", "E$"], "+OK\r\n");
    raw.expect(&["SUBSCRIBE", "__keyevent@0__:set"], ">3\r\n$9\r\nsubscribe\r\n$18\r\n__keyevent@0__:set\r\n:2\r\n");
    raw.expect(&["SET", "k", "v"], ">3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n+OK\r\n");
    // In a transaction the pushes come before EXEC's reply (Redis 7.0 wrote them inside
    // its array, which Redis 7.2 fixed).
    raw.expect(&["MULTI"], "+OK\r\n");
    raw.expect(&["PUBLISH", "me", "tx"], "+QUEUED\r\n");
    raw.expect(&["EXEC"], ">3\r\n$7\r\nmessage\r\n$2\r\nme\r\n$2\r\ntx\r\n*1\r\n:1\r\n");
}

#[test]
fn a_blocked_resp3_subscriber_still_receives_its_messages() {
    let server = TestServer::start();
    let mut raw = server.raw_resp3();
    raw.expect(&["SUBSCRIBE", "news"], ">3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n");
    let mut publisher = server.sync_conn();
    for blocking in [&[b"BLPOP" as &[u8], b"list", b"0"][..], &[b"XREAD", b"BLOCK", b"0", b"STREAMS", b"s", b"$"]] {
        raw.command(blocking);
        assert!(wait_until(Duration::from_secs(10), || {
            run::<String>(&mut publisher, &["INFO", "clients"]).contains("blocked_clients:1\r\n")
        }));
        // Pushed while the client waits, as Redis does, not held back until it is served.
        for text in ["one", "two"] {
            assert_eq!(publish(&mut publisher, "news", text), 1);
            let push = format!(">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$3\r\n{text}\r\n");
            assert_eq!(String::from_utf8(raw.read_exact_len(push.len())).unwrap(), push);
        }
        if blocking[0] == b"BLPOP" {
            run::<i64>(&mut publisher, &["RPUSH", "list", "v"]);
            assert_eq!(raw.read_line(), "*2\r\n");
        } else {
            run::<String>(&mut publisher, &["XADD", "s", "1-0", "f", "v"]);
            assert_eq!(raw.read_line(), "%1\r\n");
        }
        let mut rest = String::new();
        raw.command(&[b"PING"]);
        while !rest.ends_with("+PONG\r\n") {
            rest.push_str(&raw.read_line());
        }
    }
}

#[test]
fn glob_patterns_match_as_in_redis() {
    let server = TestServer::start();
    let mut sub_con = server.sync_conn();
    let mut pubsub = sub_con.as_pubsub();
    pubsub.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // Each channel, and the patterns Redis 7.0.15 delivers it to: the documented forms,
    // escapes, and malformed patterns (unterminated classes, a `-` before `]`, a trailing
    // backslash), which Redis accepts and matches by its own rules.
    let table: &[(&str, &[&str])] = &[
        ("hello", &["*", "h?llo", "h*llo", "h[ae]llo", "h\\ello", "h[!e]llo", "h[^]llo", "*llo*", "h**o"]),
        (
            "hallo",
            &[
                "*",
                "h?llo",
                "h*llo",
                "h[ae]llo",
                "h[^e]llo",
                "h[a-b]llo",
                "h[b-a]llo",
                "h[-a]llo",
                "h[^]llo",
                "h[a\\-c]llo",
                "*llo*",
                "h**o",
            ],
        ),
        ("hbllo", &["*", "h?llo", "h*llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "h[^]llo", "*llo*", "h**o"]),
        ("hcllo", &["*", "h?llo", "h*llo", "h[^e]llo", "h[^]llo", "h[a\\-c]llo", "*llo*", "h**o"]),
        ("hllo", &["*", "h*llo", "*llo*", "h**o"]),
        ("h*llo", &["*", "h?llo", "h*llo", "h[^e]llo", "h\\*llo", "h[^]llo", "*llo*", "h**o"]),
        (
            "h-llo",
            &["*", "h?llo", "h*llo", "h[^e]llo", "h[-a]llo", "h[\\-]llo", "h[^]llo", "h[a\\-c]llo", "*llo*", "h**o"],
        ),
        ("h]llo", &["*", "h?llo", "h*llo", "h[^e]llo", "h[\\]]llo", "h[^]llo", "*llo*", "h**o"]),
        ("h[abc", &["*"]),
        ("ha", &["*", "h[abc", "h[a-]llo"]),
        ("hello\\", &["*", "hello\\", "*llo*"]),
        ("e", &["*", "?", "[^a-c]", "[a-c-e]"]),
        ("b", &["*", "?", "[a-c-e]"]),
        ("bx", &["*", "[z-a]x"]),
        ("\\", &["*", "?", "[^a-c]", "\\\\"]),
        // An empty channel matches only the empty pattern: not even `*`.
        ("", &[""]),
    ];
    let mut patterns: Vec<&str> = table.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    patterns.sort_unstable();
    patterns.dedup();
    pubsub.psubscribe(&patterns).unwrap();
    let mut publisher = server.sync_conn();
    let n = patterns.len() as i64;
    assert!(wait_until(Duration::from_secs(10), || run::<i64>(&mut publisher, &["PUBSUB", "NUMPAT"]) == n));
    for (channel, want) in table {
        let receivers = publish(&mut publisher, channel, "x");
        let mut got: Vec<String> =
            (0..receivers).map(|_| pubsub.get_message().unwrap().get_pattern().unwrap()).collect();
        got.sort_unstable();
        let mut want: Vec<String> = want.iter().map(|p| p.to_string()).collect();
        want.sort_unstable();
        assert_eq!(got, want, "channel {channel:?}");
    }
    // PUBSUB CHANNELS matches the same way.
    let mut subscriber = server.raw();
    subscriber.command(&[b"SUBSCRIBE", b"", b"h]llo", b"hallo"]);
    wait_subscribers(&mut publisher, "hallo", 1);
    let mut listed = |pattern: &str| {
        let mut names: Vec<String> = run(&mut publisher, &["PUBSUB", "CHANNELS", pattern]);
        names.sort_unstable();
        names
    };
    assert_eq!(listed("*"), ["h]llo", "hallo"]);
    assert_eq!(listed("h[a-]llo"), Vec::<String>::new());
    assert_eq!(listed("h[\\]a]llo"), ["h]llo", "hallo"]);
    let all: Vec<String> = run(&mut publisher, &["PUBSUB", "CHANNELS"]);
    assert_eq!(all.len(), 3, "without a pattern every channel, the empty one too");
}

#[test]
fn each_publisher_s_messages_arrive_in_order_under_concurrency() {
    let server = TestServer::start();
    let mut sub_con = server.sync_conn();
    let mut pubsub = sub_con.as_pubsub();
    pubsub.subscribe("ordered").unwrap();
    pubsub.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    const PUBLISHERS: usize = 8;
    const EACH: usize = 500;
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let mut con = server.sync_conn();
            std::thread::spawn(move || {
                for i in 0..EACH {
                    let _: i64 = run(&mut con, &["PUBLISH", "ordered", &format!("{p}:{i}")]);
                }
            })
        })
        .collect();
    let mut next = [0usize; PUBLISHERS];
    for _ in 0..PUBLISHERS * EACH {
        let payload: String = pubsub.get_message().unwrap().get_payload().unwrap();
        let (p, i) = payload.split_once(':').unwrap();
        let (p, i): (usize, usize) = (p.parse().unwrap(), i.parse().unwrap());
        assert_eq!(i, next[p], "publisher {p}'s messages out of order");
        next[p] += 1;
    }
    for p in publishers {
        p.join().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_subscribers_all_receive_one_publish() {
    let server = TestServer::start();
    let client = server.client();
    let mut subscribers = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let mut pubsub = client.get_async_pubsub().await.unwrap();
        pubsub.subscribe("crowd").await.unwrap();
        subscribers.push(pubsub);
    }
    let mut publisher = server.conn().await;
    let n: i64 = redis::cmd("PUBLISH").arg("crowd").arg("hello all").query_async(&mut publisher).await.unwrap();
    assert_eq!(n, 1000);
    let n: i64 = redis::cmd("PUBLISH").arg("crowd").arg("and again").query_async(&mut publisher).await.unwrap();
    assert_eq!(n, 1000);
    for pubsub in &mut subscribers {
        let mut messages = pubsub.on_message();
        for want in ["hello all", "and again"] {
            let message = tokio::time::timeout(Duration::from_secs(10), messages.next()).await.unwrap().unwrap();
            assert_eq!((message.get_channel_name(), message.get_payload::<String>().unwrap()), ("crowd", want.into()));
        }
    }
    drop(subscribers);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, n): (String, i64) =
            redis::cmd("PUBSUB").arg("NUMSUB").arg("crowd").query_async(&mut publisher).await.unwrap();
        if n == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the subscribers never left");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn resp3_pushes_and_replies_share_a_connection_through_the_redis_crate() {
    let server = TestServer::start();
    let (tx, mut pushes) = tokio::sync::mpsc::unbounded_channel();
    let config = redis::AsyncConnectionConfig::new().set_push_sender(tx);
    let mut con = server.client_resp3().get_multiplexed_async_connection_with_config(&config).await.unwrap();
    con.subscribe("news").await.unwrap();
    con.psubscribe("alerts.*").await.unwrap();
    let mut publisher = server.conn().await;
    // Messages from another client and the subscriber's own commands, interleaved: every
    // reply reaches its command, every message arrives, in publish order.
    for i in 1..=200i64 {
        let channel = if i % 4 == 0 { "alerts.disk" } else { "news" };
        let n: i64 = redis::cmd("PUBLISH").arg(channel).arg(i).query_async(&mut publisher).await.unwrap();
        assert_eq!(n, 1);
        let counter: i64 = redis::cmd("INCR").arg("counter").query_async(&mut con).await.unwrap();
        assert_eq!(counter, i);
        if i % 50 == 0 {
            // The subscriber publishes to itself too.
            let n: i64 =
                redis::cmd("PUBLISH").arg("news").arg(format!("self {i}")).query_async(&mut con).await.unwrap();
            assert_eq!(n, 1);
        }
    }
    let mut want: Vec<String> = Vec::new();
    for i in 1..=200 {
        want.push(if i % 4 == 0 { format!("alerts.*|alerts.disk|{i}") } else { format!("news|{i}") });
        if i % 50 == 0 {
            want.push(format!("news|self {i}"));
        }
    }
    let mut got = Vec::new();
    while got.len() < want.len() {
        let push = tokio::time::timeout(Duration::from_secs(10), pushes.recv()).await.unwrap().unwrap();
        let text: Vec<String> = push.data.iter().map(|v| redis::from_redis_value(v.clone()).unwrap()).collect();
        match push.kind {
            redis::PushKind::Message | redis::PushKind::PMessage => got.push(text.join("|")),
            redis::PushKind::Subscribe | redis::PushKind::PSubscribe => {}
            other => panic!("unexpected push {other:?}"),
        }
    }
    assert_eq!(got, want);
}

#[test]
fn a_subscriber_that_never_reads_is_cut_off_and_nobody_else_is_harmed() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    run::<String>(&mut admin, &["CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 128kb 60"]);
    let config: Vec<String> = run(&mut admin, &["CONFIG", "GET", "client-output-buffer-limit"]);
    assert_eq!(config[1], "normal 0 0 0 slave 268435456 67108864 60 pubsub 262144 131072 60");
    // Subscribes, then never reads again.
    let mut sleeper = server.raw();
    sleeper.command(&[b"SUBSCRIBE", b"firehose"]);
    let mut healthy_con = server.sync_conn();
    let mut healthy = healthy_con.as_pubsub();
    healthy.subscribe("firehose").unwrap();
    healthy.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut publisher = server.sync_conn();
    wait_subscribers(&mut publisher, "firehose", 2);
    let payload = "x".repeat(64 * 1024);
    let mut sent = 0;
    // Enough to fill the sleeper's socket buffers and then its mailbox.
    loop {
        let receivers = run::<i64>(&mut publisher, &["PUBLISH", "firehose", &payload]);
        if receivers == 2 {
            let got: String = healthy.get_message().unwrap().get_payload().unwrap();
            assert!(got.len() == payload.len(), "the healthy subscriber got a wrong message");
        }
        if receivers < 2 {
            // The sleeper is gone; this message still reached the healthy subscriber.
            let got: String = healthy.get_message().unwrap().get_payload().unwrap();
            assert!(got.len() == payload.len(), "the healthy subscriber got a wrong message");
            break;
        }
        sent += 1;
        assert!(sent < 10_000, "the sleeper was never cut off");
    }
    let info: String = run(&mut admin, &["INFO", "stats"]);
    assert!(info.contains("client_output_buffer_limit_disconnections:1\r\n"), "{info}");
    // The healthy subscriber and the publisher carry on.
    assert_eq!(publish(&mut publisher, "firehose", "after"), 1);
    let after: String = healthy.get_message().unwrap().get_payload().unwrap();
    assert_eq!(after, "after");
    assert!(wait_until(Duration::from_secs(10), || sleeper.is_closed()));
    let bad = fail(&mut admin, &["CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb"]);
    assert!(bad.contains("Wrong number of arguments in buffer limit configuration"), "{bad}");
}

#[test]
fn a_subscriber_over_the_soft_limit_for_too_long_is_cut_off() {
    let server = TestServer::start();
    let mut admin = server.sync_conn();
    // No hard limit: only staying over 256kb for more than a second cuts a client off.
    run::<String>(&mut admin, &["CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 256kb 1"]);
    let mut sleeper = server.raw();
    sleeper.command(&[b"SUBSCRIBE", b"steady"]);
    let mut healthy_con = server.sync_conn();
    let mut healthy = healthy_con.as_pubsub();
    healthy.subscribe("steady").unwrap();
    healthy.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut publisher = server.sync_conn();
    wait_subscribers(&mut publisher, "steady", 2);
    let payload = "y".repeat(64 * 1024);
    let started = std::time::Instant::now();
    loop {
        let receivers = run::<i64>(&mut publisher, &["PUBLISH", "steady", &payload]);
        let got: String = healthy.get_message().unwrap().get_payload().unwrap();
        assert_eq!(got.len(), payload.len(), "the healthy subscriber got a wrong message");
        if receivers < 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the sleeper was never cut off");
        // A steady trickle (about 13 MB/s), so the queue grows slowly past the soft limit.
        std::thread::sleep(Duration::from_millis(5));
    }
    let info: String = run(&mut admin, &["INFO", "stats"]);
    assert!(info.contains("client_output_buffer_limit_disconnections:1\r\n"), "{info}");
    assert!(wait_until(Duration::from_secs(10), || sleeper.is_closed()));
    assert_eq!(publish(&mut publisher, "steady", "after"), 1);
    // CLIENT KILL TYPE pubsub disconnects the remaining subscriber only.
    assert_eq!(run::<i64>(&mut admin, &["CLIENT", "KILL", "TYPE", "pubsub"]), 1);
    assert_eq!(publish(&mut publisher, "steady", "nobody"), 0);
}

#[tokio::test]
async fn grpc_subscribe_streams_messages_and_cancelling_unsubscribes() {
    let server = TestServer::start();
    let mut grpc = aegisr_proto::Client::connect(server.grpc_url()).await.unwrap();
    let request = aegisr_proto::v1::SubscribeRequest {
        channels: vec!["orders".into()],
        patterns: vec!["audit.*".into()],
        shard_channels: vec![],
    };
    let mut stream = grpc.subscribe(request).await.unwrap();
    let mut publisher = server.conn().await;
    let count = || async {
        let mut c = server.conn().await;
        let (_, n): (String, i64) = redis::cmd("PUBSUB").arg("NUMSUB").arg("orders").query_async(&mut c).await.unwrap();
        n
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count().await != 1 {
        assert!(std::time::Instant::now() < deadline, "the gRPC subscriber never registered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let n: i64 = redis::cmd("PUBLISH").arg("orders").arg("o-1").query_async(&mut publisher).await.unwrap();
    assert_eq!(n, 1);
    let n: i64 = redis::cmd("PUBLISH").arg("audit.login").arg("a-1").query_async(&mut publisher).await.unwrap();
    assert_eq!(n, 1);
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!((&first.channel[..], &first.payload[..], &first.pattern[..]), (&b"orders"[..], &b"o-1"[..], &b""[..]));
    let second = stream.next().await.unwrap().unwrap();
    assert_eq!(&second.pattern[..], b"audit.*");
    assert_eq!(&second.channel[..], b"audit.login");
    drop(stream);
    while count().await != 0 {
        assert!(std::time::Instant::now() < deadline, "cancelling the stream did not unsubscribe");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let numpat: i64 = redis::cmd("PUBSUB").arg("NUMPAT").query_async(&mut publisher).await.unwrap();
    assert_eq!(numpat, 0, "the pattern went with the stream");
    let empty = aegisr_proto::v1::SubscribeRequest::default();
    assert!(grpc.subscribe(empty).await.is_err(), "an empty subscription is refused");
}

#[tokio::test]
async fn grpc_subscribe_counts_each_name_once_and_takes_shard_channels() {
    let server = TestServer::start();
    let mut grpc = aegisr_proto::Client::connect(server.grpc_url()).await.unwrap();
    let request = aegisr_proto::v1::SubscribeRequest {
        channels: vec!["twice".into(), "twice".into()],
        patterns: vec!["tw*".into(), "tw*".into()],
        shard_channels: vec!["shard".into()],
    };
    let mut stream = grpc.subscribe(request).await.unwrap();
    let mut c = server.conn().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, n): (String, i64) =
            redis::cmd("PUBSUB").arg("SHARDNUMSUB").arg("shard").query_async(&mut c).await.unwrap();
        if n == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the gRPC subscriber never registered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (_, n): (String, i64) = redis::cmd("PUBSUB").arg("NUMSUB").arg("twice").query_async(&mut c).await.unwrap();
    assert_eq!(n, 1);
    let numpat: i64 = redis::cmd("PUBSUB").arg("NUMPAT").query_async(&mut c).await.unwrap();
    assert_eq!(numpat, 1);
    // Once as a channel, once through the pattern: two receivers, not four.
    let n: i64 = redis::cmd("PUBLISH").arg("twice").arg("m").query_async(&mut c).await.unwrap();
    assert_eq!(n, 2);
    let n: i64 = redis::cmd("SPUBLISH").arg("shard").arg("s").query_async(&mut c).await.unwrap();
    assert_eq!(n, 1);
    let mut got = Vec::new();
    for _ in 0..3 {
        let m = stream.next().await.unwrap().unwrap();
        got.push((String::from_utf8(m.channel.to_vec()).unwrap(), String::from_utf8(m.pattern.to_vec()).unwrap()));
    }
    got.sort();
    let want = [("shard", ""), ("twice", ""), ("twice", "tw*")].map(|(c, p)| (c.to_owned(), p.to_owned()));
    assert_eq!(got, want);
}

#[test]
fn many_channels_in_one_subscribe_and_one_unsubscribe() {
    let server = TestServer::start();
    let mut raw = server.raw();
    const N: usize = 50_000;
    let names: Vec<String> = (0..N).map(|i| format!("ch:{i}")).collect();
    let mut args: Vec<&[u8]> = vec![b"SUBSCRIBE"];
    args.extend(names.iter().map(|n| n.as_bytes()));
    // Repeats are confirmed but counted once.
    args.push(b"ch:0");
    raw.command(&args);
    let expected: usize = names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("*3\r\n$9\r\nsubscribe\r\n${}\r\n{n}\r\n:{}\r\n", n.len(), i + 1).len())
        .sum::<usize>()
        + "*3\r\n$9\r\nsubscribe\r\n$4\r\nch:0\r\n:50000\r\n".len();
    let got = raw.read_exact_len(expected);
    assert!(String::from_utf8(got).unwrap().ends_with("$4\r\nch:0\r\n:50000\r\n"));
    let mut c = server.sync_conn();
    let channels: Vec<String> = run(&mut c, &["PUBSUB", "CHANNELS", "ch:4999?"]);
    assert_eq!(channels.len(), 10);
    // UNSUBSCRIBE without names drops them all, one confirmation each, the last with 0.
    raw.command(&[b"UNSUBSCRIBE"]);
    let mut left = N;
    while left > 0 {
        assert_eq!(raw.read_line(), "*3\r\n");
        raw.read_line();
        raw.read_line();
        raw.read_line();
        raw.read_line();
        left -= 1;
        assert_eq!(raw.read_line(), format!(":{left}\r\n"));
    }
    assert!(run::<Vec<String>>(&mut c, &["PUBSUB", "CHANNELS"]).is_empty());
}
