//! `collect`: say a prompt and take what the caller keys (or says) into
//! a variable, within the digit counts, terminator and pattern the step
//! gives; `next` when it is valid, `invalid` and the prompt again when
//! not, `exhausted` after `attempts` invalid entries. Keys arrive as one
//! event holding the whole entry (the front-end collected them) or one
//! key per event (the call collects them: each key asks for the
//! inter-digit pause, whose expiry ends the entry). Silence and audio
//! trouble are as at an `ask` (N5, N7-N9); `[anywhere]` requests work by
//! speech.

use std::{sync::Arc, time::Duration};

use schemars::JsonSchema;
use serde::Deserialize;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{
    Flow, Heard, InputMode, IntentIx, ListenFor, PromptIx, StepIx, StepKind, raw::Sp,
};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Gives,
    Holds::{Count, Digits, PromptRef, StepRef, Text},
    Listening, Progress, RawKind, StepBehaviour, StepInput, StepKindSpec, WaitsFor, Written,
    optional, required, schema_of,
};

/// Invalid entries before `exhausted` when the step does not say.
const DEFAULT_ATTEMPTS: u8 = 3;
/// The pause between keys that ends an entry, when the step does not say.
const DEFAULT_INTER_DIGIT: Duration = Duration::from_secs(3);
/// The most digits any entry may have: a phone number with its country
/// code, an account or card number.
const MOST_DIGITS: i64 = 32;

/// Take the caller's keys (or words) into a variable.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "CollectStep")]
pub struct RawCollect {
    /// Say this prompt and collect what the caller keys or says.
    #[schemars(with = "String")]
    pub collect: Sp<String>,
    /// The variable that holds what was collected (later prompts say it as
    /// `{name}` or `{name:digits}`; lookups may pass it on).
    #[schemars(with = "Option<String>")]
    pub into: Option<Sp<String>>,
    /// Keys: how many, which key ends an entry, and the pause between keys
    /// that ends it. Without `digits` the step collects the caller's words.
    #[schemars(with = "Option<RawDigits>")]
    pub digits: Option<Sp<RawDigits>>,
    /// A regular expression the collected value (without the terminator)
    /// must match, e.g. `^1\d{10}$`.
    #[schemars(with = "Option<String>")]
    pub pattern: Option<Sp<String>>,
    /// Said (before the prompt again) on an entry that is not valid.
    #[schemars(with = "Option<String>")]
    pub invalid: Option<Sp<String>>,
    /// Invalid entries before `exhausted` (1-9, default 3); silence follows
    /// the flow's silence rules (N5).
    #[schemars(with = "Option<u8>")]
    pub attempts: Option<Sp<i64>>,
    /// The step after a valid entry.
    #[schemars(with = "Option<String>")]
    pub next: Option<Sp<String>>,
    /// The step after `attempts` invalid entries.
    #[schemars(with = "Option<String>")]
    pub exhausted: Option<Sp<String>>,
    /// May caller speech or keys interrupt the prompt; default true.
    pub barge_in: Option<bool>,
    /// `into` as the variables this step gives.
    #[schemars(skip)]
    gives: Vec<Sp<String>>,
}

/// `digits = { min, max, terminator, inter_digit_ms }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(deny_unknown_fields)]
pub struct RawDigits {
    /// The fewest keys a valid entry has (default 1).
    pub min: Option<i64>,
    /// The most keys; the entry ends when this many are keyed.
    pub max: Option<i64>,
    /// The key that ends an entry early ("#" or "*").
    pub terminator: Option<String>,
    /// The pause between keys that ends an entry (default 3000).
    pub inter_digit_ms: Option<i64>,
}

/// How digits are collected.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DigitRule {
    pub min: u8,
    pub max: u8,
    pub terminator: Option<char>,
    pub inter_digit: Duration,
}

/// A compiled `pattern`: kept as its source, so a call's state stays
/// plain data, and compiled once where the step is built.
#[derive(Debug, Clone)]
pub struct Pattern(regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl serde::Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        regex::Regex::new(&text)
            .map(Pattern)
            .map_err(serde::de::Error::custom)
    }
}

