//! The gRPC door with the generated tonic client: same commands, same keyspace as RESP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use aegisr_proto::v1::reply::Kind;
use aegisr_proto::{Bytes, Client, Reply};
use common::TestServer;

fn args(parts: &[&str]) -> Vec<Bytes> {
    parts.iter().map(|p| Bytes::copy_from_slice(p.as_bytes())).collect()
}

#[tokio::test]
async fn execute_shares_the_keyspace_with_resp() {
    let server = TestServer::start();
    let mut grpc = Client::connect(server.grpc_url()).await.unwrap();
    let reply = grpc.execute(["SET", "door", "grpc"]).await.unwrap();
    assert_eq!(reply.as_str(), Some("OK"));
    let mut resp = server.conn().await;
    let value: String = redis::cmd("GET").arg("door").query_async(&mut resp).await.unwrap();
    assert_eq!(value, "grpc");
    let _: () = redis::cmd("SET").arg("n").arg(41).query_async(&mut resp).await.unwrap();
    assert_eq!(grpc.execute(["INCR", "n"]).await.unwrap().as_integer(), Some(42));
    assert!(grpc.execute(["GET", "missing"]).await.unwrap().is_null());

    // Errors carry a machine-readable code beside the text.
    let reply = grpc.execute(["NOSUCH"]).await.unwrap();
    let error = reply.as_error().unwrap();
    assert_eq!(error.code, "ERR");
    assert!(error.message.starts_with("ERR unknown command 'NOSUCH'"), "{}", error.message);

    // RESP3 types survive: HELLO is a map, CONFIG GET a map.
    let reply = grpc.execute(["CONFIG", "GET", "hz"]).await.unwrap();
    assert!(matches!(reply.kind, Some(Kind::Map(_))), "{reply:?}");
}

#[tokio::test]
async fn execute_in_another_database() {
    let server = TestServer::start();
    let mut grpc = Client::connect(server.grpc_url()).await.unwrap();
    assert_eq!(grpc.execute_in_db(3, ["SET", "k", "in-three"]).await.unwrap().as_str(), Some("OK"));
    assert!(grpc.execute(["GET", "k"]).await.unwrap().is_null());
    assert_eq!(grpc.execute_in_db(3, ["GET", "k"]).await.unwrap().as_bytes_str(), Some("in-three".to_string()));
    let reply = grpc.execute_in_db(99, ["GET", "k"]).await.unwrap();
    assert_eq!(reply.as_error().map(|e| e.message.as_str()), Some("ERR DB index is out of range"));
}

trait BulkText {
    fn as_bytes_str(&self) -> Option<String>;
}

impl BulkText for Reply {
    fn as_bytes_str(&self) -> Option<String> {
        self.as_bulk().map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

#[tokio::test]
async fn pipeline_replies_in_order_on_one_session() {
    let server = TestServer::start();
    let mut grpc = Client::connect(server.grpc_url()).await.unwrap();
    let mut commands = vec![args(&["SELECT", "2"])];
    for i in 0..1000 {
        commands.push(args(&["SET", &format!("k{i}"), &i.to_string()]));
    }
    for i in 0..1000 {
        commands.push(args(&["GET", &format!("k{i}")]));
    }
    let replies = grpc.pipeline(commands).await.unwrap();
    assert_eq!(replies.len(), 2001);
    for (i, reply) in replies[1001..].iter().enumerate() {
        assert_eq!(reply.as_bytes_str(), Some(i.to_string()), "reply {i}");
    }
    // SELECT applied to the stream: the keys are in db 2.
    assert_eq!(grpc.execute_in_db(2, ["DBSIZE"]).await.unwrap().as_integer(), Some(1000));
    assert_eq!(grpc.execute(["DBSIZE"]).await.unwrap().as_integer(), Some(0));
}

#[tokio::test]
async fn admin_info_and_shutdown() {
    let mut server = TestServer::start();
    let mut grpc = Client::connect(server.grpc_url()).await.unwrap();
    let info = grpc.info(&["server", "clients"]).await.unwrap();
    assert!(info.text.starts_with("# Server\r\n"), "{}", info.text);
    let section = info.sections.iter().find(|s| s.name == "server").unwrap();
    assert_eq!(section.fields.get("tcp_port"), Some(&server.resp.port().to_string()));
    assert!(info.sections.iter().any(|s| s.name == "clients"));

    grpc.shutdown(Some(false)).await.unwrap();
    let status = server.wait_exit();
    assert!(status.success(), "exit status {status:?}");
}
