//! The flow file exactly as written: a strict serde model of the TOML.
//!
//! Nothing here is validated beyond shape; `compile` turns it into a `Flow`
//! and reports every problem with its position. Fields are `Spanned` where a
//! later check may need to point at them.
//!
//! The same types generate the JSON Schema that editors use to complete and
//! validate flow files (`callscript schema`, shipped as
//! `flows/flow.schema.json`), so doc comments here are what a script designer
//! sees on hover. `Spanned<T>` is described as plain `T`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

pub use super::steps::RawStep;

pub type Sp<T> = Spanned<T>;
/// A table of named entries, with the positions of names and values.
pub type Table<T> = Sp<BTreeMap<Sp<String>, Sp<T>>>;
/// One intent: phrases per locale, and `dtmf` keys.
pub type RawPhrases = BTreeMap<Sp<String>, Sp<Vec<Sp<String>>>>;

/// A phone script: settings, the prompts a caller can hear, the words that
/// count as answers, and the steps of the script.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "callscript flow file")]
pub struct RawFlow {
    /// The flow's id, used by StartCall and ListFlows: letters, digits, '-' and '_'.
    #[schemars(with = "String", regex(pattern = r"^[A-Za-z0-9_-]+$"))]
    pub id: Sp<String>,
    /// A human-readable name for operators.
    #[serde(default)]
    pub title: Option<String>,
    /// "inbound" (the centre answers; the calendar chooses the opening, N2-N4)
    /// or "outbound" (the centre calls the customer, N3b). Default "inbound".
    #[serde(default)]
    #[schemars(with = "Option<FlowKindName>")]
    pub kind: Option<Sp<String>>,
    /// The locales every prompt must have a text for, e.g. ["zh-CN", "zh-TW", "en"].
    /// A call picks one; the first is the default.
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub locales: Sp<Vec<Sp<String>>>,
    /// IANA time zone for the time of day and holidays, e.g. "Asia/Shanghai" (the default).
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub time_zone: Option<Sp<String>>,
    /// The step a call starts at.
    #[schemars(with = "String")]
    pub start: Sp<String>,
    /// Values for `{name}` placeholders in prompt texts: one string for every
    /// locale, or a table with one per locale.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawVariable>")]
    pub variables: BTreeMap<Sp<String>, Sp<RawVariable>>,
    /// Variables every call must bring in StartCall's `variables` (e.g.
    /// "customer" for an outbound call): prompts may say them with no
    /// default, and StartCall without one is refused, naming it.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub required_variables: Vec<Sp<String>>,
    /// Variables that hold personal data (e.g. ["phone", "id_card"]): a
    /// reader without the `pii` role sees their values as "***" in GetCall
    /// and the records file, wherever they appear (prompts that say them,
    /// data events, lookup params and results). Names are not checked:
    /// variables also arrive at run time.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub pii: Vec<Sp<String>>,
    /// Timeouts and retry counts; the defaults are the norms'.
    #[serde(default)]
    pub timing: RawTiming,
    /// How the opening is chosen by time of day and holiday (N2-N4).
    #[serde(default)]
    pub greeting: RawGreeting,
    /// Opening hours: `mon-fri = "08:00-20:00"`, `sat = "09:00-17:00"`, …
    /// (mon, tue, wed, thu, fri, sat, sun, or a range such as "mon-fri";
    /// a day not listed is closed; "closed" says so), `days_off`, the hours
    /// on an official day off (flows/holidays.toml; closed when not given,
    /// even on a weekday), and `after_hours`, the step a call starts at when
    /// the centre is closed. A make-up working day (调休上班) is open with
    /// Monday's hours even on a weekend.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, String>>")]
    pub hours: Option<Sp<BTreeMap<Sp<String>, Sp<String>>>>,
    /// Extra words for the segmenter, and the front-end's own understanding.
    #[serde(default)]
    pub understanding: RawUnderstanding,
    /// Every prompt, by id: a text per declared locale (e.g. `zh-CN = "…"`),
    /// plus optional `audio` (a file name; `{locale}` is filled in) and `ssml`
    /// (`{text}` is filled in). Reserved ids: opening, opening_morning,
    /// opening_<holiday>, silence_reprompt, silence_goodbye,
    /// silence_goodbye_spoken (built in when absent), greeting_reply,
    /// greeting_reply_<morning|afternoon|evening>, unclear, switch_phone,
    /// pick_up_handset, speak_into_handset, mandarin, agent_number,
    /// not_understood, not_understood_again, polite_close, thanks_reply,
    /// complaint_reply, callback_reply, nuisance_reply, nuisance_goodbye,
    /// hold_wait, transfer_wait, assistant_reply.
    /// A prompt that promises a service ticket number must say `{ticket}`.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, BTreeMap<String, String>>>")]
    pub prompts: Option<Table<BTreeMap<Sp<String>, Sp<String>>>>,
    /// What callers say, by intent name: phrases per declared locale (a
    /// phrase counts when it stands as whole words in what the caller said;
    /// one containing another wins, 不可以 over 可以) and optional
    /// `dtmf` keys. Reserved names: yes, no, greeting, agent_number, agent,
    /// thanks, complaint, repeat, callback, nuisance.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>")]
    pub intents: Option<Table<RawPhrases>>,
    /// Whole sentences a caller might say, by intent name, per declared
    /// locale (`[examples.bill]` `zh-CN = ["我想知道这个月用了多少钱"]`).
    /// When no phrase is in what the caller said, the intent whose example
    /// is nearest counts, from `understanding.min_confidence` up.
    #[serde(default)]
    #[schemars(with = "Option<BTreeMap<String, BTreeMap<String, Vec<String>>>>")]
    pub examples: Option<Table<RawPhrases>>,
    /// Intents understood at every listening step, and the step each leads to.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub anywhere: BTreeMap<Sp<String>, Sp<String>>,
    /// The steps of the script, by id.
    #[schemars(with = "BTreeMap<String, RawStep>")]
    pub steps: Sp<BTreeMap<Sp<String>, Sp<RawStep>>>,
    /// Dialogues used by several steps (confirm a number, take a
    /// complaint), by name: each has its own `start` and `steps`, whose
    /// names are its own. A step `call = "NAME"` enters one, and a step
    /// inside going to `"@return:LABEL"` comes back to the calling step's
    /// `returns.LABEL`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawSubflow>")]
    pub subflows: BTreeMap<Sp<String>, Sp<RawSubflow>>,
}

