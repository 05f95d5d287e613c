//! Two `callscript serve` processes sharing one real Redis
//! (`CALLSCRIPT_STORE=redis://…`): any replica answers for any call, each
//! event is applied once however the retries are spread, and a Redis
//! restart in the middle of a call costs UNAVAILABLE and NOT_SERVING while
//! it is away, nothing after. Skipped, loudly, only when redis-server is
//! missing outside CI (tests/common/redis.rs).

use std::{process::Stdio, time::Duration};

use callscript::grpc::pb;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

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
use replicas::{channel, client};
use turns::said;

const AT: &str = "2026-11-23T15:00:00+08:00";
const OPENING: &str = "您好,XX欢迎您的来电,请问有什么可以帮您?";
const AGENT_NUMBER: &str = "我的工号是1024,很高兴为您服务。";

/// A replica of the service on `redis`.
fn replica(redis: &RedisServer) -> ServerProcess {
    let url = redis.url();
    ServerProcess::start(&[("CALLSCRIPT_STORE", url.as_str())], Stdio::null())
}

fn start(call_id: &str) -> pb::StartCallRequest {
    pb::StartCallRequest {
        call_id: call_id.into(),
        at: AT.into(),
        ..Default::default()
    }
}

fn speech(call_id: &str, seq: u64, text: &str) -> pb::CallEvent {
    pb::CallEvent {
        call_id: call_id.into(),
        seq,
        kind: Some(pb::call_event::Kind::Speech(pb::Speech {
            text: text.into(),
            confidence: 0.9,
            intents: Vec::new(),
        })),
    }
}

fn get(call_id: &str) -> pb::GetCallRequest {
    pb::GetCallRequest {
        call_id: call_id.into(),
    }
}

fn turns(record: &pb::CallRecord) -> Vec<pb::Turn> {
    record
        .transcript
        .iter()
        .filter_map(|e| match &e.entry {
            Some(pb::transcript_entry::Entry::Turn(t)) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_replica_answers_for_any_call() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, b) = (replica(&redis), replica(&redis));
    let (mut on_a, mut on_b) = (client(&a).await, client(&b).await);

    let opening = on_a
        .start_call(start("shared-1"))
        .await
        .expect("starts on A");
    assert_eq!(said(opening.get_ref()), [OPENING]);

    let answer = on_b
        .send_event(speech("shared-1", 1, "你的工号是多少"))
        .await
        .expect("B takes the event")
        .into_inner();
    assert_eq!(said(&answer), [AGENT_NUMBER]);
    assert_eq!(answer.seq, 2);
    // A retry on the other replica gets the same turn back.
    let retry = on_a
        .send_event(speech("shared-1", 1, "你的工号是多少"))
        .await
        .expect("A answers the retry")
        .into_inner();
    assert_eq!(retry, answer);

    for replica in [&mut on_a, &mut on_b] {
        let record = replica
            .get_call(get("shared-1"))
            .await
            .expect("record")
            .into_inner();
        assert_eq!(record.state, "listening");
        let turns = turns(&record);
        assert_eq!(turns.len(), 2, "the opening and one answer");
        assert_eq!(said(&turns[1]), [AGENT_NUMBER]);
        assert_eq!(record.caller, "");
    }

    let ended = on_b
        .end_call(pb::EndCallRequest {
            call_id: "shared-1".into(),
        })
        .await
        .expect("B ends the call A started")
        .into_inner();
    assert_eq!(ended.state, "ended");
    assert_eq!(ended.end_reason, pb::EndReason::Operator as i32);
    let seen = on_a
        .get_call(get("shared-1"))
        .await
        .expect("A reads it")
        .into_inner();
    assert_eq!(seen.end_reason, pb::EndReason::Operator as i32);
    let late = on_a
        .send_event(speech("shared-1", 2, "你好"))
        .await
        .expect_err("an ended call takes no events");
    assert_eq!(late.code(), Code::FailedPrecondition, "{late:?}");
    let again = on_b
        .start_call(start("shared-1"))
        .await
        .expect_err("the id is taken");
    assert_eq!(again.code(), Code::AlreadyExists);
    let unknown = on_b
        .get_call(get("never-started"))
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
}

/// Twenty front-ends retrying the same seqs at once, half of them on each
/// replica: each seq is applied exactly once and everyone gets its turn.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_retries_over_two_replicas_apply_each_seq_once() {
    const SEQS: u64 = 15;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, b) = (replica(&redis), replica(&redis));
    client(&a)
        .await
        .start_call(start("retried"))
        .await
        .expect("starts");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let mut calls = client(if i % 2 == 0 { &a } else { &b }).await;
        tasks.push(tokio::spawn(async move {
            for seq in 1..=SEQS {
                let turn = calls
                    .send_event(speech("retried", seq, "你的工号是多少"))
                    .await
                    .expect("accepted")
                    .into_inner();
                assert_eq!(turn.seq, seq + 1, "seq {seq} got another's turn");
                assert_eq!(said(&turn), [AGENT_NUMBER]);
            }
        }));
    }
    for t in tasks {
        t.await.expect("no panics");
    }
    let record = client(&b)
        .await
        .get_call(get("retried"))
        .await
        .expect("record")
        .into_inner();
    assert_eq!(
        turns(&record).len() as u64,
        SEQS + 1,
        "the opening and one turn per seq"
    );
    let events = record
        .transcript
        .iter()
        .filter(|e| matches!(&e.entry, Some(pb::transcript_entry::Entry::Event(ev)) if ev.seq > 0))
        .count();
    assert_eq!(events as u64, SEQS, "each seq once in the transcript");
}

