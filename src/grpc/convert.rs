//! Wire ↔ domain. Messages are destructured in full, so a field added to
//! the proto breaks the build here until it is handled.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};

use super::{limits::Limits, pb};
use crate::{
    call::{Action, AudioKind, CallState, EndReason, Event, NluIntent, Vars},
    engine::{CallRecord, EntryKind, StartCall, Turn, TurnView},
    flow::{Diagnostic, Flow, FlowSummary, Severity, valid_variable_name},
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
            | Kind::TransferResult(_)
            | Kind::Data(_)
            | Kind::LookupResult(_)
            | Kind::HoldResult(_),
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
        Kind::TransferResult(pb::TransferResult { connected, detail }) => {
            limits.detail("transfer_result.detail", &detail)?;
            Event::TransferResult { connected }
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
    })
}

fn event_to_pb(call_id: &str, seq: u64, event: &Event) -> pb::CallEvent {
    use pb::call_event::Kind;
    let kind = match event {
        Event::Start => None,
        Event::PromptPlayed => Some(Kind::PromptPlayed(pb::PromptPlayed::default())),
        Event::Speech {
            text,
            confidence,
            intents,
        } => Some(Kind::Speech(pb::Speech {
            text: text.clone(),
            confidence: confidence.unwrap_or(0.0),
            intents: intents
                .iter()
                .map(|i| pb::Intent {
                    name: i.name.clone(),
                    confidence: i.confidence,
                })
                .collect(),
        })),
        Event::Dtmf { digits } => Some(Kind::Dtmf(pb::Dtmf {
            digits: digits.clone(),
        })),
        Event::NoInput => Some(Kind::NoInput(pb::NoInput {})),
        Event::Audio(kind) => Some(Kind::Audio(pb::Audio {
            kind: match kind {
                AudioKind::Weak => pb::AudioKind::Weak,
                AudioKind::Noisy => pb::AudioKind::Noisy,
                AudioKind::NoAudio => pb::AudioKind::NoAudio,
                AudioKind::UnknownLanguage => pb::AudioKind::UnknownLanguage,
            } as i32,
        })),
        Event::TransferResult { connected } => Some(Kind::TransferResult(pb::TransferResult {
            connected: *connected,
            detail: String::new(),
        })),
        Event::CallerHangup => Some(Kind::Hangup(pb::CallerHangup {})),
        Event::Data { variables } => Some(Kind::Data(pb::Data {
            variables: variables.clone(),
        })),
        Event::LookupResult {
            name,
            ok,
            variables,
        } => Some(Kind::LookupResult(pb::LookupResult {
            name: name.clone(),
            ok: *ok,
            variables: variables.clone(),
        })),
        Event::HoldResult { ok, variables } => Some(Kind::HoldResult(pb::HoldResult {
            ok: *ok,
            variables: variables.clone(),
        })),
        // Server-side events have no wire form of their own; the turn that
        // follows carries the reason.
        Event::OperatorHangup | Event::FrontEndLost | Event::Shutdown | Event::TimeLimit => None,
    };
    pb::CallEvent {
        call_id: call_id.to_owned(),
        seq,
        kind,
    }
}

pub fn end_reason(r: EndReason) -> pb::EndReason {
    match r {
        EndReason::CallerHangup => pb::EndReason::CallerHangup,
        EndReason::Silence => pb::EndReason::Silence,
        EndReason::PoorAudio => pb::EndReason::PoorAudio,
        EndReason::Transferred => pb::EndReason::Transferred,
        EndReason::Operator => pb::EndReason::Operator,
        EndReason::LineLeftOpen => pb::EndReason::LineLeftOpen,
        EndReason::FrontEndLost => pb::EndReason::FrontEndLost,
        EndReason::FlowEnd => pb::EndReason::FlowEnd,
        EndReason::Shutdown => pb::EndReason::Shutdown,
        EndReason::TimeLimit => pb::EndReason::TimeLimit,
    }
}

pub fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

