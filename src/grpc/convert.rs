//! Wire ↔ domain. Messages are destructured in full, so a field added to
//! the proto breaks the build here until it is handled. Requests are
//! checked against the limits in the same pass that converts them; what
//! goes back out is in `reply`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{limits::Limits, pb};
use crate::{
    call::{AudioKind, Event, NluIntent, TransferCause, Vars},
    engine::StartCall,
    flow::valid_variable_name,
};

mod reply;

pub use reply::{
    diagnostic, end_reason, flow_info, input_mode, millis, phase, quality, target_type,
};

/// A request the service cannot act on; the message names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InvalidRequest {
    #[error("{0}: required and must not be empty")]
    Missing(&'static str),
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

impl InvalidRequest {
    /// The field at fault, as a `google.rpc.BadRequest` violation names it.
    pub fn field(&self) -> &'static str {
        match self {
            InvalidRequest::Missing(field) | InvalidRequest::Invalid { field, .. } => field,
        }
    }

    /// What is wrong with the field, without its name.
    pub fn description(&self) -> String {
        match self {
            InvalidRequest::Missing(_) => "required and must not be empty".to_owned(),
            InvalidRequest::Invalid { problem, .. } => problem.clone(),
        }
    }
}

fn invalid(field: &'static str, problem: impl Into<String>) -> InvalidRequest {
    InvalidRequest::Invalid {
        field,
        problem: problem.into(),
    }
}

/// Call ids are the front-end's; keep them printable and within
/// `max_name_bytes` so they are safe in logs and maps.
pub fn call_id(limits: &Limits, field: &'static str, id: String) -> Result<String, InvalidRequest> {
    check_call_id(limits, field, &id)?;
    Ok(id)
}

/// [`call_id`] for an id that is only looked at.
fn check_call_id(limits: &Limits, field: &'static str, id: &str) -> Result<(), InvalidRequest> {
    // The usual id, short and plain ASCII, is settled in one pass.
    // (A fold rather than `all`, so the compiler can check many bytes at once.)
    let plain = id.bytes().fold(true, |ok, b| ok & b.is_ascii_graphic());
    if plain && !id.is_empty() && id.len() <= limits.max_name_bytes {
        return Ok(());
    }
    limits.name(field, id)?;
    if id.trim().is_empty() {
        return Err(InvalidRequest::Missing(field));
    }
    if id.chars().any(char::is_control) {
        return Err(invalid(field, "must be printable characters"));
    }
    Ok(())
}

/// A StartCall request, checked against the limits as it is taken apart.
pub fn start_call(limits: &Limits, req: pb::StartCallRequest) -> Result<StartCall, InvalidRequest> {
    let pb::StartCallRequest {
        call_id: id,
        flow,
        caller,
        callee,
        at,
        locale,
        reports_playback,
        variables,
    } = req;
    let variables = call_variables(limits, "variables", variables)?;
    // An empty id asks the service to assign one (returned in the turn).
    let call_id = if id.is_empty() {
        id
    } else {
        call_id(limits, "call_id", id)?
    };
    limits.name("flow", &flow)?;
    limits.name("at", &at)?;
    let at = match at.trim() {
        "" => None,
        text => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|e| invalid("at", format!("{text:?} is not an RFC 3339 timestamp ({e}), e.g. \"2026-10-01T09:30:00+08:00\"")))?
                .with_timezone(&Utc),
        ),
    };
    limits.name("locale", &locale)?;
    limits.number("caller", &caller)?;
    limits.number("callee", &callee)?;
    Ok(StartCall {
        call_id,
        flow: flow.trim().to_owned(),
        caller,
        callee,
        at,
        locale: Some(locale.trim().to_owned()).filter(|l| !l.is_empty()),
        reports_playback,
        owner: None,
        anchor: None,
        variables,
    })
}

/// A call's variables as the call keeps them: a bounded number, each
/// within the limits, named as prompts spell them.
fn call_variables(
    limits: &Limits,
    field: &'static str,
    variables: std::collections::HashMap<String, String>,
) -> Result<Vars, InvalidRequest> {
    limits.variable_count(field, variables.len())?;
    for (name, value) in &variables {
        limits.variable(field, name, value)?;
        if !valid_variable_name(name) {
            return Err(invalid(
                field,
                format!("{name:?} is not a variable name (letters, digits and '_')"),
            ));
        }
    }
    Ok(variables)
}

