//! Steps: a generic pass checks each step's fields against its kind's
//! table (`flow::steps`) and resolves the prompts and steps they name;
//! then the kind builds its [`StepKind`] from the resolved fields.

use std::{
    collections::{HashMap, HashSet},
    ops::Range,
    sync::Arc,
};

use super::super::{
    PromptIx, Roles, Step, StepIx, StepKind,
    raw::Sp,
    steps::{Holds, Need, NoKind, RawKind, RawStep, STEP_KINDS, StepKindSpec, Written},
};
use super::{Checked, Findings, Names, Source, check_reference, subflows::RawSteps};

/// What the steps' checks read besides the step itself.
pub(in crate::flow) struct StepContext<'a> {
    source: &'a Source<'a>,
    names: &'a Names,
    roles: &'a Roles,
    /// Defaults, required variables and those steps give: what a lookup
    /// may pass on.
    known_variables: &'a HashSet<&'a str>,
    /// Each subflow's start, by name: what a `call` step enters.
    subflows: &'a HashMap<String, StepIx>,
}

impl StepContext<'_> {
    pub(in crate::flow) fn source(&self) -> &Source<'_> {
        self.source
    }

    pub(in crate::flow) fn names(&self) -> &Names {
        self.names
    }

    pub(in crate::flow) fn roles(&self) -> &Roles {
        self.roles
    }

    /// Whether a run-time variable of that name exists.
    pub(in crate::flow) fn knows_variable(&self, name: &str) -> bool {
        self.known_variables.contains(name)
    }

    /// The start of the subflow a `call` step names.
    pub(in crate::flow) fn subflow(&self, name: &Sp<String>) -> Checked<Option<StepIx>> {
        check_reference(self.source, name, self.subflows, "subflow")
    }

    /// A prompt a step names; 0 stands in for an unknown one, which is
    /// already an error, so the flow is never served.
    pub(in crate::flow) fn prompt(&self, name: &Sp<String>) -> Checked<PromptIx> {
        check_reference(self.source, name, &self.names.prompts, "prompt")
            .map(Option::unwrap_or_default)
    }
}

/// What the steps of one table (the flow's, or a subflow's) are checked
/// against.
pub(super) struct Scope<'a> {
    pub(super) names: &'a Names,
    pub(super) roles: &'a Roles,
    pub(super) known_variables: &'a HashSet<&'a str>,
    pub(super) subflows: &'a HashMap<String, StepIx>,
    /// A subflow's name, which its steps' ids start with (`confirm.ask`).
    pub(super) prefix: Option<&'a str>,
}

/// Every step of one table in file order.
pub(super) fn check_steps(
    source: &Source<'_>,
    steps: &RawSteps,
    scope: &Scope<'_>,
) -> Checked<Vec<Step>> {
    let cx = StepContext {
        source,
        names: scope.names,
        roles: scope.roles,
        known_variables: scope.known_variables,
        subflows: scope.subflows,
    };
    let mut found = Findings::new(source);
    let steps = steps
        .iter()
        .map(|(name, step)| found.take(check_step(&cx, name, step, scope.prefix)))
        .collect();
    found.done(steps)
}

/// One step: exactly one kind, only that kind's fields, every field it
/// needs, every name resolved.
fn check_step(
    cx: &StepContext<'_>,
    name: &Sp<String>,
    step: &Sp<RawStep>,
    prefix: Option<&str>,
) -> Checked<Step> {
    let mut found = Findings::new(cx.source);
    let id: Arc<str> = match prefix {
        Some(sub) => format!("{sub}.{}", name.get_ref()).into(),
        None => name.get_ref().as_str().into(),
    };
    let (spec, kind) = match step.get_ref().kind() {
        Ok(kind) => kind,
        Err(NoKind::Kindless) => {
            let all: Vec<&str> = STEP_KINDS.iter().map(|k| k.key).collect();
            found.error(
                name.span(),
                None,
                format!("step {:?} has none of {}", name.get_ref(), all.join(", ")),
            );
            return found.done(stand_in(id));
        }
        Err(NoKind::Mixed(also, at)) => {
            found.error(
                at,
                None,
                format!(
                    "step {:?} has more than one kind (also `{also}`); split it into steps",
                    name.get_ref(),
                ),
            );
            return found.done(stand_in(id));
        }
    };
    // Keys that belong to other kinds are mistakes, not extras.
    for (key, span) in &step.get_ref().foreign {
        found.error(
            span.clone(),
            None,
            format!(
                "`{key}` does not belong in a {} step ({:?})",
                spec.key,
                name.get_ref()
            ),
        );
    }
    found.take(check_required_fields(
        cx.source,
        name,
        spec,
        kind,
        step.span(),
    ));
    let fields = found.take(resolve_fields(cx, spec, name, kind, step.span()));
    let built = found.take(kind.build(cx, &fields));
    found.done(Step {
        id,
        kind: built,
        barge_in: kind.barge_in().unwrap_or(true),
    })
}