/// A compiled `collect` step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CollectStep {
    pub prompt: PromptIx,
    pub into: Arc<str>,
    /// `None`: the caller's words are collected.
    pub digits: Option<DigitRule>,
    pub pattern: Option<Pattern>,
    pub invalid: PromptIx,
    pub attempts: u8,
    pub next: StepIx,
    pub exhausted: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "collect",
    fields: FIELDS,
    take: |value, entries| Box::new(RawCollect::take(value, entries)),
    schema: schema_of::<RawCollect>,
};

const FIELDS: &[Field] = &[
    required(
        "into",
        Text,
        None,
        "the variable that keeps what was collected",
    ),
    optional("digits", Digits),
    optional("pattern", Text),
    required(
        "invalid",
        PromptRef,
        None,
        "a caller whose entry is not valid is told so",
    ),
    optional("attempts", Count),
    required("next", StepRef, None, "the step after a valid entry"),
    required(
        "exhausted",
        StepRef,
        None,
        "the way out after the caller's last invalid entry",
    ),
];

impl RawCollect {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        let into = entries.text("into");
        RawCollect {
            collect: value,
            gives: into.iter().cloned().collect(),
            into,
            digits: entries.digits("digits"),
            pattern: entries.text("pattern"),
            invalid: entries.text("invalid"),
            attempts: entries.millis("attempts"),
            next: entries.text("next"),
            exhausted: entries.text("exhausted"),
            barge_in: entries.flag("barge_in"),
        }
    }

    /// The digit counts, terminator and pause, each within its bounds.
    fn digit_rule(&self, found: &mut Findings<'_>, name: &str) -> Option<DigitRule> {
        let digits = self.digits.as_ref()?;
        let span = digits.span();
        let d = digits.get_ref();
        let mut bad = |what: String| {
            found.error(span.clone(), None, format!("collect step {name:?}: {what}"))
        };
        let count = |v: Option<i64>, default: i64| v.unwrap_or(default);
        let min = count(d.min, 1);
        let max = count(d.max, MOST_DIGITS);
        if !(1..=MOST_DIGITS).contains(&min) || !(1..=MOST_DIGITS).contains(&max) || min > max {
            bad(format!(
                "digits need 1 <= min <= max <= {MOST_DIGITS} (min {min}, max {max})"
            ));
        }
        // An entry must end somewhere the caller can tell: at `max` keys
        // or at the terminator (the pause alone would judge every slow
        // caller's entry).
        if d.max.is_none() && d.terminator.is_none() {
            bad(
                "digits without `max` or `terminator` has no bound: the caller could key forever"
                    .into(),
            );
        }
        let terminator = match d.terminator.as_deref() {
            None => None,
            Some(t @ ("#" | "*")) => t.chars().next(),
            Some(t) => {
                bad(format!("terminator {t:?} must be \"#\" or \"*\""));
                None
            }
        };
        let inter_digit = match d.inter_digit_ms {
            None => DEFAULT_INTER_DIGIT,
            Some(ms @ 500..=30_000) => Duration::from_millis(ms as u64),
            Some(ms) => {
                bad(format!("inter_digit_ms is {ms}, must be 500-30000"));
                DEFAULT_INTER_DIGIT
            }
        };
        Some(DigitRule {
            min: min.clamp(1, MOST_DIGITS) as u8,
            max: max.clamp(1, MOST_DIGITS) as u8,
            terminator,
            inter_digit,
        })
    }
}

