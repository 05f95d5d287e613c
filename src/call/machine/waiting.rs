//! The call's clock and variables as the waits use them (a hold's
//! promise, a lookup's quiet time, whose decisions are in their kinds'
//! files): deadlines in call time, listens for what is left of a wait,
//! and the values an answer brings.

use std::time::Duration;

use super::{Outbox, Script};
use crate::call::{Action, Vars};

impl Script {
    /// Takes on a call's new values (a `data` event, an answer).
    pub(super) fn merge(&mut self, variables: &Vars) {
        for (k, v) in variables {
            self.set_variable(k, v.clone());
        }
    }

    /// Whether the call has every variable an answer promised to bring.
    pub(super) fn has_all(&self, names: &[std::sync::Arc<str>]) -> bool {
        names.iter().all(|n| self.vars.contains_key(&**n))
    }

    /// The call time (ms) `wait` from now.
    pub(super) fn deadline_after(&self, wait: Duration) -> u64 {
        millis(self.now.get() + wait)
    }

    /// A listen for what is left of a wait ending at `until` (ms).
    pub(super) fn listen_until(&self, until: u64, out: &mut Outbox) {
        let left = until.saturating_sub(millis(self.now.get())).max(1);
        out.push(Action::Listen {
            timeout: Duration::from_millis(left),
        });
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
