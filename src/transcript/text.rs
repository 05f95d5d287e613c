//! A transcript as lines a person reads: `  5.000s caller  says "…"`.
//! Scenarios print it when they fail, the simulator shows it as the call
//! goes, and the records file carries it.

use std::{fmt, time::Duration};

use super::{Entry, EntryKind};
use crate::call::{Action, AudioKind, CallState, EndReason, Event};

/// What was said and done on the call, as lines a person can read.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptText {
    pub lines: Vec<Line>,
    pub ended: Option<EndReason>,
}

/// One transcript line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub at: Duration,
    /// "caller", "server" (its own timers and start) or "service" (a turn).
    pub who: &'static str,
    pub text: String,
}

impl fmt::Display for TranscriptText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        match self.ended {
            Some(r) => writeln!(f, "ended: {}", r.as_str()),
            None => writeln!(f, "ended: no (still live)"),
        }
    }
}

/// `  5.000s service say silence_reprompt "…"`: time since the call started,
/// who, what.
impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.at.as_millis();
        write!(
            f,
            "{:>3}.{:03}s {:<7} {}",
            ms / 1000,
            ms % 1000,
            self.who,
            self.text
        )
    }
}

impl fmt::Display for Action {
    /// One action in words, as transcripts, scenarios and the simulator
    /// show it: `say opening "…"`, `listen 5000 ms`, `transfer to … (…)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Say(s) => write!(f, "say {} {:?}", s.prompt.id, &**s.text()),
            Action::Listen { timeout } => write!(f, "listen {} ms", timeout.as_millis()),
            Action::Transfer {
                target,
                reason,
                target_type,
                timeout,
                attached,
            } => {
                write!(f, "transfer to {target} ({reason}")?;
                if let Some(t) = target_type {
                    write!(f, "; {}", <&str>::from(*t))?;
                }
                if let Some(t) = timeout {
                    write!(f, "; ring {} ms", t.as_millis())?;
                }
                if !attached.is_empty() {
                    // Names only: the values are caller data.
                    let mut names: Vec<&str> = attached.keys().map(String::as_str).collect();
                    names.sort_unstable();
                    write!(f, "; attached {}", names.join(", "))?;
                }
                f.write_str(")")
            }
            Action::Hangup(r) => write!(f, "hang up ({})", r.as_str()),
            Action::Lookup { name, params } => {
                let names: Vec<&str> = params.keys().map(String::as_str).collect();
                write!(f, "look up {name} ({})", names.join(", "))
            }
            Action::Record {
                max,
                beep,
                terminators,
                into,
            } => {
                write!(f, "record into {into} (at most {} ms", max.as_millis())?;
                if *beep {
                    f.write_str(", beep")?;
                }
                if !terminators.is_empty() {
                    write!(f, ", ends on {terminators}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// An event in words. `after` is the state of the call's last turn: a
/// timer running out means silence while listening, but the end of the
/// hold on hold, and the caller still on the line after the goodbye.
fn show_event(event: &Event, after: Option<CallState>) -> String {
    match event {
        Event::Start => "call answered".into(),
        Event::PromptPlayed => "prompt played".into(),
        Event::InputStarted => "the caller began speaking or keying".into(),
        Event::NoInput => match after {
            Some(CallState::OnHold) => "the promised hold time passed (hold timer)".into(),
            Some(CallState::LookingUp) => "no answer to the lookup yet (lookup timer)".into(),
            Some(CallState::Recording) => "no recording came back (recording timer)".into(),
            Some(CallState::AwaitingHangup) => {
                "the caller is still on the line (hang-up wait)".into()
            }
            Some(CallState::ConfirmingSwitch) => "no answer to the question (consent wait)".into(),
            _ => "silence (no-input timer)".into(),
        },
        Event::Speech {
            text, confidence, ..
        } => match confidence {
            Some(c) => format!("says {text:?} (confidence {c})"),
            None => format!("says {text:?}"),
        },
        Event::Dtmf { digits } => format!("presses {digits}"),
        Event::Audio(AudioKind::Weak) => "audio too weak to understand".into(),
        Event::Audio(AudioKind::Noisy) => "audio too noisy to understand".into(),
        Event::Audio(AudioKind::NoAudio) => "no voice at all (speakerphone?)".into(),
        Event::Audio(AudioKind::UnknownLanguage) => "a language we do not understand".into(),
        Event::TransferResult {
            connected: true, ..
        } => "transfer connected".into(),
        Event::TransferResult {
            connected: false,
            cause: None,
        } => "transfer failed".into(),
        Event::TransferResult {
            connected: false,
            cause: Some(cause),
        } => format!("transfer failed ({})", <&str>::from(*cause)),
        Event::CallerHangup => "hangs up".into(),
        Event::OperatorHangup => "operator ends the call (EndCall)".into(),
        Event::FrontEndLost => "front-end gone".into(),
        Event::Shutdown => "service shutting down".into(),
        Event::TimeLimit => "the call reached its time limit (max_call_ms)".into(),
        // Names only: the values are caller data.
        Event::Data { variables } => format!("data: {}", names(variables)),
        Event::LookupResult {
            name,
            ok: true,
            variables,
        } => format!("lookup {name} answered ({})", names(variables)),
        Event::LookupResult {
            name, ok: false, ..
        } => format!("lookup {name} failed"),
        Event::HoldResult {
            ok: true,
            variables,
        } => format!("hold work done ({})", names(variables)),
        Event::HoldResult { ok: false, .. } => "hold work failed".into(),
        // The reference may name the caller's number: duration only.
        Event::RecordingResult {
            ok: true, duration, ..
        } => format!("recording made ({} ms)", duration.as_millis()),
        Event::RecordingResult { ok: false, .. } => "recording failed".into(),
    }
}

/// Variable names, sorted, for a transcript line.
fn names(variables: &crate::call::Vars) -> String {
    let mut names: Vec<&str> = variables.keys().map(String::as_str).collect();
    names.sort_unstable();
    names.join(", ")
}

/// A whole transcript as lines.
pub fn transcript_lines(entries: &[Entry]) -> Vec<Line> {
    let mut reader = TranscriptReader::default();
    entries.iter().flat_map(|e| reader.lines(e)).collect()
}

/// Reads a transcript entry by entry, remembering the state of the last
/// turn so each event is named for what it meant then.
#[derive(Debug, Clone, Default)]
pub struct TranscriptReader {
    after: Option<CallState>,
}

impl TranscriptReader {
    /// One entry as lines: an event is one line, a turn one line per action.
    pub fn lines(&mut self, entry: &Entry) -> Vec<Line> {
        if let EntryKind::Turn(turn) = &entry.kind {
            self.after = Some(turn.state);
        }
        entry_lines(entry, self.after)
    }
}

/// Who an event came from: the service's own (seq 0), the telephony
/// front-end's reports about the line, or the caller.
fn who(seq: u64, event: &Event) -> &'static str {
    match event {
        _ if seq == 0 => "server",
        Event::PromptPlayed
        | Event::InputStarted
        | Event::TransferResult { .. }
        | Event::LookupResult { .. }
        | Event::HoldResult { .. }
        | Event::RecordingResult { .. }
        | Event::Data { .. } => "pbx",
        Event::Start
        | Event::Speech { .. }
        | Event::Dtmf { .. }
        | Event::NoInput
        | Event::Audio(_)
        | Event::CallerHangup
        | Event::OperatorHangup
        | Event::FrontEndLost
        | Event::Shutdown
        | Event::TimeLimit => "caller",
    }
}

/// One transcript entry as lines; `after` is the state of the turn before.
fn entry_lines(entry: &Entry, after: Option<CallState>) -> Vec<Line> {
    match &entry.kind {
        EntryKind::Event { seq, event } => vec![Line {
            at: entry.offset,
            who: who(*seq, event),
            text: show_event(event, after),
        }],
        EntryKind::Turn(turn) => turn
            .actions
            .iter()
            .map(|action| Line {
                at: entry.offset,
                who: "service",
                text: action.to_string(),
            })
            .collect(),
        EntryKind::Fault(detail) => vec![Line {
            at: entry.offset,
            who: "server",
            text: format!("front-end fault: {detail}"),
        }],
    }
}
