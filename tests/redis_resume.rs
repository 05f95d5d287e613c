//! A Converse call outlives its replica: `kill -9` the replica holding the
//! stream of a silent call, open Converse on another with `resume`, and the
//! remaining silence prompt comes on time with the right words. Real
//! processes on the real clock, with the listen shortened to 1.5 s in a
//! copy of the shipped flows so the test stays short.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use callscript::grpc::pb;
use tokio_stream::StreamExt;
use tonic::{Code, Streaming};

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
use replicas::{client, converse, quick_flows};
use turns::said;

const REPROMPT: &str = "您好!请问有什么可以帮您?";
const SILENCE_GOODBYE: &str = "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!";
const LISTEN: Duration = Duration::from_millis(1500);

async fn next_turn(turns: &mut Streaming<pb::Turn>) -> pb::Turn {
    tokio::time::timeout(Duration::from_secs(10), turns.next())
        .await
        .expect("a turn within 10 s")
        .expect("the stream is open")
        .expect("a turn, not an error")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_converse_call_resumed_after_kill_9_gets_its_last_prompt_on_time() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let flows = quick_flows();
    let url = redis.url();
    let env = [("CALLSCRIPT_STORE", url.as_str())];
    let a = ServerProcess::start_in(flows.path(), &env, Stdio::null());
    let b = ServerProcess::start_in(flows.path(), &env, Stdio::null());

    let start = pb::call_event::Kind::Start(Box::new(pb::StartCallRequest {
        call_id: "resumed".into(),
        at: "2026-11-23T15:00:00+08:00".into(),
        ..Default::default()
    }));
    let (_to_a, mut from_a) = converse(&mut client(&a).await, start)
        .await
        .expect("Converse on A");
    let opening = next_turn(&mut from_a).await;
    assert_eq!(opening.seq, 1);
    let second = next_turn(&mut from_a).await;
    let second_at = Instant::now();
    assert_eq!((second.seq, said(&second)), (2, vec![REPROMPT.to_owned()]));

    // The replica holding the stream dies without a word.
    drop(a);
    let broken = tokio::time::timeout(Duration::from_secs(5), from_a.next())
        .await
        .expect("the stream breaks");
    assert!(
        !matches!(broken, Some(Ok(_))),
        "no turn from a dead replica"
    );

    let resume = pb::call_event::Kind::Resume(pb::Resume {
        call_id: "resumed".into(),
    });
    let (_to_b, mut from_b) = converse(&mut client(&b).await, resume)
        .await
        .expect("Converse on B resumes the call");
    let third = next_turn(&mut from_b).await;
    let waited = second_at.elapsed();
    assert_eq!(third.seq, 3, "the call's own count, not a new opening");
    assert_eq!(said(&third), [SILENCE_GOODBYE]);
    assert!(
        waited >= LISTEN - Duration::from_millis(200)
            && waited <= LISTEN + Duration::from_millis(1200),
        "the last prompt came {waited:?} after the second; the listen is {LISTEN:?}"
    );
    // After the goodbye the caller may still hang up first (N12); then the
    // service hangs up for silence, and the call ends.
    let last = next_turn(&mut from_b).await;
    assert_eq!(last.seq, 4);
    assert!(
        last.actions.iter().any(|a| matches!(
            a.kind,
            Some(pb::action::Kind::Hangup(ref h)) if h.reason == pb::EndReason::Silence as i32
        )),
        "hangs up for silence: {last:?}"
    );
    // The call ended: the stream closes.
    let end = tokio::time::timeout(Duration::from_secs(5), from_b.next())
        .await
        .expect("the stream closes");
    assert!(end.is_none(), "{end:?}");

    // Resuming an ended call, or any call without a shared store, says why.
    let again = pb::call_event::Kind::Resume(pb::Resume {
        call_id: "resumed".into(),
    });
    let refused = match converse(&mut client(&b).await, again).await {
        Err(status) => status,
        Ok((_tx, mut turns)) => turns.next().await.expect("a status").expect_err("refused"),
    };
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let memory = ServerProcess::start_in(flows.path(), &[], Stdio::null());
    let resume = pb::call_event::Kind::Resume(pb::Resume {
        call_id: "resumed".into(),
    });
    let refused = match converse(&mut client(&memory).await, resume).await {
        Err(status) => status,
        Ok((_tx, mut turns)) => turns.next().await.expect("a status").expect_err("refused"),
    };
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(refused.message().contains("store"), "{}", refused.message());
}