/// A shared string as a wire string. `to_string` on an `Arc<str>` goes
/// through the formatting machinery: about 1k instructions of every turn
/// (callgrind, BENCHMARKS.md).
fn owned(s: &str) -> String {
    s.to_owned()
}

fn action(a: &Action, flow: &Flow) -> pb::Action {
    use pb::action::Kind;
    let kind = match a {
        Action::Say(say) => {
            let locale = usize::from(say.locale);
            let pick = |v: &Option<Box<[Arc<str>]>>| {
                v.as_ref()
                    .and_then(|v| v.get(locale))
                    .map(|s| owned(s))
                    .unwrap_or_default()
            };
            Kind::Say(pb::Say {
                prompt_id: owned(&say.prompt.id),
                text: owned(say.text()),
                locale: flow
                    .locales()
                    .get(locale)
                    .map(|l| owned(l))
                    .unwrap_or_default(),
                audio: pick(&say.prompt.audio),
                ssml: say.ssml().map(|s| s.to_string()).unwrap_or_default(),
                barge_in: say.barge_in,
            })
        }
        Action::Listen { timeout } => Kind::Listen(pb::Listen {
            no_input_timeout_ms: millis(*timeout),
        }),
        Action::Transfer { target, reason } => Kind::Transfer(pb::Transfer {
            target: target.to_string(),
            reason: reason.to_string(),
        }),
        Action::Hangup(reason) => Kind::Hangup(pb::Hangup {
            reason: end_reason(*reason) as i32,
        }),
        Action::Lookup { name, params } => Kind::Lookup(pb::Lookup {
            name: name.to_string(),
            params: params.clone().into_iter().collect(),
        }),
    };
    pb::Action { kind: Some(kind) }
}

fn turn(call_id: &str, flow: &Flow, t: &Turn) -> pb::Turn {
    let Turn {
        seq,
        state,
        step,
        actions,
        ended,
        understood,
    } = t;
    pb::Turn {
        call_id: call_id.to_owned(),
        seq: *seq,
        step: step.as_deref().unwrap_or_default().to_owned(),
        actions: actions.iter().map(|a| action(a, flow)).collect(),
        flow: owned(flow.id()),
        flow_version: owned(flow.version()),
        ended: ended.is_some(),
        understood: understood.iter().map(|u| owned(u)).collect(),
        phase: phase(*state) as i32,
    }
}

pub fn phase(s: CallState) -> pb::CallState {
    match s {
        CallState::Ringing => pb::CallState::Ringing,
        CallState::Listening => pb::CallState::Listening,
        CallState::ConfirmingTransfer => pb::CallState::ConfirmingTransfer,
        CallState::Transferring => pb::CallState::Transferring,
        CallState::ConfirmingHold => pb::CallState::ConfirmingHold,
        CallState::OnHold => pb::CallState::OnHold,
        CallState::LookingUp => pb::CallState::LookingUp,
        CallState::Closing => pb::CallState::Closing,
        CallState::AwaitingHangup => pb::CallState::AwaitingHangup,
        CallState::ConfirmingSwitch => pb::CallState::ConfirmingSwitch,
        CallState::CheckingHandset => pb::CallState::CheckingHandset,
        CallState::Ended => pb::CallState::Ended,
    }
}

impl From<&TurnView> for pb::Turn {
    fn from(v: &TurnView) -> pb::Turn {
        turn(&v.call_id, &v.flow, &v.turn)
    }
}

