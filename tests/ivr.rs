//! The IVR building blocks through gRPC, on the machine tests' small
//! operator IVR (`src/call/tests/ivr.toml`): a Listen that says what to
//! collect, a menu key, a number keyed one key per event and as one event,
//! variables on the turn and on the record, and
//! `input_started` holding the server's no-input timer while the caller
//! keys — on the paused clock, and once on the real clock.

mod common;

use std::{sync::Arc, time::Duration};

use callscript::{engine::EngineSettings, flow::FlowRegistry, grpc::pb};
use common::*;
use pb::call_event::Kind;
use tokio::sync::mpsc::UnboundedSender;
use tokio_stream::StreamExt;

const AFTERNOON: &str = "2026-11-23T15:00:00+08:00";
const MAIN: &str = "查询话费请按1,办理业务请按2,人工服务请按0,重听请按9。";
const ASK_NUMBER: &str = "请输入您要查询的手机号码,以#号键结束。";
const READ_BACK: &str = "您要查询的号码是1 3 8 0 0 1 3 8 0 0 0。";

/// The IVR test flow, alone in a flows directory.
fn registry() -> (tempfile::TempDir, Arc<FlowRegistry>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(
        dir.path().join("ivr.toml"),
        include_str!("../src/call/tests/ivr.toml"),
    )
    .expect("write the flow");
    let registry = FlowRegistry::load_dir(dir.path(), None).expect("the IVR flow loads");
    (dir, Arc::new(registry))
}

fn dtmf(digits: &str) -> Kind {
    Kind::Dtmf(pb::Dtmf {
        digits: digits.into(),
    })
}

fn listen(turn: &pb::Turn) -> Option<pb::Listen> {
    turn.actions.iter().find_map(|a| match &a.kind {
        Some(pb::action::Kind::Listen(l)) => Some(l.clone()),
        _ => None,
    })
}

fn ivr_start(call_id: &str) -> pb::StartCallRequest {
    pb::StartCallRequest {
        flow: "ivr".into(),
        ..start(call_id, AFTERNOON)
    }
}

