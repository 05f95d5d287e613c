//! The call's variables as steps read them (`set`, `branch`, transfer
//! targets, lookup params): its own, its numbers, the flow's defaults.

use super::Script;

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

    /// Keeps a value in one of the call's variables; the turn shows it
    /// as changed.
    pub(super) fn set_variable(&mut self, name: &str, value: String) {
        self.changed.insert(name.to_owned(), value.clone());
        self.vars.insert(name.to_owned(), value);
    }
}
