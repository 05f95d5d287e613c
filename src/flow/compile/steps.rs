//! Steps, driven by the table of step kinds (`step_kinds`): a generic pass
//! checks each step's fields against its kind's entry and resolves the
//! prompts and steps they name; then one small function per kind builds
//! its [`StepKind`] from the resolved fields.

use std::{collections::HashSet, sync::Arc, time::Duration};

use super::super::{
    AskPrompt, CloseStep, HoldStep, LookupStep, PromptIx, Roles, Step, StepIx, StepKind,
    TransferStep,
    raw::{RawFlow, RawStep, Sp},
};
use super::{
    Checked, Findings, Names, OPENING_REF, Source, check_reference,
    settings::check_millis,
    step_kinds::{
        Holds, Need, STEP_KINDS, StepKindSpec, all_field_keys, field_span, kind_value, text_field,
    },
};

/// What the steps' checks read besides the step itself.
pub(super) struct StepContext<'a> {
    source: &'a Source<'a>,
    names: &'a Names,
    roles: &'a Roles,
    /// Defaults, required variables and those steps give: what a lookup
    /// may pass on.
    known_variables: &'a HashSet<&'a str>,
}

impl StepContext<'_> {
    /// A prompt a step names; 0 stands in for an unknown one, which is
    /// already an error, so the flow is never served.
    fn prompt(&self, name: &Sp<String>) -> Checked<PromptIx> {
        check_reference(self.source, name, &self.names.prompts, "prompt")
            .map(Option::unwrap_or_default)
    }
}

/// Every step in file order.
pub(super) fn check_steps(
    source: &Source<'_>,
    raw: &RawFlow,
    names: &Names,
    roles: &Roles,
    known_variables: &HashSet<&str>,
) -> Checked<Vec<Step>> {
    let cx = StepContext {
        source,
        names,
        roles,
        known_variables,
    };
    let mut found = Findings::new(source);
    let steps = raw
        .steps
        .get_ref()
        .iter()
        .map(|(name, step)| found.take(check_step(&cx, name, step)))
        .collect();
    found.done(steps)
}

