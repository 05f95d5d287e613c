//! Engine timer and bookkeeping tests, on tokio's paused clock.

use std::{sync::Arc, time::Duration};

use tokio::{sync::mpsc, time::advance};

use super::*;
use crate::{
    calendar::HolidayCalendar,
    call::{Action, EndReason, Event},
    flow::compile_source,
};

const FIVE_S: Duration = Duration::from_secs(5);

/// A memory engine's answer, which is there as soon as the call returns.
pub(super) trait Answer<T> {
    fn answer(self) -> Result<T, CallError>;
}

impl<T> Answer<T> for Reply<'_, T> {
    fn answer(self) -> Result<T, CallError> {
        self.now().expect("a memory engine answers at once")
    }
}

pub(super) fn engine(settings: EngineSettings) -> Engine {
    Engine::new(hotline(), settings)
}

/// The shipped hotline flow and holidays.
pub(super) fn hotline() -> Arc<FlowRegistry> {
    let flow = compile_source("hotline.toml", include_str!("../../flows/hotline.toml"))
        .expect("shipped hotline compiles");
    let holidays =
        HolidayCalendar::from_toml("holidays.toml", include_str!("../../flows/holidays.toml"))
            .expect("shipped calendar parses");
    Arc::new(FlowRegistry::from_flows([flow], holidays))
}

pub(super) fn start(id: &str) -> StartCall {
    StartCall {
        call_id: id.into(),
        // An ordinary Monday afternoon: the plain opening.
        at: Some("2026-11-23T07:00:00Z".parse().expect("valid time")),
        ..StartCall::default()
    }
}

