//! The geo commands through real clients: GEOADD (NX, XX, CH), GEOPOS, GEOHASH, GEODIST,
//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER and their _RO forms, with every
//! option, in RESP2 and RESP3. Expected replies are byte-for-byte what Redis 7.0.15 replied
//! to the same commands (noted "Redis 7.0.15" below): scores, decoded coordinates (the
//! centre of the 52-bit cell, as `%.17Lf` text), distances (four decimals), search results
//! and their order all come from Redis's own geohash arithmetic, which we reproduce.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{RawConn, TestServer, fail, run, set};
use redis::Connection;

const WRONGTYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const SYNTAX: &str = "ERR syntax error";

/// Two cities of the Redis documentation and five European capitals.
fn load(raw: &mut RawConn) {
    raw.expect(
        &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
        ":2\r\n",
    );
    raw.expect(
        &[
            "GEOADD", "cities", "2.3522", "48.8566", "Paris", "-0.1276", "51.5072", "London", "13.4050", "52.5200",
            "Berlin", "12.4964", "41.9028", "Rome", "-3.7038", "40.4168", "Madrid",
        ],
        ":5\r\n",
    );
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Checks a list of `(command line, raw reply)` pairs on one connection.
fn expect_all(raw: &mut RawConn, cases: &[(&str, &str)]) {
    for (line, reply) in cases {
        raw.expect(&words(line), reply);
    }
}

#[test]
fn geoadd_stores_geohash_scores_with_zadd_options() {
    let server = TestServer::start();
    let mut raw = server.raw();
    load(&mut raw);
    // Redis 7.0.15.
    expect_all(
        &mut raw,
        &[
            ("ZSCORE Sicily Palermo", "$16\r\n3479099956230698\r\n"),
            ("ZSCORE Sicily Catania", "$16\r\n3479447370796909\r\n"),
            ("GEOADD Sicily 13.361389 38.115556 Palermo", ":0\r\n"),
            ("GEOADD cities NX 2.3522 48.8566 Paris 0 0 Null", ":1\r\n"),
            ("GEOADD cities XX CH 2.35 48.85 Paris 10 10 Nowhere", ":1\r\n"),
            ("GEOADD cities CH 2.35 48.85 Paris 1 1 One", ":1\r\n"),
            ("GEOADD cities NX CH 2.3522 48.8566 Paris", ":0\r\n"),
            ("ZSCORE cities Paris", "$16\r\n3663832751688490\r\n"),
            ("ZSCORE cities Nowhere", "$-1\r\n"),
            // XX on a missing key creates nothing.
            ("GEOADD none XX 1 1 a", ":0\r\n"),
            ("EXISTS none", ":0\r\n"),
        ],
    );
}

#[test]
fn geopos_geohash_geodist() {
    let server = TestServer::start();
    let mut raw = server.raw();
    load(&mut raw);
    // Redis 7.0.15.
    expect_all(
        &mut raw,
        &[
            (
                "GEOPOS Sicily Palermo nope Catania",
                "*3\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n\
                 *2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n",
            ),
            ("GEOHASH Sicily Palermo nope Catania", "*3\r\n$11\r\nsqc8b49rny0\r\n$-1\r\n$11\r\nsqdtr74hyu0\r\n"),
            ("GEOPOS Sicily", "*0\r\n"),
            ("GEOHASH Sicily", "*0\r\n"),
            ("GEOPOS nokey a", "*1\r\n*-1\r\n"),
            ("GEOHASH nokey a b", "*2\r\n$-1\r\n$-1\r\n"),
            ("GEODIST Sicily Palermo Catania", "$11\r\n166274.1516\r\n"),
            ("GEODIST Sicily Palermo Catania km", "$8\r\n166.2742\r\n"),
            ("GEODIST Sicily Palermo Catania mi", "$8\r\n103.3182\r\n"),
            ("GEODIST Sicily Palermo Catania FT", "$11\r\n545518.8700\r\n"),
            ("GEODIST Sicily Palermo Palermo", "$6\r\n0.0000\r\n"),
            ("GEODIST Sicily Palermo nope", "$-1\r\n"),
            ("GEODIST nokey a b", "$-1\r\n"),
        ],
    );
}

#[test]
fn geosearch_by_radius_and_box() {
    let server = TestServer::start();
    let mut raw = server.raw();
    load(&mut raw);
    // Redis 7.0.15.
    expect_all(
        &mut raw,
        &[
            (
                "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH",
                "*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n\
                 *2\r\n$20\r\n15.08726745843887329\r\n$20\r\n37.50266842333162032\r\n\
                 *4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n\
                 *2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n",
            ),
            (
                "GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km DESC WITHDIST",
                "*2\r\n*2\r\n$7\r\nCatania\r\n$8\r\n166.2742\r\n*2\r\n$7\r\nPalermo\r\n$6\r\n0.0000\r\n",
            ),
            (
                "GEOSEARCH cities FROMMEMBER Paris BYRADIUS 1000 km ASC WITHDIST",
                "*3\r\n*2\r\n$5\r\nParis\r\n$6\r\n0.0000\r\n*2\r\n$6\r\nLondon\r\n$8\r\n343.6268\r\n\
                 *2\r\n$6\r\nBerlin\r\n$8\r\n877.7111\r\n",
            ),
            (
                "GEOSEARCH cities FROMMEMBER Paris BYBOX 2000 1000 km ASC WITHDIST",
                "*3\r\n*2\r\n$5\r\nParis\r\n$6\r\n0.0000\r\n*2\r\n$6\r\nLondon\r\n$8\r\n343.6268\r\n\
                 *2\r\n$6\r\nBerlin\r\n$8\r\n877.7111\r\n",
            ),
            // COUNT alone sorts nearest first; ANY takes the first found, unsorted.
            (
                "GEOSEARCH cities FROMLONLAT 5 45 BYRADIUS 1500 km COUNT 2 WITHDIST",
                "*2\r\n*2\r\n$5\r\nParis\r\n$8\r\n473.6886\r\n*2\r\n$4\r\nRome\r\n$8\r\n696.0505\r\n",
            ),
            (
                "GEOSEARCH cities FROMLONLAT 5 45 BYRADIUS 1500 km COUNT 2 DESC",
                "*2\r\n$6\r\nBerlin\r\n$6\r\nMadrid\r\n",
            ),
            ("GEOSEARCH cities FROMLONLAT 5 45 BYRADIUS 1500 km COUNT 2 ANY", "*2\r\n$5\r\nParis\r\n$6\r\nBerlin\r\n"),
            (
                "GEOSEARCH cities FROMLONLAT 5 45 BYRADIUS 1500 km COUNT 2 ANY DESC",
                "*2\r\n$6\r\nBerlin\r\n$5\r\nParis\r\n",
            ),
            (
                "GEOSEARCH cities FROMLONLAT 5 45 BYRADIUS 1500 km WITHHASH",
                "*5\r\n*2\r\n$5\r\nParis\r\n:3663832779122514\r\n*2\r\n$6\r\nBerlin\r\n:3673983950397063\r\n\
                 *2\r\n$4\r\nRome\r\n:3480343273968262\r\n*2\r\n$6\r\nLondon\r\n:2163557714838307\r\n\
                 *2\r\n$6\r\nMadrid\r\n:1969393810321282\r\n",
            ),
            (
                "GEOSEARCH cities FROMLONLAT 5 45 BYRADIUS 900 mi ASC WITHCOORD",
                "*5\r\n*2\r\n$5\r\nParis\r\n*2\r\n$19\r\n2.35219806432723999\r\n$19\r\n48.8565995303492997\r\n\
                 *2\r\n$4\r\nRome\r\n*2\r\n$20\r\n12.49639838933944702\r\n$20\r\n41.90279987683795326\r\n\
                 *2\r\n$6\r\nLondon\r\n*2\r\n$20\r\n-0.12760072946548462\r\n$20\r\n51.50720053692975853\r\n\
                 *2\r\n$6\r\nMadrid\r\n*2\r\n$19\r\n-3.7038007378578186\r\n$20\r\n40.41679931940621628\r\n\
                 *2\r\n$6\r\nBerlin\r\n*2\r\n$20\r\n13.40500205755233765\r\n$20\r\n52.51999907056681138\r\n",
            ),
            ("GEOSEARCH cities FROMLONLAT 5 45 BYRADIUS 1 m", "*0\r\n"),
            ("GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km", "*0\r\n"),
        ],
    );
}

#[test]
fn georadius_family() {
    let server = TestServer::start();
    let mut raw = server.raw();
    load(&mut raw);
    // Redis 7.0.15.
    expect_all(
        &mut raw,
        &[
            (
                "GEORADIUS cities 5 45 1000 km ASC WITHDIST",
                "*4\r\n*2\r\n$5\r\nParis\r\n$8\r\n473.6886\r\n*2\r\n$4\r\nRome\r\n$8\r\n696.0505\r\n\
                 *2\r\n$6\r\nLondon\r\n$8\r\n816.8576\r\n*2\r\n$6\r\nMadrid\r\n$8\r\n874.3597\r\n",
            ),
            (
                "GEORADIUS_RO cities 5 45 1000 km DESC WITHDIST COUNT 2",
                "*2\r\n*2\r\n$6\r\nMadrid\r\n$8\r\n874.3597\r\n*2\r\n$6\r\nLondon\r\n$8\r\n816.8576\r\n",
            ),
            (
                "GEORADIUSBYMEMBER cities Rome 1500 km ASC WITHDIST",
                "*5\r\n*2\r\n$4\r\nRome\r\n$6\r\n0.0000\r\n*2\r\n$5\r\nParis\r\n$9\r\n1105.5920\r\n\
                 *2\r\n$6\r\nBerlin\r\n$9\r\n1182.8798\r\n*2\r\n$6\r\nMadrid\r\n$9\r\n1364.5560\r\n\
                 *2\r\n$6\r\nLondon\r\n$9\r\n1434.1605\r\n",
            ),
            (
                "GEORADIUSBYMEMBER_RO cities Rome 1500 km ASC WITHDIST WITHCOORD COUNT 1",
                "*1\r\n*3\r\n$4\r\nRome\r\n$6\r\n0.0000\r\n*2\r\n$20\r\n12.49639838933944702\r\n\
                 $20\r\n41.90279987683795326\r\n",
            ),
            // A missing key is an empty result; GEORADIUSBYMEMBER then reads neither the
            // member nor the radius.
            ("GEORADIUS nokey 5 45 1000 km", "*0\r\n"),
            ("GEORADIUSBYMEMBER nokey nope abc zz", "*0\r\n"),
        ],
    );
}

#[test]
fn store_options_write_sorted_sets() {
    let server = TestServer::start();
    let mut raw = server.raw();
    load(&mut raw);
    // Redis 7.0.15: STORE keeps the geohash scores, STOREDIST the distances in the unit.
    expect_all(
        &mut raw,
        &[
            ("GEORADIUS cities 5 45 1000 km STORE near", ":4\r\n"),
            ("ZRANGE near 0 -1", "*4\r\n$6\r\nMadrid\r\n$6\r\nLondon\r\n$4\r\nRome\r\n$5\r\nParis\r\n"),
            ("ZSCORE near Madrid", "$16\r\n1969393810321282\r\n"),
            ("GEORADIUSBYMEMBER cities Rome 1500 km STOREDIST neardist", ":5\r\n"),
            (
                "ZRANGE neardist 0 -1",
                "*5\r\n$4\r\nRome\r\n$5\r\nParis\r\n$6\r\nBerlin\r\n$6\r\nMadrid\r\n$6\r\nLondon\r\n",
            ),
            ("GEOSEARCHSTORE out cities FROMMEMBER Paris BYRADIUS 1000 km ASC", ":3\r\n"),
            ("ZRANGE out 0 -1", "*3\r\n$6\r\nLondon\r\n$5\r\nParis\r\n$6\r\nBerlin\r\n"),
            ("ZSCORE out Berlin", "$16\r\n3673983950397063\r\n"),
            ("GEOSEARCHSTORE out cities FROMMEMBER Paris BYRADIUS 1000 km ASC COUNT 2 STOREDIST", ":2\r\n"),
            ("ZRANGE out 0 -1", "*2\r\n$5\r\nParis\r\n$6\r\nLondon\r\n"),
            ("ZSCORE out Paris", "$1\r\n0\r\n"),
            // The distances are now scores, decoded as positions.
            ("GEODIST out Paris London", "$6\r\n8.7399\r\n"),
            // The destination replaces any value (and its TTL); an empty result deletes it.
            ("SET str x EX 100", "+OK\r\n"),
            ("GEOSEARCHSTORE str cities FROMMEMBER Paris BYRADIUS 1 km", ":1\r\n"),
            ("TTL str", ":-1\r\n"),
            ("TYPE str", "+zset\r\n"),
            ("GEOSEARCHSTORE str cities FROMLONLAT 0 0 BYRADIUS 1 km", ":0\r\n"),
            ("EXISTS str", ":0\r\n"),
            ("GEORADIUS cities 0 0 1 km STORE near", ":0\r\n"),
            ("EXISTS near", ":0\r\n"),
            // A missing source deletes the destination too.
            ("GEOSEARCHSTORE out nokey FROMLONLAT 0 0 BYRADIUS 1 km", ":0\r\n"),
            ("EXISTS out", ":0\r\n"),
            ("SET d 1", "+OK\r\n"),
            ("GEORADIUSBYMEMBER nokey m 1 km STORE d", ":0\r\n"),
            ("EXISTS d", ":0\r\n"),
            // The source may be the destination.
            ("GEOSEARCHSTORE cities cities FROMLONLAT 0 50 BYRADIUS 300 km", ":2\r\n"),
            ("ZRANGE cities 0 -1", "*2\r\n$6\r\nLondon\r\n$5\r\nParis\r\n"),
        ],
    );
}

#[test]
fn count_ties_come_out_in_redis_order() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.expect(&words("GEOADD ties 1 1 a 1 1 b 1 1 c 1 1 d 1 1 e 2 2 f 1 1 g 1 1 h 0.5 0.5 i 1 1 j 1 1 k"), ":11\r\n");
    // Redis 7.0.15: all results are sorted stably; COUNT below the number of results uses
    // Redis's partial quicksort, which leaves equal distances in its own order.
    expect_all(
        &mut raw,
        &[
            (
                "GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 500 km ASC",
                "*11\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\ng\r\n$1\r\nh\r\n\
                 $1\r\nj\r\n$1\r\nk\r\n$1\r\ni\r\n$1\r\nf\r\n",
            ),
            ("GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 500 km COUNT 3", "*3\r\n$1\r\nj\r\n$1\r\na\r\n$1\r\nb\r\n"),
            (
                "GEOSEARCH ties FROMLONLAT 1 1 BYRADIUS 500 km COUNT 10",
                "*10\r\n$1\r\nj\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\ng\r\n\
                 $1\r\nh\r\n$1\r\nk\r\n$1\r\ni\r\n",
            ),
        ],
    );
}

