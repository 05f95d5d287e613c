//! Raw flow → compiled [`Flow`], reporting every problem at once.

use std::{collections::HashMap, ops::Range, sync::Arc, time::Duration};

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;

use super::{
    AskPrompt, CloseStep, Diagnostic, Diagnostics, Flow, FlowKind, GreetingSettings, HoldStep,
    Intent, IntentIx, LocaleIx, Openings, Prompt, PromptIx, Roles, Severity, SpecialDay, Step,
    StepIx, StepKind, Timing, TransferStep,
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
    file: &'a str,
    index: LineIndex<'a>,
    diags: Vec<Diagnostic>,
}

/// Names resolved before steps are compiled, so a step may refer to one
/// defined further down the file.
struct Names {
    prompts: HashMap<String, PromptIx>,
    steps: HashMap<String, StepIx>,
    intents: HashMap<String, IntentIx>,
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
        let (prompts, prompt_names) = self.prompts(&raw, &locales, &variables);
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
        let mut roles = self.roles(&names, &id_span);
        let steps: Vec<Step> = raw
            .steps
            .get_ref()
            .iter()
            .map(|(name, step)| self.step(name, step, &names, &roles))
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

    /// Variable values per locale index.
    fn variables(&mut self, raw: &RawFlow, locales: &[Arc<str>]) -> HashMap<String, Vec<String>> {
        let mut out = HashMap::new();
        for (name, value) in &raw.variables {
            let values = match value.get_ref() {
                RawVariable::Same(v) => vec![v.clone(); locales.len()],
                RawVariable::PerLocale(map) => {
                    for key in map.keys() {
                        if !locales.iter().any(|l| &**l == key) {
                            self.error(value.span(), None, format!("variable {:?} has a value for {key:?}, which is not in `locales`", name.get_ref()));
                        }
                    }
                    locales
                        .iter()
                        .map(|l| match map.get(&**l) {
                            Some(v) => v.clone(),
                            None => {
                                self.error(
                                    value.span(),
                                    None,
                                    format!(
                                        "variable {:?} has no value for locale {l:?}",
                                        name.get_ref()
                                    ),
                                );
                                String::new()
                            }
                        })
                        .collect()
                }
            };
            out.insert(name.get_ref().clone(), values);
        }
        out
    }

    fn prompts(
        &mut self,
        raw: &RawFlow,
        locales: &[Arc<str>],
        variables: &HashMap<String, Vec<String>>,
    ) -> (Vec<Arc<Prompt>>, HashMap<String, PromptIx>) {
        let mut prompts = Vec::new();
        let mut names = HashMap::new();
        let Some(table) = &raw.prompts else {
            return (prompts, names);
        };
        for (id, fields) in table.get_ref() {
            let id_name = id.get_ref();
            let mut texts: Vec<Option<Arc<str>>> = vec![None; locales.len()];
            let mut audio = None;
            let mut ssml = None;
            for (key, value) in fields.get_ref() {
                match key.get_ref().as_str() {
                    "audio" => audio = Some(value),
                    "ssml" => ssml = Some(value),
                    locale => match locales.iter().position(|l| &**l == locale) {
                        Some(ix) => {
                            let text = self.render(value, ix, variables);
                            if text.trim().is_empty() {
                                self.error(value.span(), None, format!("prompt {id_name:?} has empty text for {locale}"));
                            }
                            texts[ix] = Some(text.into());
                        }
                        None => self.error(
                            key.span(),
                            None,
                            format!("prompt {id_name:?}: {locale:?} is neither a declared locale ({}) nor `audio` or `ssml`", join(locales)),
                        ),
                    },
                }
            }
            let texts: Box<[Arc<str>]> = texts
                .into_iter()
                .enumerate()
                .map(|(ix, t)| {
                    t.unwrap_or_else(|| {
                        self.error(
                            id.span(),
                            None,
                            format!(
                                "prompt {id_name:?} has no text for locale {:?}",
                                locales[ix]
                            ),
                        );
                        Arc::from("")
                    })
                })
                .collect();
            // `{locale}` in a file name and `{text}` in SSML are filled per
            // locale so one line serves every language.
            let per_locale = |template: &Sp<String>, texts: &[Arc<str>]| -> Box<[Arc<str>]> {
                locales
                    .iter()
                    .zip(texts)
                    .map(|(l, t)| {
                        Arc::from(
                            template
                                .get_ref()
                                .replace("{locale}", l)
                                .replace("{text}", t),
                        )
                    })
                    .collect()
            };
            let prompt = Prompt {
                id: id_name.as_str().into(),
                audio: audio.map(|a| per_locale(a, &texts)),
                ssml: ssml.map(|s| per_locale(s, &texts)),
                texts,
            };
            names.insert(id_name.clone(), prompts.len() as PromptIx);
            prompts.push(Arc::new(prompt));
        }
        (prompts, names)
    }

