//! One call as a state machine: events in, actions out.
//!
//! Pure and synchronous: no I/O, no clock, no tokio. The engine feeds events
//! (including its own timer firing, as [`Event::NoInput`]) and performs the
//! actions. This is what makes every norm testable as a transcript.

mod kinds;
mod machine;
pub mod snapshot;
#[cfg(test)]
mod tests;
mod understanding;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

pub use kinds::{EventKind, metric_labels};
pub use machine::{CallMachine, CallSetup};
pub use understanding::{Answer, Input};

use crate::flow::{LocaleIx, Prompt, TargetType};

/// Something that happened on the call.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Event {
    /// The call was answered (N1: the opening goes out at once).
    Start,
    /// The last turn's prompts finished playing.
    PromptPlayed,
    /// The caller said something. `confidence` is `None` when the recogniser
    /// did not report one; `intents` is the front-end's own understanding,
    /// when it has one (it wins over the words above the flow's threshold).
    Speech {
        text: String,
        confidence: Option<f32>,
        intents: Vec<NluIntent>,
    },
    /// The caller pressed keys.
    Dtmf { digits: String },
    /// The caller began speaking or keying: the no-input timer waits for
    /// the input to end (the next speech, keys or no-input).
    InputStarted,
    /// The listen period passed in silence (front-end or server timer).
    NoInput,
    /// An audio condition the front-end detected.
    Audio(AudioKind),
    /// Outcome of a transfer, and why it failed when the PBX says.
    TransferResult {
        connected: bool,
        cause: Option<TransferCause>,
    },
    /// Per-call variables set or changed mid-call (caller data).
    Data { variables: Vars },
    /// The front-end's answer to a `Lookup` action.
    LookupResult {
        name: String,
        ok: bool,
        variables: Vars,
    },
    /// How the work behind a hold ended (front-end or back office).
    HoldResult { ok: bool, variables: Vars },
    /// The front-end's answer to a `Record` action: the recording's
    /// reference when `ok`.
    RecordingResult {
        ok: bool,
        recording: String,
        duration: Duration,
    },
    /// The caller hung up.
    CallerHangup,
    /// The operator ended the call (EndCall).
    OperatorHangup,
    /// The front-end went away without hanging up.
    FrontEndLost,
    /// The service is shutting down.
    Shutdown,
    /// The call reached the flow's `max_call_ms` (the machine raises this
    /// itself from the time it is given).
    TimeLimit,
}

/// Lives with the transfer step, which picks its apology by it.
pub use crate::flow::TransferCause;

impl Event {
    /// A transfer's outcome with no cause given.
    pub fn transferred(connected: bool) -> Event {
        Event::TransferResult {
            connected,
            cause: None,
        }
    }

    /// Speech with no confidence and no front-end intents: the plain case.
    pub fn speech(text: impl Into<String>) -> Event {
        Event::Speech {
            text: text.into(),
            confidence: None,
            intents: Vec::new(),
        }
    }
}

/// Lives in `flow`, which renders prompts with it and must not depend on
/// `call`; re-exported because events carry it.
pub use crate::flow::Vars;

/// An intent the front-end's own NLU recognised.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NluIntent {
    pub name: String,
    pub confidence: f32,
}

/// Lives in `flow`, where each kind of step says which phase it shows.
pub use crate::flow::CallState;

/// Audio trouble on the caller's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AudioKind {
    Weak,
    Noisy,
    /// No voice at all: likely speakerphone (N8).
    NoAudio,
    UnknownLanguage,
}

/// An instruction to the front-end.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Action {
    Say(Say),
    /// Listen; with no input for `timeout`, `NoInput` follows.
    Listen {
        timeout: Duration,
    },
    /// Transfer the call: `target` with the call's variables filled in,
    /// and what the PBX needs to carry it out.
    Transfer {
        target: Arc<str>,
        reason: Arc<str>,
        target_type: Option<TargetType>,
        /// How long to ring the target; `None`: the PBX's own default.
        timeout: Option<Duration>,
        /// The step's `attach` variables with their values, for the
        /// agent's screen pop.
        attached: BTreeMap<String, String>,
    },
    Hangup(EndReason),
    /// Ask the front-end for data (`name`, with `params`); its answer comes
    /// back as `LookupResult`. The call machine does no I/O itself.
    Lookup {
        name: Arc<str>,
        params: BTreeMap<String, String>,
    },
    /// Record the caller (after the instructions said before it); the
    /// answer comes back as `RecordingResult`, its reference into `into`.
    Record {
        max: Duration,
        beep: bool,
        terminators: Arc<str>,
        into: Arc<str>,
    },
}

/// A prompt to play, in the call's locale.
#[derive(Debug, Clone)]
pub struct Say {
    pub prompt: Arc<Prompt>,
    pub locale: LocaleIx,
    pub barge_in: bool,
    /// The text with this call's variables filled in, when the prompt has
    /// placeholders and the call has variables; otherwise the prompt's
    /// own text (the flow's defaults) is what is said.
    pub rendered: Option<Arc<str>>,
    /// The SSML with this call's values (digits marked `say-as`), when
    /// the prompt has SSML and placeholders the call filled.
    pub rendered_ssml: Option<Arc<str>>,
}

impl Say {
    pub fn text(&self) -> &Arc<str> {
        self.rendered
            .as_ref()
            .unwrap_or_else(|| self.prompt.text(self.locale))
    }

    /// SSML for a TTS engine, with this call's text.
    pub fn ssml(&self) -> Option<Arc<str>> {
        match &self.rendered_ssml {
            Some(s) => Some(s.clone()),
            None => self.prompt.ssml_for(self.locale, self.rendered.as_deref()),
        }
    }
}

impl PartialEq for Say {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.prompt, &other.prompt)
            && self.locale == other.locale
            && self.rendered == other.rendered
            && self.rendered_ssml == other.rendered_ssml
            && self.barge_in == other.barge_in
    }
}

/// Why a call ended; its names (`caller_hangup`…) are generated.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
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
    /// The call reached the flow's `max_call_ms`; a goodbye was said.
    TimeLimit,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}
