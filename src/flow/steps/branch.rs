//! `branch`: go on by a variable's value (a lookup's VIP flag, what the
//! caller chose), in the same turn, without saying anything.

use std::{collections::BTreeMap, collections::BTreeSet, ops::Range, sync::Arc};

use schemars::JsonSchema;

use super::super::compile::{
    Checked, Findings, check_reference, steps::StepContext, steps::StepFields,
};
use super::super::{Flow, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Gives,
    Holds::{Answers, StepRef},
    NormsAt, RawKind, StepBehaviour, StepKindSpec, Written, fill, optional, required, schema_of,
};

/// Go on by a variable's value.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "BranchStep")]
pub struct RawBranch {
    /// The variable whose value chooses the next step (a default, a
    /// required variable, one a lookup or hold gives, a `set` or an
    /// `into`).
    #[schemars(with = "String")]
    pub branch: Sp<String>,
    /// Value → the step it leads to, e.g. `{ "true" = "vip_hello" }`.
    #[schemars(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub cases: BTreeMap<Sp<String>, Sp<String>>,
    /// The step when the value is none of the cases (or the call has none).
    #[schemars(with = "Option<String>")]
    pub default: Option<Sp<String>>,
    /// Unused: a branch says nothing; accepted like every step's.
    pub barge_in: Option<bool>,
}

/// A compiled `branch` step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BranchStep {
    pub variable: Arc<str>,
    pub cases: Arc<[(Arc<str>, StepIx)]>,
    pub default: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "branch",
    fields: FIELDS,
    take: |value, entries| Box::new(RawBranch::take(value, entries)),
    schema: schema_of::<RawBranch>,
};

const FIELDS: &[Field] = &[
    optional("cases", Answers),
    required(
        "default",
        StepRef,
        None,
        "the step for a value none of the cases has, so no call is left without a way on",
    ),
];

impl RawBranch {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawBranch {
            branch: value,
            cases: entries.answers("cases"),
            default: entries.text("default"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawBranch {
    fn value(&self) -> &Sp<String> {
        &self.branch
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "cases" => self.cases.keys().next().map(|_| Written::Value),
            "default" => self.default.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    /// A branch on a variable nothing supplies could only ever take its
    /// default: that is a mistake, not a choice.
    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let variable = f.value().get_ref().trim();
        if !fill::known(cx, variable) {
            found.error(
                f.value().span(),
                None,
                format!("branch on {variable:?}, which nothing supplies: no default under [variables], no required variable, no `set`, no lookup or hold `gives`, no `into`"),
            );
        }
        let cases = self
            .cases
            .iter()
            .filter_map(|(value, target)| {
                let t = found.take(check_reference(
                    cx.source(),
                    target,
                    &cx.names().steps,
                    "step",
                ))?;
                Some((Arc::from(value.get_ref().as_str()), t))
            })
            .collect();
        found.done(StepKind::Branch(BranchStep {
            variable: variable.into(),
            cases,
            default: f.step("default"),
        }))
    }
}

/// A branch runs inside `enter`'s chain, in the turn that reached it.
impl StepBehaviour for BranchStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    /// Never shown: a call goes on from a branch in the same turn.
    fn state(&self, _progress: &super::Progress) -> CallState {
        CallState::Listening
    }

    fn successors(&self) -> Vec<StepIx> {
        self.cases
            .iter()
            .map(|(_, s)| *s)
            .chain([self.default])
            .collect()
    }

    fn listens(&self) -> bool {
        false
    }

    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        BranchStep::check_norms(self, at.flow, at.span.clone(), found);
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("branch on {}", self.variable));
        for (value, to) in self.cases.iter() {
            at.edge_to(g, *to, Some(&format!("= {value}")));
        }
        at.edge_to(g, self.default, Some("default"));
    }

    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        Entered::Next(self.target(call.value_of(&self.variable).as_deref()))
    }
}

impl BranchStep {
    /// The step for a value (none: the default).
    pub fn target(&self, value: Option<&str>) -> StepIx {
        value
            .and_then(|v| self.cases.iter().find(|(c, _)| **c == *v))
            .map_or(self.default, |(_, s)| *s)
    }

    /// Cases no source can produce, where every source is known: only
    /// `set` steps with literal values give the variable.
    pub(super) fn check_norms(&self, flow: &Flow, span: Range<usize>, found: &mut Findings<'_>) {
        let Some(values) = literal_values(flow, &self.variable) else {
            return;
        };
        for (case, _) in self.cases.iter() {
            if !values.contains(&**case) {
                let known: Vec<&str> = values.iter().copied().collect();
                found.warn(
                    span.clone(),
                    None,
                    format!(
                        "case {case:?} of the branch on {:?} can never match: only `set` steps give it, with {}",
                        self.variable,
                        known.join(", ")
                    ),
                );
            }
        }
    }
}

/// Every value `name` can take when only `set` steps with literal values
/// give it; `None` when any other source may (the call, a lookup, the
/// caller's input), so no value can be ruled out.
fn literal_values<'f>(flow: &'f Flow, name: &str) -> Option<BTreeSet<&'f str>> {
    if matches!(name, "caller" | "callee")
        || flow.default_value(name).is_some()
        || flow.required_variables().iter().any(|r| **r == *name)
    {
        return None;
    }
    let mut values = BTreeSet::new();
    for step in flow.steps() {
        match step.kind.gives(name) {
            Gives::Nothing => {}
            Gives::Literals(given) => values.extend(given),
            Gives::AnyValue => return None,
        }
    }
    Some(values)
}
