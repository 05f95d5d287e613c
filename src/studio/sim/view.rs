//! A simulation as the API answers it: the call's place, its turns (each
//! with its prompts, actions, what the words were understood as and the
//! variables after it), the path and, once it ended, its score.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::call::SimCall;
use crate::{
    call::Action,
    engine::CallRecord,
    transcript::{EntryKind, TranscriptReader, Turn},
};

/// The simulation; `all`: every turn, else those new since the last view.
pub fn sim(call: &SimCall, all: bool) -> Value {
    let clock_ms = call.clock().as_millis() as u64;
    let Some(record) = call.record() else {
        return json!({ "id": call.id, "error": "the simulated call's record is gone" });
    };
    let skip = if all {
        0
    } else {
        call.answered.saturating_sub(record.transcript_dropped) as usize
    };
    let score = record.ended.map(|_| {
        serde_json::to_value(call.setup.scoring.score_record(&record)).unwrap_or_default()
    });
    json!({
        "id": call.id,
        "flow": record.flow.id().to_string(),
        "version": record.flow.version().to_string(),
        "locale": record.locale.to_string(),
        "at": record.facts.local_start.to_string(),
        "clock_ms": clock_ms,
        "state": record.state.as_str(),
        "step": record.step.as_deref(),
        "turns": turns(&record, &call.setup.variables, skip),
        "path": crate::studio::path::path(&record),
        "variables": record.variables,
        "waits_for": crate::simulate::understands(&record, false),
        "ended": record.ended.is_some(),
        "end_reason": record.ended.map(|r| r.as_str()),
        "score": score,
        "note": call.note,
    })
}

/// The turns from entry `skip` on, each with the event it answers.
fn turns(record: &CallRecord, start_vars: &crate::call::Vars, skip: usize) -> Vec<Value> {
    let mut reader = TranscriptReader::default();
    let mut variables: BTreeMap<String, String> = start_vars
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut last_event: Option<Value> = None;
    let mut out = Vec::new();
    for (i, entry) in record.transcript.iter().enumerate() {
        let lines = reader.lines(entry);
        match &entry.kind {
            EntryKind::Event { event, .. } => {
                let kind: &'static str = event.kind().into();
                last_event = Some(json!({
                    "kind": kind,
                    "text": lines.first().map(|l| l.text.clone()).unwrap_or_default(),
                }));
            }
            EntryKind::Turn(turn) => {
                variables.extend(turn.variables.iter().map(|(k, v)| (k.clone(), v.clone())));
                if i >= skip {
                    let event = last_event.take();
                    out.push(turn_json(
                        turn,
                        entry.offset.as_millis() as u64,
                        event,
                        &variables,
                    ));
                }
            }
            EntryKind::Fault(_) => {}
        }
    }
    out
}

fn turn_json(
    turn: &Turn,
    at_ms: u64,
    event: Option<Value>,
    variables: &BTreeMap<String, String>,
) -> Value {
    let prompts: Vec<Value> = turn
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(s) => Some(json!({ "id": &*s.prompt.id, "text": &**s.text() })),
            Action::Listen { .. }
            | Action::Transfer { .. }
            | Action::Hangup(_)
            | Action::Lookup { .. }
            | Action::Record { .. } => None,
        })
        .collect();
    let heard = event
        .as_ref()
        .is_some_and(|e| matches!(e["kind"].as_str(), Some("speech" | "dtmf")));
    let understood = heard.then(|| {
        let intents: Vec<&str> = turn.understood.iter().map(|i| &**i).collect();
        let why = if intents.is_empty() {
            "nothing the call listens for".to_owned()
        } else {
            format!("understood as {}", intents.join(", "))
        };
        json!({ "intents": intents, "why": why })
    });
    json!({
        "at_ms": at_ms,
        "event": event,
        "step": turn.step.as_deref(),
        "state": turn.state.as_str(),
        "prompts": prompts,
        "actions": turn.actions.iter().map(action_json).collect::<Vec<_>>(),
        "understood": understood,
        "variables": variables,
        "ended": turn.ended.map(|r| r.as_str()),
    })
}

fn action_json(action: &Action) -> Value {
    match action {
        Action::Say(s) => json!({
            "kind": "say", "prompt": &*s.prompt.id, "text": &**s.text(),
        }),
        Action::Listen { timeout } => json!({
            "kind": "listen", "timeout_ms": timeout.as_millis() as u64,
        }),
        Action::Transfer { target, reason, .. } => json!({
            "kind": "transfer", "target": &**target, "reason": &**reason,
        }),
        Action::Hangup(reason) => json!({ "kind": "hangup", "reason": reason.as_str() }),
        Action::Lookup { name, params } => json!({
            "kind": "lookup", "name": &**name, "params": params,
        }),
        Action::Record { max, into, .. } => json!({
            "kind": "record", "max_ms": max.as_millis() as u64, "into": &**into,
        }),
    }
}