/// A SendEvent request: the call it is for, its seq and the event.
pub fn call_event(
    limits: &Limits,
    req: pb::CallEvent,
) -> Result<(String, u64, Event), InvalidRequest> {
    let pb::CallEvent { call_id, seq, kind } = req;
    check_call_id(limits, "call_id", &call_id)?;
    let event = event(limits, kind)?;
    Ok((call_id, seq, event))
}

/// An event on a Converse stream already carrying `call_id`: its seq and
/// the event. The message may leave its own call id empty.
pub fn stream_event(
    limits: &Limits,
    req: pb::CallEvent,
    call_id: &str,
) -> Result<(u64, Event), InvalidRequest> {
    let pb::CallEvent {
        call_id: id,
        seq,
        kind,
    } = req;
    limits.name("call_id", &id)?;
    if !id.is_empty() && id != call_id {
        return Err(invalid(
            "call_id",
            format!("{id:?} is not this stream's call {call_id:?}"),
        ));
    }
    Ok((seq, event(limits, kind)?))
}

/// What the first message of a Converse stream asks for.
pub enum Opening {
    /// A new call.
    Start(StartCall),
    /// A stored call whose stream broke goes on here.
    Resume(String),
}

/// The first message of a Converse stream: `start`, or `resume`. Either
/// may leave its call id to the message's own.
pub fn opening(limits: &Limits, first: pb::CallEvent) -> Result<Opening, InvalidRequest> {
    use pb::call_event::Kind;
    let pb::CallEvent {
        call_id: outer_id,
        seq: _,
        kind,
    } = first;
    limits.name("call_id", &outer_id)?;
    match kind {
        Some(Kind::Start(mut start)) => {
            if start.call_id.is_empty() {
                start.call_id = outer_id;
            }
            Ok(Opening::Start(start_call(limits, *start)?))
        }
        Some(Kind::Resume(pb::Resume { call_id: id })) => {
            let id = if id.is_empty() { outer_id } else { id };
            Ok(Opening::Resume(call_id(limits, "resume.call_id", id)?))
        }
        Some(
            Kind::Speech(_)
            | Kind::Dtmf(_)
            | Kind::NoInput(_)
            | Kind::Audio(_)
            | Kind::Hangup(_)
            | Kind::PromptPlayed(_)
            | Kind::InputStarted(_)
            | Kind::TransferResult(_)
            | Kind::Data(_)
            | Kind::LookupResult(_)
            | Kind::HoldResult(_)
            | Kind::RecordingResult(_),
        )
        | None => Err(invalid(
            "start",
            "the first message of Converse must carry `start`",
        )),
    }
}

