//! Subflows at run time: a `call` step pushes itself on the call's stack
//! of frames and goes to the subflow's start; a `"@return:LABEL"` pops it
//! and goes on to the calling step's `returns.LABEL`. The stack is part
//! of the call's state, so a snapshot keeps it. A call that leaves every
//! subflow by other ways (an `[anywhere]` request, a person offered)
//! drops the frames it left behind.

use super::Script;
use crate::flow::{MAX_SUBFLOW_DEPTH, StepIx, StepKind};

impl Script {
    /// Enters a subflow at `entry` from the `call` step `at`: its start,
    /// or `None` when the stack is full (`check` refuses flows that could
    /// get there).
    pub(super) fn call_subflow(&mut self, at: StepIx, entry: StepIx) -> Option<StepIx> {
        if self.frames.len() >= MAX_SUBFLOW_DEPTH {
            return None;
        }
        self.frames.push(at);
        Some(entry)
    }

    /// Leaves the innermost subflow with `label`: the calling step's
    /// step for it, or `None` when there is no caller or it does not map
    /// the label (`check` refuses both).
    pub(super) fn return_from_subflow(&mut self, label: &str) -> Option<StepIx> {
        let caller = self.frames.pop()?;
        if let StepKind::Call(call) = &self.flow.step(caller).kind {
            call.after(label)
        } else {
            None
        }
    }

    /// Entering one of the flow's own steps means the call is inside no
    /// subflow any more; entering a subflow's step keeps only the frames
    /// of the subflows around it (an `[anywhere]` request may jump out of
    /// a nested one).
    pub(super) fn leave_subflows_for(&mut self, step: StepIx) {
        match self.flow.subflow_of(step) {
            None => self.frames.clear(),
            Some(inside) => {
                while let Some(&top) = self.frames.last() {
                    let entered = if let StepKind::Call(c) = &self.flow.step(top).kind {
                        self.flow.subflow_named(&c.subflow)
                    } else {
                        None
                    };
                    if entered == Some(inside) {
                        break;
                    }
                    self.frames.pop();
                }
            }
        }
    }
}
