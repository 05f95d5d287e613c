//! Domain → wire: turns, call records, flows, diagnostics and scores.

use std::{sync::Arc, time::Duration};

use super::super::pb;
use crate::{
    call::{Action, AudioKind, CallState, EndReason, Event, TransferCause},
    engine::{CallRecord, EntryKind, Turn, TurnView},
    flow::{Diagnostic, Flow, FlowSummary, InputMode, ListenFor, Severity, TargetType},
};

fn event_to_pb(call_id: &str, seq: u64, event: &Event) -> pb::CallEvent {
    use pb::call_event::Kind;
    let kind = match event {
        Event::Start => None,
        Event::PromptPlayed => Some(Kind::PromptPlayed(pb::PromptPlayed::default())),
        Event::InputStarted => Some(Kind::InputStarted(pb::InputStarted {})),
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
        Event::TransferResult { connected, cause } => {
            Some(Kind::TransferResult(pb::TransferResult {
                connected: *connected,
                detail: String::new(),
                ok: *connected,
                cause: cause.map_or(pb::TransferCause::Unspecified, transfer_cause) as i32,
            }))
        }
        Event::RecordingResult {
            ok,
            recording,
            duration,
        } => Some(Kind::RecordingResult(pb::RecordingResult {
            ok: *ok,
            recording: recording.clone(),
            duration_ms: millis(*duration),
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

fn action(a: &Action, flow: &Flow, listen_for: Option<&ListenFor>) -> pb::Action {
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
        Action::Listen { timeout } => Kind::Listen(listen(*timeout, listen_for)),
        Action::Transfer {
            target,
            reason,
            target_type,
            timeout,
            attached,
        } => Kind::Transfer(pb::Transfer {
            target: target.to_string(),
            reason: reason.to_string(),
            target_type: target_type.map_or(pb::TargetType::Unspecified, self::target_type) as i32,
            timeout_ms: timeout.map_or(0, millis),
            attached: attached.clone().into_iter().collect(),
        }),
        Action::Hangup(reason) => Kind::Hangup(pb::Hangup {
            reason: end_reason(*reason) as i32,
        }),
        Action::Lookup { name, params } => Kind::Lookup(pb::Lookup {
            name: name.to_string(),
            params: params.clone().into_iter().collect(),
        }),
        Action::Record {
            max,
            beep,
            terminators,
            into,
        } => Kind::Record(pb::Record {
            max_ms: millis(*max),
            beep: *beep,
            terminators: owned(terminators),
            into: owned(into),
        }),
    };
    pb::Action { kind: Some(kind) }
}

/// A listen with what to collect at its step (`None`: no step, so no
/// more than the timeout is known).
fn listen(timeout: Duration, listen_for: Option<&ListenFor>) -> pb::Listen {
    let Some(ListenFor {
        input,
        min_digits,
        max_digits,
        terminators,
        inter_digit_ms,
        hints,
    }) = listen_for
    else {
        return pb::Listen {
            no_input_timeout_ms: millis(timeout),
            ..Default::default()
        };
    };
    pb::Listen {
        no_input_timeout_ms: millis(timeout),
        input: input_mode(*input) as i32,
        min_digits: *min_digits,
        max_digits: *max_digits,
        terminators: terminators.to_string(),
        inter_digit_timeout_ms: *inter_digit_ms,
        hints: hints.iter().map(|h| h.to_string()).collect(),
    }
}

pub fn input_mode(m: InputMode) -> pb::InputMode {
    match m {
        InputMode::Dtmf => pb::InputMode::Dtmf,
        InputMode::Speech => pb::InputMode::Speech,
        InputMode::DtmfAndSpeech => pb::InputMode::DtmfAndSpeech,
    }
}

fn turn(call_id: &str, flow: &Flow, t: &Turn) -> pb::Turn {
    let Turn {
        seq,
        state,
        step,
        actions,
        ended,
        understood,
        listen_for,
        variables,
    } = t;
    pb::Turn {
        call_id: call_id.to_owned(),
        seq: *seq,
        step: step.as_deref().unwrap_or_default().to_owned(),
        actions: actions
            .iter()
            .map(|a| action(a, flow, listen_for.as_deref()))
            .collect(),
        flow: owned(flow.id()),
        flow_version: owned(flow.version()),
        ended: ended.is_some(),
        understood: understood.iter().map(|u| owned(u)).collect(),
        phase: phase(*state) as i32,
        variables: variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

pub fn target_type(t: TargetType) -> pb::TargetType {
    match t {
        TargetType::Queue => pb::TargetType::Queue,
        TargetType::Sip => pb::TargetType::Sip,
        TargetType::Extension => pb::TargetType::Extension,
        TargetType::Number => pb::TargetType::Number,
    }
}

fn transfer_cause(c: TransferCause) -> pb::TransferCause {
    match c {
        TransferCause::Busy => pb::TransferCause::Busy,
        TransferCause::NoAnswer => pb::TransferCause::NoAnswer,
        TransferCause::Rejected => pb::TransferCause::Rejected,
        TransferCause::Failed => pb::TransferCause::Failed,
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
        CallState::Recording => pb::CallState::Recording,
        CallState::Closing => pb::CallState::Closing,
        CallState::AwaitingHangup => pb::CallState::AwaitingHangup,
        CallState::ConfirmingSwitch => pb::CallState::ConfirmingSwitch,
        CallState::CheckingHandset => pb::CallState::CheckingHandset,
        CallState::Ended => pb::CallState::Ended,
        CallState::InMenu => pb::CallState::InMenu,
        CallState::Collecting => pb::CallState::Collecting,
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
            variables,
        } = r;
        let transcript = transcript
            .iter()
            .map(|e| pb::TranscriptEntry {
                offset_ms: u64::try_from(e.offset.as_millis()).unwrap_or(u64::MAX),
                entry: Some(match &e.kind {
                    // The first entry: the call's start, as the request
                    // that started it (flow, the moment that chose the
                    // opening, locale), so a reader sees what it is.
                    EntryKind::Event { seq, event } if **event == Event::Start => {
                        pb::transcript_entry::Entry::Event(pb::CallEvent {
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
                        })
                    }
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
            variables: variables.into_iter().collect(),
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
                centre: d.centre,
                doubled: d.doubled.clone().unwrap_or_default(),
                label: d.label(),
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
