//! Raw flow → compiled [`Flow`], reporting every problem at once.
//!
//! One [`Compiler`] collects the diagnostics; each part of a flow file has
//! its own module of checks: `prompts` (variables, prompt texts and their
//! placeholders), `settings` (timing, intents, the reserved roles),
//! `hours` (the calendar: day parts, openings, special days, opening
//! hours) and `steps` (the table of step kinds and their fields). `flow`
//! below runs them in order and assembles the [`Flow`].

use std::{collections::HashMap, ops::Range, sync::Arc, time::Duration};

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::OpeningHours;

mod hours;
mod prompts;
mod settings;
mod steps;

pub use prompts::valid_variable_name;

use super::{
    AskPrompt, CloseStep, Diagnostic, Diagnostics, Flow, FlowKind, GreetingSettings, HoldStep,
    Intent, IntentIx, LocaleIx, LookupStep, Openings, Piece, Prompt, PromptIx, Roles, Severity,
    SpecialDay, Step, StepIx, StepKind, Timing, TransferStep,
    diagnostic::LineIndex,
    matcher::{Matcher, Phrases},
    norms,
    raw::{RawFlow, RawStep, RawVariable, Sp},
};
use crate::calendar::{DayParts, Holiday};

/// The name a flow uses for the calendar's opening in an `ask` step.
pub const OPENING_REF: &str = "@opening";
const DEFAULT_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// Compiles a flow file's text. `Ok` carries the flow (its warnings inside);
/// `Err` carries every diagnostic, errors and warnings alike.
pub fn compile_source(file: &str, text: &str) -> Result<Flow, Diagnostics> {
    let (flow, diags) = check_source(file, text);
    match flow {
        Some(flow) => Ok(flow),
        None => Err(diags),
    }
}

/// Checks a flow file's text: every diagnostic, and the flow when it has no
/// errors.
pub fn check_source(file: &str, text: &str) -> (Option<Flow>, Diagnostics) {
    let mut cx = Compiler {
        file,
        index: LineIndex::new(text),
        diags: Vec::new(),
    };
    // Every bad key or value is reported, and the rest of the file is
    // still checked (`parse`).
    let (raw, problems) = super::parse::parse(text);
    for (span, message) in problems {
        cx.error(span, None, message);
    }
    let flow = raw.and_then(|raw| cx.flow(raw, text));
    cx.diags.sort_by_key(|d| (d.severity, d.line, d.column));
    let diags = Diagnostics(cx.diags);
    let flow = flow.filter(|_| !diags.has_errors()).map(|mut f| {
        f.warnings = diags.0.clone();
        f
    });
    (flow, diags)
}

pub(super) struct Compiler<'a> {
    pub(super) file: &'a str,
    pub(super) index: LineIndex<'a>,
    pub(super) diags: Vec<Diagnostic>,
}

/// Names resolved before steps are compiled, so a step may refer to one
/// defined further down the file.
pub(super) struct Names {
    pub(super) prompts: HashMap<String, PromptIx>,
    pub(super) steps: HashMap<String, StepIx>,
    pub(super) intents: HashMap<String, IntentIx>,
}

