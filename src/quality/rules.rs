//! `quality.toml`: each rule's norm, seed item, points and description, and
//! the settings the checks use.

use std::{collections::BTreeMap, fmt, sync::Arc};

use chrono::NaiveTime;
use serde::Deserialize;
use toml::Spanned;

use crate::norms::Wording;

/// The shipped rules, used when a flows directory has no `quality.toml`.
const SHIPPED: &str = include_str!("../../flows/quality.toml");

macro_rules! rule_ids {
    ($($variant:ident = $key:literal,)*) => {
        /// Every check the scorer runs; `quality.toml` names each by its key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum RuleId { $($variant,)* }

        impl RuleId {
            pub const ALL: &[RuleId] = &[$(RuleId::$variant,)*];

            pub fn key(self) -> &'static str {
                match self { $(RuleId::$variant => $key,)* }
            }

            pub fn from_key(key: &str) -> Option<RuleId> {
                match key { $($key => Some(RuleId::$variant),)* _ => None }
            }
        }
    };
}

rule_ids! {
    OpeningMissing = "opening_missing",
    OpeningWrongTime = "opening_wrong_time",
    SilentCall = "silent_call",
    AgentNumberRefused = "agent_number_refused",
    AgentNumberWrong = "agent_number_wrong",
    AgentHungUpFirst = "agent_hung_up_first",
    LineLeftOpen = "line_left_open",
    ForbiddenWording = "forbidden_wording",
    NegativeEnding = "negative_ending",
    TransferNotAsked = "transfer_not_asked",
    TransferNoReason = "transfer_no_reason",
    HoldNotAsked = "hold_not_asked",
    ResumeWithoutApology = "resume_without_apology",
    ComplaintNoApology = "complaint_no_apology",
    CallbackWithoutTime = "callback_without_time",
    NoTicketReminder = "no_ticket_reminder",
    NoGoodbye = "no_goodbye",
    ImperativeTone = "imperative_tone",
    BrushOff = "brush_off",
    RepeatedImpatience = "repeated_impatience",
    Interrupting = "interrupting",
    NuisanceHungUp = "nuisance_hung_up",
    NuisanceLeftOpen = "nuisance_left_open",
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One rule as the file gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: RuleId,
    /// "N13".
    pub norm: Arc<str>,
    /// The scoring regulations' item number: every rule but a centre extra
    /// has one.
    pub item: Option<u32>,
    pub points: u32,
    /// A rule of this centre's own, not the regulations' table: reports
    /// mark its deductions so a QA lead can tell them apart.
    pub centre: bool,
    /// Whether the rule deducts at all; the shipped centre extras are off.
    pub on: bool,
    pub description: String,
}

/// When the regulations double an item's deduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doubling {
    Never,
    /// 造成客户不满或引起投诉的加倍扣罚: the caller complained in the call.
    Complaint,
    /// 情况严重加倍扣罚: the item was found `serious_repeats` times or more.
    Serious,
}

/// One item of the regulations' deduction table (考核条例 items 1-17).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub number: u32,
    pub title: String,
    pub points: u32,
    pub doubling: Doubling,
}

/// The numbers the checks use (`[settings]`).
#[derive(Debug, Clone, PartialEq)]
pub struct QualitySettings {
    pub opening_within_s: f64,
    pub morning_until: NaiveTime,
    pub silence_prompts: usize,
    pub silence_gap_s: f64,
    pub caller_wait_s: f64,
    pub line_open_limit_s: f64,
    /// Item 9: after the norm's answer to a nuisance caller, the longest
    /// the agent may keep the line open.
    pub nuisance_close_s: f64,
    /// Item 1: an agent line starting this soon after the caller's is an
    /// interruption; 0 switches the check off (a transcript's `t` is when a
    /// line starts, so a quick answer and an interruption look alike).
    pub interrupt_s: f64,
    /// 情况严重: how many findings of one item make it serious (doubled).
    pub serious_repeats: usize,
}

