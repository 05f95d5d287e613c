//! Compiles `proto/callscript/v1/*.proto` (and the benchmarks' reference
//! handler, `proto/callscript/reference/v1`) into the tonic client and server
//! that `src/grpc` includes, plus a descriptor set for gRPC reflection.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A vendored protoc keeps a fresh machine free of system installs; an
    // explicit $PROTOC still wins so packagers can use their own.
    if env::var_os("PROTOC").is_none() {
        let protoc = protoc_bin_vendored::protoc_bin_path()?;
        // SAFETY: build scripts are single-threaded; nothing else reads the
        // environment concurrently.
        #[allow(unsafe_code, reason = "the one unsafe line: see SAFETY above")]
        unsafe {
            env::set_var("PROTOC", protoc);
        }
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let protos = [
        "proto/callscript/v1/calls.proto",
        "proto/callscript/v1/flows.proto",
        "proto/callscript/v1/quality.proto",
    ];
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("callscript_descriptor.bin"))
        // Boxed: a start comes once per stream, and unboxed it would make
        // every event (moved several times per request) twice its size.
        .boxed(".callscript.v1.CallEvent.kind.start")
        .compile_protos(&protos, &["proto"])?;
    // The Calls server once more, with every message the generated one but
    // `Turn`: on the way out a turn is encoded straight from the engine's
    // shared view (`src/grpc/wire.rs`) instead of being copied into a
    // `pb::Turn` first. Clients keep the generated `pb::Turn`.
    let server_dir = out_dir.join("calls_server");
    std::fs::create_dir_all(&server_dir)?;
    tonic_prost_build::configure()
        .build_client(false)
        .extern_path(".callscript.v1", "crate::grpc::pb")
        .extern_path(".callscript.v1.Turn", "crate::grpc::wire::Turn")
        .out_dir(&server_dir)
        .compile_protos(&["proto/callscript/v1/calls.proto"], &["proto"])?;
    // The benchmarks' reference handler has its own descriptor set, so
    // reflection lists it only on a server that serves it.
    let reference = "proto/callscript/reference/v1/reference.proto";
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("reference_descriptor.bin"))
        .compile_protos(&[reference], &["proto"])?;
    for p in protos.iter().chain([&reference]) {
        println!("cargo:rerun-if-changed={p}");
    }
    Ok(())
}
