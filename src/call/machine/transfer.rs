//! What a transfer hands the PBX, and what the caller hears when it
//! fails: the target with the call's variables filled in, the attached
//! variables for the agent's screen pop, and the apology for the cause
//! the PBX reports where the flow has one.

use super::{Outbox, Script, State};
use crate::{
    call::{Action, TransferCause},
    flow::TransferStep,
};

impl Script {
    /// The transfer action once the caller agreed (N10).
    pub(super) fn transfer_action(&mut self, transfer: &TransferStep) -> Action {
        let reason = self.transfer_reason(&transfer.reason);
        Action::Transfer {
            target: transfer.target.fill(|v| self.value_of(v)).into(),
            reason,
            target_type: transfer.target_type,
            timeout: transfer.timeout,
            attached: transfer
                .attach
                .iter()
                .filter_map(|n| Some((n.to_string(), self.value_of(n)?)))
                .collect(),
        }
    }

    /// The transfer failed: the apology for its cause (the step's `busy`
    /// or `no_answer`, else `failed`), then the fallback step.
    pub(super) fn transfer_failed(
        &mut self,
        transfer: &TransferStep,
        cause: Option<TransferCause>,
        out: &mut Outbox,
    ) -> State {
        let specific = match cause {
            Some(TransferCause::Busy) => transfer.busy,
            Some(TransferCause::NoAnswer) => transfer.no_answer,
            Some(TransferCause::Rejected | TransferCause::Failed) | None => None,
        };
        self.say(specific.unwrap_or(transfer.failed), out);
        self.enter(transfer.fallback, out)
    }
}