/// A dialogue of its own that steps `call`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Subflow")]
pub struct RawSubflow {
    /// The step a call of the subflow starts at (one of its own).
    #[schemars(with = "String")]
    pub start: Sp<String>,
    /// Its steps, by a name of its own; `"@return:LABEL"` as a step goes
    /// back to the caller's `returns.LABEL`.
    #[schemars(with = "BTreeMap<String, RawStep>")]
    pub steps: BTreeMap<Sp<String>, Sp<RawStep>>,
}

impl RawFlow {
    /// Every step as written, the flow's own first, then each subflow's,
    /// in the order the compiled flow numbers them.
    pub fn all_steps(&self) -> impl Iterator<Item = (&Sp<String>, &Sp<RawStep>)> {
        self.steps.get_ref().iter().chain(
            self.subflows
                .values()
                .flat_map(|s| s.get_ref().steps.iter()),
        )
    }
}

/// The values of `kind`; used only to describe the field in the schema.
#[derive(JsonSchema)]
#[schemars(rename = "Kind", rename_all = "lowercase")]
#[allow(dead_code)]
enum FlowKindName {
    Inbound,
    Outbound,
}

/// A variable is one value for every locale, or one per locale.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "Variable")]
pub enum RawVariable {
    Same(String),
    PerLocale(BTreeMap<String, String>),
}

/// Counts and durations (milliseconds). Leave a key out for the norm's default.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Timing")]
pub struct RawTiming {
    /// Silence before the next silence prompt (N5: 5000).
    #[schemars(with = "Option<i64>", range(min = 1000, max = 60000))]
    pub no_input_ms: Option<Sp<i64>>,
    /// Prompts a silent caller hears before we hang up (N5: at least 3).
    #[schemars(with = "Option<i64>", range(min = 3, max = 10))]
    pub silence_prompts: Option<Sp<i64>>,
    /// Times an unclear caller is asked to speak up before being asked to use
    /// another phone (N7: 3).
    #[schemars(with = "Option<i64>", range(min = 1, max = 10))]
    pub unclear_attempts: Option<Sp<i64>>,
    /// How long we wait for consent to hang up on bad audio (N7: 5000).
    #[schemars(with = "Option<i64>", range(min = 1000, max = 60000))]
    pub consent_wait_ms: Option<Sp<i64>>,
    /// After the goodbye, how long the line is left to the caller before we
    /// hang up (N12, N15: 10000).
    #[schemars(with = "Option<i64>", range(min = 1000, max = 300000))]
    pub caller_hangup_wait_ms: Option<Sp<i64>>,
    /// Speech recognised below this confidence counts as unclear (N7: 0.5).
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    pub low_confidence: Option<Sp<f64>>,
    /// Not-understood re-asks before a person is offered (N10) or the call
    /// is closed politely (N12): 2.
    #[schemars(with = "Option<i64>", range(min = 1, max = 10))]
    pub not_understood_attempts: Option<Sp<i64>>,
    /// Requests to use Mandarin (N9) before a person is offered or the call
    /// is closed politely: 2.
    #[schemars(with = "Option<i64>", range(min = 1, max = 10))]
    pub language_attempts: Option<Sp<i64>>,
    /// Times a yes/no question is asked again after other words before it
    /// counts as declined: 3.
    #[schemars(with = "Option<i64>", range(min = 1, max = 10))]
    pub consent_attempts: Option<Sp<i64>>,
    /// Visits to one step before the call stops going round (a person is
    /// offered or the call closes politely): 5.
    #[schemars(with = "Option<i64>", range(min = 2, max = 50))]
    pub max_step_visits: Option<Sp<i64>>,
    /// Nuisance turns before the norm's goodbye and hang-up (N15): 2.
    #[schemars(with = "Option<i64>", range(min = 1, max = 10))]
    pub nuisance_turns: Option<Sp<i64>>,
    /// The longest a call may last; then it closes with a goodbye: 1800000 (30 min).
    #[schemars(with = "Option<i64>", range(min = 60000, max = 86400000))]
    pub max_call_ms: Option<Sp<i64>>,
    /// A lookup step waits this long in silence for the front-end's answer;
    /// then the caller hears the step's `wait` prompt (N11): 2000.
    #[schemars(with = "Option<i64>", range(min = 0, max = 10000))]
    pub lookup_quiet_ms: Option<Sp<i64>>,
    /// A lookup with no answer after this long takes the step's `failed`
    /// branch, with an apology: 10000.
    #[schemars(with = "Option<i64>", range(min = 1000, max = 120000))]
    pub lookup_timeout_ms: Option<Sp<i64>>,
}

