//! Flow files: the phone scripts a script designer writes and the service runs.
//!
//! A file goes through two stages (vector's config compiler is the model):
//! `raw` deserializes the TOML strictly, then `compile` resolves every
//! reference, checks the structure and the norms (docs/norms.md), and reports all
//! problems at once with file, line and column. Only a compiled [`Flow`] can
//! start a call, so call code never meets an unchecked script.
//!
//! Knows nothing of gRPC or timers.

mod compile;
mod diagnostic;
mod greeting;
pub mod matcher;
mod norms;
mod parse;
mod raw;
pub mod registry;

#[cfg(test)]
mod tests;

use std::{sync::Arc, time::Duration};

use chrono_tz::Tz;

use crate::calendar::DayParts;
pub use compile::{check_source, compile_source};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use greeting::{Opening, OpeningRule};
use matcher::Phrases;
pub use raw::json_schema;
pub use registry::{FlowRegistry, FlowSummary};

/// Index of a prompt within its flow.
pub type PromptIx = u16;
/// Index of a step within its flow.
pub type StepIx = u16;
/// Index of an intent within its flow.
pub type IntentIx = u16;
/// Index of a locale within its flow's `locales`.
pub type LocaleIx = u8;

/// A compiled, checked flow. Immutable: a reload builds a new one, and each
/// call keeps the `Arc<Flow>` it started with (version pinning).
#[derive(Debug)]
pub struct Flow {
    pub(crate) id: Arc<str>,
    pub(crate) title: String,
    pub(crate) version: Arc<str>,
    pub(crate) source_file: String,
    pub(crate) source: Arc<str>,
    pub(crate) kind: FlowKind,
    pub(crate) locales: Vec<Arc<str>>,
    pub(crate) zone: Tz,
    pub(crate) start: StepIx,
    pub(crate) timing: Timing,
    pub(crate) greeting: GreetingSettings,
    pub(crate) prompts: Vec<Arc<Prompt>>,
    pub(crate) intents: Vec<Intent>,
    pub(crate) roles: Roles,
    /// Intents understood at every listening step, and where they lead.
    pub(crate) anywhere: Vec<(IntentIx, StepIx)>,
    pub(crate) steps: Vec<Step>,
    /// Warnings found when compiling; the flow serves anyway.
    pub(crate) warnings: Vec<Diagnostic>,
}

/// Whether the centre answers the call or places it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    Inbound,
    /// The centre calls the customer (N3b): the opening is the step's own.
    Outbound,
}

/// Counts and durations, with the norms' defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Silence before the next silence prompt (N5: 5 s).
    pub no_input: Duration,
    /// Prompts a silent caller hears before we hang up (N5: at least 3).
    pub silence_prompts: u8,
    /// Times we ask an unclear caller to speak up before suggesting another
    /// phone (N7).
    pub unclear_attempts: u8,
    /// How long we wait for consent to hang up on bad audio (N7: 5 s).
    pub consent_wait: Duration,
    /// After the goodbye, how long we leave the line to the caller before
    /// hanging up ourselves (N12, N15).
    pub caller_hangup_wait: Duration,
    /// Speech recognised below this confidence counts as unclear (N7).
    pub low_confidence: f32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            no_input: Duration::from_secs(5),
            silence_prompts: 3,
            unclear_attempts: 3,
            consent_wait: Duration::from_secs(5),
            caller_hangup_wait: Duration::from_secs(10),
            low_confidence: 0.5,
        }
    }
}

/// How the opening is chosen (N2-N4).
#[derive(Debug, Clone)]
pub struct GreetingSettings {
    pub day_parts: DayParts,
    /// Holiday openings on or off for this flow.
    pub holidays: bool,
    pub special_days: Vec<SpecialDay>,
    pub openings: Openings,
}

/// A flow's own day with its own opening.
#[derive(Debug, Clone)]
pub struct SpecialDay {
    pub name: String,
    pub first: chrono::NaiveDate,
    pub last: chrono::NaiveDate,
    pub prompt: PromptIx,
}

/// The opening prompts, by rule.
#[derive(Debug, Clone, Default)]
pub struct Openings {
    pub plain: Option<PromptIx>,
    pub morning: Option<PromptIx>,
    /// Indexed like `calendar::Holiday::ALL`.
    pub holiday: [Option<PromptIx>; 5],
}

/// A prompt, rendered for every locale of its flow.
#[derive(Debug)]
pub struct Prompt {
    pub id: Arc<str>,
    /// Per locale index, variables already filled in.
    pub texts: Box<[Arc<str>]>,
    /// Per locale index: the recorded audio file, when the flow names one.
    pub audio: Option<Box<[Arc<str>]>>,
    /// Per locale index: SSML for a TTS engine, when the flow gives one.
    pub ssml: Option<Box<[Arc<str>]>>,
}

impl Prompt {
    pub fn text(&self, locale: LocaleIx) -> &Arc<str> {
        &self.texts[usize::from(locale).min(self.texts.len() - 1)]
    }
}

/// Something a caller can mean, with the words and keys that say it.
#[derive(Debug, Clone)]
pub struct Intent {
    pub name: Arc<str>,
    pub phrases: Phrases,
}

