//! `menu`: say the choices and take a key (or words) for one of them. A
//! menu's keys are its own: the flow-wide `dtmf` of intents does not
//! apply at a menu, and its keys mean nothing at any other step;
//! `[anywhere]` requests still work by speech. Silence and audio trouble
//! are as at an `ask` (N5, N7-N9).

use std::{collections::BTreeMap, sync::Arc};

use schemars::JsonSchema;

use super::super::compile::{
    Checked, Findings, check_reference, steps::StepContext, steps::StepFields,
};
use super::super::{
    Flow, Heard, InputMode, IntentIx, ListenFor, PromptIx, StepIx, StepKind, raw::Sp,
};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field,
    Holds::{Answers, Count, PromptRef, StepRef},
    Listening, NodeShape, Progress, RawKind, StepBehaviour, StepInput, StepKindSpec, WaitsFor,
    Written, optional, required, schema_of,
};

/// A key's target that is no step: the menu again.
pub const REPEAT: &str = "@repeat";
/// A key's target that is no step: the menu the caller came from.
pub const BACK: &str = "@back";

/// Menus remembered for `@back`: deeper trees than this are rare, and the
/// bound keeps a call's state small however the caller wanders.
const BACK_STACK: usize = 8;

/// Invalid answers before `exhausted` when the step does not say.
const DEFAULT_ATTEMPTS: u8 = 3;

/// Say the choices and take a key or words.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "MenuStep")]
pub struct RawMenu {
    /// Say this prompt (the choices) and wait for a key or words.
    #[schemars(with = "String")]
    pub menu: Sp<String>,
    /// Key (0-9, * and #, one or more) → the step it leads to, or "@repeat"
    /// (the menu again) or "@back" (the menu the caller came from). Only
    /// these keys count here; the intents' flow-wide `dtmf` do not.
    #[schemars(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub keys: BTreeMap<Sp<String>, Sp<String>>,
    /// Intent name → the step it leads to, when the caller speaks.
    #[schemars(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub on: BTreeMap<Sp<String>, Sp<String>>,
    /// Said (before the menu again) on a key or words that match nothing.
    #[schemars(with = "Option<String>")]
    pub invalid: Option<Sp<String>>,
    /// Invalid answers before `exhausted` (1-9, default 3); silence
    /// follows the flow's silence rules (N5).
    #[schemars(with = "Option<u8>")]
    pub attempts: Option<Sp<i64>>,
    /// The step after `attempts` invalid answers.
    #[schemars(with = "Option<String>")]
    pub exhausted: Option<Sp<String>>,
    /// May caller speech or keys interrupt the menu; default true.
    pub barge_in: Option<bool>,
}

/// What a menu key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MenuKey {
    Step(StepIx),
    /// Say the menu again.
    Repeat,
    /// Back to the menu the caller came from.
    Back,
}

/// A compiled `menu` step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MenuStep {
    pub prompt: PromptIx,
    /// Its own keys, sorted.
    pub keys: Arc<[(Arc<str>, MenuKey)]>,
    /// Intents said in words, and where each leads.
    pub answers: Arc<[(IntentIx, StepIx)]>,
    pub invalid: PromptIx,
    pub attempts: u8,
    pub exhausted: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "menu",
    fields: FIELDS,
    take: |value, entries| Box::new(RawMenu::take(value, entries)),
    schema: schema_of::<RawMenu>,
};

const FIELDS: &[Field] = &[
    optional("keys", Answers),
    optional("on", Answers),
    required(
        "invalid",
        PromptRef,
        None,
        "a caller who presses a key the menu lacks is told so",
    ),
    optional("attempts", Count),
    required(
        "exhausted",
        StepRef,
        None,
        "the way out after the caller's last invalid answer",
    ),
];

