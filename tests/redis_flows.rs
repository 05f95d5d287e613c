//! A flow edited on one replica while calls go on on another: every call
//! keeps the flow version it started with (its snapshot is pinned to it),
//! and a replica that does not serve that version fetches the source the
//! other published and compiles it. Real processes, real Redis.

use std::{path::Path, process::Stdio};

use callscript::grpc::pb::{self, calls_client::CallsClient, flows_client::FlowsClient};
use tonic::transport::Channel;

#[path = "common/binary.rs"]
mod binary;
#[path = "common/redis.rs"]
mod redis;
#[path = "common/replicas.rs"]
mod replicas;
#[path = "common/turns.rs"]
mod turns;

use binary::ServerProcess;
use redis::RedisServer;
use replicas::channel;
use turns::said;

const OLD_NUMBER: &str = "我的工号是1024,很高兴为您服务。";
const NEW_NUMBER: &str = "我的工号是2048,很高兴为您服务。";

fn copy_of_shipped_flows() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("flows");
    for entry in std::fs::read_dir(&shipped).expect("flows dir") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
    }
    dir
}

fn start(call_id: &str) -> pb::StartCallRequest {
    pb::StartCallRequest {
        call_id: call_id.into(),
        at: "2026-11-23T15:00:00+08:00".into(),
        ..Default::default()
    }
}

async fn ask_number(calls: &mut CallsClient<Channel>, call_id: &str, seq: u64) -> pb::Turn {
    calls
        .send_event(pb::CallEvent {
            call_id: call_id.into(),
            seq,
            kind: Some(pb::call_event::Kind::Speech(pb::Speech {
                text: "你的工号是多少".into(),
                confidence: 0.9,
                intents: Vec::new(),
            })),
        })
        .await
        .expect("answered")
        .into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_keep_their_flow_version_across_replicas_while_a_flow_changes() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (dir_a, dir_b) = (copy_of_shipped_flows(), copy_of_shipped_flows());
    let url = redis.url();
    let env = [("CALLSCRIPT_STORE", url.as_str())];
    let a = ServerProcess::start_in(dir_a.path(), &env, Stdio::null());
    let b = ServerProcess::start_in(dir_b.path(), &env, Stdio::null());
    let (mut on_a, mut on_b) = (
        CallsClient::new(channel(&a).await),
        CallsClient::new(channel(&b).await),
    );

    let old = on_a
        .start_call(start("pinned-old"))
        .await
        .expect("starts")
        .into_inner();

    // The designer changes the agent number on A only.
    let hotline = dir_a.path().join("hotline.toml");
    let text = std::fs::read_to_string(&hotline).expect("hotline");
    assert!(text.contains("1024"));
    std::fs::write(&hotline, text.replace("1024", "2048")).expect("edit");
    FlowsClient::new(channel(&a).await)
        .reload_flows(pb::ReloadFlowsRequest {})
        .await
        .expect("A reloads");
    let new = on_a
        .start_call(start("pinned-new"))
        .await
        .expect("starts")
        .into_inner();
    assert_ne!(new.flow_version, old.flow_version, "A serves the edit");

    // B never loaded the new version: it fetches the source A published.
    let answer = ask_number(&mut on_b, "pinned-new", 1).await;
    assert_eq!(said(&answer), [NEW_NUMBER]);
    assert_eq!(answer.flow_version, new.flow_version);
    // The call that started before the edit keeps its version, on A too.
    let answer = ask_number(&mut on_a, "pinned-old", 1).await;
    assert_eq!(said(&answer), [OLD_NUMBER]);
    assert_eq!(answer.flow_version, old.flow_version);
    let answer = ask_number(&mut on_b, "pinned-old", 2).await;
    assert_eq!(said(&answer), [OLD_NUMBER]);

    // New calls on B still get B's version.
    let on_b_new = on_b
        .start_call(start("on-b"))
        .await
        .expect("starts")
        .into_inner();
    assert_eq!(on_b_new.flow_version, old.flow_version);
}