impl RawKind for RawCollect {
    fn value(&self) -> &Sp<String> {
        &self.collect
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "into" | "pattern" => {
                let v = if key == "into" {
                    &self.into
                } else {
                    &self.pattern
                };
                v.as_ref().map(|_| Written::Value)
            }
            "digits" => self.digits.as_ref().map(|_| Written::Value),
            "attempts" => self.attempts.as_ref().map(|_| Written::Value),
            "invalid" => self.invalid.as_ref().map(Written::Name),
            "next" => self.next.as_ref().map(Written::Name),
            "exhausted" => self.exhausted.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn gives(&self) -> &[Sp<String>] {
        &self.gives
    }

    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let prompt = found.take(cx.prompt(f.value()));
        let name = f.name().get_ref();
        // `into` is a variable the step gives: its name is checked with
        // every other run-time variable's.
        let into = self.into.as_ref().map_or("", |v| v.get_ref().as_str());
        let digits = self.digit_rule(&mut found, name);
        let pattern = self
            .pattern
            .as_ref()
            .and_then(|p| match regex::Regex::new(p.get_ref()) {
                Ok(r) => Some(Pattern(r)),
                Err(e) => {
                    found.error(
                        p.span(),
                        None,
                        format!("collect step {name:?}: pattern is no regular expression: {e}"),
                    );
                    None
                }
            });
        let attempts = match &self.attempts {
            None => DEFAULT_ATTEMPTS,
            Some(n) => match u8::try_from(*n.get_ref()) {
                Ok(n @ 1..=9) => n,
                Ok(_) | Err(_) => {
                    found.error(
                        n.span(),
                        None,
                        format!(
                            "collect step {name:?}: attempts is {}, must be 1-9",
                            n.get_ref()
                        ),
                    );
                    DEFAULT_ATTEMPTS
                }
            },
        };
        found.done(StepKind::Collect(CollectStep {
            prompt,
            into: into.into(),
            digits,
            pattern,
            invalid: f.prompt("invalid"),
            attempts,
            next: f.step("next"),
            exhausted: f.step("exhausted"),
        }))
    }
}

/// What a collect step makes of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Valid: the value to keep.
    Valid(String),
    Invalid,
}

impl CollectStep {
    /// Whether `value` (digits without the terminator, or words) is a
    /// valid entry.
    pub fn judge(&self, value: &str) -> Entry {
        let counted = match &self.digits {
            Some(d) => {
                let n = value.chars().count();
                value
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                    && (usize::from(d.min)..=usize::from(d.max)).contains(&n)
            }
            None => !value.trim().is_empty(),
        };
        let matches = self.pattern.as_ref().is_none_or(|p| p.0.is_match(value));
        if counted && matches {
            Entry::Valid(value.to_owned())
        } else {
            Entry::Invalid
        }
    }

    /// What a simulated call at this step waits for (`callscript simulate`).
    fn waiting_for(&self) -> String {
        match &self.digits {
            Some(d) => format!(
                "collecting {{{}}}: {}-{} digits{} with /dtmf (all at once or one key at a time; a {} s pause ends it)",
                self.into,
                d.min,
                d.max,
                d.terminator
                    .map(|t| format!(", ended by {t}"))
                    .unwrap_or_default(),
                d.inter_digit.as_millis() as f64 / 1000.0
            ),
            None => format!("collecting {{{}}} from the caller's words", self.into),
        }
    }

    /// Judges the entry: a valid one is kept in the step's variable and
    /// the call goes on; an invalid one hears `invalid` and the prompt,
    /// and the last allowed leads to `exhausted`.
    fn entry_done<C: CallOps>(&self, progress: &mut Progress, call: &mut C) -> C::Next {
        let typed = std::mem::take(&mut progress.typed);
        match self.judge(&typed) {
            Entry::Valid(value) => {
                call.set_variable(&self.into, value);
                call.go(self.next)
            }
            Entry::Invalid => {
                progress.wrong = progress.wrong.saturating_add(1);
                if progress.wrong >= self.attempts {
                    return call.go(self.exhausted);
                }
                call.say_step(self.invalid);
                call.say_step(self.prompt);
                call.listen();
                call.stay()
            }
        }
    }

    /// Adds an event's keys to the entry, up to the terminator or `max`
    /// (keys after either are not part of it).
    fn key_in(&self, typed: &mut String, digits: &str) -> Keyed {
        let Some(rule) = &self.digits else {
            typed.push_str(digits);
            return Keyed::Done;
        };
        for key in digits.chars() {
            if Some(key) == rule.terminator {
                return Keyed::Done;
            }
            typed.push(key);
            if typed.chars().count() >= usize::from(rule.max) {
                return Keyed::Done;
            }
        }
        Keyed::More
    }
}

/// What the keys of one event did to the entry.
enum Keyed {
    /// The terminator, or `max` keys: the entry is whole.
    Done,
    /// More keys may follow.
    More,
}

