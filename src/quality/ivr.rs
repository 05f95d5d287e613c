//! A call the service handled, as a transcript: the service is the agent.
//!
//! Its prompts are agent lines; the caller's speech (and key presses, and
//! the audio trouble a front-end reports) are caller lines; the service's
//! hang-ups and transfers are the agent's. The hold has no action of its
//! own: the call machine says its `hold_thanks` prompt and waits, then says
//! `hold_resume`, so the hold starts after the one and ends before the other.
//! A hang-up for shutdown or a lost front-end is nobody's choice and is left
//! out.

use std::time::Duration;

use super::transcript::{CallKind, Event, HoldEdge, Transcript, TranscriptHeader, What, Who};
use crate::{
    call::{Action, AudioKind, EndReason, Event as CallEvent},
    flow::FlowKind,
    transcript::{CallRecord, EntryKind},
};

/// The reserved prompt said as the caller is put on hold (N11).
const HOLD_THANKS: &str = "hold_thanks";
/// The reserved prompt said on coming back from the hold (N11).
const HOLD_RESUME: &str = "hold_resume";

/// One thing on a service-handled call, whatever recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct IvrLine {
    pub at: Duration,
    pub what: IvrWhat,
}

#[derive(Debug, Clone, PartialEq)]
pub enum IvrWhat {
    /// The service said a prompt.
    Say {
        prompt: String,
        text: String,
    },
    Transfer {
        target: String,
    },
    /// The service hung up, with the `EndReason` name ("silence", …).
    Hangup {
        reason: String,
    },
    /// The caller's words, keys or audio condition, as words.
    Caller(String),
    CallerHangup,
}

/// The transcript of a service-handled call.
pub fn from_ivr(header: TranscriptHeader, lines: &[IvrLine]) -> Transcript {
    let start = chrono::DateTime::parse_from_rfc3339(&header.start).ok();
    let mut events = Vec::with_capacity(lines.len() + 2);
    let mut push = |at: Duration, who: Who, what: What| {
        events.push(Event {
            t: at.as_secs_f64(),
            who,
            what,
            line: 0,
        })
    };
    for l in lines {
        match &l.what {
            IvrWhat::Say { prompt, text } => {
                if prompt == HOLD_RESUME {
                    push(l.at, Who::Agent, What::Hold(HoldEdge::End));
                }
                push(l.at, Who::Agent, What::Say(text.clone()));
                if prompt == HOLD_THANKS {
                    push(l.at, Who::Agent, What::Hold(HoldEdge::Start));
                }
            }
            IvrWhat::Transfer { target } => push(l.at, Who::Agent, What::Transfer(target.clone())),
            IvrWhat::Hangup { reason } => {
                if !matches!(
                    reason.as_str(),
                    "shutdown" | "front_end_lost" | "caller_hangup"
                ) {
                    push(l.at, Who::Agent, What::Hangup);
                }
            }
            IvrWhat::Caller(words) => push(l.at, Who::Caller, What::Say(words.clone())),
            IvrWhat::CallerHangup => push(l.at, Who::Caller, What::Hangup),
        }
    }
    for (i, e) in events.iter_mut().enumerate() {
        e.line = i + 2;
    }
    Transcript {
        header: Some(header),
        start,
        events,
        problems: Vec::new(),
        truncated: false,
    }
}

/// The transcript of one of the service's own calls, from its record.
///
/// The header has no `agent_id`: the service's number is its own flow's, so
/// only a refusal to give it can be wrong.
pub fn from_record(record: &CallRecord) -> Transcript {
    let header = TranscriptHeader {
        call: Some(record.call_id.to_string()),
        start: record.facts.local_start.to_string(),
        agent_id: None,
        locale: Some(record.locale.to_string()),
        kind: Some(match record.flow.kind() {
            FlowKind::Outbound => CallKind::Outbound,
            FlowKind::Inbound => CallKind::Inbound,
        }),
    };
    let mut lines = Vec::with_capacity(record.transcript.len());
    for entry in &record.transcript {
        let at = entry.offset;
        match &entry.kind {
            EntryKind::Event { event, .. } => {
                let what = match &**event {
                    CallEvent::Speech { text, .. } => IvrWhat::Caller(text.clone()),
                    CallEvent::Dtmf { digits } => IvrWhat::Caller(format!("[keys {digits}]")),
                    CallEvent::Audio(kind) => IvrWhat::Caller(audio_words(*kind).into()),
                    CallEvent::CallerHangup => IvrWhat::CallerHangup,
                    // The front-end's reports and the server's own events
                    // are no one's words.
                    CallEvent::Start
                    | CallEvent::PromptPlayed
                    | CallEvent::InputStarted
                    | CallEvent::NoInput
                    | CallEvent::TransferResult { .. }
                    | CallEvent::Data { .. }
                    | CallEvent::LookupResult { .. }
                    | CallEvent::HoldResult { .. }
                    | CallEvent::RecordingResult { .. }
                    | CallEvent::OperatorHangup
                    | CallEvent::FrontEndLost
                    | CallEvent::Shutdown
                    | CallEvent::TimeLimit => continue,
                };
                lines.push(IvrLine { at, what });
            }
            // The front-end's failing is not the agent's words.
            EntryKind::Fault(_) => {}
            EntryKind::Turn(turn) => {
                for action in &turn.actions {
                    let what = match action {
                        Action::Say(s) => IvrWhat::Say {
                            prompt: s.prompt.id.to_string(),
                            text: s.text().to_string(),
                        },
                        Action::Transfer { target, .. } => IvrWhat::Transfer {
                            target: target.to_string(),
                        },
                        Action::Hangup(reason) => IvrWhat::Hangup {
                            reason: end_reason(*reason).into(),
                        },
                        // What the caller records is theirs to say, not
                        // the agent's: the instructions are the words.
                        Action::Listen { .. } | Action::Lookup { .. } | Action::Record { .. } => {
                            continue;
                        }
                    };
                    lines.push(IvrLine { at, what });
                }
            }
        }
    }
    let mut transcript = from_ivr(header, &lines);
    if record.transcript_dropped > 0 {
        transcript.truncated = true;
        transcript.problems.push(super::LineProblem {
            line: 1,
            message: format!(
                "the oldest {} transcript entries were dropped (max_transcript_entries); the opening is not scored",
                record.transcript_dropped
            ),
        });
    }
    transcript
}

fn end_reason(r: EndReason) -> &'static str {
    r.as_str()
}

/// How a front-end's audio report reads in a transcript: the caller is
/// there, but not heard.
pub fn audio_words(kind: AudioKind) -> &'static str {
    match kind {
        AudioKind::Weak => "[weak audio]",
        AudioKind::Noisy => "[noisy line]",
        AudioKind::NoAudio => "[no audio]",
        AudioKind::UnknownLanguage => "[unknown language]",
    }
}