/// A whole rules file, checked.
#[derive(Debug, Clone)]
pub struct Rules {
    pub settings: QualitySettings,
    /// In [`RuleId::ALL`] order.
    rules: Vec<Rule>,
    /// The regulations' table, by item number.
    items: BTreeMap<u32, Item>,
    /// The norms' forbidden phrases and the file's own after them.
    wording: Wording,
}

/// What is wrong with a rules file, with the line and column (1-based,
/// columns in characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RulesError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    settings: Spanned<RawSettings>,
    items: BTreeMap<String, Spanned<RawItem>>,
    rules: BTreeMap<String, Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    title: String,
    points: Spanned<i64>,
    #[serde(default)]
    doubled: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    opening_within_s: Spanned<f64>,
    morning_until: Spanned<String>,
    silence_prompts: Spanned<i64>,
    silence_gap_s: Spanned<f64>,
    caller_wait_s: Spanned<f64>,
    line_open_limit_s: Spanned<f64>,
    nuisance_close_ms: Spanned<i64>,
    #[serde(default)]
    interrupt_ms: Option<Spanned<i64>>,
    serious_repeats: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    norm: Spanned<String>,
    #[serde(default)]
    item: Option<Spanned<i64>>,
    points: Spanned<i64>,
    #[serde(default)]
    centre: bool,
    #[serde(default)]
    on: Option<bool>,
    description: String,
    #[serde(default)]
    phrases: Option<Spanned<Vec<String>>>,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::from_toml("flows/quality.toml", SHIPPED).expect("the shipped quality.toml is valid")
    }
}

impl Rules {
    /// Parses and checks a rules file; every problem found, in file order.
    pub fn from_toml(file: &str, text: &str) -> Result<Rules, Vec<RulesError>> {
        let at = |span: std::ops::Range<usize>, message: String| {
            let (line, column) = line_col(text, span.start);
            RulesError {
                file: file.to_owned(),
                line,
                column,
                message,
            }
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_owned();
            vec![at(e.span().unwrap_or(0..0), msg)]
        })?;
        let mut errors = Vec::new();
        let s = raw.settings.get_ref();
        let seconds = |v: &Spanned<f64>, name: &str, errors: &mut Vec<RulesError>| {
            let x = *v.get_ref();
            if !(x.is_finite() && x > 0.0 && x <= 3600.0) {
                errors.push(at(
                    v.span(),
                    format!("settings.{name} must be seconds between 0 and 3600, got {x}"),
                ));
            }
            x
        };
        let opening_within_s = seconds(&s.opening_within_s, "opening_within_s", &mut errors);
        let silence_gap_s = seconds(&s.silence_gap_s, "silence_gap_s", &mut errors);
        let caller_wait_s = seconds(&s.caller_wait_s, "caller_wait_s", &mut errors);
        let line_open_limit_s = seconds(&s.line_open_limit_s, "line_open_limit_s", &mut errors);
        if line_open_limit_s < caller_wait_s {
            errors.push(at(
                s.line_open_limit_s.span(),
                format!("settings.line_open_limit_s ({line_open_limit_s}) must not be shorter than caller_wait_s ({caller_wait_s})"),
            ));
        }
        let morning_until = NaiveTime::parse_from_str(s.morning_until.get_ref(), "%H:%M")
            .unwrap_or_else(|_| {
                errors.push(at(
                    s.morning_until.span(),
                    format!(
                        "settings.morning_until = {:?}: expected a local time such as \"12:00\"",
                        s.morning_until.get_ref()
                    ),
                ));
                NaiveTime::MIN
            });
        let ms = |v: &Spanned<i64>, name: &str, errors: &mut Vec<RulesError>| {
            let x = *v.get_ref();
            if !(0..=3_600_000).contains(&x) {
                errors.push(at(
                    v.span(),
                    format!("settings.{name} must be milliseconds between 0 and 3600000, got {x}"),
                ));
            }
            x.clamp(0, 3_600_000) as f64 / 1000.0
        };
        let nuisance_close_s = ms(&s.nuisance_close_ms, "nuisance_close_ms", &mut errors);
        let interrupt_s = s
            .interrupt_ms
            .as_ref()
            .map_or(0.0, |v| ms(v, "interrupt_ms", &mut errors));
        let serious_repeats = *s.serious_repeats.get_ref();
        if !(2..=10).contains(&serious_repeats) {
            errors.push(at(
                s.serious_repeats.span(),
                format!("settings.serious_repeats must be 2 to 10, got {serious_repeats}"),
            ));
        }
        let items = read_items(&raw.items, &at, &mut errors);
        let prompts = *s.silence_prompts.get_ref();
        if !(1..=10).contains(&prompts) {
            errors.push(at(
                s.silence_prompts.span(),
                format!("settings.silence_prompts must be 1 to 10, got {prompts}"),
            ));
        }