/// How callers' words are understood.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Understanding")]
pub struct RawUnderstanding {
    /// Words the segmenter keeps whole, per locale (e.g. product names:
    /// `zh-CN = ["宽带套餐"]`), on top of its built-in dictionary.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Vec<String>>")]
    pub words: BTreeMap<Sp<String>, Sp<Vec<String>>>,
    /// Intents the front-end recognised itself (`Speech.intents`) win over
    /// the words when at least this confident: 0.8.
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    pub nlu_confidence: Option<Sp<f64>>,
    /// How near (cosine, 0 to 1) a line must be to an intent's example
    /// for that intent to count when no phrase is in it: 0.5. Below it,
    /// the not-understood path runs.
    #[schemars(with = "Option<f64>", range(min = 0.0, max = 1.0))]
    pub min_confidence: Option<Sp<f64>>,
    /// Whether a Chinese phrase is also found by its sound (toneless
    /// pinyin: 花费 for 话费, an ASR slip), with a lower confidence than as
    /// written: true.
    pub pinyin: Option<bool>,
}

/// How the opening is chosen (N2-N4).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Greeting")]
pub struct RawGreeting {
    /// "HH:MM" local time until which callers hear the morning opening (N2: "12:00").
    #[schemars(with = "Option<String>", regex(pattern = r"^\d{2}:\d{2}$"))]
    pub morning_until: Option<Sp<String>>,
    /// "HH:MM" local time at which the afternoon ends and the evening begins ("18:00").
    #[schemars(with = "Option<String>", regex(pattern = r"^\d{2}:\d{2}$"))]
    pub afternoon_until: Option<Sp<String>>,
    /// Holiday openings on statutory holidays (N4); default true.
    pub holidays: Option<bool>,
    /// The company's own days (an anniversary, a closure notice) with their opening.
    #[serde(default)]
    #[schemars(with = "Vec<RawSpecialDay>")]
    pub special_days: Vec<Sp<RawSpecialDay>>,
}

/// A company's own day (an anniversary, a closure notice) with its opening.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SpecialDay")]
pub struct RawSpecialDay {
    /// A name for logs and `callscript greeting`; default: the prompt id.
    pub name: Option<String>,
    /// First day, "YYYY-MM-DD".
    #[schemars(with = "String", regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub from: Sp<String>,
    /// Last day, "YYYY-MM-DD"; default: the same as `from`.
    #[schemars(with = "Option<String>", regex(pattern = r"^\d{4}-\d{2}-\d{2}$"))]
    pub to: Option<Sp<String>>,
    /// The prompt used as the opening on those days.
    #[schemars(with = "String")]
    pub prompt: Sp<String>,
}

/// The JSON Schema of the flow file format, pretty-printed with a final newline.
pub fn json_schema() -> String {
    // Draft 7: the draft every TOML language server (taplo, Even Better
    // TOML) understands.
    let settings = schemars::generate::SchemaSettings::draft07()
        .with_transform(schemars::transform::RecursiveTransform(without_null));
    let schema = settings.into_generator().into_root_schema_for::<RawFlow>();
    let mut text = serde_json::to_string_pretty(&schema).expect("a generated schema is plain JSON");
    text.push('\n');
    text
}

/// TOML has no null: an optional key is simply left out, so the schema
/// should not offer `null` as a value.
fn without_null(schema: &mut schemars::Schema) {
    use serde_json::Value;
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if obj.get("default") == Some(&Value::Null) {
        obj.remove("default");
    }
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".into(), only);
        }
    }
    let null = serde_json::json!({ "type": "null" });
    if let Some(Value::Array(any)) = obj.get_mut("anyOf") {
        any.retain(|s| *s != null);
        if any.len() == 1 {
            let only = any.remove(0);
            obj.remove("anyOf");
            if let Value::Object(inner) = only {
                obj.extend(inner);
            }
        }
    }
}
