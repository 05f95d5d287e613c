//! Raw flow → compiled [`Flow`], reporting every problem at once.
//!
//! [`check_flow`] is a pipeline of small `check_*` functions, one per part
//! of a flow file, each returning what it built and its own diagnostics
//! ([`Checked`]); the pipeline keeps them all, so a designer sees every
//! mistake in one run. A check that finds a mistake still returns a
//! stand-in value, so the checks after it run too.
//! The modules follow the file: `settings` (id, kind, locales, time zone,
//! intents, timing), `prompts` (variables, prompt texts and their
//! placeholders), `hours` (the calendar: day parts, openings, special days,
//! opening hours), `roles` (the reserved prompts and intents),
//! and `steps` (each step checked against its kind's table of fields;
//! the kinds themselves, one file each, are `flow::steps`). `source` holds what they
//! share: the file's positions and the "did you mean" lookup.

use std::{
    collections::{HashMap, HashSet},
    ops::Range,
    sync::Arc,
};

use super::{
    Diagnostics, Flow, IntentIx, PromptIx, StepIx, StepKind,
    matcher::{Matcher, Phrases, Slips},
    norms::check_norms,
    raw::RawFlow,
    understanding::{
        GOODBYE, SILENCE_GOODBYE_SPOKEN, builtin_goodbye, builtin_silence_goodbye_spoken,
        check_understanding, learn_examples,
    },
};

mod hours;
mod prompts;
mod roles;
pub(super) mod settings;
mod source;
pub(super) mod steps;
pub(super) mod subflows;
#[cfg(test)]
mod tests;

pub use prompts::valid_variable_name;
pub(super) use source::{Checked, Findings, Source, check_reference, closest};

use hours::{check_greeting, check_hours};
use prompts::{check_prompts, check_run_time_variables, check_variables};
use roles::check_roles;
use settings::{check_id, check_intents, check_kind, check_locales, check_time_zone, check_timing};
use steps::{Scope, check_steps};

/// The name a flow uses for the calendar's opening in an `ask` step.
pub const OPENING_REF: &str = "@opening";

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
    let source = Source::new(file, text);
    let mut found = Findings::new(&source);
    // Every bad key or value is reported, and the rest of the file is
    // still checked (`parse`).
    let (raw, problems) = super::parse::parse(text);
    for (span, message) in problems {
        found.error(span, None, message);
    }
    let flow = raw.and_then(|raw| {
        let flow = found.take(check_flow(&source, &raw))?;
        // Structure and norms only make sense once every name resolved.
        if found.has_errors() {
            return None;
        }
        found.take(check_norms(&source, &flow, &raw));
        Some(flow)
    });
    let mut diags = found.done(()).diagnostics;
    diags.sort_by_key(|d| (d.severity, d.line, d.column));
    let diags = Diagnostics(diags);
    let flow = flow.filter(|_| !diags.has_errors()).map(|mut f| {
        f.warnings = diags.0.clone();
        f
    });
    (flow, diags)
}

/// Names resolved before steps are compiled, so a step may refer to one
/// defined further down the file.
pub(super) struct Names {
    pub(super) prompts: HashMap<String, PromptIx>,
    pub(super) steps: HashMap<String, StepIx>,
    pub(super) intents: HashMap<String, IntentIx>,
}