#[test]
fn searches_near_the_poles_and_the_antimeridian() {
    let server = TestServer::start();
    let mut raw = server.raw();
    raw.expect(&words("GEOADD edge 179.9 0.5 east -179.9 0.5 west 179.95 -0.2 east2 -170 0 far"), ":4\r\n");
    raw.expect(
        &words("GEOADD poles 0 85 n1 90 85 n2 180 85 n3 -90 85 n4 0 -85 s1 120 -85 s2 0 85.05112878 top"),
        ":7\r\n",
    );
    // Redis 7.0.15. Searches wrap around the antimeridian; near the poles the nine cells
    // do not cover the whole circle (n3, beyond the pole, is not found), as in Redis.
    expect_all(
        &mut raw,
        &[
            (
                "GEOSEARCH edge FROMLONLAT 180 0 BYRADIUS 100 km ASC WITHDIST",
                "*2\r\n*2\r\n$5\r\neast2\r\n$7\r\n22.9300\r\n*2\r\n$4\r\neast\r\n$7\r\n56.7145\r\n",
            ),
            (
                "GEOSEARCH edge FROMLONLAT -180 0 BYBOX 100 200 km DESC WITHDIST",
                "*3\r\n*2\r\n$4\r\nwest\r\n$7\r\n56.7145\r\n*2\r\n$4\r\neast\r\n$7\r\n56.7145\r\n\
                 *2\r\n$5\r\neast2\r\n$7\r\n22.9300\r\n",
            ),
            (
                "GEOSEARCH edge FROMMEMBER west BYRADIUS 50 km ASC WITHDIST WITHCOORD",
                "*2\r\n*3\r\n$4\r\nwest\r\n$6\r\n0.0000\r\n*2\r\n$22\r\n-179.89999920129776001\r\n\
                 $19\r\n0.50000036325177888\r\n*3\r\n$4\r\neast\r\n$7\r\n22.2446\r\n\
                 *2\r\n$21\r\n179.89999920129776001\r\n$19\r\n0.50000036325177888\r\n",
            ),
            (
                "GEOSEARCH poles FROMLONLAT 45 85 BYRADIUS 600 km ASC WITHDIST",
                "*1\r\n*2\r\n$2\r\nn1\r\n$8\r\n425.1834\r\n",
            ),
            (
                "GEOSEARCH poles FROMLONLAT 0 85.05112878 BYRADIUS 1200 km ASC WITHDIST WITHCOORD",
                "*4\r\n*3\r\n$3\r\ntop\r\n$6\r\n0.0000\r\n*2\r\n$19\r\n0.00000268220901489\r\n\
                 $19\r\n85.0511287799999991\r\n*3\r\n$2\r\nn1\r\n$6\r\n5.6869\r\n\
                 *2\r\n$19\r\n0.00000268220901489\r\n$20\r\n84.99999965213439168\r\n\
                 *3\r\n$2\r\nn4\r\n$8\r\n781.9857\r\n*2\r\n$21\r\n-89.99999731779098511\r\n\
                 $20\r\n84.99999965213439168\r\n*3\r\n$2\r\nn2\r\n$8\r\n781.9857\r\n\
                 *2\r\n$20\r\n90.00000268220901489\r\n$20\r\n84.99999965213439168\r\n",
            ),
            (
                "GEOSEARCH poles FROMLONLAT 60 -85 BYBOX 1400 400 km ASC WITHDIST",
                "*2\r\n*2\r\n$2\r\ns1\r\n$8\r\n555.6018\r\n*2\r\n$2\r\ns2\r\n$8\r\n555.6019\r\n",
            ),
            ("GEOSEARCH poles FROMLONLAT 60 -85 BYBOX 1000 400 km ASC WITHDIST", "*0\r\n"),
            ("GEOHASH poles top s1 n3", "*3\r\n$11\r\nup05b5048p0\r\n$11\r\nh0bh2n0p050\r\n$11\r\nbp0581b0bh0\r\n"),
        ],
    );
}