impl From<CallRecord> for pb::CallRecord {
    fn from(r: CallRecord) -> pb::CallRecord {
        let CallRecord {
            call_id,
            flow,
            locale,
            state,
            step,
            ended,
            facts,
            transcript,
            transcript_dropped,
        } = r;
        let transcript = transcript
            .iter()
            .map(|e| pb::TranscriptEntry {
                offset_ms: u64::try_from(e.offset.as_millis()).unwrap_or(u64::MAX),
                entry: Some(match &e.kind {
                    // The first entry: the call's start, as the request
                    // that started it (flow, the moment that chose the
                    // opening, locale), so a reader sees what it is.
                    EntryKind::Event {
                        seq,
                        event: Event::Start,
                    } => pb::transcript_entry::Entry::Event(pb::CallEvent {
                        call_id: call_id.to_string(),
                        seq: *seq,
                        kind: Some(pb::call_event::Kind::Start(Box::new(
                            pb::StartCallRequest {
                                call_id: call_id.to_string(),
                                flow: flow.id().to_string(),
                                at: facts.local_start.to_string(),
                                locale: locale.to_string(),
                                ..Default::default()
                            },
                        ))),
                    }),
                    EntryKind::Event { seq, event } => {
                        pb::transcript_entry::Entry::Event(event_to_pb(&call_id, *seq, event))
                    }
                    EntryKind::Turn(t) => {
                        pb::transcript_entry::Entry::Turn(turn(&call_id, &flow, t))
                    }
                    EntryKind::Fault(detail) => {
                        pb::transcript_entry::Entry::Fault(pb::FrontEndFault {
                            detail: detail.to_string(),
                        })
                    }
                }),
            })
            .collect();
        pb::CallRecord {
            call_id: call_id.to_string(),
            flow: flow.id().to_string(),
            flow_version: flow.version().to_string(),
            state: state.as_str().to_owned(),
            phase: phase(state) as i32,
            step: step.as_deref().unwrap_or_default().to_owned(),
            ended: ended.is_some(),
            end_reason: ended.map_or(pb::EndReason::Unspecified, end_reason) as i32,
            locale: locale.to_string(),
            local_start: facts.local_start.to_string(),
            opening_rule: facts.opening_rule.to_string(),
            caller: facts.caller.to_string(),
            callee: facts.callee.to_string(),
            transcript_dropped,
            transcript,
            // Scored at the edge (CallsService), where the rules are.
            quality: None,
        }
    }
}

pub fn flow_info(s: &FlowSummary, with_source: bool) -> pb::FlowInfo {
    let FlowSummary {
        flow,
        loaded_at,
        is_default,
    } = s;
    pb::FlowInfo {
        id: flow.id().to_string(),
        version: flow.version().to_string(),
        locales: flow.locales().iter().map(|l| l.to_string()).collect(),
        source_file: flow.source_file().to_owned(),
        loaded_at: loaded_at.to_rfc3339(),
        title: flow.title().to_owned(),
        is_default: *is_default,
        source: if with_source {
            flow.source().to_string()
        } else {
            String::new()
        },
    }
}

pub fn diagnostic(d: &Diagnostic) -> pb::Diagnostic {
    let Diagnostic {
        severity,
        file,
        line,
        column,
        norm,
        message,
    } = d;
    pb::Diagnostic {
        severity: match severity {
            Severity::Error => pb::Severity::Error,
            Severity::Warning => pb::Severity::Warning,
        } as i32,
        file: file.clone(),
        line: *line,
        column: *column,
        norm: norm.unwrap_or_default().to_owned(),
        message: message.clone(),
    }
}

pub fn quality(q: &crate::quality::Quality) -> pb::QualityResult {
    pb::QualityResult {
        call: q.call.clone().unwrap_or_default(),
        score: q.score,
        deductions: q
            .deductions
            .iter()
            .map(|d| pb::QualityDeduction {
                rule: d.rule.to_owned(),
                norm: d.norm.clone(),
                item: d.item.unwrap_or(0),
                points: d.points,
                t: d.t,
                evidence: d.evidence.clone(),
                note: d.note.clone(),
            })
            .collect(),
        problems: q
            .problems
            .iter()
            .map(|p| pb::TranscriptProblem {
                line: u32::try_from(p.line).unwrap_or(u32::MAX),
                message: p.message.clone(),
            })
            .collect(),
        partial: q.is_partial(),
    }
}

#[cfg(test)]
mod tests;
