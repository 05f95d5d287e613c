//! Flow files: the phone scripts a script designer writes and the service runs.
//!
//! A file goes through two stages (vector's config compiler is the model):
//! `raw` deserializes the TOML strictly, then `compile` resolves every
//! reference, checks the structure and the norms (docs/norms.md), and reports all
//! problems at once with file, line and column. Only a compiled [`Flow`] can
//! start a call, so call code never meets an unchecked script.
//!
//! Knows nothing of gRPC or timers.

pub mod classifier;
mod compile;
mod concepts;
mod diagnostic;
mod greeting;
mod hours;
mod index;
mod listen;
pub mod matcher;
mod norms;
mod parse;
mod placeholders;
mod raw;
pub mod registry;
mod steps;
mod understanding;

#[cfg(test)]
mod tests;

use std::{sync::Arc, time::Duration};

use chrono_tz::Tz;

use crate::calendar::DayParts;
pub use compile::valid_variable_name;
pub use compile::{check_source, compile_source, version_of};
pub use diagnostic::{Diagnostic, Diagnostics, Severity};
pub use greeting::{Opening, OpeningRule};
pub use hours::{CallStart, Hours, HoursAt, OpeningHours};
pub use index::{IntentIx, PromptIx, StepIx};
pub use listen::{InputMode, ListenFor};
use matcher::{Matcher, Phrases, Understood};
pub use placeholders::Format;
pub use raw::json_schema;
pub use registry::{FlowRegistry, FlowSummary};
pub use steps::{
    AskPrompt, AskStep, BACK, BranchStep, CallOps, CallState, CallStep, CloseStep, CollectStep,
    DigitRule, Draw, DrawAt, Entered, Entry, HangupStep, HoldStep, KeyPress, LookupStep,
    MAX_SUBFLOW_DEPTH, MenuKey, MenuStep, NodeShape, OnGoodbye, Progress, REPEAT, RETURN_PREFIX,
    RecordStep, ReturnStep, SayStep, SetStep, Step, StepBehaviour, StepInput, StepKind, TargetType,
    Template, TransferCause, TransferStep, WaitsFor, YesNo, seconds,
};
pub use understanding::{Asked, asked_about};

/// A call's own variables by name: caller data for the prompts (a name, a
/// bill amount, a ticket number). Plain data, so a call's state can be
/// stored elsewhere.
pub type Vars = std::collections::HashMap<String, String>;

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
    /// All intents' phrases, compiled for matching.
    pub(crate) matcher: Matcher,
    /// Front-end intents at or above this confidence win over the words.
    pub(crate) nlu_confidence: f32,
    pub(crate) roles: Roles,
    /// Intents understood at every listening step, and where they lead.
    pub(crate) anywhere: Vec<(IntentIx, StepIx)>,
    pub(crate) steps: Vec<Step>,
    /// Warnings found when compiling; the flow serves anyway.
    pub(crate) warnings: Vec<Diagnostic>,
    /// Variables StartCall must give.
    pub(crate) required: Box<[Arc<str>]>,
    /// Variables holding personal data, hidden whole from readers without
    /// the `pii` role (the flow's `pii` list).
    pub(crate) pii: Box<[Arc<str>]>,
    /// The flow's own variable values, per locale index.
    pub(crate) defaults: std::collections::HashMap<String, Vec<String>>,
    /// When the centre is open, if the flow says.
    pub(crate) hours: Option<OpeningHours>,
    /// The subflows, whose steps follow the flow's own in `steps`.
    pub(crate) subflows: Vec<Subflow>,
    /// What each step collects in each locale (`listen_for`), built on
    /// first use: a listening turn then costs a reference count, not a
    /// copy of every phrase the step understands.
    pub(crate) listens: std::sync::OnceLock<Box<[Arc<ListenFor>]>>,
}