/// Waits (bounded) until a replica's health says `want`.
async fn health_becomes(server: &ServerProcess, want: ServingStatus) {
    let mut health = HealthClient::new(channel(server).await);
    let mut updates = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("watch health")
        .into_inner();
    let wait = async {
        while let Some(Ok(update)) = updates.next().await {
            if update.status == want as i32 {
                return;
            }
        }
        panic!("the health stream ended before {want:?}");
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("health did not become {want:?} within 10 s"));
}

/// Redis restarted in the middle of a call: while it is away every call
/// operation is UNAVAILABLE naming it and health is NOT_SERVING; once it is
/// back the call goes on from where it was stored, on either replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_goes_on_after_redis_restarts() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let (a, b) = (replica(&redis), replica(&redis));
    let (mut on_a, mut on_b) = (client(&a).await, client(&b).await);
    on_a.start_call(start("through-restart"))
        .await
        .expect("starts");
    let first = on_b
        .send_event(speech("through-restart", 1, "你的工号是多少"))
        .await
        .expect("answered")
        .into_inner();
    assert_eq!(first.seq, 2);
    health_becomes(&a, ServingStatus::Serving).await;

    redis.stop();
    let away = on_a
        .send_event(speech("through-restart", 2, "你的工号是多少"))
        .await
        .expect_err("no store, no event");
    assert_eq!(away.code(), Code::Unavailable, "{away:?}");
    let redis_at = format!("Redis at 127.0.0.1:{}", redis.port);
    assert!(away.message().contains(&redis_at), "{}", away.message());
    let read = on_b
        .get_call(get("through-restart"))
        .await
        .expect_err("no store, no record");
    assert_eq!(read.code(), Code::Unavailable, "{read:?}");
    health_becomes(&a, ServingStatus::NotServing).await;

    redis.start_again();
    health_becomes(&a, ServingStatus::Serving).await;
    health_becomes(&b, ServingStatus::Serving).await;
    let next = on_a
        .send_event(speech("through-restart", 2, "你的工号是多少"))
        .await
        .expect("the call goes on")
        .into_inner();
    assert_eq!(next.seq, 3, "the stored call, not a new one");
    assert_eq!(said(&next), [AGENT_NUMBER]);
    let record = on_b
        .get_call(get("through-restart"))
        .await
        .expect("record")
        .into_inner();
    assert_eq!(turns(&record).len(), 3);
}