#[test]
fn resp3_reply_types() {
    let server = TestServer::start();
    let mut raw = server.raw_resp3();
    load(&mut raw);
    // Redis 7.0.15 (HELLO 3): coordinates are doubles with the same text, distances stay
    // bulk strings, a missing position is a null.
    expect_all(
        &mut raw,
        &[
            (
                "GEOPOS Sicily Palermo nope Catania",
                "*3\r\n*2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n_\r\n\
                 *2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n",
            ),
            ("GEOHASH Sicily Palermo nope", "*2\r\n$11\r\nsqc8b49rny0\r\n_\r\n"),
            ("GEODIST Sicily Palermo Catania", "$11\r\n166274.1516\r\n"),
            ("GEODIST Sicily Palermo nope", "_\r\n"),
            (
                "GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH",
                "*2\r\n*4\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n\
                 *2\r\n,15.08726745843887329\r\n,37.50266842333162032\r\n\
                 *4\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n\
                 *2\r\n,13.36138933897018433\r\n,38.11555639549629859\r\n",
            ),
            (
                "GEORADIUSBYMEMBER_RO cities Rome 1500 km ASC WITHDIST WITHCOORD COUNT 1",
                "*1\r\n*3\r\n$4\r\nRome\r\n$6\r\n0.0000\r\n*2\r\n,12.49639838933944702\r\n,41.90279987683795326\r\n",
            ),
        ],
    );
}

