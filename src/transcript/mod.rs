//! What happened on a call, as the service keeps it: the turns it sent,
//! the events it met, and a call's record (facts and transcript); and
//! (`text`) the same as lines a person reads.
//!
//! A leaf under the engine: the engine writes these, and the records
//! file, the scorer (N18), scenarios and the simulator read them without
//! reaching into the engine or into one another.

mod logged;
mod masked;
mod text;

use std::{sync::Arc, time::Duration};

use crate::{
    call::{Action, CallState, EndReason},
    flow::Flow,
};

pub use logged::LoggedEvent;
pub use masked::Redactor;
pub use text::{Line, TranscriptReader, TranscriptText, transcript_lines};

/// What the front-end should do next.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Turn {
    /// 1-based within the call; a turn with no actions repeats the last seq.
    pub seq: u64,
    pub state: CallState,
    pub step: Option<Arc<str>>,
    pub actions: Vec<Action>,
    pub ended: Option<EndReason>,
    /// The intents understood from the event behind this turn.
    pub understood: Box<[Arc<str>]>,
    /// What the front-end should collect, when the turn listens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_for: Option<Arc<crate::flow::ListenFor>>,
    /// The call's variables this turn set or changed (caller data).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub variables: std::collections::BTreeMap<String, String>,
}

impl Turn {
    /// How long the front-end listens after this turn, when it listens:
    /// the wait the engine arms and a scenario or the simulator shows.
    pub fn listen(&self) -> Option<Duration> {
        self.actions.iter().find_map(|a| match a {
            Action::Listen { timeout } => Some(*timeout),
            Action::Say(_)
            | Action::Transfer { .. }
            | Action::Hangup(_)
            | Action::Lookup { .. }
            | Action::Record { .. } => None,
        })
    }
}

/// A turn with the call it belongs to, as the edge sends it.
#[derive(Debug, Clone)]
pub struct TurnView {
    pub call_id: Arc<str>,
    pub flow: Arc<Flow>,
    pub turn: Arc<Turn>,
}

/// One line of a transcript.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// Since the call started.
    pub offset: Duration,
    pub kind: EntryKind,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum EntryKind {
    /// An event, with the front-end's seq (0 for the server's own: start,
    /// timers, operator).
    Event {
        seq: u64,
        event: LoggedEvent,
    },
    Turn(Arc<Turn>),
    /// Something the front-end failed to do, noticed by the service (a
    /// `prompt_played` that never came).
    Fault(Arc<str>),
}

/// A call's facts and transcript.
#[derive(Debug, Clone)]
pub struct CallRecord {
    pub call_id: Arc<str>,
    pub flow: Arc<Flow>,
    pub locale: Arc<str>,
    pub state: CallState,
    pub step: Option<Arc<str>>,
    pub ended: Option<EndReason>,
    pub facts: Facts,
    /// The newest entries, oldest first.
    pub transcript: Vec<Entry>,
    /// Entries dropped from the front once the transcript reached its cap.
    pub transcript_dropped: u64,
    /// The call's own variables (caller data).
    pub variables: std::collections::BTreeMap<String, String>,
}

/// What is known of a call from its start.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Facts {
    pub caller: Box<str>,
    pub callee: Box<str>,
    /// Local start time in the flow's zone, RFC 3339.
    pub local_start: Box<str>,
    /// Which greeting rule chose the opening.
    pub opening_rule: Box<str>,
    /// The authenticated client that started the call, when the service
    /// authenticates its clients.
    pub owner: Option<Arc<str>>,
}