/// The service's reserved prompts and intents, resolved once at compile time
/// so the call machine never looks anything up by name.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    pub silence_reprompt: PromptIx,
    pub silence_goodbye: PromptIx,
    pub greeting_reply: Option<PromptIx>,
    /// Indexed like `calendar::DayPart` (morning, afternoon, evening).
    pub greeting_reply_by_part: [Option<PromptIx>; 3],
    pub unclear: PromptIx,
    pub switch_phone: PromptIx,
    pub pick_up_handset: PromptIx,
    pub speak_into_handset: PromptIx,
    pub mandarin: PromptIx,
    pub agent_number: Option<PromptIx>,
    pub not_understood: Option<PromptIx>,
    pub yes: Option<IntentIx>,
    pub no: Option<IntentIx>,
    pub greeting: Option<IntentIx>,
    pub agent_number_intent: Option<IntentIx>,
}

/// One step of the script.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: Arc<str>,
    pub kind: StepKind,
    /// May caller speech interrupt this step's prompt.
    pub barge_in: bool,
}

/// What the first prompt of an `ask` step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskPrompt {
    /// The calendar's opening for this call (N2-N4).
    Opening,
    Prompt(PromptIx),
}

#[derive(Debug, Clone)]
pub enum StepKind {
    /// Say a question and listen; answers lead to steps.
    Ask {
        prompt: AskPrompt,
        /// Second silence prompt instead of the flow's `silence_reprompt`.
        reprompt: Option<PromptIx>,
        answers: Vec<(IntentIx, StepIx)>,
        /// Where speech that matches no answer goes.
        otherwise: Option<StepIx>,
    },
    /// Say something and go on.
    Say { prompt: PromptIx, next: StepIx },
    /// Say why and ask consent; transfer only on yes (N10).
    Transfer {
        target: Arc<str>,
        reason: Arc<str>,
        consent: PromptIx,
        declined: PromptIx,
        failed: PromptIx,
        fallback: StepIx,
    },
    /// Ask before holding, thank, and apologise on resuming (N11).
    Hold {
        ask: PromptIx,
        thanks: PromptIx,
        resume: PromptIx,
        duration: std::time::Duration,
        next: StepIx,
        declined: StepIx,
    },
    /// Ask whether anything else is needed, then goodbye; the caller hangs
    /// up first (N12).
    Close {
        ask: PromptIx,
        goodbye: PromptIx,
        more: StepIx,
    },
    /// Say a last prompt and hang up without waiting for the caller.
    Hangup { prompt: PromptIx },
}

// === impl Flow ===

impl Flow {
    pub fn id(&self) -> &Arc<str> {
        &self.id
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    /// Content hash of the source: equal text, equal version.
    pub fn version(&self) -> &Arc<str> {
        &self.version
    }
    pub fn source_file(&self) -> &str {
        &self.source_file
    }
    pub fn source(&self) -> &Arc<str> {
        &self.source
    }
    pub fn kind(&self) -> FlowKind {
        self.kind
    }
    pub fn locales(&self) -> &[Arc<str>] {
        &self.locales
    }
    pub fn zone(&self) -> Tz {
        self.zone
    }
    pub fn timing(&self) -> &Timing {
        &self.timing
    }
    pub fn greeting(&self) -> &GreetingSettings {
        &self.greeting
    }
    pub fn start(&self) -> StepIx {
        self.start
    }
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
    pub fn step(&self, ix: StepIx) -> &Step {
        &self.steps[usize::from(ix)]
    }
    pub fn prompt(&self, ix: PromptIx) -> &Arc<Prompt> {
        &self.prompts[usize::from(ix)]
    }
    pub fn prompts(&self) -> &[Arc<Prompt>] {
        &self.prompts
    }
    pub fn intents(&self) -> &[Intent] {
        &self.intents
    }
    pub fn intent(&self, ix: IntentIx) -> &Intent {
        &self.intents[usize::from(ix)]
    }
    pub fn roles(&self) -> &Roles {
        &self.roles
    }
    pub fn anywhere(&self) -> &[(IntentIx, StepIx)] {
        &self.anywhere
    }
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// The index of a locale name ("zh-CN"); names compare case-insensitively.
    pub fn locale_index(&self, name: &str) -> Option<LocaleIx> {
        self.locales
            .iter()
            .position(|l| l.eq_ignore_ascii_case(name))
            .map(|i| i as LocaleIx)
    }

    pub fn prompt_index(&self, id: &str) -> Option<PromptIx> {
        self.prompts
            .iter()
            .position(|p| &*p.id == id)
            .map(|i| i as PromptIx)
    }

    /// Which of `candidates` the caller's words (or keys) mean.
    pub fn recognise(
        &self,
        candidates: impl IntoIterator<Item = IntentIx> + Clone,
        locale: LocaleIx,
        heard: Heard<'_>,
    ) -> Option<IntentIx> {
        let with_phrases = candidates.into_iter().map(|i| (i, &self.intent(i).phrases));
        match heard {
            Heard::Words(words) => matcher::best_match(with_phrases, usize::from(locale), words),
            Heard::Keys(digits) => matcher::match_keys(with_phrases, digits),
        }
    }
}

/// What the caller gave us to recognise.
#[derive(Debug, Clone, Copy)]
pub enum Heard<'a> {
    Words(&'a str),
    Keys(&'a str),
}
