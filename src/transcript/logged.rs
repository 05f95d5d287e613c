//! An event as a transcript keeps it: a pointer, not the 80-byte `Event`
//! inline, so an entry is small and a waiting call's transcript (its
//! start and its opening turn) fits a small allocation (memory per live
//! call, BENCHMARKS.md section 2).

use std::ops::Deref;

use crate::call::Event;

/// A transcript's event: the events that carry nothing point at one
/// shared value (no allocation; most calls' events are these), the rest
/// are boxed. Reads, compares and serialises as the `Event` it holds.
#[derive(Debug, Clone)]
pub struct LoggedEvent(Held);

#[derive(Debug, Clone)]
enum Held {
    Shared(&'static Event),
    Boxed(Box<Event>),
}

static START: Event = Event::Start;
static PROMPT_PLAYED: Event = Event::PromptPlayed;
static INPUT_STARTED: Event = Event::InputStarted;
static NO_INPUT: Event = Event::NoInput;
static CALLER_HANGUP: Event = Event::CallerHangup;
static OPERATOR_HANGUP: Event = Event::OperatorHangup;
static FRONT_END_LOST: Event = Event::FrontEndLost;
static SHUTDOWN: Event = Event::Shutdown;
static TIME_LIMIT: Event = Event::TimeLimit;

impl From<Event> for LoggedEvent {
    fn from(event: Event) -> Self {
        let shared = match event {
            Event::Start => &START,
            Event::PromptPlayed => &PROMPT_PLAYED,
            Event::InputStarted => &INPUT_STARTED,
            Event::NoInput => &NO_INPUT,
            Event::CallerHangup => &CALLER_HANGUP,
            Event::OperatorHangup => &OPERATOR_HANGUP,
            Event::FrontEndLost => &FRONT_END_LOST,
            Event::Shutdown => &SHUTDOWN,
            Event::TimeLimit => &TIME_LIMIT,
            Event::Speech { .. }
            | Event::Dtmf { .. }
            | Event::Audio(_)
            | Event::TransferResult { .. }
            | Event::Data { .. }
            | Event::LookupResult { .. }
            | Event::HoldResult { .. }
            | Event::RecordingResult { .. } => return LoggedEvent(Held::Boxed(Box::new(event))),
        };
        LoggedEvent(Held::Shared(shared))
    }
}

impl Deref for LoggedEvent {
    type Target = Event;

    fn deref(&self) -> &Event {
        match &self.0 {
            Held::Shared(event) => event,
            Held::Boxed(event) => event,
        }
    }
}

impl PartialEq for LoggedEvent {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl PartialEq<Event> for LoggedEvent {
    fn eq(&self, other: &Event) -> bool {
        **self == *other
    }
}

impl serde::Serialize for LoggedEvent {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Event::serialize(self, serializer)
    }
}

impl<'de> serde::Deserialize<'de> for LoggedEvent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Event::deserialize(deserializer).map(LoggedEvent::from)
    }
}