impl StepBehaviour for CollectStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, _progress: &Progress) -> CallState {
        CallState::Collecting
    }

    fn gives(&self, name: &str) -> Gives<'_> {
        Gives::any_value_if(*self.into == *name)
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.next, self.exhausted]
    }

    fn listens(&self) -> bool {
        true
    }

    /// Only the requests understood anywhere (a person).
    fn answers(&self) -> Option<&[(IntentIx, StepIx)]> {
        Some(&[])
    }

    /// The entry's prompt is what a silent caller needs to hear.
    fn reprompt(&self, _flow: &Flow) -> PromptIx {
        self.prompt
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        match &self.digits {
            Some(d) => ListenFor {
                input: InputMode::Dtmf,
                min_digits: u32::from(d.min),
                max_digits: u32::from(d.max),
                terminators: d.terminator.map(String::from).unwrap_or_default().into(),
                inter_digit_ms: d.inter_digit.as_millis() as u32,
                hints: Arc::new([]),
            },
            None => ListenFor {
                input: InputMode::Speech,
                min_digits: 0,
                max_digits: 0,
                terminators: "".into(),
                inter_digit_ms: 0,
                hints: at.phrases(&mut at.anywhere()),
            },
        }
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        let what = match &self.digits {
            Some(d) => format!("{}-{} digits", d.min, d.max),
            None => "words".to_owned(),
        };
        let ask = at.prompt(self.prompt);
        at.node(g, format!("collect {{{}}} ({what}) {ask}", self.into));
        at.edge_to(g, self.next, Some("valid"));
        let label = format!("{} x {}", self.attempts, at.prompt(self.invalid));
        at.edge_to(g, self.exhausted, Some(&label));
        g.silence(at.flow, &at.id, self.prompt);
    }

    fn waits_for(&self, flow: &Flow, state: CallState) -> Option<WaitsFor> {
        if state != CallState::Collecting {
            return None;
        }
        Some(WaitsFor::Entry {
            what: self.waiting_for(),
            intents: flow.anywhere().iter().map(|(i, _)| *i).collect(),
        })
    }

    /// Says the step's prompt and waits for the entry.
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.asks_here();
        call.take_pending();
        call.say_step(self.prompt);
        call.listen();
        Entered::Phase(call.wait(Progress::default()))
    }

    fn on_input<C: CallOps>(
        &self,
        progress: &mut Progress,
        input: StepInput<'_>,
        call: &mut C,
    ) -> C::Next {
        match input {
            StepInput::Heard(Heard::Keys(digits)) => {
                // Several keys in one event are the front-end's whole entry.
                let whole = digits.chars().count() > 1;
                match (self.key_in(&mut progress.typed, digits), whole) {
                    (Keyed::Done, _) | (Keyed::More, true) => self.entry_done(progress, call),
                    (Keyed::More, false) => {
                        let pause = self
                            .digits
                            .as_ref()
                            .map_or(call.flow().timing().no_input, |d| d.inter_digit);
                        call.listen_for(pause);
                        call.stay()
                    }
                }
            }
            StepInput::Heard(heard @ Heard::Words(words)) => {
                progress.typed.clear();
                // Requests understood anywhere (a person) win over an entry.
                let understood = call.understand(heard);
                let anywhere = understood.as_slice().iter().find_map(|&i| call.route(i));
                if let Some(to) = anywhere {
                    return call.go(to);
                }
                progress.typed = match self.digits {
                    // A recogniser writes a spoken number as digits.
                    Some(_) => words.chars().filter(char::is_ascii_digit).collect(),
                    None => words.trim().to_owned(),
                };
                self.entry_done(progress, call)
            }
            // The pause after the last key ends the entry.
            StepInput::Silence if !progress.typed.is_empty() => self.entry_done(progress, call),
            StepInput::Silence => call.silence(&mut progress.silent, self.prompt),
            StepInput::Unclear
            | StepInput::Started
            | StepInput::Audio
            | StepInput::LookupResult { .. }
            | StepInput::RecordingResult { .. }
            | StepInput::HoldResult { .. }
            | StepInput::TransferResult { .. }
            | StepInput::TimeLimit
            | StepInput::Call => call.pass(),
        }
    }
}

#[cfg(test)]
#[path = "collect_tests.rs"]
mod tests;
