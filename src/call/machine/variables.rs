//! The steps that act on the call's variables and say nothing: `set`
//! gives values, `branch` chooses the next step by one. Both run inside
//! `enter`'s chain, in the turn that reached them.

use std::sync::Arc;

use super::Script;
use crate::flow::{BranchStep, SetStep, StepIx};

impl Script {
    /// A variable's value as the call has it: its own, then its numbers,
    /// then the flow's default.
    pub(super) fn value_of(&self, name: &str) -> Option<String> {
        match (self.vars.get(name), name) {
            (Some(v), _) => Some(v.clone()),
            (None, "caller") => Some(self.caller.to_string()),
            (None, "callee") => Some(self.callee.to_string()),
            (None, name) => self.flow.default_value(name).map(str::to_owned),
        }
    }

    /// A `set` step: every value is filled from the variables as they
    /// were before the step, so the order the table lists them in never
    /// matters.
    pub(super) fn set_values(&mut self, set: &SetStep) -> StepIx {
        let filled: Vec<(Arc<str>, String)> = set
            .values
            .iter()
            .map(|(name, value)| (name.clone(), value.fill(|v| self.value_of(v))))
            .collect();
        for (name, value) in filled {
            self.vars.insert(name.to_string(), value);
        }
        set.next
    }

    /// A `branch` step's next step.
    pub(super) fn branch_to(&self, branch: &BranchStep) -> StepIx {
        branch.target(self.value_of(&branch.variable).as_deref())
    }
}