/// Prompt ids said, then the other actions, as one readable line.
pub(super) fn show(view: &TurnView) -> String {
    view.turn
        .actions
        .iter()
        .map(|a| match a {
            Action::Say(s) => format!("say:{}", s.prompt.id),
            Action::Listen { timeout } => format!("listen:{}", timeout.as_millis()),
            Action::Transfer { target, .. } => format!("transfer:{target}"),
            Action::Hangup(r) => format!("hangup:{}", r.as_str()),
            Action::Lookup { name, .. } => format!("lookup:{name}"),
            Action::Record { into, .. } => format!("record:{into}"),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lets the timer task and anything it woke run to completion.
async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

/// Asserts that nothing is pushed until exactly `after` has passed, then
/// returns the turn pushed at that moment.
async fn next_turn_exactly_after(
    rx: &mut mpsc::UnboundedReceiver<Arc<TurnView>>,
    after: Duration,
) -> Arc<TurnView> {
    advance(after - Duration::from_millis(1)).await;
    settle().await;
    assert!(rx.try_recv().is_err(), "a turn came before {after:?}");
    advance(Duration::from_millis(1)).await;
    settle().await;
    rx.try_recv().expect("a turn exactly on time")
}

#[tokio::test(start_paused = true)]
async fn silent_streamed_call_gets_three_prompts_five_seconds_apart_then_hangup() {
    let engine = engine(EngineSettings::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let first = engine
        .start(start("silent"), Some(Box::new(tx)))
        .answer()
        .expect("call starts");
    assert_eq!(show(&first), "say:opening listen:5000");
    assert_eq!(
        show(&rx.recv().await.expect("first turn is pushed too")),
        "say:opening listen:5000"
    );

    let expected = [
        "say:silence_reprompt listen:5000",
        "say:silence_goodbye listen:5000",
        "hangup:silence",
    ];
    for (i, want) in expected.iter().enumerate() {
        let turn = next_turn_exactly_after(&mut rx, FIVE_S).await;
        assert_eq!(show(&turn), *want);
        assert_eq!(turn.turn.seq, i as u64 + 2);
    }
    // The call ended: the stream closes, the record is kept.
    assert!(rx.recv().await.is_none());
    let record = engine.record(None, "silent").answer().expect("record kept");
    assert_eq!(record.ended, Some(EndReason::Silence));
    let offsets: Vec<u128> = record
        .transcript
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Turn(_)))
        .map(|e| e.offset.as_millis())
        .collect();
    assert_eq!(offsets, [0, 5_000, 10_000, 15_000]);
    assert_eq!(engine.live_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn with_playback_reports_the_silence_clock_starts_when_the_prompt_ends() {
    let engine = engine(EngineSettings::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut req = start("playback");
    req.reports_playback = true;
    engine
        .start(req, Some(Box::new(tx)))
        .answer()
        .expect("call starts");
    rx.recv().await.expect("opening");

    // Nothing may fire while the opening plays (within its playback
    // guard: playback_tests.rs).
    advance(Duration::from_secs(5)).await;
    settle().await;
    assert!(rx.try_recv().is_err(), "the timer ran during playback");

    let quiet = engine
        .send(None, "playback", 1, Event::PromptPlayed)
        .answer()
        .expect("event accepted");
    assert!(quiet.turn.actions.is_empty());
    assert_eq!(quiet.turn.seq, 1, "a turn with nothing to do keeps the seq");
    assert_eq!(
        show(&*next_turn_exactly_after(&mut rx, FIVE_S).await),
        "say:silence_reprompt listen:5000"
    );
}

#[tokio::test(start_paused = true)]
async fn caller_speech_resets_the_silence_count() {
    let engine = engine(EngineSettings::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    engine
        .start(start("talker"), Some(Box::new(tx)))
        .answer()
        .expect("call starts");
    rx.recv().await.expect("opening");

    advance(Duration::from_secs(5)).await;
    settle().await;
    assert_eq!(
        show(&rx.try_recv().expect("2nd prompt")),
        "say:silence_reprompt listen:5000"
    );

    advance(Duration::from_secs(3)).await;
    let reply = engine
        .send(
            None,
            "talker",
            1,
            Event::Speech {
                text: "客服您好".into(),
                confidence: Some(0.9),
                intents: Vec::new(),
            },
        )
        .answer()
        .expect("speech accepted");
    assert_eq!(show(&reply), "say:greeting_reply_afternoon listen:5000");
    assert_eq!(
        show(&rx.recv().await.expect("pushed too")),
        "say:greeting_reply_afternoon listen:5000"
    );

    // The count starts again: the next silence is the 2nd prompt, not the 3rd,
    // and it comes 5 s after the reply, not after the earlier prompt.
    assert_eq!(
        show(&*next_turn_exactly_after(&mut rx, FIVE_S).await),
        "say:silence_reprompt listen:5000"
    );
}

#[tokio::test(start_paused = true)]
async fn unary_calls_wait_for_the_front_end_and_end_when_it_is_gone() {
    let settings = EngineSettings {
        idle_timeout: Duration::from_secs(60),
        ..EngineSettings::default()
    };
    let engine = engine(settings);
    engine
        .start(start("unary"), None)
        .answer()
        .expect("call starts");

    // The front-end owns the silence clock: nothing happens by itself.
    advance(Duration::from_secs(20)).await;
    settle().await;
    let turn = engine
        .send(None, "unary", 1, Event::NoInput)
        .answer()
        .expect("no_input accepted");
    assert_eq!(show(&turn), "say:silence_reprompt listen:5000");

    // …until the front-end stays away past listen + idle timeout.
    advance(Duration::from_secs(64)).await;
    settle().await;
    assert!(
        engine
            .record(None, "unary")
            .answer()
            .expect("live")
            .ended
            .is_none()
    );
    advance(Duration::from_secs(1)).await;
    settle().await;
    let record = engine.record(None, "unary").answer().expect("record kept");
    assert_eq!(record.ended, Some(EndReason::FrontEndLost));
    assert_eq!(engine.live_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_retried_event_returns_the_same_turn_without_advancing() {
    let engine = engine(EngineSettings::default());
    engine
        .start(start("retry"), None)
        .answer()
        .expect("call starts");
    let first = engine
        .send(None, "retry", 1, Event::NoInput)
        .answer()
        .expect("accepted");
    let again = engine
        .send(None, "retry", 1, Event::NoInput)
        .answer()
        .expect("retry accepted");
    assert_eq!(first.turn, again.turn);
    assert_eq!(show(&again), "say:silence_reprompt listen:5000");

    let second = engine
        .send(None, "retry", 2, Event::NoInput)
        .answer()
        .expect("accepted");
    assert_eq!(show(&second), "say:silence_goodbye listen:5000");
    // Retrying the older event still gives its own turn back.
    assert_eq!(
        show(
            &engine
                .send(None, "retry", 1, Event::NoInput)
                .answer()
                .expect("retry")
        ),
        "say:silence_reprompt listen:5000"
    );

    let hangup = engine
        .send(None, "retry", 3, Event::NoInput)
        .answer()
        .expect("accepted");
    assert_eq!(show(&hangup), "hangup:silence");
    // The call has ended: a retry of the last event is answered the same…
    assert_eq!(
        engine
            .send(None, "retry", 3, Event::NoInput)
            .answer()
            .expect("retry")
            .turn,
        hangup.turn
    );
    // …and anything new is refused.
    assert_eq!(
        engine
            .send(None, "retry", 4, Event::NoInput)
            .answer()
            .unwrap_err(),
        CallError::Ended {
            call_id: "retry".into(),
            reason: "silence"
        }
    );
}

#[tokio::test(start_paused = true)]
async fn ids_and_flows_are_checked() {
    let engine = engine(EngineSettings::default());
    engine
        .start(start("dup"), None)
        .answer()
        .expect("call starts");
    assert_eq!(
        engine.start(start("dup"), None).answer().unwrap_err(),
        CallError::AlreadyExists("dup".into())
    );
    let mut other = start("other");
    other.flow = "nope".into();
    assert_eq!(
        engine.start(other, None).answer().unwrap_err(),
        CallError::UnknownFlow("nope".into())
    );
    assert_eq!(
        engine
            .send(None, "ghost", 1, Event::NoInput)
            .answer()
            .unwrap_err(),
        CallError::UnknownCall("ghost".into())
    );
    let mut wrong_locale = start("fr");
    wrong_locale.locale = Some("fr".into());
    assert!(matches!(
        engine.start(wrong_locale, None).answer(),
        Err(CallError::UnknownLocale { .. })
    ));
    // A bad request for one call leaves the others alone.
    assert!(
        engine
            .record(None, "dup")
            .answer()
            .expect("still live")
            .ended
            .is_none()
    );
}

#[tokio::test(start_paused = true)]
async fn a_vanished_stream_client_ends_its_call_and_keeps_the_record() {
    let engine = engine(EngineSettings::default());
    let (tx, rx) = mpsc::unbounded_channel();
    engine
        .start(start("gone"), Some(Box::new(tx)))
        .answer()
        .expect("call starts");
    drop(rx);
    advance(Duration::from_secs(5)).await;
    settle().await;
    let record = engine.record(None, "gone").answer().expect("record kept");
    assert_eq!(record.ended, Some(EndReason::FrontEndLost));
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_live_calls_but_keeps_their_records() {
    let engine = engine(EngineSettings::default());
    engine
        .start(start("a"), None)
        .answer()
        .expect("call starts");
    engine
        .start(start("b"), None)
        .answer()
        .expect("call starts");
    engine.shutdown();
    assert_eq!(engine.live_calls(), 0);
    for id in ["a", "b"] {
        let record = engine.record(None, id).answer().expect("record kept");
        assert_eq!(record.ended, Some(EndReason::Shutdown));
    }
}

#[tokio::test(start_paused = true)]
async fn ended_records_are_retained_up_to_the_limit() {
    let engine = engine(EngineSettings {
        retain_ended: 2,
        ..EngineSettings::default()
    });
    for id in ["r1", "r2", "r3"] {
        engine.start(start(id), None).answer().expect("call starts");
        engine.end(None, id).answer().expect("ends");
    }
    assert_eq!(
        engine.record(None, "r1").answer().unwrap_err(),
        CallError::UnknownCall("r1".into())
    );
    assert_eq!(
        engine.record(None, "r3").answer().expect("kept").ended,
        Some(EndReason::Operator)
    );
    // Ending twice returns the record again.
    assert_eq!(
        engine.end(None, "r3").answer().expect("idempotent").ended,
        Some(EndReason::Operator)
    );
}

#[tokio::test(start_paused = true)]
async fn a_call_without_an_id_gets_128_random_bits_of_fixed_width() {
    let engine = engine(EngineSettings::default());
    let a = engine.start(start(""), None).answer().expect("call starts");
    let b = engine.start(start(""), None).answer().expect("call starts");
    assert!(a.call_id.starts_with("cs-"), "{}", a.call_id);
    assert_eq!(a.call_id.len(), 3 + 32, "{}", a.call_id);
    assert!(a.call_id[3..].chars().all(|c| c.is_ascii_hexdigit()));
    // Not a counter: the two differ in many places, not just the end.
    let differing = a
        .call_id
        .chars()
        .zip(b.call_id.chars())
        .filter(|(x, y)| x != y)
        .count();
    assert!(differing > 8, "{} vs {}", a.call_id, b.call_id);
    assert_eq!(a.call_id.len(), b.call_id.len());
    assert_ne!(a.call_id, b.call_id);
    // The assigned id addresses the call like any other.
    let turn = engine
        .send(None, &a.call_id, 1, Event::Dtmf { digits: "0".into() })
        .answer()
        .expect("event on the assigned id");
    assert_eq!(turn.turn.state, crate::call::CallState::ConfirmingTransfer);
    assert_eq!(engine.live_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_transcript_keeps_its_newest_entries_and_counts_the_rest() {
    let engine = engine(EngineSettings {
        max_transcript: 16,
        ..EngineSettings::default()
    });
    engine
        .start(start("chatty"), None)
        .answer()
        .expect("call starts");
    // Each request for the agent number adds an event and a turn.
    for seq in 1..=20 {
        let speech = Event::Speech {
            text: "你的工号是多少".into(),
            confidence: None,
            intents: Vec::new(),
        };
        let view = engine
            .send(None, "chatty", seq, speech)
            .answer()
            .expect("event");
        assert_eq!(show(&view), "say:agent_number listen:5000");
    }
    let record = engine.record(None, "chatty").answer().expect("record");
    // 2 (start, opening) + 40, of which the newest 16 are kept.
    assert_eq!(record.transcript.len(), 16);
    assert_eq!(record.transcript_dropped, 26);
    assert!(matches!(
        record.transcript.last().map(|e| &e.kind),
        Some(EntryKind::Turn(t)) if t.seq == 21
    ));
    // A retry of an event still in the transcript replays; one that was
    // dropped is refused rather than run twice.
    let speech = Event::Speech {
        text: "你的工号是多少".into(),
        confidence: None,
        intents: Vec::new(),
    };
    assert_eq!(
        engine
            .send(None, "chatty", 20, speech)
            .answer()
            .expect("replay")
            .turn
            .seq,
        21
    );
    assert_eq!(
        engine
            .send(None, "chatty", 2, Event::NoInput)
            .answer()
            .unwrap_err(),
        CallError::StaleSeq { seq: 2, last: 20 }
    );
}

/// Twenty front-end connections retrying the same events at once: each
/// seq is applied exactly once (replay check, ended check and handling are
/// one critical section).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_of_the_same_seqs_apply_each_exactly_once() {
    const SEQS: u64 = 60;
    let engine = engine(EngineSettings::default());
    engine
        .start(start("retried"), None)
        .answer()
        .expect("call starts");
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let engine = engine.clone();
            tokio::task::spawn_blocking(move || {
                for seq in 1..=SEQS {
                    // Asking for the agent number always answers, and stays.
                    let speech = Event::speech("你的工号是多少");
                    let view = engine
                        .send(None, "retried", seq, speech)
                        .answer()
                        .expect("accepted");
                    assert_eq!(view.turn.seq, seq + 1, "seq {seq} got another's turn");
                }
            })
        })
        .collect();
    for t in threads {
        t.await.expect("no panics");
    }
    let record = engine.record(None, "retried").answer().expect("live");
    let events: Vec<u64> = record
        .transcript
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Event { seq, .. } if seq > 0 => Some(seq),
            _ => None,
        })
        .collect();
    assert_eq!(events, (1..=SEQS).collect::<Vec<_>>());
    let turns = record
        .transcript
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Turn(_)))
        .count();
    assert_eq!(turns as u64, SEQS + 1, "the opening and one turn per seq");
}

/// A Converse client that stops reading: its backlog is bounded and the
/// call ends as FrontEndLost, the final turn passing the bound by one.
#[tokio::test(start_paused = true)]
async fn a_reader_that_stops_reading_ends_its_call_after_a_bounded_backlog() {
    let engine = engine(EngineSettings::default());
    let (tx, mut rx) = mailbox::mailbox::<Arc<TurnView>>(4);
    engine
        .start(start("slow"), Some(Box::new(tx)))
        .answer()
        .expect("call starts");
    let mut seq = 0;
    let ended = loop {
        seq += 1;
        let speech = Event::speech("你的工号是多少");
        match engine.send(None, "slow", seq, speech).answer() {
            Ok(_) => assert!(seq < 10, "the backlog never filled"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        ended,
        CallError::Ended {
            call_id: "slow".into(),
            reason: "front_end_lost"
        }
    );
    let record = engine.record(None, "slow").answer().expect("record kept");
    assert_eq!(record.ended, Some(EndReason::FrontEndLost));
    let mut waiting = Vec::new();
    while let Some(v) = rx.recv().await {
        waiting.push(v);
    }
    assert_eq!(waiting.len(), 5, "four turns, then the final one");
    assert_eq!(
        waiting.last().expect("final").turn.ended,
        Some(EndReason::FrontEndLost)
    );
}

#[tokio::test(start_paused = true)]
async fn live_calls_are_limited_and_a_draining_engine_takes_none() {
    let engine = engine(EngineSettings {
        max_live_calls: 2,
        ..EngineSettings::default()
    });
    engine.start(start("one"), None).answer().expect("starts");
    engine.start(start("two"), None).answer().expect("starts");
    assert_eq!(
        engine.start(start("three"), None).answer().unwrap_err(),
        CallError::TooManyCalls { limit: 2 }
    );
    engine.end(None, "one").answer().expect("ends");
    engine
        .start(start("three"), None)
        .answer()
        .expect("room again");
    assert_eq!(engine.live_calls(), 2);

    engine.stop_taking_calls();
    assert_eq!(
        engine.start(start("four"), None).answer().unwrap_err(),
        CallError::ShuttingDown
    );
    // Live calls go on while draining.
    engine
        .send(None, "two", 1, Event::NoInput)
        .answer()
        .expect("a live call still takes events");
}

#[tokio::test(start_paused = true)]
async fn kept_records_are_bounded_in_bytes_too() {
    let engine = engine(EngineSettings {
        retain_ended_bytes: 8 << 10,
        ..EngineSettings::default()
    });
    for i in 0..10 {
        let id = format!("big-{i}");
        let mut req = start(&id);
        req.caller = "1".repeat(2000);
        engine.start(req, None).answer().expect("starts");
        engine.end(None, &id).answer().expect("ends");
    }
    let kept = (0..10)
        .filter(|i| engine.record(None, &format!("big-{i}")).answer().is_ok())
        .count();
    assert!((1..10).contains(&kept), "{kept} records kept");
    assert!(
        engine.record(None, "big-9").answer().is_ok(),
        "the newest is kept"
    );
    assert!(
        engine.record(None, "big-0").answer().is_err(),
        "the oldest went first"
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_scoped_to_its_own_calls_cannot_touch_anothers() {
    let engine = engine(EngineSettings::default());
    let mut req = start("mine");
    req.owner = Some("pbx-1".into());
    engine.start(req, None).answer().expect("starts");
    assert!(engine.record(Some("pbx-1"), "mine").answer().is_ok());
    assert_eq!(
        engine.record(Some("pbx-2"), "mine").answer().unwrap_err(),
        CallError::NotOwner("mine".into())
    );
    assert_eq!(
        engine
            .send(Some("pbx-2"), "mine", 1, Event::CallerHangup)
            .answer()
            .unwrap_err(),
        CallError::NotOwner("mine".into())
    );
    assert_eq!(
        engine.end(Some("pbx-2"), "mine").answer().unwrap_err(),
        CallError::NotOwner("mine".into())
    );
    assert!(
        engine
            .record(None, "mine")
            .answer()
            .expect("live")
            .ended
            .is_none()
    );
    // Operators (no scope) may.
    assert!(
        engine
            .end(None, "mine")
            .answer()
            .expect("ends")
            .ended
            .is_some()
    );
}

#[test]
fn an_assigned_id_is_cs_and_the_bytes_in_hex() {
    let bytes = [
        0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xf0, 0x0f, 0x10, 0x99, 0xa5, 0x5a,
        0xff,
    ];
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(&*super::assigned_id(bytes), format!("cs-{hex}"));
}

#[test]
fn a_deadlines_event_is_spelled_in_a_snapshot_as_the_event_was() {
    use super::kept::{Due, TimerEvent};
    use crate::call::Event;
    for (timer, event) in [
        (TimerEvent::NoInput, Event::NoInput),
        (TimerEvent::FrontEndLost, Event::FrontEndLost),
    ] {
        let stored = serde_json::to_string(&Due::Event(timer)).expect("serializes");
        let event = serde_json::to_string(&event).expect("serializes");
        assert_eq!(stored, format!("{{\"Event\":{event}}}"));
        let read: Due = serde_json::from_str(&stored).expect("reads back");
        assert_eq!(read, Due::Event(timer));
        assert_eq!(
            Event::from(timer),
            serde_json::from_str(&event).expect("an event")
        );
    }
}