        let mut rules = Vec::with_capacity(RuleId::ALL.len());
        let mut added = Vec::new();
        let mut added_span = 0..0;
        for (key, raw_rule) in &raw.rules {
            let span = raw_rule.span();
            let r = raw_rule.get_ref();
            let Some(id) = RuleId::from_key(key) else {
                errors.push(at(
                    span,
                    format!(
                        "unknown rule `{key}`; the checks are: {}",
                        RuleId::ALL
                            .iter()
                            .map(|r| r.key())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                continue;
            };
            let norm = r.norm.get_ref();
            if !is_norm(norm) {
                errors.push(at(
                    r.norm.span(),
                    format!("rules.{key}.norm = {norm:?}: expected a norm id such as \"N13\""),
                ));
            }
            let points = *r.points.get_ref();
            if !(0..=100).contains(&points) {
                errors.push(at(
                    r.points.span(),
                    format!("rules.{key}.points must be 0 to 100, got {points}"),
                ));
            }
            let item = match &r.item {
                Some(i) if !(1..=99).contains(i.get_ref()) => {
                    errors.push(at(
                        i.span(),
                        format!(
                            "rules.{key}.item must be the regulations' item number (1-99), got {}",
                            i.get_ref()
                        ),
                    ));
                    None
                }
                Some(i) => Some(*i.get_ref() as u32),
                None => None,
            };
            match (r.centre, item) {
                (true, Some(_)) => errors.push(at(
                    span.clone(),
                    format!("rules.{key}: a centre extra has no item; the table's items are not the centre's"),
                )),
                (false, None) => errors.push(at(
                    span.clone(),
                    format!("rules.{key}: give the table's item it scores, or mark it `centre = true`"),
                )),
                (false, Some(i)) if !items.contains_key(&i) => errors.push(at(
                    span.clone(),
                    format!("rules.{key}.item = {i}: no such item in [items]"),
                )),
                (true, None) | (false, Some(_)) => {}
            }
            match (&r.phrases, id) {
                (Some(p), RuleId::ForbiddenWording) => {
                    added = p.get_ref().clone();
                    added_span = p.span();
                }
                (Some(p), _) => errors.push(at(
                    p.span(),
                    format!("rules.{key}: only forbidden_wording takes phrases"),
                )),
                (None, _) => {}
            }
            rules.push(Rule {
                id,
                norm: Arc::from(norm.as_str()),
                item,
                points: points.clamp(0, 100) as u32,
                centre: r.centre,
                on: r.on.unwrap_or(true),
                description: r.description.clone(),
            });
        }
        for id in RuleId::ALL {
            if !rules.iter().any(|r| r.id == *id) {
                errors.push(at(
                    raw.settings.span(),
                    format!("rule `{}` is missing: list every rule ([rules.{}]); points = 0 switches one off", id.key(), id.key()),
                ));
            }
        }
        // The file adds to the norms' own phrases (crate::norms); it cannot
        // take one away, so `check` and the scorer never disagree on them.
        let wording = Wording::with_added(added).unwrap_or_else(|bad| {
            errors.extend(bad.iter().map(|e| {
                at(
                    added_span.clone(),
                    format!("rules.forbidden_wording.phrases: {e}"),
                )
            }));
            Wording::built_in().clone()
        });
        if !errors.is_empty() {
            errors.sort_by_key(|e| (e.line, e.column));
            return Err(errors);
        }
        rules.sort_by_key(|r| r.id);
        Ok(Rules {
            wording,
            settings: QualitySettings {
                opening_within_s,
                morning_until,
                silence_prompts: prompts as usize,
                silence_gap_s,
                caller_wait_s,
                line_open_limit_s,
                nuisance_close_s,
                interrupt_s,
                serious_repeats: serious_repeats.clamp(2, 10) as usize,
            },
            rules,
            items,
        })
    }

    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[id as usize]
    }

    /// Every rule, in check order.
    pub fn all(&self) -> &[Rule] {
        &self.rules
    }

    /// An item of the regulations' table.
    pub fn item(&self, number: u32) -> Option<&Item> {
        self.items.get(&number)
    }

    /// The regulations' table, by item number.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.values()
    }

