//! The flow file exactly as written: a strict serde model of the TOML.
//!
//! Nothing here is validated beyond shape; `compile` turns it into a `Flow`
//! and reports every problem with its position. Fields are `Spanned` where a
//! later check may need to point at them.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

pub type Sp<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlow {
    pub id: Sp<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub kind: Option<Sp<String>>,
    pub locales: Sp<Vec<Sp<String>>>,
    #[serde(default)]
    pub time_zone: Option<Sp<String>>,
    pub start: Sp<String>,
    #[serde(default)]
    pub variables: BTreeMap<Sp<String>, Sp<RawVariable>>,
    #[serde(default)]
    pub timing: RawTiming,
    #[serde(default)]
    pub greeting: RawGreeting,
    #[serde(default)]
    pub prompts: Option<Sp<BTreeMap<Sp<String>, Sp<BTreeMap<Sp<String>, Sp<String>>>>>>,
    #[serde(default)]
    pub intents: Option<Sp<BTreeMap<Sp<String>, Sp<BTreeMap<Sp<String>, Sp<Vec<Sp<String>>>>>>>>,
    #[serde(default)]
    pub anywhere: BTreeMap<Sp<String>, Sp<String>>,
    pub steps: Sp<BTreeMap<Sp<String>, Sp<RawStep>>>,
}

/// A variable is one value for every locale, or one per locale.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawVariable {
    Same(String),
    PerLocale(BTreeMap<String, String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTiming {
    pub no_input_ms: Option<Sp<i64>>,
    pub silence_prompts: Option<Sp<i64>>,
    pub unclear_attempts: Option<Sp<i64>>,
    pub consent_wait_ms: Option<Sp<i64>>,
    pub caller_hangup_wait_ms: Option<Sp<i64>>,
    pub low_confidence: Option<Sp<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGreeting {
    pub morning_until: Option<Sp<String>>,
    pub afternoon_until: Option<Sp<String>>,
    pub holidays: Option<bool>,
    #[serde(default)]
    pub special_days: Vec<Sp<RawSpecialDay>>,
}

/// A company's own day (an anniversary, a closure notice) with its opening.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpecialDay {
    pub name: Option<String>,
    pub from: Sp<String>,
    pub to: Option<Sp<String>>,
    pub prompt: Sp<String>,
}

/// One step. Exactly one of the kind keys (`ask`, `say`, `transfer`, `hold`,
/// `close`, `hangup`) must be present; `compile` checks which of the other
/// keys fit that kind. A flat struct gives better positioned errors than a
/// serde tagged enum, whose buffering loses spans.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    pub ask: Option<Sp<String>>,
    pub say: Option<Sp<String>>,
    pub transfer: Option<Sp<String>>,
    pub hold: Option<Sp<String>>,
    pub close: Option<Sp<String>>,
    pub hangup: Option<Sp<String>>,

    pub reprompt: Option<Sp<String>>,
    #[serde(default)]
    pub on: BTreeMap<Sp<String>, Sp<String>>,
    pub otherwise: Option<Sp<String>>,
    pub next: Option<Sp<String>>,
    pub consent: Option<Sp<String>>,
    pub reason: Option<Sp<String>>,
    pub declined: Option<Sp<String>>,
    pub failed: Option<Sp<String>>,
    pub fallback: Option<Sp<String>>,
    pub thanks: Option<Sp<String>>,
    pub resume: Option<Sp<String>>,
    pub hold_ms: Option<Sp<i64>>,
    pub goodbye: Option<Sp<String>>,
    pub more: Option<Sp<String>>,
    pub barge_in: Option<bool>,
}