/// What a step that cannot be built compiles to: the flow has an error
/// and is never served, but the other steps are still checked.
fn stand_in(id: Arc<str>) -> Step {
    Step {
        id,
        kind: StepKind::Say(super::super::steps::SayStep {
            prompt: PromptIx::default(),
            next: StepIx::default(),
        }),
        barge_in: false,
    }
}

/// A missing required field is an error saying what the caller would
/// miss, under the norm it serves.
pub(super) fn check_required_fields(
    source: &Source<'_>,
    name: &Sp<String>,
    spec: &StepKindSpec,
    kind: &dyn RawKind,
    span: Range<usize>,
) -> Checked<()> {
    let mut found = Findings::new(source);
    for field in spec.fields {
        if let Need::Required { norm, why } = field.need
            && kind.field(field.key).is_none()
        {
            let why = why.map(|w| format!(": {w}")).unwrap_or_default();
            found.error(
                span.clone(),
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
    kind: &'r dyn RawKind,
    span: Range<usize>,
) -> Checked<StepFields<'r>> {
    let mut found = Findings::new(cx.source);
    let mut refs = Vec::new();
    for field in spec.fields {
        let Some(Written::Name(target)) = kind.field(field.key) else {
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
            Holds::Text
            | Holds::Millis
            | Holds::Answers
            | Holds::Variables
            | Holds::Flag
            | Holds::Count
            | Holds::Digits => {
                continue;
            }
        };
        refs.push((field.key, ix.unwrap_or(0)));
    }
    found.done(StepFields {
        spec,
        name,
        span,
        value: kind.value(),
        refs,
    })
}

/// A step's fields as its kind's builder reads them.
pub(in crate::flow) struct StepFields<'r> {
    spec: &'static StepKindSpec,
    name: &'r Sp<String>,
    /// The whole step's position.
    span: Range<usize>,
    /// The kind key's own value (`say = "…"`).
    value: &'r Sp<String>,
    /// Each prompt or step field the step has, resolved, as the position
    /// in its table (the field's `Holds` says which); 0 stands in for an
    /// unknown name, which is already an error.
    refs: Vec<(&'static str, usize)>,
}

impl StepFields<'_> {
    pub(in crate::flow) fn name(&self) -> &Sp<String> {
        self.name
    }

    pub(in crate::flow) fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    pub(in crate::flow) fn value(&self) -> &Sp<String> {
        self.value
    }

    /// A prompt or step field the step may leave out.
    pub(in crate::flow) fn given(&self, key: &str) -> Option<usize> {
        debug_assert!(
            self.spec.fields.iter().any(|f| f.key == key),
            "`{key}` is no field of a {} step",
            self.spec.key
        );
        self.refs.iter().find(|(k, _)| *k == key).map(|(_, ix)| *ix)
    }

    /// A required prompt field; when it is missing the step already has
    /// an error, and 0 stands in.
    pub(in crate::flow) fn prompt(&self, key: &str) -> PromptIx {
        PromptIx::new(self.given(key).unwrap_or(0))
    }

    /// A required step field, likewise.
    pub(in crate::flow) fn step(&self, key: &str) -> StepIx {
        StepIx::new(self.given(key).unwrap_or(0))
    }
}