impl RawMenu {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawMenu {
            menu: value,
            keys: entries.answers("keys"),
            on: entries.answers("on"),
            invalid: entries.text("invalid"),
            attempts: entries.millis("attempts"),
            exhausted: entries.text("exhausted"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawMenu {
    fn value(&self) -> &Sp<String> {
        &self.menu
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "keys" => self.keys.keys().next().map(|_| Written::Value),
            "on" => self.on.keys().next().map(|_| Written::Value),
            "invalid" => self.invalid.as_ref().map(Written::Name),
            "attempts" => self.attempts.as_ref().map(|_| Written::Value),
            "exhausted" => self.exhausted.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let prompt = found.take(cx.prompt(f.value()));
        let name = f.name().get_ref();
        if self.keys.is_empty() && self.on.is_empty() {
            found.error(
                f.span(),
                None,
                format!("menu step {name:?} has neither `keys` nor `on`: no choice leads anywhere"),
            );
        }
        let mut keys = Vec::new();
        for (key, target) in &self.keys {
            let k = key.get_ref();
            if k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                found.error(
                    key.span(),
                    None,
                    format!("menu step {name:?}: key {k:?} may hold only 0-9, * and #"),
                );
                continue;
            }
            let to = match target.get_ref().as_str() {
                REPEAT => MenuKey::Repeat,
                BACK => MenuKey::Back,
                _ => match found.take(check_reference(
                    cx.source(),
                    target,
                    &cx.names().steps,
                    "step",
                )) {
                    Some(s) => MenuKey::Step(s),
                    None => continue,
                },
            };
            keys.push((Arc::<str>::from(k.as_str()), to));
        }
        // Keys are taken as soon as they match, so a key that begins with
        // another is never reached.
        for key in self.keys.keys() {
            let k = key.get_ref();
            if let Some((shorter, _)) = self
                .keys
                .keys()
                .map(|s| (s.get_ref(), ()))
                .find(|(s, _)| s.len() < k.len() && k.starts_with(s.as_str()))
            {
                found.error(
                    key.span(),
                    None,
                    format!(
                        "menu step {name:?}: key {k:?} is unreachable: {shorter:?} is taken as soon as it is pressed"
                    ),
                );
            }
        }
        let answers = self
            .on
            .iter()
            .filter_map(|(intent, target)| {
                let i = found.take(check_reference(
                    cx.source(),
                    intent,
                    &cx.names().intents,
                    "intent",
                ));
                let t = found.take(check_reference(
                    cx.source(),
                    target,
                    &cx.names().steps,
                    "step",
                ));
                Some((i?, t?))
            })
            .collect();
        let attempts = match &self.attempts {
            None => DEFAULT_ATTEMPTS,
            Some(n) => match u8::try_from(*n.get_ref()) {
                Ok(n @ 1..=9) => n,
                Ok(_) | Err(_) => {
                    found.error(
                        n.span(),
                        None,
                        format!(
                            "menu step {name:?}: attempts is {}, must be 1-9",
                            n.get_ref()
                        ),
                    );
                    DEFAULT_ATTEMPTS
                }
            },
        };
        found.done(StepKind::Menu(MenuStep {
            prompt,
            keys: keys.into(),
            answers,
            invalid: f.prompt("invalid"),
            attempts,
            exhausted: f.step("exhausted"),
        }))
    }
}

impl MenuStep {
    /// What `digits` do here: a key, the start of a longer key (wait for
    /// more), or nothing.
    pub fn key(&self, digits: &str) -> KeyPress {
        if let Some((_, k)) = self.keys.iter().find(|(key, _)| **key == *digits) {
            return KeyPress::Key(*k);
        }
        if self.keys.iter().any(|(key, _)| key.starts_with(digits)) {
            KeyPress::Partial
        } else {
            KeyPress::Invalid
        }
    }

    /// The longest key: how many digits the front-end collects at most.
    pub fn max_digits(&self) -> usize {
        self.keys.iter().map(|(k, _)| k.len()).max().unwrap_or(1)
    }

    /// A key of the menu's: on to its step, the menu again, or back.
    fn on_key<C: CallOps>(&self, key: MenuKey, call: &mut C) -> C::Next {
        match key {
            MenuKey::Step(to) => call.go(to),
            MenuKey::Repeat => {
                call.say_step(self.prompt);
                call.listen();
                call.stay()
            }
            MenuKey::Back => {
                // The top is this menu; the one below is where the caller
                // came from. At the first menu, `@back` says it again.
                let here = call.here();
                let trail = call.trail();
                let came_from = match trail.as_slice() {
                    [.., from, top] if *top == here => Some(*from),
                    _ => None,
                };
                match came_from {
                    Some(from) => {
                        trail.pop();
                        call.go(from)
                    }
                    None => self.on_key(MenuKey::Repeat, call),
                }
            }
        }
    }