    /// Fills `{variable}` placeholders; `{{` and `}}` are literal braces.
    fn render(
        &mut self,
        text: &Sp<String>,
        locale: usize,
        variables: &HashMap<String, Vec<String>>,
    ) -> String {
        let src = text.get_ref();
        let mut out = String::with_capacity(src.len());
        let mut rest = src.as_str();
        while let Some(open) = rest.find(['{', '}']) {
            // Point at the brace itself, not just the start of the string.
            let at = self.within(text, src.len() - rest.len() + open);
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if rest[open..].starts_with("{{") || rest[open..].starts_with("}}") {
                out.push_str(&rest[open..open + 1]);
                rest = &rest[open + 2..];
                continue;
            }
            match (rest.as_bytes()[open], after.find('}')) {
                (b'{', Some(close)) => {
                    let name = &after[..close];
                    match variables.get(name) {
                        Some(values) => out.push_str(&values[locale]),
                        None => {
                            let hint = match closest(name, variables.keys().map(String::as_str)) {
                                Some(near) => format!(
                                    "did you mean {{{near}}}? or declare it under [variables]"
                                ),
                                None => "declare it under [variables]".to_owned(),
                            };
                            self.error(at, None, format!("unknown variable {{{name}}} ({hint})"));
                        }
                    }
                    rest = &after[close + 1..];
                }
                _ => {
                    self.error(
                        at,
                        None,
                        "unmatched brace in prompt text (write {{ or }} for a literal brace)"
                            .into(),
                    );
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn intents(
        &mut self,
        raw: &RawFlow,
        locales: &[Arc<str>],
    ) -> (Vec<Intent>, HashMap<String, IntentIx>) {
        let mut intents = Vec::new();
        let mut names = HashMap::new();
        let Some(table) = &raw.intents else {
            return (intents, names);
        };
        for (name, fields) in table.get_ref() {
            let mut phrases = Phrases {
                per_locale: vec![Vec::new(); locales.len()],
                dtmf: Vec::new(),
            };
            for (key, list) in fields.get_ref() {
                match key.get_ref().as_str() {
                    "dtmf" => {
                        for keys in list.get_ref() {
                            let k = keys.get_ref();
                            if k.is_empty() || !k.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#') {
                                self.error(keys.span(), None, format!("dtmf entry {k:?} may hold only 0-9, * and #"));
                            }
                            phrases.dtmf.push(k.clone());
                        }
                    }
                    locale => match locales.iter().position(|l| &**l == locale) {
                        Some(ix) => {
                            for p in list.get_ref() {
                                if p.get_ref().trim().is_empty() {
                                    self.error(p.span(), None, format!("intent {:?} has an empty phrase", name.get_ref()));
                                }
                                phrases.per_locale[ix].push(p.get_ref().trim().to_lowercase());
                            }
                        }
                        None => self.error(
                            key.span(),
                            None,
                            format!("intent {:?}: {locale:?} is neither a declared locale ({}) nor `dtmf`", name.get_ref(), join(locales)),
                        ),
                    },
                }
            }
            for (ix, l) in locales.iter().enumerate() {
                if phrases.per_locale[ix].is_empty() {
                    self.warn(name.span(), None, format!("intent {:?} has no phrases for {l}: callers speaking {l} can only choose it by keys", name.get_ref()));
                }
            }
            names.insert(name.get_ref().clone(), intents.len() as IntentIx);
            intents.push(Intent {
                name: name.get_ref().as_str().into(),
                phrases,
            });
        }
        (intents, names)
    }

    fn millis(
        &mut self,
        value: &Option<Sp<i64>>,
        what: &str,
        range: Range<i64>,
        default: Duration,
    ) -> Duration {
        match value {
            None => default,
            Some(v) if range.contains(v.get_ref()) => Duration::from_millis(*v.get_ref() as u64),
            Some(v) => {
                self.error(
                    v.span(),
                    None,
                    format!(
                        "{what} = {} is not a usable timer: it must be from {} to {} ms",
                        v.get_ref(),
                        range.start,
                        range.end - 1
                    ),
                );
                default
            }
        }
    }

    fn count(
        &mut self,
        value: &Option<Sp<i64>>,
        what: &str,
        range: Range<i64>,
        default: u8,
        norm: Option<&'static str>,
    ) -> u8 {
        match value {
            None => default,
            Some(v) if range.contains(v.get_ref()) => *v.get_ref() as u8,
            Some(v) => {
                self.error(
                    v.span(),
                    norm,
                    format!(
                        "{what} = {} must be from {} to {}",
                        v.get_ref(),
                        range.start,
                        range.end - 1
                    ),
                );
                default
            }
        }
    }

    fn timing(&mut self, raw: &RawFlow) -> Timing {
        let t = &raw.timing;
        let d = Timing::default();
        let low_confidence = match &t.low_confidence {
            None => d.low_confidence,
            Some(v) if (0.0..=1.0).contains(v.get_ref()) => *v.get_ref() as f32,
            Some(v) => {
                self.error(
                    v.span(),
                    None,
                    format!("low_confidence = {} must be between 0 and 1", v.get_ref()),
                );
                d.low_confidence
            }
        };
        Timing {
            no_input: self.millis(&t.no_input_ms, "no_input_ms", 1000..60_001, d.no_input),
            // Fewer than three silence prompts breaks N5 outright.
            silence_prompts: self.count(
                &t.silence_prompts,
                "silence_prompts",
                3..11,
                d.silence_prompts,
                Some("N5"),
            ),
            unclear_attempts: self.count(
                &t.unclear_attempts,
                "unclear_attempts",
                1..11,
                d.unclear_attempts,
                None,
            ),
            consent_wait: self.millis(
                &t.consent_wait_ms,
                "consent_wait_ms",
                1000..60_001,
                d.consent_wait,
            ),
            caller_hangup_wait: self.millis(
                &t.caller_hangup_wait_ms,
                "caller_hangup_wait_ms",
                1000..300_001,
                d.caller_hangup_wait,
            ),
            low_confidence,
            not_understood_attempts: self.count(
                &t.not_understood_attempts,
                "not_understood_attempts",
                1..11,
                d.not_understood_attempts,
                None,
            ),
            language_attempts: self.count(
                &t.language_attempts,
                "language_attempts",
                1..11,
                d.language_attempts,
                Some("N9"),
            ),
            consent_attempts: self.count(
                &t.consent_attempts,
                "consent_attempts",
                1..11,
                d.consent_attempts,
                Some("N10"),
            ),
            max_step_visits: self.count(
                &t.max_step_visits,
                "max_step_visits",
                2..51,
                d.max_step_visits,
                None,
            ),
            nuisance_turns: self.count(
                &t.nuisance_turns,
                "nuisance_turns",
                1..11,
                d.nuisance_turns,
                Some("N15"),
            ),
            max_call: self.millis(
                &t.max_call_ms,
                "max_call_ms",
                60_000..86_400_001,
                d.max_call,
            ),
        }
    }

    fn greeting(
        &mut self,
        raw: &RawFlow,
        names: &Names,
        kind: FlowKind,
        id_span: &Range<usize>,
    ) -> GreetingSettings {
        let g = &raw.greeting;
        let defaults = DayParts::default();
        let mut time = |v: &Option<Sp<String>>, default: NaiveTime| match v {
            None => default,
            Some(s) => NaiveTime::parse_from_str(s.get_ref(), "%H:%M").unwrap_or_else(|_| {
                self.error(
                    s.span(),
                    None,
                    format!("{:?} is not a time of day (use \"HH:MM\")", s.get_ref()),
                );
                default
            }),
        };
        let morning = time(&g.morning_until, defaults.morning_until);
        let afternoon = time(&g.afternoon_until, defaults.afternoon_until);
        let day_parts = DayParts::new(morning, afternoon).unwrap_or_else(|_| {
            let span = g
                .morning_until
                .as_ref()
                .or(g.afternoon_until.as_ref())
                .map_or(0..0, |s| s.span());
            self.error(
                span,
                None,
                "morning_until must come before afternoon_until".into(),
            );
            defaults
        });
        let mut special_days = Vec::new();
        for day in &g.special_days {
            let d = day.get_ref();
            let mut date = |s: &Sp<String>| {
                NaiveDate::parse_from_str(s.get_ref(), "%Y-%m-%d")
                    .map_err(|_| {
                        self.error(
                            s.span(),
                            None,
                            format!("{:?} is not a date (use \"YYYY-MM-DD\")", s.get_ref()),
                        )
                    })
                    .ok()
            };
            let first = date(&d.from);
            let last = d.to.as_ref().map_or(first, &mut date);
            let prompt = self.reference(&d.prompt, &names.prompts, "prompt");
            if let (Some(first), Some(last), Some(prompt)) = (first, last, prompt) {
                if last < first {
                    self.error(day.span(), None, "special day ends before it starts".into());
                }
                special_days.push(SpecialDay {
                    name: d.name.clone().unwrap_or_else(|| d.prompt.get_ref().clone()),
                    first,
                    last,
                    prompt,
                });
            }
        }
        let holidays = g.holidays.unwrap_or(true);
        let lookup = |id: &str| names.prompts.get(id).copied();
        let openings = Openings {
            plain: lookup("opening"),
            morning: lookup("opening_morning"),
            holiday: Holiday::ALL.map(|h| lookup(&format!("opening_{}", h.key()))),
        };
        if kind == FlowKind::Inbound {
            if openings.plain.is_none() {
                self.error(
                    id_span.clone(),
                    Some("N3"),
                    "an inbound flow needs prompt \"opening\", the standard opening line".into(),
                );
            }
            if openings.morning.is_none() {
                self.warn(
                    id_span.clone(),
                    Some("N2"),
                    "no prompt \"opening_morning\": morning callers will not hear 早上好".into(),
                );
            }
            if holidays {
                for (h, p) in Holiday::ALL.iter().zip(&openings.holiday) {
                    if p.is_none() {
                        self.warn(id_span.clone(), Some("N4"), format!("no prompt \"opening_{}\": that holiday gets the normal opening (set greeting.holidays = false to mean it)", h.key()));
                    }
                }
            }
        }
        GreetingSettings {
            day_parts,
            holidays,
            special_days,
            openings,
        }
    }

    /// Resolves the reserved prompts and intents the call machine relies on.
    fn roles(&mut self, names: &Names, id_span: &Range<usize>) -> Roles {
        let p = |id: &str| names.prompts.get(id).copied();
        let i = |id: &str| names.intents.get(id).copied();
        let mut required = |id: &str, norm: &'static str, why: &str| {
            p(id).unwrap_or_else(|| {
                self.error(
                    id_span.clone(),
                    Some(norm),
                    format!("missing prompt {id:?}: {why}"),
                );
                0
            })
        };
        let roles = Roles {
            silence_reprompt: required(
                "silence_reprompt",
                "N5",
                "a silent caller hears a second prompt after 5 s",
            ),
            silence_goodbye: required(
                "silence_goodbye",
                "N5",
                "a silent caller hears a third prompt before we hang up",
            ),
            unclear: required(
                "unclear",
                "N7",
                "a caller we cannot hear clearly is asked to speak up",
            ),
            switch_phone: required(
                "switch_phone",
                "N7",
                "a caller still unclear is asked to call from another phone",
            ),
            pick_up_handset: required(
                "pick_up_handset",
                "N8",
                "a caller on speakerphone is asked whether the handset is picked up",
            ),
            speak_into_handset: required(
                "speak_into_handset",
                "N8",
                "a caller on speakerphone is asked to pick up the handset",
            ),
            mandarin: required(
                "mandarin",
                "N9",
                "a caller in another language is asked to use Mandarin",
            ),
            greeting_reply: p("greeting_reply"),
            greeting_reply_by_part: [
                p("greeting_reply_morning"),
                p("greeting_reply_afternoon"),
                p("greeting_reply_evening"),
            ],
            polite_close: required(
                "polite_close",
                "N12",
                "a call that cannot go on (not understood, another language, too long) ends with an apology and thanks",
            ),
            agent_number: p("agent_number"),
            not_understood: p("not_understood"),
            not_understood_again: p("not_understood_again"),
            thanks_reply: p("thanks_reply"),
            complaint_reply: p("complaint_reply"),
            callback_reply: p("callback_reply"),
            nuisance_reply: p("nuisance_reply"),
            nuisance_goodbye: p("nuisance_goodbye"),
            yes: i("yes"),
            no: i("no"),
            greeting: i("greeting"),
            agent_number_intent: i("agent_number"),
            agent: i("agent"),
            person: None,
            thanks: i("thanks"),
            complaint: i("complaint"),
            repeat: i("repeat"),
            callback: i("callback"),
            nuisance: i("nuisance"),
        };
        self.everyday_prompts(&roles, id_span);
        if roles.greeting.is_some() && roles.greeting_reply.is_none() {
            self.error(id_span.clone(), Some("N6"), "intent \"greeting\" needs prompt \"greeting_reply\": a caller who greets us gets a polite answer".into());
        }
        if roles.agent_number_intent.is_some() && roles.agent_number.is_none() {
            self.error(id_span.clone(), Some("N14"), "intent \"agent_number\" needs prompt \"agent_number\": a caller who asks for the agent number hears it".into());
        }
        roles
    }

    fn reference<T: Copy>(
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

    fn step(
        &mut self,
        name: &Sp<String>,
        step: &Sp<RawStep>,
        names: &Names,
        roles: &Roles,
    ) -> Step {
        let s = step.get_ref();
        let kinds: Vec<(&str, &Sp<String>)> = [
            ("ask", &s.ask),
            ("say", &s.say),
            ("transfer", &s.transfer),
            ("hold", &s.hold),
            ("close", &s.close),
            ("hangup", &s.hangup),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let id: Arc<str> = name.get_ref().as_str().into();
        let placeholder = Step {
            id: id.clone(),
            kind: StepKind::Say { prompt: 0, next: 0 },
            barge_in: false,
        };
        let (kind, value) = match kinds.as_slice() {
            [one] => *one,
            [] => {
                self.error(
                    name.span(),
                    None,
                    format!(
                        "step {:?} has none of ask, say, transfer, hold, close, hangup",
                        name.get_ref()
                    ),
                );
                return placeholder;
            }
            [_, (second, v), ..] => {
                self.error(
                    v.span(),
                    None,
                    format!(
                        "step {:?} has more than one kind (also `{second}`); split it into steps",
                        name.get_ref()
                    ),
                );
                return placeholder;
            }
        };
        self.check_fields(name, kind, s);
        let step_name = name.get_ref();
        let prompt =
            |cx: &mut Self, p: &Sp<String>| cx.reference(p, &names.prompts, "prompt").unwrap_or(0);
        let step_ref =
            |cx: &mut Self, p: &Sp<String>| cx.reference(p, &names.steps, "step").unwrap_or(0);
        let required = |cx: &mut Self,
                        v: &Option<Sp<String>>,
                        key: &str,
                        norm: Option<&'static str>,
                        why: &str|
         -> Option<Sp<String>> {
            if v.is_none() {
                cx.error(
                    step.span(),
                    norm,
                    format!("{kind} step {step_name:?} needs `{key}`: {why}"),
                );
            }
            v.clone()
        };
        let kind = match kind {
            "ask" => {
                let ask = if value.get_ref() == OPENING_REF {
                    AskPrompt::Opening
                } else {
                    AskPrompt::Prompt(prompt(self, value))
                };
                let answers =
                    s.on.iter()
                        .filter_map(|(intent, target)| {
                            let i = self.reference(intent, &names.intents, "intent");
                            let t = self.reference(target, &names.steps, "step");
                            Some((i?, t?))
                        })
                        .collect();
                let otherwise = s.otherwise.as_ref().map(|o| step_ref(self, o));
                if otherwise.is_none() && roles.not_understood.is_none() {
                    self.error(step.span(), None, format!("dead end: ask step {step_name:?} has no `otherwise` and the flow has no prompt \"not_understood\", so words that match no answer lead nowhere"));
                }
                StepKind::Ask {
                    prompt: ask,
                    reprompt: s.reprompt.as_ref().map(|r| prompt(self, r)),
                    answers,
                    otherwise,
                }
            }
            "say" => {
                let next = required(self, &s.next, "next", None, "the step to go on to");
                StepKind::Say {
                    prompt: prompt(self, value),
                    next: next.map_or(0, |n| step_ref(self, &n)),
                }
            }
            "transfer" => {
                let consent = required(
                    self,
                    &s.consent,
                    "consent",
                    Some("N10"),
                    "the caller is told why and asked before any transfer",
                );
                let reason = required(
                    self,
                    &s.reason,
                    "reason",
                    Some("N10"),
                    "the reason for the transfer",
                );
                let declined = required(
                    self,
                    &s.declined,
                    "declined",
                    Some("N10"),
                    "what we say when the caller does not agree",
                );
                let failed = required(
                    self,
                    &s.failed,
                    "failed",
                    None,
                    "the apology when the transfer fails",
                );
                let fallback = required(
                    self,
                    &s.fallback,
                    "fallback",
                    None,
                    "the step after a failed transfer",
                );
                if value.get_ref().trim().is_empty() {
                    self.error(value.span(), None, "transfer target is empty".into());
                }
                StepKind::Transfer(TransferStep {
                    target: value.get_ref().as_str().into(),
                    reason: reason.map_or_else(|| "".into(), |r| r.get_ref().as_str().into()),
                    consent: consent.map_or(0, |c| prompt(self, &c)),
                    declined: declined.map_or(0, |c| prompt(self, &c)),
                    failed: failed.map_or(0, |c| prompt(self, &c)),
                    fallback: fallback.map_or(0, |c| step_ref(self, &c)),
                })
            }
            "hold" => {
                let thanks = required(
                    self,
                    &s.thanks,
                    "thanks",
                    Some("N11"),
                    "we thank the caller for agreeing to hold",
                );
                let resume = required(
                    self,
                    &s.resume,
                    "resume",
                    Some("N11"),
                    "we apologise for the wait when resuming",
                );
                let next = required(self, &s.next, "next", None, "the step after the hold");
                let declined = required(
                    self,
                    &s.declined,
                    "declined",
                    Some("N11"),
                    "the step when the caller does not want to hold",
                );
                let duration = match &s.hold_ms {
                    None => {
                        self.error(
                            step.span(),
                            None,
                            format!("hold step {step_name:?} needs `hold_ms`"),
                        );
                        Duration::ZERO
                    }
                    Some(ms) => {
                        self.millis(&Some(ms.clone()), "hold_ms", 1000..600_001, Duration::ZERO)
                    }
                };
                StepKind::Hold(HoldStep {
                    ask: prompt(self, value),
                    thanks: thanks.map_or(0, |p| prompt(self, &p)),
                    resume: resume.map_or(0, |p| prompt(self, &p)),
                    duration,
                    next: next.map_or(0, |n| step_ref(self, &n)),
                    declined: declined.map_or(0, |n| step_ref(self, &n)),
                })
            }
            "close" => {
                let goodbye = required(
                    self,
                    &s.goodbye,
                    "goodbye",
                    Some("N12"),
                    "we thank the caller and say goodbye",
                );
                let more = required(
                    self,
                    &s.more,
                    "more",
                    Some("N12"),
                    "the step when the caller needs more help",
                );
                StepKind::Close(CloseStep {
                    ask: prompt(self, value),
                    goodbye: goodbye.map_or(0, |p| prompt(self, &p)),
                    more: more.map_or(0, |n| step_ref(self, &n)),
                })
            }
            _ => StepKind::Hangup {
                prompt: prompt(self, value),
            },
        };
        Step {
            id,
            kind,
            barge_in: s.barge_in.unwrap_or(true),
        }
    }

    /// Keys that do not belong to a step's kind are mistakes, not extras.
    fn check_fields(&mut self, name: &Sp<String>, kind: &str, s: &RawStep) {
        let allowed: &[&str] = match kind {
            "ask" => &["reprompt", "on", "otherwise"],
            "say" => &["next"],
            "transfer" => &["consent", "reason", "declined", "failed", "fallback"],
            "hold" => &["thanks", "resume", "hold_ms", "next", "declined"],
            "close" => &["goodbye", "more"],
            _ => &[],
        };
        let present: [(&str, Option<Range<usize>>); 13] = [
            ("reprompt", s.reprompt.as_ref().map(|v| v.span())),
            ("on", s.on.keys().next().map(|k| k.span())),
            ("otherwise", s.otherwise.as_ref().map(|v| v.span())),
            ("next", s.next.as_ref().map(|v| v.span())),
            ("consent", s.consent.as_ref().map(|v| v.span())),
            ("reason", s.reason.as_ref().map(|v| v.span())),
            ("declined", s.declined.as_ref().map(|v| v.span())),
            ("failed", s.failed.as_ref().map(|v| v.span())),
            ("fallback", s.fallback.as_ref().map(|v| v.span())),
            ("thanks", s.thanks.as_ref().map(|v| v.span())),
            ("resume", s.resume.as_ref().map(|v| v.span())),
            ("hold_ms", s.hold_ms.as_ref().map(|v| v.span())),
            ("goodbye", s.goodbye.as_ref().map(|v| v.span())),
        ];
        let more = [("more", s.more.as_ref().map(|v| v.span()))];
        for (key, span) in present.into_iter().chain(more) {
            if let Some(span) = span
                && !allowed.contains(&key)
            {
                self.error(
                    span,
                    None,
                    format!(
                        "`{key}` does not belong in a {kind} step ({:?})",
                        name.get_ref()
                    ),
                );
            }
        }
    }
}

fn join(locales: &[Arc<str>]) -> String {
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
