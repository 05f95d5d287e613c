//! What a call is between two operations: one value, cloned for a
//! shared store's working copy and serialized whole as its snapshot.

use std::time::Duration;

use tokio::time::Instant;

use super::{CallError, Facts};
use crate::call::{CallMachine, Event};

/// Who runs a call's clock (ARCHITECTURE.md "Time").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mode {
    /// The front-end reports `no_input`; the server only guards against a
    /// front-end that went away.
    Unary,
    /// The server's timers produce turns and push them to the subscriber.
    Stream,
}

/// What a call is between two operations, and all its snapshot holds:
/// `Clone` gives the working copy a shared-store operation runs on, serde
/// gives the snapshot, so a field added here travels with the call and
/// needs no other code. The transcript goes apart, as lines appended.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Kept {
    pub(super) machine: CallMachine,
    /// Boxed: read at the end and by records, never on an event, and its
    /// 80 bytes inline kept the `Call` out of mimalloc's 512-byte class.
    pub(super) facts: Box<Facts>,
    /// Process time. The snapshot carries the wall-clock start beside it
    /// (`SharedPart::started_ms`), fixed once, so a call moving between
    /// replicas does not drift by a millisecond at each.
    #[serde(skip, default = "Instant::now")]
    pub(super) started: Instant,
    /// The store counts the lines it trims (`Stored::dropped`).
    #[serde(skip)]
    pub(super) transcript_dropped: u64,
    pub(super) turn_seq: u64,
    pub(super) last_event_seq: u64,
    pub(super) mode: Mode,
    pub(super) reports_playback: bool,
    /// When the current wait ends, and what happens then; stored as unix
    /// ms, which every replica shares.
    #[serde(with = "wall_clock")]
    pub(super) deadline: Option<(Instant, Due)>,
    /// A listen waiting for `prompt_played` before its clock starts.
    pub(super) pending_listen: Option<Duration>,
    /// The playback guard armed for it (for the transcript's fault line).
    #[serde(default)]
    pub(super) guard: Duration,
}

impl Kept {
    pub(super) fn new(
        machine: CallMachine,
        facts: Facts,
        mode: Mode,
        reports_playback: bool,
    ) -> Kept {
        Kept {
            machine,
            facts: Box::new(facts),
            started: Instant::now(),
            transcript_dropped: 0,
            turn_seq: 0,
            last_event_seq: 0,
            mode,
            reports_playback,
            deadline: None,
            pending_listen: None,
            guard: Duration::ZERO,
        }
    }
}

impl Kept {
    /// Whether `seq` is the front-end's retry of an event this call has
    /// seen (0 marks an event that is never retried).
    pub(super) fn is_retry(&self, seq: u64) -> bool {
        seq != 0 && seq <= self.last_event_seq
    }

    /// A new front-end event on an ended call is refused.
    pub(super) fn refuse_ended(&self, call_id: &str) -> Result<(), CallError> {
        match self.machine.ended() {
            None => Ok(()),
            Some(reason) => Err(CallError::Ended {
                call_id: call_id.to_owned(),
                reason: reason.as_str(),
            }),
        }
    }
}

/// A deadline as unix ms in a snapshot.
mod wall_clock {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use tokio::time::Instant;

    use super::{
        super::clock::{from_unix, to_unix},
        Due,
    };

    pub fn serialize<S: Serializer>(at: &Option<(Instant, Due)>, s: S) -> Result<S::Ok, S::Error> {
        at.as_ref()
            .map(|(at, due)| (to_unix(*at), due))
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<(Instant, Due)>, D::Error> {
        Ok(Option::<(u64, Due)>::deserialize(d)?.map(|(ms, due)| (from_unix(ms), due)))
    }
}

/// What a call's deadline brings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Due {
    /// An event for the machine.
    Event(TimerEvent),
    /// The playback guard: `prompt_played` should have come by now; the
    /// no-input timer starts without it (the seed forbids 冷通话, a caller
    /// left in dead air).
    PlaybackGuard,
}

/// The events a deadline brings: only these two, so a call keeps one byte
/// for its deadline's event rather than a whole [`Event`] (~70 bytes of
/// every live call, BENCHMARKS.md section 2). A snapshot spells them as
/// it spelled the events (`"NoInput"`), so stored calls read the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimerEvent {
    /// The caller said nothing for the listen's time.
    NoInput,
    /// A unary front-end sent nothing for the idle timeout.
    FrontEndLost,
}

impl From<TimerEvent> for Event {
    fn from(event: TimerEvent) -> Event {
        match event {
            TimerEvent::NoInput => Event::NoInput,
            TimerEvent::FrontEndLost => Event::FrontEndLost,
        }
    }
}
