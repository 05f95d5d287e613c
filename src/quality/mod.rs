//! Quality scoring (N18): every call, the service's own and human agents'
//! alike, scored from a base of 100 with a deduction per violation found.
//!
//! The default rules are the centre's deduction table (考核条例 items
//! 1-17, docs/norms.md N18): −10 for commanding, impatient or evasive
//! wording (item 1: the norms' phrases and the patterns of
//! `tone_words.rs`), −10 for refusing or misstating the agent number (item
//! 2), −6 for hanging up before the caller (item 8, doubled when the caller
//! complained), −10 for a silent or nuisance call not answered by the norm
//! or not ended in time (item 9, doubled when repeated). Items that need
//! business context are scored from a QA reviewer's annotation lines.
//! Rules of the centre's own are marked `centre` and off unless switched
//! on. Centres sample 2–5 % of calls for this by hand; this module scores
//! all of them.
//!
//! Rules are data, checks are code: `flows/quality.toml` gives each rule its
//! norm, seed item, points and description (and any forbidden phrases a
//! centre adds); the checks that find violations live in `checks/`. What
//! wording the norms forbid is `crate::norms`, which `callscript check`
//! reads too, so the scorer never deducts for a prompt `check` passed. A deduction carries
//! the rule, the moment (`t`) and the words that prove it.
//!
//! # Layout
//!
//! - `transcript.rs`: the JSON Lines transcript format ([`Transcript`]),
//!   parsed line by line so a bad line is reported and the rest still scores.
//! - `rules.rs`: [`Rules`], the `quality.toml` file and its checks; the
//!   forbidden phrases are the norms' own and the file's additions.
//! - `words.rs`: the vocabulary the checks listen for, in Simplified and
//!   Traditional Chinese and English, and text normalisation; `tone_words.rs`
//!   item 1's patterns and item 9's nuisance words (the hotline's intent).
//! - `checks/`: one file per family of checks: the opening and silent calls
//!   (N2–N5), wording and the agent number (N13, N14), hang-ups and goodbyes
//!   (N12, N15), nuisance calls (item 9), transfers, holds and promises
//!   (N10, N11, N17), and the table's doubling.
//! - `ivr.rs`: a call the service itself handled, as a transcript (the
//!   service is the agent).
//! - `report.rs`: `callscript score` output: per-call rows and a summary as
//!   text, JSON or CSV.
//! - `calibration.rs`: `callscript score --calibrate DIR`, the scorer
//!   against a QA lead's verdicts (tests/quality/calibration/).
//!
//! Nothing here reads a clock or a file: callers pass the text, the rules and
//! the holiday calendar.

mod calibration;
mod checks;
mod ivr;
mod report;
mod rules;
mod tone_words;
mod transcript;
mod words;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use serde::Serialize;

use crate::calendar::HolidayCalendar;

pub use calibration::{AGREEMENT_FLOOR, Calibration, Disagreement, calibrate};
pub use ivr::{IvrLine, IvrWhat, audio_words, from_ivr, from_record};
pub use report::{Band, Format, RuleCount, Scored, Summary, write_report};
pub use rules::{
    Doubling, Item, QualitySettings, Rule, RuleId, Rules, RulesError, load_rules, rules_diagnostic,
};
pub use transcript::{
    CallKind, Event, HoldEdge, LineProblem, Transcript, TranscriptHeader, What, Who, json_schema,
};

/// The name of the rules file in the flows directory. The flow registry and
/// `callscript check` treat it as rules, never as a flow.
pub use crate::flow::registry::QUALITY_FILE;

/// The rules file's mistakes, as the flow registry reports them on a
/// reload (`flow::registry::RulesCheck`) and `callscript check` prints them.
pub fn check_rules_file(name: &str, text: &str) -> Vec<crate::flow::Diagnostic> {
    match Rules::from_toml(name, text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(rules_diagnostic).collect(),
    }
}

/// One violation found on a call.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deduction {
    /// The rule's id in `quality.toml`, e.g. `agent_hung_up_first`.
    pub rule: &'static str,
    /// The norm it serves, e.g. `N12`.
    pub norm: String,
    /// The scoring regulations' item number, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    /// What it costs, doubled when `doubled` says why.
    pub points: u32,
    /// A centre extra (`centre = true` in quality.toml), not the table's.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub centre: bool,
    /// Why the table doubles this deduction (a complaint, a repeated fault).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doubled: Option<String>,
    /// Seconds from the start of the call.
    pub t: f64,
    /// The words of the line that proves it (for a hold, hang-up or transfer
    /// without words, what happened, e.g. `hangup`).
    pub evidence: String,
    /// Why this line is a violation, for the QA lead.
    pub note: String,
}

impl Deduction {
    /// What the deduction scores under, as every report names it: `item 8`,
    /// `item 9 ×2`, or `centre` for a centre extra.
    pub fn label(&self) -> String {
        match (self.item, self.centre) {
            (_, true) => "centre".into(),
            (Some(i), false) if self.doubled.is_some() => format!("item {i} ×2"),
            (Some(i), false) => format!("item {i}"),
            (None, false) => "no item".into(),
        }
    }
}

/// A call's score: 100 minus the deductions, never below 0.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quality {
    /// The header's call id, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    pub score: u32,
    pub deductions: Vec<Deduction>,
    /// Lines that could not be read; the score covers the rest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<LineProblem>,
}

impl Quality {
    /// Whether some lines could not be read, so the score is partial.
    pub fn is_partial(&self) -> bool {
        !self.problems.is_empty()
    }
}

/// Scores calls against a set of rules and the holiday calendar the
/// service uses for its openings.
#[derive(Debug, Clone)]
pub struct Scorer {
    rules: Arc<Rules>,
    holidays: Arc<HolidayCalendar>,
}

impl Scorer {
    pub fn new(rules: Arc<Rules>, holidays: Arc<HolidayCalendar>) -> Scorer {
        Scorer { rules, holidays }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Scores a JSON Lines transcript; bad lines become problems.
    pub fn score_text(&self, text: &str) -> Quality {
        self.score(&Transcript::parse(text))
    }

    /// Scores a parsed transcript.
    pub fn score(&self, transcript: &Transcript) -> Quality {
        let mut deductions = checks::run(transcript, &self.rules, &self.holidays);
        deductions.sort_by(|a, b| a.t.total_cmp(&b.t));
        let lost: u32 = deductions.iter().map(|d| d.points).sum();
        let mut problems = transcript.problems.clone();
        problems.extend(transcript.events.iter().filter_map(|e| match &e.what {
            What::Annotation { item, .. } if self.rules.item(*item).is_none() => Some(LineProblem {
                line: e.line,
                message: format!("item = {item}: the deduction table (quality.toml [items]) has no such item; not scored"),
            }),
            What::Annotation { .. } | What::Say(_) | What::Hangup | What::Hold(_) | What::Transfer(_) => None,
        }));
        problems.sort_by_key(|p| p.line);
        Quality {
            call: transcript.header.as_ref().and_then(|h| h.call.clone()),
            score: 100u32.saturating_sub(lost),
            deductions,
            problems,
        }
    }
}

impl Default for Scorer {
    /// The shipped rules and a calendar of computed holiday days.
    fn default() -> Scorer {
        Scorer::new(Arc::new(Rules::default()), Arc::default())
    }
}
