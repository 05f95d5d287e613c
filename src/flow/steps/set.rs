//! `set`: give the call's variables values (what the caller chose, for
//! later prompts, lookups, branches and transfers) and go on in the same
//! turn.

use std::{collections::BTreeMap, sync::Arc};

use schemars::JsonSchema;

use super::super::compile::{Checked, Findings, steps::StepContext, steps::StepFields};
use super::super::{StepIx, StepKind, raw::Sp};
use super::{
    CallOps, CallState, Draw, DrawAt, Entered, Entries, Field, Gives,
    Holds::StepRef,
    RawKind, StepBehaviour, StepKindSpec, Written,
    fill::{Template, Unknown},
    required, schema_of,
};
use crate::flow::compile::valid_variable_name;

/// Give variables values and go on.
#[derive(Debug, JsonSchema)]
#[schemars(deny_unknown_fields)]
#[schemars(rename = "SetStep")]
pub struct RawSet {
    /// Variable → value, e.g. `{ product = "宽带" }`; a value may say
    /// other variables (`"{phone}"`).
    #[schemars(with = "BTreeMap<String, String>")]
    pub set: Sp<String>,
    #[schemars(skip)]
    pub values: BTreeMap<Sp<String>, Sp<String>>,
    /// The step to go on to.
    #[schemars(with = "Option<String>")]
    pub next: Option<Sp<String>>,
    /// Unused: a `set` says nothing; accepted like every step's.
    pub barge_in: Option<bool>,
    /// The names it sets, which later prompts and steps may use.
    #[schemars(skip)]
    names: Vec<Sp<String>>,
}

/// A compiled `set` step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SetStep {
    pub values: Arc<[(Arc<str>, Template)]>,
    pub next: StepIx,
}

pub(super) const SPEC: StepKindSpec = StepKindSpec {
    key: "set",
    fields: FIELDS,
    take: |value, entries| Box::new(RawSet::take(value, entries)),
    schema: schema_of::<RawSet>,
};

const FIELDS: &[Field] = &[required("next", StepRef, None, "the step to go on to")];

impl RawSet {
    /// Its own keys from a step's (`super::Entries`); the kind key's
    /// value is the table itself.
    fn take(value: Sp<String>, entries: &mut Entries) -> Self {
        let values = entries.assignments("set");
        RawSet {
            names: values.keys().cloned().collect(),
            set: value,
            values,
            next: entries.text("next"),
            barge_in: entries.flag("barge_in"),
        }
    }
}

impl RawKind for RawSet {
    fn value(&self) -> &Sp<String> {
        &self.set
    }

    fn field(&self, key: &str) -> Option<Written<'_>> {
        match key {
            "next" => self.next.as_ref().map(Written::Name),
            _ => None,
        }
    }

    fn barge_in(&self) -> Option<bool> {
        self.barge_in
    }

    fn gives(&self) -> &[Sp<String>] {
        &self.names
    }

    fn build(&self, cx: &StepContext<'_>, f: &StepFields<'_>) -> Checked<StepKind> {
        let mut found = Findings::new(cx.source());
        if self.values.is_empty() {
            found.error(
                f.value().span(),
                None,
                format!(
                    "set step {:?} needs a table of variables: set = {{ name = \"value\" }}",
                    f.name().get_ref()
                ),
            );
        }
        let values = self
            .values
            .iter()
            .map(|(name, value)| {
                let n = name.get_ref();
                if !valid_variable_name(n) {
                    found.error(
                        name.span(),
                        None,
                        format!("{n:?} is not a variable name (letters, digits and '_')"),
                    );
                }
                let what = format!("the value set for {n:?}");
                (
                    Arc::from(n.as_str()),
                    Template::parse(cx, value, &what, Unknown::Error, &mut found),
                )
            })
            .collect();
        found.done(StepKind::Set(SetStep {
            values,
            next: f.step("next"),
        }))
    }
}

/// A `set` runs inside `enter`'s chain, in the turn that reached it.
impl StepBehaviour for SetStep {
    fn key(&self) -> &'static str {
        SPEC.key
    }

    /// Never shown: a call goes on from a `set` in the same turn.
    fn state(&self, _progress: &super::Progress) -> CallState {
        CallState::Listening
    }

    fn successors(&self) -> Vec<StepIx> {
        vec![self.next]
    }

    fn listens(&self) -> bool {
        false
    }

    fn gives(&self, name: &str) -> Gives<'_> {
        let mut given = Vec::new();
        for (var, value) in self.values.iter().filter(|(var, _)| **var == *name) {
            let _ = var;
            match value.literal() {
                Some(literal) => given.push(literal),
                None => return Gives::AnyValue,
            }
        }
        if given.is_empty() {
            Gives::Nothing
        } else {
            Gives::Literals(given)
        }
    }

    fn draw(&self, at: &DrawAt<'_>, g: &mut dyn Draw) {
        let names: Vec<&str> = self.values.iter().map(|(n, _)| &**n).collect();
        at.node(g, format!("set {}", names.join(", ")));
        at.edge_to(g, self.next, None);
    }

    /// Every value is filled from the variables as they were before the
    /// step, so the order the table lists them in never matters.
    fn enter<C: CallOps>(&self, call: &mut C) -> Entered<C::Phase> {
        let filled: Vec<(Arc<str>, String)> = self
            .values
            .iter()
            .map(|(name, value)| (name.clone(), value.fill(|v| call.value_of(v))))
            .collect();
        for (name, value) in filled {
            call.keep_variable(&name, value);
        }
        Entered::Next(self.next)
    }
}