/// Every check, in the order of the file's parts; `None` when a mistake
/// leaves nothing to assemble (the diagnostics say which).
fn check_flow(source: &Source<'_>, raw: &RawFlow) -> Checked<Option<Flow>> {
    let mut found = Findings::new(source);
    let id_span = raw.id.span();
    let id = found.take(check_id(source, raw));
    let kind = found.take(check_kind(source, raw));
    let locales = found.take(check_locales(source, raw));
    let zone = found.take(check_time_zone(source, raw));
    let variables = found.take(check_variables(source, raw, &locales));
    let run_time = found.take(check_run_time_variables(source, raw));
    let (mut prompts, mut prompt_names) =
        found.take(check_prompts(source, raw, &locales, &variables, &run_time));
    if let Some(p) = builtin_silence_goodbye_spoken(&locales, &prompts, &prompt_names) {
        prompt_names.insert(SILENCE_GOODBYE_SPOKEN.into(), PromptIx::new(prompts.len()));
        prompts.push(Arc::new(p));
    }
    let (mut intents, mut intent_names) = found.take(check_intents(source, raw, &locales));
    if let Some(bye) = builtin_goodbye(&locales, &intents, &intent_names) {
        intent_names.insert(GOODBYE.into(), IntentIx::new(intents.len()));
        intents.push(bye);
    }
    let understanding = found.take(check_understanding(source, raw, &locales));
    let Some(step_names) = found.take(check_step_names(source, raw)) else {
        return found.done(None);
    };
    let names = Names {
        prompts: prompt_names,
        steps: step_names,
        intents: intent_names,
    };
    let timing = found.take(check_timing(source, raw));
    let greeting = found.take(check_greeting(source, raw, &names, kind, &id_span));
    let hours = found.take(check_hours(source, raw, &names));
    let mut roles = found.take(check_roles(source, &names, &id_span));
    let known_variables: HashSet<&str> = variables
        .keys()
        .chain(run_time.keys())
        .map(String::as_str)
        .collect();
    let main = raw.steps.get_ref().len();
    let layout = subflows::lay_out(raw, main);
    if main + layout.len() > usize::from(StepIx::MAX) {
        found.error(
            raw.steps.span(),
            None,
            "a flow has at most 65535 steps, its subflows' included".into(),
        );
        return found.done(None);
    }
    let (entries, subflows) = found.take(layout.starts(source, raw));
    let scope = Scope {
        names: &names,
        roles: &roles,
        known_variables: &known_variables,
        subflows: &entries,
        prefix: None,
    };
    let mut steps = found.take(check_steps(source, raw.steps.get_ref(), &scope));
    for (sub, written) in layout.scopes.iter().zip(raw.subflows.values()) {
        let own = sub.names(&names);
        let inside = Scope {
            names: &own,
            prefix: Some(&sub.name),
            ..scope
        };
        steps.extend(found.take(check_steps(source, &written.get_ref().steps, &inside)));
        steps.extend(sub.returns());
    }
    let start = found.take(check_reference(source, &raw.start, &names.steps, "step"));
    let anywhere = found.take(check_anywhere(source, raw, &names));
    if !found.take(check_sizes(source, &prompts, &intents, id_span)) {
        return found.done(None);
    }
    let Some(start) = start else {
        return found.done(None);
    };
    // The person offered when a call cannot go on is wherever `anywhere`
    // sends a request for one, and only when that is a transfer.
    roles.person = roles
        .agent
        .and_then(|a| anywhere.iter().find(|(i, _)| *i == a))
        .map(|(_, s)| *s)
        .filter(|s| matches!(steps[usize::from(*s)].kind, StepKind::Transfer(_)));
    // Where a caller's goodbye away from a close step leads: the first
    // close step, not the after-hours one (whose "more" is the hours again).
    let after_hours = hours.as_ref().map(|h| h.after_hours);
    roles.close = steps.iter().enumerate().find_map(|(ix, s)| {
        let ix = StepIx::new(ix);
        let StepKind::Close(c) = &s.kind else {
            return None;
        };
        (Some(ix) != after_hours).then_some((ix, *c))
    });
    let phrases: Vec<&Phrases> = intents.iter().map(|i| &i.phrases).collect();
    let classifier = found.take(learn_examples(
        source,
        raw,
        &locales,
        &names.intents,
        understanding.min_confidence,
    ));
    let mut matcher = Matcher::new(
        &phrases,
        locales.len(),
        &understanding.words,
        [roles.yes, roles.no],
    )
    .with_classifier(classifier, understanding.min_confidence);
    if understanding.pinyin {
        matcher = matcher.with_slips(Slips::new((0..locales.len()).map(|l| {
            phrases
                .iter()
                .flat_map(move |p| p.per_locale.get(l).into_iter().flatten())
                .map(String::as_str)
        })));
    }
    found.done(Some(Flow {
        id: id.into(),
        title: raw.title.clone().unwrap_or_default(),
        version: version_of(source.text()).into(),
        source_file: source.file().to_owned(),
        source: source.text().into(),
        kind,
        locales,
        zone,
        start,
        timing,
        greeting,
        prompts,
        intents,
        matcher,
        nlu_confidence: understanding.nlu_confidence,
        roles,
        anywhere,
        steps,
        warnings: Vec::new(),
        required: raw
            .required_variables
            .iter()
            .map(|r| Arc::from(r.get_ref().as_str()))
            .collect(),
        pii: raw
            .pii
            .iter()
            .map(|p| Arc::from(p.get_ref().as_str()))
            .collect(),
        defaults: variables,
        hours,
        subflows,
        listens: Default::default(),
    }))
}

/// Step names in file order; `None` when there are more than a step index
/// can number.
fn check_step_names(
    source: &Source<'_>,
    raw: &RawFlow,
) -> Checked<Option<HashMap<String, StepIx>>> {
    let mut found = Findings::new(source);
    let names: HashMap<String, StepIx> = raw
        .steps
        .get_ref()
        .keys()
        .enumerate()
        .map(|(i, k)| (k.get_ref().clone(), StepIx::new(i)))
        .collect();
    if names.len() > usize::from(StepIx::MAX) {
        found.error(
            raw.steps.span(),
            None,
            "a flow has at most 65535 steps".into(),
        );
        return found.done(None);
    }
    found.done(Some(names))
}

/// `[anywhere]`: the intents understood at every listening step, and the
/// step each leads to.
fn check_anywhere(
    source: &Source<'_>,
    raw: &RawFlow,
    names: &Names,
) -> Checked<Vec<(IntentIx, StepIx)>> {
    let mut found = Findings::new(source);
    let anywhere = raw
        .anywhere
        .iter()
        .filter_map(|(intent, step)| {
            let i = found.take(check_reference(source, intent, &names.intents, "intent"));
            let s = found.take(check_reference(source, step, &names.steps, "step"));
            Some((i?, s?))
        })
        .collect();
    found.done(anywhere)
}

/// Whether prompts and intents fit their indexes.
fn check_sizes<P, I>(
    source: &Source<'_>,
    prompts: &[P],
    intents: &[I],
    id_span: Range<usize>,
) -> Checked<bool> {
    let mut found = Findings::new(source);
    let fits =
        prompts.len() <= usize::from(PromptIx::MAX) && intents.len() <= usize::from(IntentIx::MAX);
    if !fits {
        found.error(
            id_span,
            None,
            "a flow has at most 65535 prompts and intents".into(),
        );
    }
    found.done(fits)
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
