//! The playback guard: a call started with `reports_playback` whose
//! `prompt_played` never arrives still gets its no-input timer (the seed
//! forbids leaving a caller in dead air), and the transcript says the
//! front-end failed.

use std::time::Duration;

use tokio::{sync::mpsc, time::advance};

use super::{
    EngineSettings, EntryKind, StartCall, TurnView,
    tests::{Answer, engine},
};
use crate::call::Action;

/// The hotline's plain opening, as the caller hears it in zh-CN.
const OPENING: &str = "您好,XX欢迎您的来电,请问有什么可以帮您?";

fn start(id: &str) -> StartCall {
    StartCall {
        call_id: id.into(),
        // An ordinary Monday afternoon: the plain opening.
        at: Some("2026-11-23T07:00:00Z".parse().expect("valid time")),
        reports_playback: true,
        ..StartCall::default()
    }
}

fn said(view: &TurnView) -> Vec<String> {
    view.turn
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some(s.text().to_string()),
            _ => None,
        })
        .collect()
}

async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
}

/// 250 ms a character of Chinese, plus a 2 s margin.
fn estimate(text: &str) -> Duration {
    Duration::from_millis(250) * text.chars().count() as u32 + Duration::from_secs(2)
}

#[tokio::test(start_paused = true)]
async fn a_lost_prompt_played_starts_the_silence_clock_after_the_guard() {
    let engine = engine(EngineSettings::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    engine
        .start(start("lost"), Some(Box::new(tx)))
        .answer()
        .expect("starts");
    let opening = rx.recv().await.expect("opening");
    assert_eq!(said(&opening), [OPENING]);

    // The guard (the opening's estimated length) plus the 5 s of silence:
    // then the second silence prompt, though prompt_played never came.
    let due = estimate(OPENING) + Duration::from_secs(5);
    advance(due - Duration::from_millis(1)).await;
    settle().await;
    assert!(rx.try_recv().is_err(), "a turn came before {due:?}");
    advance(Duration::from_millis(1)).await;
    settle().await;
    let reprompt = rx.try_recv().expect("the silence prompt, on time");
    assert_eq!(said(&reprompt), ["您好!请问有什么可以帮您?"]);

    // The transcript marks the front-end's fault, at the guard.
    let record = engine.record(None, "lost").answer().expect("record");
    let faults: Vec<(Duration, String)> = record
        .transcript
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Fault(f) => Some((e.offset, f.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        faults,
        [(
            estimate(OPENING),
            format!(
                "prompt_played did not come within the playback guard ({} ms); the no-input timer started without it",
                estimate(OPENING).as_millis()
            )
        )]
    );
}

#[tokio::test(start_paused = true)]
async fn the_guard_is_capped_by_playback_guard_ms() {
    let engine = engine(EngineSettings {
        playback_guard: Duration::from_secs(3),
        ..EngineSettings::default()
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    engine
        .start(start("capped"), Some(Box::new(tx)))
        .answer()
        .expect("starts");
    rx.recv().await.expect("opening");
    advance(Duration::from_millis(7999)).await;
    settle().await;
    assert!(rx.try_recv().is_err(), "a turn came before 3 s + 5 s");
    advance(Duration::from_millis(1)).await;
    settle().await;
    assert_eq!(
        said(&rx.try_recv().expect("the silence prompt")),
        ["您好!请问有什么可以帮您?"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_prompt_played_in_time_leaves_no_fault() {
    let engine = engine(EngineSettings::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    engine
        .start(start("fine"), Some(Box::new(tx)))
        .answer()
        .expect("starts");
    rx.recv().await.expect("opening");
    advance(Duration::from_secs(3)).await;
    engine
        .send(None, "fine", 1, crate::call::Event::PromptPlayed)
        .answer()
        .expect("accepted");
    // Past the guard: the clock runs from prompt_played, no fault logged.
    advance(Duration::from_secs(4) + Duration::from_millis(999)).await;
    settle().await;
    assert!(rx.try_recv().is_err());
    advance(Duration::from_millis(1)).await;
    settle().await;
    rx.try_recv()
        .expect("the silence prompt 5 s after prompt_played");
    let record = engine.record(None, "fine").answer().expect("record");
    assert!(
        !record
            .transcript
            .iter()
            .any(|e| matches!(e.kind, EntryKind::Fault(_)))
    );
}
