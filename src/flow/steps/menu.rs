//! `menu`: say the choices and take a key (or words) for one of them. A
//! menu's keys are its own: the flow-wide `dtmf` of intents does not
//! apply at a menu, and its keys mean nothing at any other step.

use std::{collections::BTreeMap, sync::Arc};

use schemars::JsonSchema;

use super::super::compile::{
    Checked, Findings, check_reference, steps::StepContext, steps::StepFields,
};
use super::super::{IntentIx, PromptIx, StepIx, StepKind, raw::Sp};
use super::{
    Entries, Field,
    Holds::{Answers, Count, PromptRef, StepRef},
    RawKind, StepKindSpec, Written, optional, required, schema_of,
};

/// A key's target that is no step: the menu again.
pub const REPEAT: &str = "@repeat";
/// A key's target that is no step: the menu the caller came from.
pub const BACK: &str = "@back";

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
    /// The steps it leads to by itself (`StepKind::successors`).
    pub(super) fn successors(&self) -> Vec<StepIx> {
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

    /// What a simulated call at this menu waits for (`callscript simulate`).
    pub fn waits_for(&self) -> String {
        let keys: Vec<&str> = self.keys.iter().map(|(k, _)| &**k).collect();
        format!(
            "a menu: a key ({}) with /dtmf, or words; {} invalid answers lead on",
            keys.join(" "),
            self.attempts
        )
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
