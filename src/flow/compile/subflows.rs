//! `[subflows.NAME]`: each subflow's steps are numbered after the flow's
//! own, under names of their own (`confirm.ask` for its step `ask`), and
//! each `"@return:LABEL"` it may use is a step of its own too (a
//! [`StepKind::Return`]). Inside a subflow, step names are its own: a
//! name resolves among its steps and its returns only.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    ops::Range,
    sync::Arc,
};

use super::super::{
    Flow, ReturnStep, Step, StepIx, StepKind, Subflow,
    raw::{RawFlow, RawStep, Sp},
};
use super::{Checked, Findings, Names, Source, check_reference};

/// Where each subflow's steps go in the flow's steps, and the names its
/// steps see.
pub(super) struct Layout {
    pub(super) scopes: Vec<Scope>,
}

/// One subflow, laid out.
pub(super) struct Scope {
    pub(super) name: Arc<str>,
    /// Its first step's place; its returns follow its own steps.
    pub(super) first: usize,
    /// Its steps' and returns' names, as its steps write them.
    pub(super) steps: HashMap<String, StepIx>,
    pub(super) labels: Vec<String>,
    pub(super) len: usize,
}

/// Numbers every subflow's steps after the flow's own `main` steps. The
/// labels a subflow returns with are those its steps name.
pub(super) fn lay_out(raw: &RawFlow, main: usize) -> Layout {
    let mut next = main;
    let scopes = raw
        .subflows
        .iter()
        .map(|(name, sub)| {
            let labels: BTreeSet<String> = sub
                .get_ref()
                .steps
                .values()
                .flat_map(|s| s.get_ref().return_labels().iter().cloned())
                .collect();
            let labels: Vec<String> = labels.into_iter().collect();
            let own = sub.get_ref().steps.keys().map(|k| k.get_ref().clone());
            let returns = labels.iter().map(|l| ReturnStep::step_name(l));
            let steps: HashMap<String, StepIx> = own
                .chain(returns)
                .enumerate()
                .map(|(i, n)| (n, StepIx::new(next + i)))
                .collect();
            let scope = Scope {
                name: name.get_ref().as_str().into(),
                first: next,
                len: steps.len(),
                steps,
                labels,
            };
            next += scope.len;
            scope
        })
        .collect();
    Layout { scopes }
}

impl Layout {
    /// How many steps the subflows add.
    pub(super) fn len(&self) -> usize {
        self.scopes.iter().map(|s| s.len).sum()
    }

    /// Each subflow's start, resolved among its own steps: the map `call`
    /// steps resolve names in, and the compiled subflows.
    pub(super) fn starts(
        &self,
        source: &Source<'_>,
        raw: &RawFlow,
    ) -> Checked<(HashMap<String, StepIx>, Vec<Subflow>)> {
        let mut found = Findings::new(source);
        let mut entries = HashMap::new();
        let mut subflows = Vec::new();
        for (scope, sub) in self.scopes.iter().zip(raw.subflows.values()) {
            let sub = sub.get_ref();
            let own: HashMap<String, StepIx> = sub
                .steps
                .keys()
                .filter_map(|k| Some((k.get_ref().clone(), *scope.steps.get(k.get_ref())?)))
                .collect();
            let start = found
                .take(check_reference(source, &sub.start, &own, "step"))
                .unwrap_or(StepIx::new(scope.first));
            entries.insert(scope.name.to_string(), start);
            subflows.push(Subflow {
                name: scope.name.clone(),
                start,
                steps: scope.first..scope.first + scope.len,
            });
        }
        found.done((entries, subflows))
    }
}

impl Scope {
    /// The names its steps resolve: the flow's prompts and intents, its
    /// own steps.
    pub(super) fn names(&self, names: &Names) -> Names {
        Names {
            prompts: names.prompts.clone(),
            steps: self.steps.clone(),
            intents: names.intents.clone(),
        }
    }

    /// Its returns, compiled: they follow its own steps.
    pub(super) fn returns(&self) -> impl Iterator<Item = Step> + '_ {
        self.labels.iter().map(|label| Step {
            id: format!("{}.{}", self.name, ReturnStep::step_name(label)).into(),
            kind: StepKind::Return(ReturnStep {
                label: label.as_str().into(),
            }),
            barge_in: false,
        })
    }
}

/// Where a compiled step is written, for `check` to point at: its name,
/// or for a subflow's return the subflow's name.
pub(in crate::flow) fn step_span(raw: &RawFlow, flow: &Flow, ix: StepIx) -> Range<usize> {
    let i = usize::from(ix);
    if let Some(name) = raw.steps.get_ref().keys().nth(i) {
        return name.span();
    }
    let Some(sub) = flow.subflow_of(ix) else {
        return 0..0;
    };
    let Some((name, written)) = raw.subflows.iter().nth(sub) else {
        return 0..0;
    };
    let local = i - flow.subflows()[sub].steps.start;
    written
        .get_ref()
        .steps
        .keys()
        .nth(local)
        .map_or_else(|| name.span(), |k| k.span())
}

/// A table of steps as written.
pub(super) type RawSteps = BTreeMap<Sp<String>, Sp<RawStep>>;