/// The domain event of a `CallEvent` (not `start`, which Converse handles).
fn event(limits: &Limits, kind: Option<pb::call_event::Kind>) -> Result<Event, InvalidRequest> {
    use pb::call_event::Kind;
    Ok(match kind.ok_or(InvalidRequest::Missing("kind"))? {
        Kind::Start(_) => {
            return Err(invalid(
                "start",
                "only the first message of Converse may start a call; use StartCall",
            ));
        }
        Kind::Resume(_) => {
            return Err(invalid(
                "resume",
                "only the first message of Converse may resume a call",
            ));
        }
        Kind::PromptPlayed(pb::PromptPlayed { prompt_id }) => {
            limits.name("prompt_played.prompt_id", &prompt_id)?;
            Event::PromptPlayed
        }
        Kind::Speech(pb::Speech {
            text,
            confidence,
            intents,
        }) => {
            limits.speech("speech.text", &text)?;
            limits.intents("speech.intents", intents.len())?;
            if !(0.0..=1.0).contains(&confidence) {
                return Err(invalid(
                    "speech.confidence",
                    format!("{confidence} is not between 0 and 1"),
                ));
            }
            let intents = intents
                .into_iter()
                .enumerate()
                .map(|(i, pb::Intent { name, confidence })| {
                    limits.name("speech.intents.name", &name)?;
                    if name.trim().is_empty() {
                        return Err(invalid(
                            "speech.intents.name",
                            format!("intent {i} has no name"),
                        ));
                    }
                    if !(0.0..=1.0).contains(&confidence) {
                        return Err(invalid(
                            "speech.intents.confidence",
                            format!("intent {i}: {confidence} is not between 0 and 1"),
                        ));
                    }
                    Ok(NluIntent { name, confidence })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Event::Speech {
                text,
                confidence: (confidence > 0.0).then_some(confidence),
                intents,
            }
        }
        Kind::Dtmf(pb::Dtmf { digits }) => {
            limits.dtmf("dtmf.digits", &digits)?;
            if digits.is_empty()
                || !digits
                    .chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D'))
            {
                return Err(invalid(
                    "dtmf.digits",
                    format!("{digits:?} must be one or more of 0-9, *, #, A-D"),
                ));
            }
            Event::Dtmf { digits }
        }
        Kind::NoInput(pb::NoInput {}) => Event::NoInput,
        Kind::InputStarted(pb::InputStarted {}) => Event::InputStarted,
        Kind::Audio(pb::Audio { kind }) => Event::Audio(match pb::AudioKind::try_from(kind) {
            Ok(pb::AudioKind::Weak) => AudioKind::Weak,
            Ok(pb::AudioKind::Noisy) => AudioKind::Noisy,
            Ok(pb::AudioKind::NoAudio) => AudioKind::NoAudio,
            Ok(pb::AudioKind::UnknownLanguage) => AudioKind::UnknownLanguage,
            Ok(pb::AudioKind::Unspecified) => {
                return Err(invalid(
                    "audio.kind",
                    "must be set (AUDIO_KIND_UNSPECIFIED is not a kind)",
                ));
            }
            Err(_) => return Err(invalid("audio.kind", format!("{kind} is not an AudioKind"))),
        }),
        Kind::Hangup(pb::CallerHangup {}) => Event::CallerHangup,
        Kind::TransferResult(pb::TransferResult {
            connected,
            detail,
            ok,
            cause,
        }) => {
            limits.detail("transfer_result.detail", &detail)?;
            let cause = match pb::TransferCause::try_from(cause) {
                Ok(pb::TransferCause::Unspecified) => None,
                Ok(pb::TransferCause::Busy) => Some(TransferCause::Busy),
                Ok(pb::TransferCause::NoAnswer) => Some(TransferCause::NoAnswer),
                Ok(pb::TransferCause::Rejected) => Some(TransferCause::Rejected),
                Ok(pb::TransferCause::Failed) => Some(TransferCause::Failed),
                Err(_) => {
                    return Err(invalid(
                        "transfer_result.cause",
                        format!("{cause} is not a TransferCause"),
                    ));
                }
            };
            // `ok` like the other results; `connected` for front-ends
            // written before it.
            Event::TransferResult {
                connected: connected || ok,
                cause,
            }
        }
        Kind::Data(pb::Data { variables }) => Event::Data {
            variables: call_variables(limits, "data.variables", variables)?,
        },
        Kind::LookupResult(pb::LookupResult {
            name,
            ok,
            variables,
        }) => {
            limits.name("lookup_result.name", &name)?;
            if name.trim().is_empty() {
                return Err(InvalidRequest::Missing("lookup_result.name"));
            }
            Event::LookupResult {
                name,
                ok,
                variables: call_variables(limits, "lookup_result.variables", variables)?,
            }
        }
        Kind::HoldResult(pb::HoldResult { ok, variables }) => Event::HoldResult {
            ok,
            variables: call_variables(limits, "hold_result.variables", variables)?,
        },
        Kind::RecordingResult(pb::RecordingResult {
            ok,
            recording,
            duration_ms,
        }) => {
            // The reference becomes a variable's value, so it keeps to
            // the same bound.
            limits.variable("recording_result.recording", "recording", &recording)?;
            Event::RecordingResult {
                ok,
                recording,
                duration: Duration::from_millis(u64::from(duration_ms)),
            }
        }
    })
}

#[cfg(test)]
mod tests;
