//! The phase a call is in, as turns and records show it. It lives with
//! the steps because most phases are a step's own: each kind says which
//! it shows (`StepBehaviour::state`); the call re-exports it.

/// The phase a call is in. Its names (`confirming_transfer`…) are
/// generated, so a new phase cannot be left out of the metrics' label set
/// or the records' text; their order is the wire's and the metrics'.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
)]
#[strum(serialize_all = "snake_case")]
pub enum CallState {
    Ringing,
    Listening,
    ConfirmingTransfer,
    Transferring,
    ConfirmingHold,
    OnHold,
    /// Waiting for the front-end's answer to a lookup.
    LookingUp,
    Closing,
    AwaitingHangup,
    ConfirmingSwitch,
    CheckingHandset,
    Ended,
    /// At a `menu` step, waiting for a key or words.
    InMenu,
    /// At a `collect` step, taking the caller's entry.
    Collecting,
    /// The front-end records the caller; waiting for the recording.
    Recording,
}

impl CallState {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The state a wire name stands for.
    pub fn parse(name: &str) -> Option<CallState> {
        name.parse().ok()
    }
}
