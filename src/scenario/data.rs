//! Scenario steps for a call's data: the variables a call starts with, a
//! `data` event, the front-end's answers to a lookup, a hold and a
//! recording, and the lookup or recording a turn must ask for.

use std::{collections::BTreeMap, time::Duration};

use serde::Deserialize;

use crate::call::{Action, Event, TransferCause, Vars};

/// `lookup_result = { name = "bill", ok = true, variables = { amount = "58.50" } }`
/// or `hold_result = { ok = false }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultField {
    /// The lookup's name (lookup results only).
    #[serde(default)]
    pub name: String,
    pub ok: bool,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
}

/// `recording_result = { ok = true, recording = "vm/0001.wav", duration_ms = 12000 }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingField {
    pub ok: bool,
    #[serde(default)]
    pub recording: String,
    #[serde(default)]
    pub duration_ms: u64,
}

pub(super) fn vars(map: &BTreeMap<String, String>) -> Vars {
    map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The data events a step sends, if any.
pub(super) fn events(step: &super::ScenarioStep) -> Vec<Event> {
    let mut out = Vec::new();
    if let Some(d) = &step.data {
        out.push(Event::Data { variables: vars(d) });
    }
    if let Some(r) = &step.lookup_result {
        out.push(Event::LookupResult {
            name: r.name.clone(),
            ok: r.ok,
            variables: vars(&r.variables),
        });
    }
    if let Some(r) = &step.hold_result {
        out.push(Event::HoldResult {
            ok: r.ok,
            variables: vars(&r.variables),
        });
    }
    if let Some(r) = &step.recording_result {
        out.push(Event::RecordingResult {
            ok: r.ok,
            recording: r.recording.clone(),
            duration: Duration::from_millis(r.duration_ms),
        });
    }
    if step.played {
        out.push(Event::PromptPlayed);
    }
    if step.input_started {
        out.push(Event::InputStarted);
    }
    out
}

/// `transfer = "connected"`, `"failed"` or a cause (`"busy"`,
/// `"no_answer"`, `"rejected"`) as a caller step: the front-end's result.
pub(super) fn transfer_result(result: &str) -> Result<Event, String> {
    let (connected, cause) = match result {
        "connected" => (true, None),
        "failed" => (false, None),
        other => match other.parse::<TransferCause>() {
            Ok(cause) => (false, Some(cause)),
            Err(_) => {
                return Err(format!(
                    "transfer = {other:?} as a caller step: expected connected, failed, \
                     busy, no_answer or rejected (add `expect` to check a transfer action)"
                ));
            }
        },
    };
    Ok(Event::TransferResult { connected, cause })
}

/// Whether a turn asks for the recording a step expects, by the variable
/// it goes into (`record = "recording"`).
pub(super) fn check_record(want: Option<&str>, actions: &[Action]) -> Result<(), String> {
    let got = actions.iter().find_map(|a| {
        if let Action::Record { into, .. } = a {
            Some(&**into)
        } else {
            None
        }
    });
    if got != want {
        return Err(format!("record is {got:?}, not {want:?}"));
    }
    Ok(())
}

/// Whether a turn asks for the lookup a step expects (`lookup = "bill"`).
pub(super) fn check_lookup(want: Option<&str>, actions: &[Action]) -> Result<(), String> {
    let got = actions.iter().find_map(|a| match a {
        Action::Lookup { name, .. } => Some(&**name),
        _ => None,
    });
    if got != want {
        return Err(format!("lookup is {got:?}, not {want:?}"));
    }
    Ok(())
}