#[test]
fn resp3_through_the_client() {
    let server = TestServer::start();
    let mut con = server.client_resp3().get_connection().unwrap();
    run::<i64>(&mut con, &["GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"]);
    let pos: Vec<Option<(f64, f64)>> = run(&mut con, &["GEOPOS", "Sicily", "Palermo", "nope"]);
    // The RESP3 doubles Redis sends, read as the client reads them.
    let palermo: (f64, f64) = ("13.36138933897018433".parse().unwrap(), "38.11555639549629859".parse().unwrap());
    assert_eq!(pos, vec![Some(palermo), None]);
    let dist: Option<String> = run(&mut con, &["GEODIST", "Sicily", "Palermo", "Palermo", "km"]);
    assert_eq!(dist.as_deref(), Some("0.0000"));
}

fn errors_are_redis_errors(con: &mut Connection) {
    // Redis 7.0.15.
    let cases: &[(&str, &str)] = &[
        ("GEOADD k 200 100 x", "ERR invalid longitude,latitude pair 200.000000,100.000000"),
        ("GEOADD k 1 85.06 x", "ERR invalid longitude,latitude pair 1.000000,85.060000"),
        ("GEOADD k inf 1 x", "ERR invalid longitude,latitude pair inf,1.000000"),
        ("GEOADD k abc 1 x", "ERR value is not a valid float"),
        ("GEOADD k 1e400 1 x", "ERR value is not a valid float"),
        ("GEOADD k NX XX 1 2 x", SYNTAX),
        ("GEOADD k CH CH CH", SYNTAX),
        ("GEOADD k 1 2 x 3", SYNTAX),
        ("GEOADD k 1 2", "ERR wrong number of arguments for 'geoadd' command"),
        ("GEODIST Sicily Palermo Catania yd", "ERR unsupported unit provided. please use M, KM, FT, MI"),
        ("GEODIST Sicily Palermo Catania km x", SYNTAX),
        ("GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km", "ERR could not decode requested zset member"),
        ("GEORADIUSBYMEMBER Sicily nope 200 km", "ERR could not decode requested zset member"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0", "ERR COUNT must be > 0"),
        ("GEORADIUS Sicily 15 37 200 km COUNT -1", "ERR COUNT must be > 0"),
        ("GEORADIUS Sicily 15 37 200 km COUNT x", "ERR value is not an integer or out of range"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY", "ERR the ANY argument requires COUNT argument"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km", SYNTAX),
        ("GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 1 1 BYRADIUS 1 km", SYNTAX),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km", "ERR radius cannot be negative"),
        ("GEORADIUS Sicily 15 37 -200 km", "ERR radius cannot be negative"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km", "ERR height or width cannot be negative"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km", "ERR need numeric width"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km", "ERR need numeric height"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km", "ERR need numeric radius"),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 yd", "ERR unsupported unit provided. please use M, KM, FT, MI"),
        (
            "GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 1 km",
            "ERR invalid longitude,latitude pair 200.000000,37.000000",
        ),
        (
            "GEOSEARCH Sicily BYRADIUS 1 km ASC ASC",
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for GEOSEARCH",
        ),
        (
            "GEOSEARCH Sicily FROMLONLAT 1 1 ASC ASC",
            "ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH",
        ),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x", SYNTAX),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST", SYNTAX),
        ("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT", SYNTAX),
        (
            "GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHDIST",
            "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        ("GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x", SYNTAX),
        (
            "GEORADIUS Sicily 15 37 200 km WITHDIST STORE d",
            "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
        ),
        ("GEORADIUS_RO Sicily 15 37 200 km STORE d", SYNTAX),
        ("GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STOREDIST d", SYNTAX),
        ("GEORADIUS Sicily 200 37 200 km", "ERR invalid longitude,latitude pair 200.000000,37.000000"),
        ("GEOSEARCH Sicily FROMLONLAT 1 1", "ERR wrong number of arguments for 'geosearch' command"),
        // Arguments are read in order: the first bad one decides.
        ("GEOSEARCH Sicily FROMMEMBER nope BYRADIUS -1 km", "ERR could not decode requested zset member"),
        ("GEOSEARCH Sicily BYRADIUS -1 km FROMMEMBER nope", "ERR radius cannot be negative"),
    ];
    for (line, error) in cases {
        assert_eq!(fail(con, &words(line)), *error, "{line}");
    }
    // Redis names the command as it was typed.
    assert_eq!(
        fail(con, &words("GeoSearch Sicily FROMLONLAT 1 1 ASC ASC")),
        "ERR exactly one of BYRADIUS and BYBOX can be specified for GeoSearch"
    );
}

#[test]
fn errors() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &words("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"));
    errors_are_redis_errors(&mut con);
    // No failed command wrote anything.
    assert_eq!(run::<i64>(&mut con, &["DBSIZE"]), 1);
}

