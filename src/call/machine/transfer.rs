//! What a transfer hands the PBX once the caller agreed: the target with
//! the call's variables filled in and the attached variables for the
//! agent's screen pop (what the caller hears when it fails is in the
//! kind's file, `flow/steps/transfer.rs`).

use super::Script;
use crate::{call::Action, flow::TransferStep};

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
}