    /// A key or words the menu does not have: `invalid` and the menu
    /// again, and after `attempts` of them, `exhausted`.
    fn invalid<C: CallOps>(&self, progress: &mut Progress, call: &mut C) -> C::Next {
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

impl StepBehaviour for MenuStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    fn state(&self, _progress: &Progress) -> CallState {
        CallState::InMenu
    }

    fn successors(&self) -> Vec<StepIx> {
        self.keys
            .iter()
            .filter_map(|(_, k)| match k {
                MenuKey::Step(s) => Some(*s),
                MenuKey::Repeat | MenuKey::Back => None,
            })
            .chain(self.answers.iter().map(|(_, s)| *s))
            .chain([self.exhausted])
            .collect()
    }

    fn listens(&self) -> bool {
        true
    }

    fn answers(&self) -> Option<&[(IntentIx, StepIx)]> {
        Some(&self.answers)
    }

    /// The choices are what a silent caller needs to hear.
    fn reprompt(&self, _flow: &Flow) -> PromptIx {
        self.prompt
    }

    fn listen_for(&self, at: &Listening<'_>) -> ListenFor {
        let mut intents = self.answers.iter().map(|(i, _)| *i).chain(at.anywhere());
        ListenFor {
            input: InputMode::DtmfAndSpeech,
            min_digits: 1,
            max_digits: self.max_digits() as u32,
            terminators: "".into(),
            inter_digit_ms: 0,
            hints: at.phrases(&mut intents),
        }
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("menu {}", at.prompt(self.prompt)));
        // Each key on its edge; `@repeat` loops, `@back` goes to
        // whichever menu came before, so it has no fixed edge.
        for (key, to) in self.keys.iter() {
            match to {
                MenuKey::Step(to) => at.edge_to(g, *to, Some(&format!("key {key}"))),
                MenuKey::Repeat => g.edge(&at.id, &at.id, Some(&format!("key {key}, again")), true),
                MenuKey::Back => {
                    let back = format!("{}_back", at.id);
                    g.node(
                        back.clone(),
                        vec!["the menu before".into()],
                        NodeShape::Marker,
                    );
                    g.edge(&at.id, &back, Some(&format!("key {key}, back")), true);
                }
            }
        }
        for (intent, to) in self.answers.iter() {
            at.edge_to(g, *to, Some(&at.flow.intent(*intent).name));
        }
        let label = format!("{} x {}", self.attempts, at.prompt(self.invalid));
        at.edge_to(g, self.exhausted, Some(&label));
        g.silence(at.flow, &at.id, self.prompt);
    }

    /// Its keys, then words as its intents and the `[anywhere]` requests
    /// (no flow-wide keys).
    fn waits_for(&self, flow: &Flow, state: CallState) -> Option<WaitsFor> {
        if state != CallState::InMenu {
            return None;
        }
        let keys: Vec<&str> = self.keys.iter().map(|(k, _)| &**k).collect();
        Some(WaitsFor::Entry {
            what: format!(
                "a menu: a key ({}) with /dtmf, or words; {} invalid answers lead on",
                keys.join(" "),
                self.attempts
            ),
            intents: self
                .answers
                .iter()
                .chain(flow.anywhere())
                .map(|(i, _)| *i)
                .collect(),
        })
    }

    /// Says the menu and waits in it; the menu becomes the one `@back`
    /// returns to from the menus after it. Requests said before it that
    /// it routes are followed at once.
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        call.asks_here();
        let here = call.here();
        let trail = call.trail();
        match trail.iter().position(|s| *s == here) {
            Some(at) => trail.truncate(at + 1),
            None => {
                if trail.len() == BACK_STACK {
                    trail.remove(0);
                }
                trail.push(here);
            }
        }
        let pending = call.take_pending();
        if let Some(to) = call.follow(pending.as_slice()) {
            return Entered::Next(to);
        }
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
                progress.typed.push_str(digits);
                match self.key(&progress.typed) {
                    KeyPress::Key(key) => {
                        progress.typed.clear();
                        self.on_key(key, call)
                    }
                    KeyPress::Partial => {
                        call.listen();
                        call.stay()
                    }
                    KeyPress::Invalid => {
                        progress.typed.clear();
                        self.invalid(progress, call)
                    }
                }
            }
            StepInput::Heard(heard @ Heard::Words(_)) => {
                progress.typed.clear();
                let understood = call.understand(heard);
                match call.follow(understood.as_slice()) {
                    Some(to) => call.go(to),
                    None => self.invalid(progress, call),
                }
            }
            // The caller stopped keying before a whole key.
            StepInput::Silence if !progress.typed.is_empty() => {
                progress.typed.clear();
                self.invalid(progress, call)
            }
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

/// Digits pressed at a menu, as the menu reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPress {
    Key(MenuKey),
    /// The beginning of a longer key.
    Partial,
    Invalid,
}

#[cfg(test)]
#[path = "menu_tests.rs"]
mod tests;