impl Compiler<'_> {
    pub(super) fn report(
        &mut self,
        severity: Severity,
        span: Range<usize>,
        norm: Option<&'static str>,
        message: String,
    ) {
        let (line, column) = self.index.position(span.start);
        self.diags.push(Diagnostic {
            severity,
            file: self.file.to_owned(),
            line,
            column,
            norm,
            message,
        });
    }

    pub(super) fn error(
        &mut self,
        span: Range<usize>,
        norm: Option<&'static str>,
        message: String,
    ) {
        self.report(Severity::Error, span, norm, message);
    }

    /// The position `offset` bytes into a string value, when the file spells
    /// the value literally (no escapes, one line); otherwise the value's start.
    pub(super) fn within(&self, value: &Sp<String>, offset: usize) -> Range<usize> {
        let span = value.span();
        let written = self.index.text().get(span.clone()).unwrap_or_default();
        let inner = written
            .strip_prefix(['"', '\''])
            .and_then(|w| w.strip_suffix(['"', '\'']));
        match inner {
            Some(inner) if inner == value.get_ref() && offset <= inner.len() => {
                let at = span.start + 1 + offset;
                at..at
            }
            _ => span,
        }
    }

    pub(super) fn warn(&mut self, span: Range<usize>, norm: Option<&'static str>, message: String) {
        self.report(Severity::Warning, span, norm, message);
    }

    fn flow(&mut self, raw: RawFlow, text: &str) -> Option<Flow> {
        let id_span = raw.id.span();
        let id = raw.id.get_ref().trim().to_owned();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            self.error(
                id_span.clone(),
                None,
                format!("flow id {id:?} must be non-empty letters, digits, '-' or '_'"),
            );
        }
        let kind = match raw.kind.as_ref().map(|k| (k.get_ref().as_str(), k.span())) {
            None | Some(("inbound", _)) => FlowKind::Inbound,
            Some(("outbound", _)) => FlowKind::Outbound,
            Some((other, span)) => {
                self.error(
                    span,
                    None,
                    format!("kind must be \"inbound\" or \"outbound\", not {other:?}"),
                );
                FlowKind::Inbound
            }
        };
        let locales = self.locales(&raw);
        let zone = match &raw.time_zone {
            None => DEFAULT_ZONE,
            Some(z) => z.get_ref().parse::<Tz>().unwrap_or_else(|_| {
                self.error(
                    z.span(),
                    None,
                    format!(
                        "unknown time zone {:?} (use an IANA name such as \"Asia/Shanghai\")",
                        z.get_ref()
                    ),
                );
                DEFAULT_ZONE
            }),
        };
        let variables = self.variables(&raw, &locales);
        let run_time = self.run_time_variables(&raw);
        let (prompts, prompt_names) = self.prompts(&raw, &locales, &variables, &run_time);
        let (intents, intent_names) = self.intents(&raw, &locales);
        let (words, nlu_confidence) = self.understanding(&raw, &locales);
        let step_names: HashMap<String, StepIx> = raw
            .steps
            .get_ref()
            .keys()
            .enumerate()
            .map(|(i, k)| (k.get_ref().clone(), i as StepIx))
            .collect();
        if step_names.len() > usize::from(StepIx::MAX) {
            self.error(
                raw.steps.span(),
                None,
                "a flow has at most 65535 steps".into(),
            );
            return None;
        }
        let names = Names {
            prompts: prompt_names,
            steps: step_names,
            intents: intent_names,
        };
        let timing = self.timing(&raw);
        let greeting = self.greeting(&raw, &names, kind, &id_span);
        let hours = self.hours(&raw, &names);
        let mut roles = self.roles(&names, &id_span);
        let known_variables: std::collections::HashSet<&str> = variables
            .keys()
            .chain(run_time.keys())
            .map(String::as_str)
            .collect();
        let steps: Vec<Step> = raw
            .steps
            .get_ref()
            .iter()
            .map(|(name, step)| self.step(name, step, &names, &roles, &known_variables))
            .collect();
        let start = self.reference(&raw.start, &names.steps, "step");
        let anywhere: Vec<(IntentIx, StepIx)> = raw
            .anywhere
            .iter()
            .filter_map(|(intent, step)| {
                let i = self.reference(intent, &names.intents, "intent");
                let s = self.reference(step, &names.steps, "step");
                Some((i?, s?))
            })
            .collect();
        if prompts.len() > usize::from(PromptIx::MAX) || intents.len() > usize::from(IntentIx::MAX)
        {
            self.error(
                id_span,
                None,
                "a flow has at most 65535 prompts and intents".into(),
            );
            return None;
        }
        let start = start?;
        roles.person = roles
            .agent
            .and_then(|a| anywhere.iter().find(|(i, _)| *i == a))
            .map(|(_, s)| *s)
            .filter(|s| matches!(steps[usize::from(*s)].kind, StepKind::Transfer(_)));
        let phrases: Vec<&Phrases> = intents.iter().map(|i| &i.phrases).collect();
        let matcher = Matcher::new(&phrases, locales.len(), &words, [roles.yes, roles.no]);
        let flow = Flow {
            id: id.into(),
            title: raw.title.clone().unwrap_or_default(),
            version: version_of(text).into(),
            source_file: self.file.to_owned(),
            source: text.into(),
            kind,
            locales,
            zone,
            start,
            timing,
            greeting,
            prompts,
            intents,
            matcher,
            nlu_confidence,
            roles,
            anywhere,
            steps,
            warnings: Vec::new(),
            required: raw
                .required_variables
                .iter()
                .map(|r| Arc::from(r.get_ref().as_str()))
                .collect(),
            defaults: variables,
            hours,
        };
        // Structure and norms only make sense once every name resolved.
        if self.diags.iter().any(|d| d.severity == Severity::Error) {
            return None;
        }
        norms::check(self, &flow, &raw);
        Some(flow)
    }

    fn locales(&mut self, raw: &RawFlow) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        for l in raw.locales.get_ref() {
            let name = l.get_ref().trim();
            if name.is_empty() || name == "audio" || name == "ssml" || name == "dtmf" {
                self.error(
                    l.span(),
                    None,
                    format!("{name:?} is not a locale name (use e.g. \"zh-CN\")"),
                );
            } else if out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                self.error(l.span(), None, format!("locale {name:?} is declared twice"));
            } else {
                out.push(name.into());
            }
        }
        if raw.locales.get_ref().is_empty() {
            self.error(
                raw.locales.span(),
                None,
                "a flow declares at least one locale".into(),
            );
        }
        if out.len() > usize::from(LocaleIx::MAX) {
            self.error(raw.locales.span(), None, "too many locales".into());
            out.truncate(usize::from(LocaleIx::MAX));
        }
        out
    }

    pub(super) fn reference<T: Copy>(
        &mut self,
        name: &Sp<String>,
        table: &HashMap<String, T>,
        what: &str,
    ) -> Option<T> {
        let found = table.get(name.get_ref().as_str()).copied();
        if found.is_none() {
            let mut known: Vec<&String> = table.keys().collect();
            known.sort();
            let hint = closest(name.get_ref(), known.iter().map(|s| s.as_str()))
                .map(|c| format!(" (did you mean {c:?}?)"))
                .unwrap_or_default();
            self.error(
                name.span(),
                None,
                format!("unknown {what} {:?}{hint}", name.get_ref()),
            );
        }
        found
    }
}

pub(super) fn join(locales: &[Arc<str>]) -> String {
    locales.iter().map(|l| &**l).collect::<Vec<_>>().join(", ")
}

/// The known name closest to a misspelt one, if any is close enough to help.
pub(super) fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// FNV-1a of the text: a stable, short content version (equal text, equal
/// version, across restarts and machines).
pub fn version_of(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")[..12].to_owned()
}