/// One step: exactly one kind, only that kind's fields, every field it
/// needs, every name resolved.
fn check_step(cx: &StepContext<'_>, name: &Sp<String>, step: &Sp<RawStep>) -> Checked<Step> {
    let mut found = Findings::new(cx.source);
    let s = step.get_ref();
    let id: Arc<str> = name.get_ref().as_str().into();
    let kinds: Vec<(&'static StepKindSpec, &Sp<String>)> = STEP_KINDS
        .iter()
        .filter_map(|k| kind_value(s, k.key).map(|v| (k, v)))
        .collect();
    let (spec, value) = match kinds.as_slice() {
        [one] => *one,
        [] => {
            let all: Vec<&str> = STEP_KINDS.iter().map(|k| k.key).collect();
            found.error(
                name.span(),
                None,
                format!("step {:?} has none of {}", name.get_ref(), all.join(", ")),
            );
            return found.done(stand_in(id));
        }
        [_, (second, v), ..] => {
            found.error(
                v.span(),
                None,
                format!(
                    "step {:?} has more than one kind (also `{}`); split it into steps",
                    name.get_ref(),
                    second.key
                ),
            );
            return found.done(stand_in(id));
        }
    };
    found.take(check_foreign_fields(cx.source, name, spec, s));
    found.take(check_required_fields(cx.source, name, spec, step));
    let fields = found.take(resolve_fields(cx, spec, name, step, value));
    let kind = found.take((spec.build)(cx, &fields));
    found.done(Step {
        id,
        kind,
        barge_in: s.barge_in.unwrap_or(true),
    })
}

/// What a step that cannot be built compiles to: the flow has an error
/// and is never served, but the other steps are still checked.
fn stand_in(id: Arc<str>) -> Step {
    Step {
        id,
        kind: StepKind::Say {
            prompt: PromptIx::default(),
            next: StepIx::default(),
        },
        barge_in: false,
    }
}

/// Keys that do not belong to a step's kind are mistakes, not extras.
fn check_foreign_fields(
    source: &Source<'_>,
    name: &Sp<String>,
    spec: &StepKindSpec,
    s: &RawStep,
) -> Checked<()> {
    let mut found = Findings::new(source);
    for key in all_field_keys() {
        if let Some(span) = field_span(s, key)
            && !spec.fields.iter().any(|f| f.key == key)
        {
            found.error(
                span,
                None,
                format!(
                    "`{key}` does not belong in a {} step ({:?})",
                    spec.key,
                    name.get_ref()
                ),
            );
        }
    }
    found.done(())
}

/// A missing required field is an error saying what the caller would
/// miss, under the norm it serves.
pub(super) fn check_required_fields(
    source: &Source<'_>,
    name: &Sp<String>,
    spec: &StepKindSpec,
    step: &Sp<RawStep>,
) -> Checked<()> {
    let mut found = Findings::new(source);
    for field in spec.fields {
        if let Need::Required { norm, why } = field.need
            && field_span(step.get_ref(), field.key).is_none()
        {
            let why = why.map(|w| format!(": {w}")).unwrap_or_default();
            found.error(
                step.span(),
                norm,
                format!(
                    "{} step {:?} needs `{}`{why}",
                    spec.key,
                    name.get_ref(),
                    field.key
                ),
            );
        }
    }
    found.done(())
}

/// The prompt and step names a step's fields hold, resolved, for its
/// kind's builder.
fn resolve_fields<'r>(
    cx: &StepContext<'_>,
    spec: &'static StepKindSpec,
    name: &'r Sp<String>,
    step: &'r Sp<RawStep>,
    value: &'r Sp<String>,
) -> Checked<StepFields<'r>> {
    let mut found = Findings::new(cx.source);
    let mut refs = Vec::new();
    for field in spec.fields {
        let Some(target) = text_field(step.get_ref(), field.key) else {
            continue;
        };
        let ix = match field.holds {
            Holds::PromptRef => found
                .take(check_reference(
                    cx.source,
                    target,
                    &cx.names.prompts,
                    "prompt",
                ))
                .map(usize::from),
            Holds::StepRef => found
                .take(check_reference(cx.source, target, &cx.names.steps, "step"))
                .map(usize::from),
            Holds::Text | Holds::Millis | Holds::Answers | Holds::Variables => continue,
        };
        refs.push((field.key, ix.unwrap_or(0)));
    }
    found.done(StepFields {
        spec,
        name,
        step,
        value,
        refs,
    })
}

/// A step's fields as its kind's builder reads them.
pub(super) struct StepFields<'r> {
    spec: &'static StepKindSpec,
    name: &'r Sp<String>,
    step: &'r Sp<RawStep>,
    /// The kind key's own value (`say = "…"`).
    value: &'r Sp<String>,
    /// Each prompt or step field the step has, resolved, as the position
    /// in its table (the field's `Holds` says which); 0 stands in for an
    /// unknown name, which is already an error.
    refs: Vec<(&'static str, usize)>,
}

impl StepFields<'_> {
    fn raw(&self) -> &RawStep {
        self.step.get_ref()
    }

    /// A prompt or step field the step may leave out.
    fn given(&self, key: &str) -> Option<usize> {
        debug_assert!(
            self.spec.fields.iter().any(|f| f.key == key),
            "`{key}` is no field of a {} step in STEP_KINDS",
            self.spec.key
        );
        self.refs.iter().find(|(k, _)| *k == key).map(|(_, ix)| *ix)
    }

    /// A required prompt or step field; when it is missing the step
    /// already has an error, and 0 stands in.
    fn ix(&self, key: &str) -> usize {
        self.given(key).unwrap_or(0)
    }

    /// A required prompt field.
    fn prompt(&self, key: &str) -> PromptIx {
        PromptIx::new(self.ix(key))
    }

    /// A required step field.
    fn step(&self, key: &str) -> StepIx {
        StepIx::new(self.ix(key))
    }
}

// === The kinds ===