    /// The forbidden phrases: the norms' own, then the file's.
    pub fn wording(&self) -> &Wording {
        &self.wording
    }
}

/// `[items.N]`: the regulations' table, each item's points and when it
/// doubles.
fn read_items(
    raw: &BTreeMap<String, Spanned<RawItem>>,
    at: &dyn Fn(std::ops::Range<usize>, String) -> RulesError,
    errors: &mut Vec<RulesError>,
) -> BTreeMap<u32, Item> {
    let mut items = BTreeMap::new();
    for (key, raw_item) in raw {
        let r = raw_item.get_ref();
        let Some(number) = key.parse::<u32>().ok().filter(|n| (1..=99).contains(n)) else {
            errors.push(at(
                raw_item.span(),
                format!("items.{key}: an item is the regulations' number, 1-99"),
            ));
            continue;
        };
        let points = *r.points.get_ref();
        if !(0..=100).contains(&points) {
            errors.push(at(
                r.points.span(),
                format!("items.{key}.points must be 0 to 100, got {points}"),
            ));
        }
        let doubling = match r.doubled.as_ref().map(|d| d.get_ref().as_str()) {
            None | Some("never") => Doubling::Never,
            Some("complaint") => Doubling::Complaint,
            Some("serious") => Doubling::Serious,
            Some(other) => {
                errors.push(at(
                    r.doubled.as_ref().map_or(0..0, |d| d.span()),
                    format!("items.{key}.doubled = {other:?}: expected \"never\", \"complaint\" or \"serious\""),
                ));
                Doubling::Never
            }
        };
        items.insert(
            number,
            Item {
                number,
                title: r.title.clone(),
                points: points.clamp(0, 100) as u32,
                doubling,
            },
        );
    }
    items
}

fn is_norm(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('N') else {
        return false;
    };
    let digits = rest.trim_end_matches(|c: char| c.is_ascii_lowercase());
    !digits.is_empty() && digits.len() <= 2 && digits.chars().all(|c| c.is_ascii_digit())
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line as u32, col as u32)
}

/// A rules file problem as `callscript check` and the flow registry report
/// it.
pub fn rules_diagnostic(e: &RulesError) -> crate::flow::Diagnostic {
    crate::flow::Diagnostic {
        severity: crate::flow::Severity::Error,
        file: e.file.clone(),
        line: e.line,
        column: e.column,
        norm: Some("N18"),
        message: e.message.clone(),
    }
}

/// The rules in `dir/quality.toml`, or the shipped ones when the directory
/// has none.
pub fn load_rules(dir: &std::path::Path) -> Result<Rules, Vec<RulesError>> {
    let path = dir.join(super::QUALITY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Rules::from_toml(&path.display().to_string(), &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Rules::default()),
        Err(e) => Err(vec![RulesError {
            file: path.display().to_string(),
            line: 1,
            column: 1,
            message: format!("cannot read: {e}"),
        }]),
    }
}
