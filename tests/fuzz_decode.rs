//! Random and mutated protobuf bytes into every RPC, through the real
//! server: each answer is a reply or a status the client can act on
//! (never INTERNAL or UNKNOWN, which say the server broke), and the server
//! keeps serving. Stable Rust: proptest, not a fuzzing toolchain.

mod common;

use std::sync::OnceLock;

use callscript::grpc::pb;
use common::*;
use proptest::prelude::*;
use prost::Message;
use tonic::{Code, Request, Status, codegen::http::uri::PathAndQuery, transport::Channel};

const UNARY: [&str; 8] = [
    "/callscript.v1.Calls/StartCall",
    "/callscript.v1.Calls/SendEvent",
    "/callscript.v1.Calls/EndCall",
    "/callscript.v1.Calls/GetCall",
    "/callscript.v1.Flows/ListFlows",
    "/callscript.v1.Flows/GetFlow",
    "/callscript.v1.Flows/CheckFlow",
    "/callscript.v1.Flows/ReloadFlows",
];
const CONVERSE: &str = "/callscript.v1.Calls/Converse";

struct Fixture {
    runtime: tokio::runtime::Runtime,
    channel: Channel,
    _server: TestServer,
}

/// One server for every case.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let (server, channel) = runtime.block_on(async {
            let server = start_server().await;
            let channel = Channel::from_shared(format!("http://{}", server.addr))
                .expect("uri")
                .connect()
                .await
                .expect("connect");
            (server, channel)
        });
        Fixture {
            runtime,
            channel,
            _server: server,
        }
    })
}

/// Valid requests to mutate, so cases reach past the first bytes.
fn seeds() -> Vec<Vec<u8>> {
    vec![
        start("fuzz", "2026-11-23T15:00:00+08:00").encode_to_vec(),
        event("fuzz", 1, speech("你的工号是多少")).encode_to_vec(),
        pb::CallEvent {
            call_id: "fuzz".into(),
            seq: 0,
            kind: Some(pb::call_event::Kind::Start(Box::new(start("", "")))),
        }
        .encode_to_vec(),
        pb::CheckFlowRequest {
            source: "id = \"x\"\n".into(),
            file_name: "x.toml".into(),
            strict: true,
        }
        .encode_to_vec(),
        pb::GetCallRequest {
            call_id: "fuzz".into(),
        }
        .encode_to_vec(),
    ]
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    let mutated = (
        0..seeds().len(),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    )
        .prop_map(|(seed, flips)| {
            let mut bytes = seeds()[seed].clone();
            for (at, value) in flips {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = value;
                }
            }
            bytes
        });
    prop_oneof![prop::collection::vec(any::<u8>(), 0..256), mutated]
}

fn acceptable(status: &Status) -> bool {
    !matches!(status.code(), Code::Internal | Code::Unknown)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_into_any_unary_rpc_get_a_reply_or_a_client_status(
        rpc in 0..UNARY.len(),
        body in bytes_strategy(),
    ) {
        let f = fixture();
        let result = f.runtime.block_on(async {
            let mut grpc = tonic::client::Grpc::new(f.channel.clone());
            grpc.ready().await.expect("ready");
            grpc.unary(Request::new(body), PathAndQuery::from_static(UNARY[rpc]), RawCodec).await
        });
        if let Err(status) = result {
            prop_assert!(acceptable(&status), "{}: {status:?}", UNARY[rpc]);
        }
    }

    #[test]
    fn random_bytes_into_converse_end_in_turns_or_a_client_status(
        messages in prop::collection::vec(bytes_strategy(), 1..4),
    ) {
        let f = fixture();
        let outcome: Result<(), Status> = f.runtime.block_on(async {
            let mut grpc = tonic::client::Grpc::new(f.channel.clone());
            grpc.ready().await.expect("ready");
            let mut turns = grpc
                .streaming(
                    Request::new(futures_util::stream::iter(messages)),
                    PathAndQuery::from_static(CONVERSE),
                    RawCodec,
                )
                .await?
                .into_inner();
            // A call that starts goes on by its timers; a few turns suffice.
            for _ in 0..3 {
                if turns.message().await?.is_none() {
                    break;
                }
            }
            Ok(())
        });
        if let Err(status) = outcome {
            prop_assert!(acceptable(&status), "Converse: {status:?}");
        }
    }
}

/// After all of that, the service still answers.
#[test]
fn the_server_still_serves_after_the_fuzzing() {
    let f = fixture();
    f.runtime.block_on(async {
        let mut calls = pb::calls_client::CallsClient::new(f.channel.clone());
        calls
            .start_call(start("after-fuzz", "2026-11-23T15:00:00+08:00"))
            .await
            .expect("a call starts");
    });
}
