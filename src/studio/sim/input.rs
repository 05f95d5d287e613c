//! What a designer makes the simulated caller (or the front-end, or time)
//! do: `POST /api/sim/{id}/event` with exactly one field.

use std::{collections::BTreeMap, time::Duration};

use serde::Deserialize;

use crate::{
    call::{AudioKind, Event, TransferCause, Vars},
    studio::error::ApiError,
};

/// One thing that happens to the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Sent to the engine as it is.
    Event(Event),
    /// Nothing said until the service's next timer runs out.
    Silence,
    /// This much time passes.
    Advance(Duration),
}

/// The request body: exactly one field set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRequest {
    speech: Option<String>,
    keys: Option<String>,
    silence: Option<bool>,
    advance_ms: Option<u64>,
    weak_audio: Option<bool>,
    noise: Option<bool>,
    no_audio: Option<bool>,
    other_language: Option<bool>,
    hangup: Option<bool>,
    played: Option<bool>,
    data: Option<BTreeMap<String, String>>,
    lookup_result: Option<LookupResult>,
    hold_result: Option<HoldResult>,
    transfer_result: Option<TransferResult>,
    recording_result: Option<RecordingResult>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LookupResult {
    name: String,
    ok: bool,
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HoldResult {
    ok: bool,
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferResult {
    ok: bool,
    cause: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordingResult {
    ok: bool,
    recording: Option<String>,
    duration_ms: Option<u64>,
}

/// The longest a single `advance_ms` may be: a call's own limit is
/// shorter (`max_call_ms`).
const MAX_ADVANCE: Duration = Duration::from_secs(3600);
/// Bounds on what a designer types, as the gRPC limits' defaults.
const MAX_SPEECH_BYTES: usize = 4096;
const MAX_KEYS: usize = 64;
const MAX_VARIABLES: usize = 64;
const MAX_VALUE_BYTES: usize = 256;

impl EventRequest {
    /// The one thing the request says, checked.
    pub fn input(self) -> Result<Input, ApiError> {
        let EventRequest {
            speech,
            keys,
            silence,
            advance_ms,
            weak_audio,
            noise,
            no_audio,
            other_language,
            hangup,
            played,
            data,
            lookup_result,
            hold_result,
            transfer_result,
            recording_result,
        } = self;
        let audio = |on: Option<bool>, kind| on.filter(|on| *on).map(|_| Event::Audio(kind));
        let when = |on: Option<bool>, event: Event| on.filter(|on| *on).map(|_| event);
        let mut found: Vec<Result<Input, ApiError>> = [
            speech.map(|text| speech_event(text).map(Input::Event)),
            keys.map(|digits| keys_event(digits).map(Input::Event)),
            silence.filter(|on| *on).map(|_| Ok(Input::Silence)),
            advance_ms.map(advance),
            audio(weak_audio, AudioKind::Weak).map(|e| Ok(Input::Event(e))),
            audio(noise, AudioKind::Noisy).map(|e| Ok(Input::Event(e))),
            audio(no_audio, AudioKind::NoAudio).map(|e| Ok(Input::Event(e))),
            audio(other_language, AudioKind::UnknownLanguage).map(|e| Ok(Input::Event(e))),
            when(hangup, Event::CallerHangup).map(|e| Ok(Input::Event(e))),
            when(played, Event::PromptPlayed).map(|e| Ok(Input::Event(e))),
            data.map(|d| vars(d).map(|variables| Input::Event(Event::Data { variables }))),
            lookup_result.map(|r| {
                vars(r.variables).map(|variables| {
                    Input::Event(Event::LookupResult {
                        name: r.name,
                        ok: r.ok,
                        variables,
                    })
                })
            }),
            hold_result.map(|r| {
                vars(r.variables).map(|variables| {
                    Input::Event(Event::HoldResult {
                        ok: r.ok,
                        variables,
                    })
                })
            }),
            transfer_result.map(transfer_event),
            recording_result.map(|r| {
                let recording = r.recording.unwrap_or_else(|| {
                    if r.ok {
                        "recording-1".into()
                    } else {
                        String::new()
                    }
                });
                Ok(Input::Event(Event::RecordingResult {
                    ok: r.ok,
                    recording,
                    duration: Duration::from_millis(r.duration_ms.unwrap_or(10_000)),
                }))
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        match found.len() {
            1 => found.remove(0),
            0 => Err(ApiError::bad_request(
                "say what happens: one of speech, keys, silence, advance_ms, weak_audio, noise, no_audio, other_language, hangup, played, data, lookup_result, hold_result, transfer_result, recording_result",
            )),
            _ => Err(ApiError::bad_request(
                "one thing at a time: send one field per request",
            )),
        }
    }
}

fn speech_event(text: String) -> Result<Event, ApiError> {
    if text.trim().is_empty() || text.len() > MAX_SPEECH_BYTES {
        return Err(ApiError::bad_request(format!(
            "speech: some words, at most {MAX_SPEECH_BYTES} bytes"
        )));
    }
    Ok(Event::speech(text))
}

fn keys_event(digits: String) -> Result<Event, ApiError> {
    let valid = !digits.is_empty()
        && digits.len() <= MAX_KEYS
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '#');
    if !valid {
        return Err(ApiError::bad_request(format!(
            "keys {digits:?}: 1 to {MAX_KEYS} of 0-9, * and #"
        )));
    }
    Ok(Event::Dtmf { digits })
}

fn advance(ms: u64) -> Result<Input, ApiError> {
    let time = Duration::from_millis(ms);
    if time.is_zero() || time > MAX_ADVANCE {
        return Err(ApiError::bad_request(format!(
            "advance_ms: from 1 to {}",
            MAX_ADVANCE.as_millis()
        )));
    }
    Ok(Input::Advance(time))
}

fn transfer_event(r: TransferResult) -> Result<Input, ApiError> {
    let cause = match r.cause.as_deref() {
        None => None,
        Some(name) => Some(name.parse::<TransferCause>().map_err(|_| {
            ApiError::bad_request(format!(
                "transfer_result.cause {name:?}: busy, no_answer, rejected or failed"
            ))
        })?),
    };
    Ok(Input::Event(Event::TransferResult {
        connected: r.ok,
        cause,
    }))
}

/// Variables a designer gives: valid names, bounded values.
pub fn vars(map: BTreeMap<String, String>) -> Result<Vars, ApiError> {
    if map.len() > MAX_VARIABLES {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_VARIABLES} variables at once"
        )));
    }
    for (name, value) in &map {
        if !crate::flow::valid_variable_name(name) || value.len() > MAX_VALUE_BYTES {
            return Err(ApiError::bad_request(format!(
                "variable {name:?}: a name of letters, digits and _, a value of at most {MAX_VALUE_BYTES} bytes"
            )));
        }
    }
    Ok(map.into_iter().collect())
}
