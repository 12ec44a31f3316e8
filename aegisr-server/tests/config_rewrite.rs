//! CONFIG REWRITE: the running configuration goes back into the TOML file the node was
//! started with, comments and layout kept, and a restart with that file has the values.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestServer, fail, run};

const ORIGINAL: &str = "\
# Aegisr test configuration.
# The comments must survive CONFIG REWRITE.

# Active expiry passes per second.
hz = 20 # tuned for the test

maxmemory = \"64mb\"   # written in units: left as is while unchanged
";

/// A key that is no option: refused at start, but one edited in by hand while the node
/// runs is left alone by a rewrite.
const HAND_EDITED: &str = "not_an_option_of_ours = \"left alone\"\n";

#[test]
fn without_a_config_file_rewrite_is_refused_as_by_redis() {
    let server = TestServer::start();
    let mut con = server.sync_conn();
    assert_eq!(fail(&mut con, &["CONFIG", "REWRITE"]), "ERR The server is running without a config file");
}

#[test]
fn rewrite_keeps_comments_and_a_restart_has_the_new_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aegisr.toml");
    std::fs::write(&path, ORIGINAL).unwrap();
    {
        let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
        let mut con = server.sync_conn();
        let info: String = run(&mut con, &["INFO", "server"]);
        assert!(info.contains(&format!("config_file:{}\r\n", path.display())), "{info}");
        let _: () = run(&mut con, &["CONFIG", "SET", "hz", "42", "maxmemory-policy", "allkeys-lru"]);
        std::fs::write(&path, format!("{ORIGINAL}{HAND_EDITED}")).unwrap();
        let _: () = run(&mut con, &["CONFIG", "REWRITE"]);
    }
    let text = std::fs::read_to_string(&path).unwrap();
    // Still TOML, comments and unknown keys where they were.
    let table: toml::Table = text.parse().unwrap();
    assert_eq!(table["hz"].as_integer(), Some(42));
    assert_eq!(table["maxmemory-policy"].as_str(), Some("allkeys-lru"));
    assert_eq!(table["not_an_option_of_ours"].as_str(), Some("left alone"));
    assert!(text.starts_with("# Aegisr test configuration.\n# The comments must survive CONFIG REWRITE.\n\n# Active expiry passes per second.\nhz = 42 # tuned for the test\n"), "{text}");
    assert!(text.contains("maxmemory = \"64mb\"   # written in units: left as is while unchanged\n"), "{text}");
    // Options at their defaults are not added.
    assert!(!table.contains_key("maxclients"), "{text}");
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "{names:?}");

    // The unknown key would stop the node at start (as it should): take it out, restart.
    std::fs::write(&path, text.replace(HAND_EDITED, "")).unwrap();
    let server = TestServer::start_with(&["--config", path.to_str().unwrap()]);
    let mut con = server.sync_conn();
    let values: Vec<String> = run(&mut con, &["CONFIG", "GET", "hz"]);
    assert_eq!(values, ["hz", "42"]);
    let values: Vec<String> = run(&mut con, &["CONFIG", "GET", "maxmemory-policy"]);
    assert_eq!(values, ["maxmemory-policy", "allkeys-lru"]);
    let values: Vec<String> = run(&mut con, &["CONFIG", "GET", "maxmemory"]);
    assert_eq!(values, ["maxmemory", "67108864"]);
}