#[test]
fn wrongtype() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    set(&mut con, "str", "x");
    // Redis 7.0.15: the type is checked first, except GEOADD checks positions first and
    // GEODIST its unit.
    for line in [
        "GEOADD str 1 1 x",
        "GEOPOS str a",
        "GEOHASH str a",
        "GEODIST str a b",
        "GEOSEARCH str BYRADIUS 1 km ASC ASC",
        "GEOSEARCHSTORE d str FROMLONLAT 1 1 BYRADIUS 1 km",
        "GEORADIUS str 200 100 1 km",
        "GEORADIUS_RO str 1 1 1 km",
        "GEORADIUSBYMEMBER str x -1 km",
        "GEORADIUSBYMEMBER_RO str x 1 km",
    ] {
        assert_eq!(fail(&mut con, &words(line)), WRONGTYPE, "{line}");
    }
    assert_eq!(
        fail(&mut con, &words("GEOADD str 200 100 x")),
        "ERR invalid longitude,latitude pair 200.000000,100.000000"
    );
    assert_eq!(fail(&mut con, &words("GEODIST str a b yd")), "ERR unsupported unit provided. please use M, KM, FT, MI");
    assert_eq!(run::<i64>(&mut con, &["EXISTS", "d"]), 0);
}

#[test]
fn a_geo_index_is_a_sorted_set() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    run::<i64>(&mut con, &words("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"));
    assert_eq!(run::<String>(&mut con, &["TYPE", "Sicily"]), "zset");
    assert_eq!(run::<String>(&mut con, &["OBJECT", "ENCODING", "Sicily"]), "listpack");
    assert_eq!(run::<i64>(&mut con, &["ZCARD", "Sicily"]), 2);
    // Sorted set commands work on it, and GEO commands on any sorted set.
    assert_eq!(run::<i64>(&mut con, &["ZREM", "Sicily", "Catania"]), 1);
    run::<i64>(&mut con, &["ZADD", "plain", "3479099956230698", "p"]);
    let hash: Vec<String> = run(&mut con, &["GEOHASH", "plain", "p"]);
    assert_eq!(hash, ["sqc8b49rny0"]);
}

#[test]
fn command_table_entries() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    // Redis 7.0.15: the STORE keys of GEORADIUS are found by keyword (movable keys).
    let keys: Vec<String> = run(&mut con, &words("COMMAND GETKEYS GEORADIUS cities 5 45 1000 km STORE a STOREDIST b"));
    assert_eq!(keys, ["cities", "a", "b"]);
    let keys: Vec<String> = run(&mut con, &words("COMMAND GETKEYS GEORADIUSBYMEMBER k m 1 km STORE a"));
    assert_eq!(keys, ["k", "a"]);
    let keys: Vec<String> = run(&mut con, &words("COMMAND GETKEYS GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km"));
    assert_eq!(keys, ["d", "s"]);
    let info: Vec<redis::Value> = run(&mut con, &["COMMAND", "INFO", "georadius", "geosearch", "geoadd"]);
    let text = format!("{info:?}");
    assert!(text.contains("movablekeys") && text.contains("@geo"), "{text}");
    let docs: redis::Value = run(&mut con, &["COMMAND", "DOCS", "geosearch"]);
    assert!(format!("{docs:?}").contains("geo"));
}
