//! A simulated call written down as a scenario file: the format of
//! `tests/scenarios/*.toml` that `callscript simulate --scenario` and the
//! test suite run, so a call a designer tried becomes a test that keeps.
//!
//! Each thing the caller did is a caller step, after the time it waited
//! (`wait`); each timer that ran out is `silence = true`; each turn that
//! said or did something is expected in full (prompt ids, state, step,
//! listen time, transfer, hang-up, lookup, recording, time), so the file
//! fails on any change a designer did not mean.

use std::{collections::BTreeMap, time::Duration};

use serde::Serialize;

use super::call::Setup;
use crate::{
    call::{Action, AudioKind, Event},
    engine::CallRecord,
    transcript::{EntryKind, Turn},
};

#[derive(Serialize)]
struct File {
    title: String,
    flow: String,
    locale: String,
    at: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    variables: BTreeMap<String, String>,
    step: Vec<Step>,
    end: End,
}

/// One `[[step]]`: a caller step or an expected turn, never both.
#[derive(Serialize, Default)]
struct Step {
    #[serde(skip_serializing_if = "Option::is_none")]
    wait: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    say: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dtmf: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    silence: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audio: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    played: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_started: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lookup_result: Option<ResultOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hold_result: Option<ResultOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recording_result: Option<RecordingOut>,

    #[serde(skip_serializing_if = "Option::is_none")]
    expect: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<&'static str>,
    #[serde(rename = "in", skip_serializing_if = "Option::is_none")]
    in_step: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    listen_ms: Option<u64>,
    /// A caller step's transfer result, or an expected turn's target.
    #[serde(skip_serializing_if = "Option::is_none")]
    transfer: Option<String>,
    /// `true`: the caller hangs up; a reason: the turn hangs up.
    #[serde(skip_serializing_if = "Option::is_none")]
    hangup: Option<toml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lookup: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ended: Option<bool>,
}

#[derive(Serialize)]
struct ResultOut {
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    ok: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    variables: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct RecordingOut {
    ok: bool,
    recording: String,
    duration_ms: u64,
}

#[derive(Serialize)]
struct End {
    reason: String,
    turns_at_ms: Vec<u64>,
}

/// The scenario file of the call so far.
pub fn scenario(record: &CallRecord, setup: &Setup) -> String {
    let mut steps = Vec::new();
    // When the last thing happened: a caller step waits from there.
    let mut last = Duration::ZERO;
    // Whether the last event was a timer's: its turn is expected even when
    // it says nothing, since `silence` takes whatever turn comes next.
    let mut after_timer = false;
    for entry in &record.transcript {
        match &entry.kind {
            EntryKind::Event { seq, event } => {
                after_timer = false;
                let Some(mut step) = caller_step(*seq, event) else {
                    continue;
                };
                if step.silence.is_some() {
                    after_timer = true;
                } else if entry.offset > last {
                    step.wait = Some(format!("{}ms", (entry.offset - last).as_millis()));
                }
                last = entry.offset;
                steps.push(step);
            }
            EntryKind::Turn(turn) => {
                last = entry.offset;
                if !turn.actions.is_empty() || after_timer {
                    steps.push(expected(turn, entry.offset));
                }
                after_timer = false;
            }
            EntryKind::Fault(_) => {}
        }
    }
    let turns_at_ms = record
        .transcript
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Turn(_)))
        .map(|e| e.offset.as_millis() as u64)
        .collect();
    let file = File {
        title: format!(
            "Simulated in the studio: {} ({}) from {}",
            record.flow.id(),
            record.locale,
            record.facts.local_start
        ),
        flow: record.flow.id().to_string(),
        locale: record.locale.to_string(),
        at: record.facts.local_start.to_string(),
        variables: setup
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        step: steps,
        end: End {
            reason: record.ended.map_or("live", |r| r.as_str()).to_owned(),
            turns_at_ms,
        },
    };
    // Serializing plain strings, numbers and tables cannot fail; should it,
    // the message says so in the file rather than panicking.
    toml::to_string(&file).unwrap_or_else(|e| format!("# the scenario could not be written: {e}\n"))
}

/// The caller step an event was, if it is one (the call's start is not).
fn caller_step(seq: u64, event: &Event) -> Option<Step> {
    let mut step = Step::default();
    let on = Some(true);
    let vars = |v: &crate::call::Vars| -> BTreeMap<String, String> {
        v.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    };
    match event {
        Event::Start => return None,
        // The service's own event: a timer ran out.
        _ if seq == 0 => step.silence = on,
        Event::Speech { text, .. } => step.say = Some(text.clone()),
        Event::Dtmf { digits } => step.dtmf = Some(digits.clone()),
        Event::NoInput => step.silence = on,
        Event::Audio(kind) => {
            step.audio = Some(match kind {
                AudioKind::Weak => "weak",
                AudioKind::Noisy => "noisy",
                AudioKind::NoAudio => "no_audio",
                AudioKind::UnknownLanguage => "unknown_language",
            });
        }
        Event::PromptPlayed => step.played = on,
        Event::InputStarted => step.input_started = on,
        Event::TransferResult { connected, cause } => {
            step.transfer = Some(match (connected, cause) {
                (true, _) => "connected".to_owned(),
                (false, None) => "failed".to_owned(),
                (false, Some(cause)) => <&'static str>::from(*cause).to_owned(),
            });
        }
        Event::Data { variables } => step.data = Some(vars(variables)),
        Event::LookupResult {
            name,
            ok,
            variables,
        } => {
            step.lookup_result = Some(ResultOut {
                name: name.clone(),
                ok: *ok,
                variables: vars(variables),
            });
        }
        Event::HoldResult { ok, variables } => {
            step.hold_result = Some(ResultOut {
                name: String::new(),
                ok: *ok,
                variables: vars(variables),
            });
        }
        Event::RecordingResult {
            ok,
            recording,
            duration,
        } => {
            step.recording_result = Some(RecordingOut {
                ok: *ok,
                recording: recording.clone(),
                duration_ms: duration.as_millis() as u64,
            });
        }
        Event::CallerHangup => step.hangup = Some(toml::Value::Boolean(true)),
        // Not the caller's: a simulation has no operator, front-end or
        // shutdown, and the time limit comes from the call's own timer.
        Event::OperatorHangup | Event::FrontEndLost | Event::Shutdown | Event::TimeLimit => {
            step.silence = on;
        }
    }
    Some(step)
}

/// A turn, expected in full.
fn expected(turn: &Turn, at: Duration) -> Step {
    let mut step = Step {
        expect: Some(Vec::new()),
        state: Some(turn.state.as_str()),
        in_step: turn.step.as_deref().map(str::to_owned),
        listen_ms: turn.listen().map(|t| t.as_millis() as u64),
        at_ms: Some(at.as_millis() as u64),
        ended: turn.ended.map(|_| true),
        ..Step::default()
    };
    for action in &turn.actions {
        match action {
            Action::Say(say) => {
                if let Some(expect) = &mut step.expect {
                    expect.push(say.prompt.id.to_string());
                }
            }
            Action::Listen { .. } => {}
            Action::Transfer { target, .. } => step.transfer = Some(target.to_string()),
            Action::Hangup(reason) => {
                step.hangup = Some(toml::Value::String(reason.as_str().to_owned()));
            }
            Action::Lookup { name, .. } => step.lookup = Some(name.to_string()),
            Action::Record { into, .. } => step.record = Some(into.to_string()),
        }
    }
    step
}
