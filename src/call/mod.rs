//! One call as a state machine: events in, actions out.
//!
//! Pure and synchronous: no I/O, no clock, no tokio. The engine feeds events
//! (including its own timer firing, as [`Event::NoInput`]) and performs the
//! actions. This is what makes every norm testable as a transcript.

mod machine;
#[cfg(test)]
mod tests;

use std::{sync::Arc, time::Duration};

pub use machine::{CallMachine, CallSetup};

use crate::flow::{LocaleIx, Prompt};

/// Something that happened on the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The call was answered (N1: the opening goes out at once).
    Start,
    /// The last turn's prompts finished playing.
    PromptPlayed,
    /// The caller said something. `confidence` is `None` when the recogniser
    /// did not report one.
    Speech {
        text: String,
        confidence: Option<f32>,
    },
    /// The caller pressed keys.
    Dtmf { digits: String },
    /// The listen period passed in silence (front-end or server timer).
    NoInput,
    /// An audio condition the front-end detected.
    Audio(AudioKind),
    /// Outcome of a transfer.
    TransferResult { connected: bool },
    /// The caller hung up.
    CallerHangup,
    /// The operator ended the call (EndCall).
    OperatorHangup,
    /// The front-end went away without hanging up.
    FrontEndLost,
    /// The service is shutting down.
    Shutdown,
}

/// Audio trouble on the caller's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioKind {
    Weak,
    Noisy,
    /// No voice at all: likely speakerphone (N8).
    NoAudio,
    UnknownLanguage,
}

/// An instruction to the front-end.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Say(Say),
    /// Listen; with no input for `timeout`, `NoInput` follows.
    Listen {
        timeout: Duration,
    },
    Transfer {
        target: Arc<str>,
        reason: Arc<str>,
    },
    Hangup(EndReason),
}

/// A prompt to play, in the call's locale.
#[derive(Debug, Clone)]
pub struct Say {
    pub prompt: Arc<Prompt>,
    pub locale: LocaleIx,
    pub barge_in: bool,
}

impl Say {
    pub fn text(&self) -> &Arc<str> {
        self.prompt.text(self.locale)
    }
}

impl PartialEq for Say {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.prompt, &other.prompt)
            && self.locale == other.locale
            && self.barge_in == other.barge_in
    }
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    CallerHangup,
    Silence,
    PoorAudio,
    Transferred,
    Operator,
    LineLeftOpen,
    FrontEndLost,
    FlowEnd,
    Shutdown,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::CallerHangup => "caller_hangup",
            EndReason::Silence => "silence",
            EndReason::PoorAudio => "poor_audio",
            EndReason::Transferred => "transferred",
            EndReason::Operator => "operator",
            EndReason::LineLeftOpen => "line_left_open",
            EndReason::FrontEndLost => "front_end_lost",
            EndReason::FlowEnd => "flow_end",
            EndReason::Shutdown => "shutdown",
        }
    }
}