/// A subflow: a dialogue `call` steps share.
#[derive(Debug, Clone)]
pub struct Subflow {
    pub name: Arc<str>,
    pub start: StepIx,
    /// Its steps' places in the flow's steps, its returns included.
    pub steps: std::ops::Range<usize>,
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
    /// Not-understood re-asks before a person is offered, or the call is
    /// closed politely.
    pub not_understood_attempts: u8,
    /// Requests to use Mandarin (N9) before a person is offered, or the
    /// call is closed politely.
    pub language_attempts: u8,
    /// Times a yes/no question is asked again for other words before it
    /// counts as declined.
    pub consent_attempts: u8,
    /// Visits to one step before the call stops going round: a person is
    /// offered, or the call is closed politely.
    pub max_step_visits: u8,
    /// Nuisance turns (a nuisance phrase, then off-topic talk) before the
    /// norm's goodbye (N15).
    pub nuisance_turns: u8,
    /// The longest a call may last; then it closes with a goodbye.
    pub max_call: Duration,
    /// A lookup's silent wait before the caller is told to hold on.
    pub lookup_quiet: Duration,
    /// A lookup with no answer by then fails.
    pub lookup_timeout: Duration,
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
            not_understood_attempts: 2,
            language_attempts: 2,
            consent_attempts: 3,
            max_step_visits: 5,
            nuisance_turns: 2,
            max_call: Duration::from_secs(30 * 60),
            lookup_quiet: Duration::from_secs(2),
            lookup_timeout: Duration::from_secs(10),
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
    /// The first words when the centre is closed, by the same rules.
    pub after_hours: Openings,
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
    /// Per locale index, the flow's own variable values filled in.
    pub texts: Box<[Arc<str>]>,
    /// Per locale index: the recorded audio file, when the flow names one.
    pub audio: Option<Box<[Arc<str>]>>,
    /// Per locale index: SSML for a TTS engine, when the flow gives one.
    pub ssml: Option<Box<[Arc<str>]>>,
    /// Per locale index: the text as written, in pieces, when it has
    /// `{variable}` placeholders a call may fill with its own values.
    pub template: Option<Box<[Box<[Piece]>]>>,
    /// Per locale index: the SSML with `{text}` still to fill, for a text
    /// rendered with the call's values.
    pub ssml_template: Option<Box<[Arc<str>]>>,
}

/// A piece of a prompt text as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(Box<str>),
    /// `{name}` or `{name:format}`: the call's value, else the flow's
    /// default in this locale, said as `format` says.
    Var {
        name: Arc<str>,
        default: Option<Arc<str>>,
        format: Format,
    },
}

impl Prompt {
    pub fn text(&self, locale: LocaleIx) -> &Arc<str> {
        &self.texts[usize::from(locale).min(self.texts.len() - 1)]
    }

    /// The variables this prompt says, in the order written (first locale).
    pub fn variables(&self) -> impl Iterator<Item = &Arc<str>> {
        self.template
            .iter()
            .flat_map(|t| t.first())
            .flat_map(|pieces| pieces.iter())
            .filter_map(|p| match p {
                Piece::Var { name, .. } => Some(name),
                Piece::Text(_) => None,
            })
    }

    /// The text with a call's own values, when the prompt has placeholders
    /// and the call has values; `None` means the flow's text as it is.
    pub fn render(&self, locale: LocaleIx, vars: &Vars) -> Option<Arc<str>> {
        if vars.is_empty() {
            return None;
        }
        self.fill(locale, vars, false).map(Arc::from)
    }

    /// The SSML with a call's own values, when the prompt has SSML and
    /// placeholders and the call has values: values are escaped, and
    /// `{name:digits}` is marked `say-as` for the TTS engine.
    pub fn render_ssml(&self, locale: LocaleIx, vars: &Vars) -> Option<Arc<str>> {
        let template = self.ssml_template.as_ref()?;
        if vars.is_empty() {
            return None;
        }
        let text = self.fill(locale, vars, true)?;
        let t = &template[usize::from(locale).min(template.len() - 1)];
        Some(t.replace("{text}", &text).into())
    }

