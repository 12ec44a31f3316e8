//! Generates the `aegisr.v1` gRPC code from `proto/` without a system `protoc`:
//! `protox` parses the .proto files into a descriptor set in pure Rust, and
//! `tonic-prost-build` turns that set into messages, clients and servers.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let fds = protox::compile(
        [
            "aegisr/v1/data.proto",
            "aegisr/v1/admin.proto",
            "aegisr/v1/cluster.proto",
            "aegisr/v1/replication.proto",
            "aegisr/v1/bus.proto",
        ],
        ["proto"],
    )?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Every `bytes` field becomes `bytes::Bytes` (cheap clones, zero-copy decode).
        .bytes(".")
        .compile_fds(fds)?;
    Ok(())
}