#[tokio::test(start_paused = true)]
async fn a_menu_key_then_a_number_as_one_event_with_listens_that_say_what_to_collect() {
    let (_dir, registry) = registry();
    let mut s = start_server_with(registry, EngineSettings::default()).await;
    let c = &mut s.calls;
    let t = c
        .start_call(ivr_start("m1"))
        .await
        .expect("starts")
        .into_inner();
    assert_eq!(said(&t), ["本次通话可能会被录音。", MAIN]);
    assert_eq!(t.phase(), pb::CallState::InMenu);
    let l = listen(&t).expect("the menu listens");
    assert_eq!(
        (
            l.input(),
            l.min_digits,
            l.max_digits,
            l.terminators.as_str()
        ),
        (pb::InputMode::DtmfAndSpeech, 1, 1, "")
    );
    // The menu's words (bill) and the anywhere request (agent).
    assert_eq!(l.hints, ["话费", "人工"]);
    // The notice cannot be interrupted; the menu can.
    let barge: Vec<bool> = t
        .actions
        .iter()
        .filter_map(|a| match &a.kind {
            Some(pb::action::Kind::Say(s)) => Some(s.barge_in),
            _ => None,
        })
        .collect();
    assert_eq!(barge, [false, true]);

    let t = c
        .send_event(event("m1", 1, dtmf("4")))
        .await
        .expect("a menu key")
        .into_inner();
    assert_eq!(said(&t), [ASK_NUMBER]);
    assert_eq!(t.phase(), pb::CallState::Collecting);
    let l = listen(&t).expect("the entry listens");
    assert_eq!(
        (
            l.input(),
            l.min_digits,
            l.max_digits,
            l.terminators.as_str(),
            l.inter_digit_timeout_ms,
            l.no_input_timeout_ms
        ),
        (pb::InputMode::Dtmf, 11, 11, "#", 3000, 5000)
    );

    let t = c
        .send_event(event("m1", 2, dtmf("13800138000#")))
        .await
        .expect("the number")
        .into_inner();
    assert_eq!(said(&t), [READ_BACK, "您还需要别的帮助吗?"]);
    assert_eq!(
        t.variables,
        [("phone".to_owned(), "13800138000".to_owned())].into()
    );
    let record = c
        .get_call(pb::GetCallRequest {
            call_id: "m1".into(),
        })
        .await
        .expect("the record")
        .into_inner();
    assert_eq!(
        record.variables,
        [("phone".to_owned(), "13800138000".to_owned())].into()
    );
    s.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_number_keyed_one_key_per_event_waits_the_inter_digit_pause() {
    let (_dir, registry) = registry();
    let mut s = start_server_with(registry, EngineSettings::default()).await;
    let c = &mut s.calls;
    c.start_call(ivr_start("m2")).await.expect("starts");
    c.send_event(event("m2", 1, dtmf("4")))
        .await
        .expect("menu key");
    for (i, key) in "1380013800".chars().enumerate() {
        let t = c
            .send_event(event("m2", 2 + i as u64, dtmf(&key.to_string())))
            .await
            .expect("a key")
            .into_inner();
        assert_eq!(said(&t), Vec::<String>::new());
        assert_eq!(listen_ms(&t), Some(3000), "the inter-digit pause");
        assert!(t.variables.is_empty());
    }
    let t = c
        .send_event(event("m2", 12, dtmf("0")))
        .await
        .expect("the last key")
        .into_inner();
    assert_eq!(said(&t), [READ_BACK, "您还需要别的帮助吗?"]);
    s.stop().await;
}

/// A Converse stream on the IVR at its number entry.
async fn converse_at_entry(
    s: &mut TestServer,
    call_id: &str,
) -> (UnboundedSender<pb::CallEvent>, tonic::Streaming<pb::Turn>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tx.send(pb::CallEvent {
        call_id: String::new(),
        seq: 0,
        kind: Some(Kind::Start(Box::new(ivr_start(call_id)))),
    })
    .expect("queue start");
    let mut turns = s
        .calls
        .converse(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
        .await
        .expect("stream opens")
        .into_inner();
    let t = turns.next().await.expect("opening").expect("ok");
    assert_eq!(said(&t), ["本次通话可能会被录音。", MAIN]);
    tx.send(event(call_id, 1, dtmf("4"))).expect("queue");
    let t = turns.next().await.expect("entry").expect("ok");
    assert_eq!(said(&t), [ASK_NUMBER]);
    (tx, turns)
}

#[tokio::test(start_paused = true)]
async fn input_started_holds_the_no_input_timer_until_the_keys_come() {
    let (_dir, registry) = registry();
    let mut s = start_server_with(registry, EngineSettings::default()).await;
    let (tx, mut turns) = converse_at_entry(&mut s, "m3").await;
    tx.send(event("m3", 2, Kind::InputStarted(pb::InputStarted {})))
        .expect("queue");
    // Nothing is said back (Converse pushes no empty turn); the server
    // takes the event while the clock moves on by a little.
    tokio::time::sleep(Duration::from_millis(10)).await;
    tokio::time::advance(Duration::from_secs(9)).await;
    tx.send(event("m3", 3, dtmf("13800138000#")))
        .expect("queue");
    let t = turns.next().await.expect("read back").expect("ok");
    assert_eq!(said(&t), [READ_BACK, "您还需要别的帮助吗?"]);
    drop(tx);
    s.stop().await;
}

#[tokio::test(start_paused = true)]
async fn without_input_started_the_silent_caller_is_asked_again_at_5_s() {
    let (_dir, registry) = registry();
    let mut s = start_server_with(registry, EngineSettings::default()).await;
    let (tx, mut turns) = converse_at_entry(&mut s, "m4").await;
    let t = turns.next().await.expect("re-ask").expect("ok");
    assert_eq!(said(&t), [ASK_NUMBER]);
    drop(tx);
    s.stop().await;
}

/// On the real clock (the one such test besides the grpcurl ones): the
/// caller begins keying (`input_started`) and the PBX, collecting the
/// digits itself, sends all 11 of them 8 s later; the server's 5 s
/// no-input timer must not re-ask in between.
#[tokio::test]
async fn on_the_real_clock_eleven_keys_over_8_s_get_no_re_ask() {
    let (_dir, registry) = registry();
    let mut s = start_server_with(registry, EngineSettings::default()).await;
    let (tx, mut turns) = converse_at_entry(&mut s, "m5").await;
    let started = std::time::Instant::now();
    tx.send(event("m5", 2, Kind::InputStarted(pb::InputStarted {})))
        .expect("queue");
    tokio::time::sleep(Duration::from_secs(8)).await;
    tx.send(event("m5", 3, dtmf("13800138000#")))
        .expect("queue");
    let t = turns.next().await.expect("a turn").expect("ok");
    assert_eq!(
        said(&t),
        [READ_BACK, "您还需要别的帮助吗?"],
        "no re-ask first"
    );
    assert!(started.elapsed() >= Duration::from_secs(8));
    drop(tx);
    s.stop().await;
}
