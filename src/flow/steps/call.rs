//! `call`: enter a subflow (`[subflows.NAME]`), a dialogue several steps
//! share; a step inside going to `"@return:LABEL"` comes back here and on
//! to `returns.LABEL`. The call stack is bounded ([`MAX_DEPTH`]), and
//! `check` refuses a subflow that calls itself, however round about.

use std::{collections::BTreeMap, ops::Range, sync::Arc};

use schemars::JsonSchema;

use super::super::compile::{
    Checked, Findings, check_reference, steps::StepContext, steps::StepFields,
};
use super::super::{Flow, StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Holds::Answers, NodeShape, NormsAt,
    RawKind, StepBehaviour, StepKindSpec, Written, required, schema_of,
};

/// How many subflows one call may be inside at once.
pub const MAX_DEPTH: usize = 8;

/// The prefix of a step name that returns from a subflow.
pub const RETURN_PREFIX: &str = "@return:";

/// Enter a subflow.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "CallStep")]
pub struct RawCall {
    /// The subflow to enter (a name under `[subflows]`).
    #[schemars(with = "String")]
    pub call: Sp<String>,
    /// Return label → the step after the subflow returned with it, e.g.
    /// `{ ok = "bill", retry = "main_menu" }`.
    #[schemars(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub returns: BTreeMap<Sp<String>, Sp<String>>,
    /// Unused: a `call` says nothing itself; accepted like every step's.
    pub barge_in: Option<bool>,
}

/// A compiled `call` step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CallStep {
    pub subflow: Arc<str>,
    /// The subflow's `start`.
    pub entry: StepIx,
    pub returns: Arc<[(Arc<str>, StepIx)]>,
}

/// The step a subflow's `"@return:LABEL"` names: it goes back to the
/// calling step's `returns.LABEL`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReturnStep {
    pub label: Arc<str>,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "call",
    fields: FIELDS,
    take: |value, entries| Box::new(RawCall::take(value, entries)),
    schema: schema_of::<RawCall>,
};

const FIELDS: &[Field] = &[required(
    "returns",
    Answers,
    None,
    "where the call goes on after the subflow returns",
)];

impl RawCall {
    /// Its own keys from a step's (`super::Entries`).
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        RawCall {
            call: value,
            returns: entries.answers("returns"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawCall {
    fn value(&self) -> &Sp<String> {
        &self.call
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "returns" => self.returns.keys().next().map(|_| Written::Value),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        let entry = found.take(cx.subflow(f.value())).unwrap_or_default();
        let returns = self
            .returns
            .iter()
            .filter_map(|(label, target)| {
                let t = found.take(check_reference(
                    cx.source(),
                    target,
                    &cx.names().steps,
                    "step",
                ))?;
                Some((Arc::from(label.get_ref().as_str()), t))
            })
            .collect();
        found.done(StepKind::Call(CallStep {
            subflow: f.value().get_ref().as_str().into(),
            entry,
            returns,
        }))
    }
}

/// A `call` runs inside `enter`'s chain: the call goes on at the
/// subflow's start in the same turn.
impl StepBehaviour for CallStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    /// Never shown: the call goes on into the subflow in the same turn.
    fn state(&self, _progress: &super::Progress) -> CallState {
        CallState::Listening
    }

    /// The subflow's start, and where each return goes on.
    fn successors(&self) -> Vec<StepIx> {
        std::iter::once(self.entry)
            .chain(self.returns.iter().map(|(_, s)| *s))
            .collect()
    }

    fn listens(&self) -> bool {
        false
    }

    fn check_norms(&self, at: &NormsAt<'_>, found: &mut Findings<'_>) {
        CallStep::check_norms(self, at.flow, at.ix, at.span.clone(), found);
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        at.node(g, format!("call {}", self.subflow));
        at.edge_to(g, self.entry, Some("enter"));
        for (label, to) in self.returns.iter() {
            at.edge_to(g, *to, Some(&format!("returned {label}")));
        }
    }

    /// The stack of subflows is bounded (`check` refuses flows that could
    /// overflow it); past it the call cannot go on.
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        match call.enter_subflow(self.entry) {
            Some(entry) => Entered::Next(entry),
            None => Entered::Phase(call.cannot_go_on()),
        }
    }
}

/// Leaving a subflow, in `enter`'s chain.
impl StepBehaviour for ReturnStep {
    fn key(&self) -> &'static str {
        "return"
    }

