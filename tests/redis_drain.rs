//! A rolling restart with a shared store: SIGTERM on one replica closes its
//! Converse streams at once with UNAVAILABLE ("resume it on another
//! replica") instead of waiting for the calls or ending them, and exits
//! well inside the drain deadline; the calls go on on the other replica.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use callscript::grpc::pb;
use tokio_stream::StreamExt;
use tonic::Code;

#[path = "common/binary.rs"]
mod binary;
#[path = "common/redis.rs"]
mod redis;
#[path = "common/replicas.rs"]
mod replicas;

use binary::ServerProcess;
use redis::RedisServer;
use replicas::{client, converse, quick_flows};

const REPROMPT: &str = "您好!请问有什么可以帮您?";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_streams_with_resume_elsewhere_and_the_calls_go_on() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let flows = quick_flows();
    let url = redis.url();
    // The default drain deadline (30 s): with a store nothing waits for it.
    let env = [("CALLSCRIPT_STORE", url.as_str())];
    let mut a = ServerProcess::start_in(flows.path(), &env, Stdio::null());
    let b = ServerProcess::start_in(flows.path(), &env, Stdio::null());

    let start = pb::call_event::Kind::Start(Box::new(pb::StartCallRequest {
        call_id: "deployed".into(),
        at: "2026-11-23T15:00:00+08:00".into(),
        ..Default::default()
    }));
    let (_to_a, mut from_a) = converse(&mut client(&a).await, start)
        .await
        .expect("the stream opens on A");
    let opening = from_a.next().await.expect("a turn").expect("the opening");
    assert_eq!(opening.seq, 1);
    let mut on_a = client(&a).await;
    on_a.start_call(pb::StartCallRequest {
        call_id: "unary".into(),
        at: "2026-11-23T15:00:00+08:00".into(),
        ..Default::default()
    })
    .await
    .expect("a unary call on A");

    let signalled = Instant::now();
    let exited = tokio::task::spawn_blocking(move || {
        let code = a.terminate();
        (code, signalled.elapsed())
    });
    let closed = tokio::time::timeout(Duration::from_secs(5), from_a.next())
        .await
        .expect("the stream closes at once")
        .expect("with a status")
        .expect_err("not a turn");
    assert_eq!(closed.code(), Code::Unavailable, "{closed:?}");
    assert!(
        closed.message().contains("resume it on another replica"),
        "{}",
        closed.message()
    );
    let (code, took) = exited.await.expect("joined");
    assert_eq!(code, Some(0));
    assert!(took < Duration::from_secs(5), "exited after {took:?}");

    // The front-end resumes the stream on B: the next silence prompt comes.
    let resume = pb::call_event::Kind::Resume(pb::Resume {
        call_id: "deployed".into(),
    });
    let (_to_b, mut from_b) = converse(&mut client(&b).await, resume)
        .await
        .expect("the stream resumes on B");
    let next = tokio::time::timeout(Duration::from_secs(5), from_b.next())
        .await
        .expect("a turn in time")
        .expect("a turn")
        .expect("not an error");
    assert_eq!(next.seq, 2);
    assert_eq!(
        next.actions
            .iter()
            .filter_map(|a| match &a.kind {
                Some(pb::action::Kind::Say(s)) => Some(s.text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>(),
        [REPROMPT]
    );
    // The unary call was not ended by the drain either.
    let record = client(&b)
        .await
        .get_call(pb::GetCallRequest {
            call_id: "unary".into(),
        })
        .await
        .expect("B reads it")
        .into_inner();
    assert!(!record.ended, "{record:?}");
}