    fn fill(&self, locale: LocaleIx, vars: &Vars, ssml: bool) -> Option<String> {
        let pieces = self.template.as_ref()?;
        let pieces = &pieces[usize::from(locale).min(pieces.len() - 1)];
        let mut out = String::new();
        for p in pieces.iter() {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var {
                    name,
                    default,
                    format,
                } => match vars.get(&**name) {
                    Some(v) => format.fill(v, ssml, &mut out),
                    // A default is already said its way (compile time).
                    None => out.push_str(default.as_deref().unwrap_or_default()),
                },
            }
        }
        Some(out)
    }

    /// The SSML for `rendered` text (or the flow's own).
    pub fn ssml_for(&self, locale: LocaleIx, rendered: Option<&str>) -> Option<Arc<str>> {
        let ix = usize::from(locale);
        match (rendered, &self.ssml_template) {
            (Some(text), Some(t)) => Some(t[ix.min(t.len() - 1)].replace("{text}", text).into()),
            _ => self.ssml.as_ref().map(|s| s[ix.min(s.len() - 1)].clone()),
        }
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
    /// N5's third prompt for a caller who has spoken: no claim that the
    /// phone has no sound (issue 25). The flow's own or built in.
    pub silence_goodbye_spoken: PromptIx,
    /// The answer to a caller's hello (N6), the flow's `greeting_reply`:
    /// in the code a "greeting" is only the opening (N2-N4).
    pub hello_reply: Option<PromptIx>,
    /// Indexed like `calendar::DayPart` (morning, afternoon, evening).
    pub hello_reply_by_part: [Option<PromptIx>; 3],
    pub unclear: PromptIx,
    pub switch_phone: PromptIx,
    pub pick_up_handset: PromptIx,
    pub speak_into_handset: PromptIx,
    pub mandarin: PromptIx,
    pub agent_number: Option<PromptIx>,
    pub not_understood: Option<PromptIx>,
    /// The second not-understood re-ask, so the caller does not hear the
    /// same words twice; `not_understood` when the flow has none.
    pub not_understood_again: Option<PromptIx>,
    /// The goodbye when the call cannot go on (bounds reached, no person
    /// to offer): an apology and thanks (N12).
    pub polite_close: PromptIx,
    pub thanks_reply: Option<PromptIx>,
    pub complaint_reply: Option<PromptIx>,
    pub callback_reply: Option<PromptIx>,
    pub nuisance_reply: Option<PromptIx>,
    pub nuisance_goodbye: Option<PromptIx>,
    pub yes: Option<IntentIx>,
    pub no: Option<IntentIx>,
    /// The caller's hello (the flow's reserved intent `greeting`).
    pub hello: Option<IntentIx>,
    pub agent_number_intent: Option<IntentIx>,
    /// A request for a person: a yes at a transfer's consent question.
    pub agent: Option<IntentIx>,
    /// The transfer step a person is offered by when the call cannot go on
    /// (where `anywhere` sends `agent`).
    pub person: Option<StepIx>,
    pub thanks: Option<IntentIx>,
    pub complaint: Option<IntentIx>,
    /// "Are you there?", "say again": the last prompt again.
    pub repeat: Option<IntentIx>,
    pub callback: Option<IntentIx>,
    pub nuisance: Option<IntentIx>,
    /// The caller's closing (built in: `flow::understanding::GOODBYE`).
    pub goodbye: Option<IntentIx>,
    /// The close step a caller's goodbye leads to away from a close step
    /// (the first one, the after-hours step aside).
    pub close: Option<(StepIx, CloseStep)>,
    /// The hold's promised time, for "how long?" before the hold.
    pub hold_wait: Option<PromptIx>,
    /// The queue's estimate, for "how long?" at a transfer's question.
    pub transfer_wait: Option<PromptIx>,
    /// That the caller talks to an automated assistant.
    pub assistant_reply: Option<PromptIx>,
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
    /// Where a step can lead, requests understood anywhere included.
    pub fn successors(&self, step: StepIx) -> Vec<StepIx> {
        let kind = &self.step(step).kind;
        let mut out = kind.successors();
        if kind.listens() {
            out.extend(self.anywhere.iter().map(|(_, s)| *s));
        }
        out
    }

    pub fn subflows(&self) -> &[Subflow] {
        &self.subflows
    }

    /// A subflow's place, by name.
    pub fn subflow_named(&self, name: &str) -> Option<usize> {
        self.subflows.iter().position(|s| *s.name == *name)
    }

    /// The subflow a step belongs to; `None` for the flow's own steps.
    pub fn subflow_of(&self, step: StepIx) -> Option<usize> {
        let ix = usize::from(step);
        self.subflows.iter().position(|s| s.steps.contains(&ix))
    }

    /// The labels a subflow returns with: the `"@return:…"` its own
    /// steps lead to.
    pub fn return_labels(&self, sub: usize) -> Vec<Arc<str>> {
        let range = self.subflows[sub].steps.clone();
        let led_to: std::collections::BTreeSet<usize> = range
            .clone()
            .flat_map(|ix| self.steps[ix].kind.successors())
            .map(usize::from)
            .collect();
        range
            .filter(|ix| led_to.contains(ix))
            .filter_map(|ix| {
                // Only a return step returns.
                let StepKind::Return(r) = &self.steps[ix].kind else {
                    return None;
                };
                Some(r.label.clone())
            })
            .collect()
    }

    /// Variables StartCall must give.
    pub fn required_variables(&self) -> &[Arc<str>] {
        &self.required
    }

    /// Whether the flow marks `name` as personal data (its `pii` list).
    pub fn is_pii(&self, name: &str) -> bool {
        self.pii.iter().any(|p| **p == *name)
    }

    /// The flow's own value of a variable, in the first locale.
    pub fn default_value(&self, name: &str) -> Option<&str> {
        self.defaults
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
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
            .map(PromptIx::new)
    }

    /// Front-end intents at or above this confidence win over the words.
    pub fn nlu_confidence(&self) -> f32 {
        self.nlu_confidence
    }

    pub fn intent_index(&self, name: &str) -> Option<IntentIx> {
        self.intents
            .iter()
            .position(|i| &*i.name == name)
            .map(IntentIx::new)
    }

    /// Everything the caller's words (or keys) mean, in the order said.
    pub fn understand(&self, locale: LocaleIx, heard: Heard<'_>) -> Understood {
        match heard {
            Heard::Words(words) => self.matcher.understand(usize::from(locale), words),
            Heard::Keys(digits) => {
                let mut u = Understood::default();
                if let Some(i) = self.matcher.keys(digits) {
                    u.push(i);
                }
                u
            }
        }
    }
}

/// What the caller gave us to recognise.
#[derive(Debug, Clone, Copy)]
pub enum Heard<'a> {
    Words(&'a str),
    Keys(&'a str),
}