/// Asks and listens: `on` maps what the caller says to the next step.
pub(super) fn ask(cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
    let mut found = Findings::new(cx.source);
    let prompt = if f.value.get_ref() == OPENING_REF {
        AskPrompt::Opening
    } else {
        AskPrompt::Prompt(found.take(cx.prompt(f.value)))
    };
    let answers = f
        .raw()
        .on
        .iter()
        .filter_map(|(intent, target)| {
            let i = found.take(check_reference(
                cx.source,
                intent,
                &cx.names.intents,
                "intent",
            ));
            let t = found.take(check_reference(cx.source, target, &cx.names.steps, "step"));
            Some((i?, t?))
        })
        .collect();
    let otherwise = f.given("otherwise").map(StepIx::new);
    if otherwise.is_none() && cx.roles.not_understood.is_none() {
        found.error(
            f.step.span(),
            None,
            format!(
                "dead end: ask step {:?} has no `otherwise` and the flow has no prompt \"not_understood\", so words that match no answer lead nowhere",
                f.name.get_ref()
            ),
        );
    }
    found.done(StepKind::Ask {
        prompt,
        reprompt: f.given("reprompt").map(PromptIx::new),
        answers,
        otherwise,
    })
}

pub(super) fn say(cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
    cx.prompt(f.value).map(|prompt| StepKind::Say {
        prompt,
        next: f.step("next"),
    })
}

/// N10: the caller is told why and asked before being put through.
pub(super) fn transfer(cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
    let mut found = Findings::new(cx.source);
    if f.value.get_ref().trim().is_empty() {
        found.error(f.value.span(), None, "transfer target is empty".into());
    }
    found.done(StepKind::Transfer(TransferStep {
        target: f.value.get_ref().as_str().into(),
        reason: f
            .raw()
            .reason
            .as_ref()
            .map_or_else(|| "".into(), |r| r.get_ref().as_str().into()),
        consent: f.prompt("consent"),
        declined: f.prompt("declined"),
        failed: f.prompt("failed"),
        fallback: f.step("fallback"),
    }))
}

/// N11: asks before holding, thanks, apologises on resuming; its end comes
/// from the front-end or the back office.
pub(super) fn hold(cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
    let mut found = Findings::new(cx.source);
    let ask = found.take(cx.prompt(f.value));
    let duration = found.take(check_millis(
        cx.source,
        &f.raw().hold_ms,
        "hold_ms",
        1000..600_001,
        Duration::ZERO,
    ));
    found.done(StepKind::Hold(HoldStep {
        ask,
        thanks: f.prompt("thanks"),
        resume: f.prompt("resume"),
        duration,
        next: f.step("next"),
        declined: f.step("declined"),
        failed: f.step("failed"),
        overdue: f.prompt("overdue"),
        progress: f.prompt("progress"),
        callback: f.step("callback"),
        gives: names_of(&f.raw().gives),
    }))
}

/// Asks the front-end for data; its params must be variables the call has.
pub(super) fn lookup(cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
    let mut found = Findings::new(cx.source);
    if f.value.get_ref().trim().is_empty() {
        found.error(f.value.span(), None, "lookup name is empty".into());
    }
    for p in &f.raw().params {
        let n = p.get_ref();
        if !matches!(n.as_str(), "caller" | "callee") && !cx.known_variables.contains(n.as_str()) {
            found.error(p.span(), None, format!("lookup param {n:?} is no variable of this flow (a default, a required variable, one a step gives, or \"caller\"/\"callee\")"));
        }
    }
    found.done(StepKind::Lookup(LookupStep {
        name: f.value.get_ref().trim().into(),
        params: names_of(&f.raw().params),
        gives: names_of(&f.raw().gives),
        wait: f.prompt("wait"),
        resume: f.prompt("resume"),
        next: f.step("next"),
        failed: f.step("failed"),
    }))
}

/// N12: asks whether there is more, thanks, and lets the caller hang up
/// first.
pub(super) fn close(cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
    cx.prompt(f.value).map(|ask| {
        StepKind::Close(CloseStep {
            ask,
            goodbye: f.prompt("goodbye"),
            more: f.step("more"),
        })
    })
}

pub(super) fn hangup(cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
    cx.prompt(f.value).map(|prompt| StepKind::Hangup { prompt })
}

// === Reading raw steps ===

/// Names as the compiled step keeps them.
fn names_of(list: &[Sp<String>]) -> Arc<[Arc<str>]> {
    list.iter()
        .map(|n| Arc::from(n.get_ref().as_str()))
        .collect()
}