    /// Never shown: the call goes on at the calling step's return.
    fn state(&self, _progress: &super::Progress) -> CallState {
        CallState::Listening
    }

    /// Where a return goes is the calling step's, at run time.
    fn successors(&self) -> Vec<StepIx> {
        vec![]
    }

    fn listens(&self) -> bool {
        false
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        g.node(
            at.id.clone(),
            vec![format!("return {}", self.label)],
            NodeShape::Marker,
        );
    }

    /// No calling step, or one that does not map the label (`check`
    /// refuses both): the call cannot go on.
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        match call.return_from_subflow(&self.label) {
            Some(after) => Entered::Next(after),
            None => Entered::Phase(call.cannot_go_on()),
        }
    }
}

impl CallStep {
    /// Where the call goes on after the subflow returned with `label`.
    pub fn after(&self, label: &str) -> Option<StepIx> {
        self.returns
            .iter()
            .find(|(l, _)| **l == *label)
            .map(|(_, s)| *s)
    }

    /// Every label the subflow can return with is mapped here; a call
    /// inside a subflow does not lead back into it (recursion has no
    /// bound a flow could state); a call from the flow nests at most
    /// [`MAX_DEPTH`] subflows deep.
    pub(super) fn check_norms(
        &self,
        flow: &Flow,
        at: StepIx,
        span: Range<usize>,
        found: &mut Findings<'_>,
    ) {
        let Some(sub) = flow.subflow_named(&self.subflow) else {
            return;
        };
        for label in flow.return_labels(sub) {
            if self.after(&label).is_none() {
                found.error(
                    span.clone(),
                    None,
                    format!(
                        "step {:?} calls subflow {:?}, which can return \"{RETURN_PREFIX}{label}\", but its `returns` does not say where that goes",
                        flow.step(at).id,
                        self.subflow
                    ),
                );
            }
        }
        match flow.subflow_of(at) {
            Some(inside) => {
                if reaches(flow, sub, inside, &mut Vec::new()) {
                    found.error(
                        span,
                        None,
                        format!(
                            "subflow {:?} calls itself (through step {:?}): a call stack that may grow without bound",
                            flow.subflows()[inside].name,
                            flow.step(at).id
                        ),
                    );
                }
            }
            None => {
                let depth = depth(flow, sub, &mut Vec::new());
                if depth > MAX_DEPTH {
                    found.error(
                        span,
                        None,
                        format!(
                            "step {:?} nests {depth} subflows deep through {:?}: at most {MAX_DEPTH}",
                            flow.step(at).id,
                            self.subflow
                        ),
                    );
                }
            }
        }
    }
}

/// The subflows a subflow's own steps call, by index.
fn callees(flow: &Flow, sub: usize) -> Vec<usize> {
    flow.subflows()[sub]
        .steps
        .clone()
        .filter_map(|ix| {
            if let StepKind::Call(c) = &flow.steps()[ix].kind {
                flow.subflow_named(&c.subflow)
            } else {
                None
            }
        })
        .collect()
}

/// Whether `from` (entered) can lead to a call of `target`.
fn reaches(flow: &Flow, from: usize, target: usize, seen: &mut Vec<usize>) -> bool {
    if from == target {
        return true;
    }
    if seen.contains(&from) {
        return false;
    }
    seen.push(from);
    callees(flow, from)
        .into_iter()
        .any(|c| reaches(flow, c, target, seen))
}

/// How many subflows deep entering `sub` can go (itself included); a
/// cycle adds nothing here (it is reported where it closes).
fn depth(flow: &Flow, sub: usize, path: &mut Vec<usize>) -> usize {
    if path.contains(&sub) {
        return 0;
    }
    path.push(sub);
    let below = callees(flow, sub)
        .into_iter()
        .map(|c| depth(flow, c, path))
        .max()
        .unwrap_or(0);
    path.pop();
    1 + below.min(MAX_DEPTH)
}

impl ReturnStep {
    /// The step name that stands for it inside subflow `sub`.
    pub fn step_name(label: &str) -> String {
        format!("{RETURN_PREFIX}{label}")
    }
}
