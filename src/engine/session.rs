//! One live call: its machine, transcript, deadline and subscriber.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use tokio::time::Instant;

use super::{
    CallError, EngineSettings, Sink,
    kept::{Due, Kept, Mode, TimerEvent},
    mailbox::PushError,
};
pub use crate::transcript::{CallRecord, Entry, EntryKind, Facts, Turn, TurnView};
use crate::{
    call::{Action, CallState, EndReason, Event},
    flow::Flow,
};

pub struct Call {
    id: Arc<str>,
    session: Mutex<Session>,
}

pub struct Session {
    /// Everything the call is between operations (see [`Kept`]).
    pub(super) kept: Kept,
    /// Bounded (`EngineSettings::max_transcript`): a front-end that sends
    /// events forever must not grow a call without limit. In a shared
    /// store's working copy, only the lines the operation adds.
    pub(super) transcript: VecDeque<Entry>,
    /// The earliest entry the timer task holds for this call.
    pub(super) scheduled: Option<Instant>,
    pub(super) subscriber: Option<Sink>,
    /// What a call kept in the shared store also needs (`store`); `None`
    /// with the memory store.
    pub(super) shared: Option<Box<super::shared::SharedPart>>,
    /// Dropped when the call ends (see [`super::Anchor`]).
    pub(super) anchor: Option<super::Anchor>,
}

/// The answer to the retried event `seq` in a call's transcript: the turn
/// right after the event, or `quiet` when the event changed nothing (it
/// got the "nothing new" turn the first time too). An event the
/// transcript no longer holds is stale; a different event under the same
/// seq is refused (see [`CallError::SeqReused`]).
pub(super) fn replayed<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    seq: u64,
    event: &Event,
    last: u64,
    quiet: impl FnOnce() -> Arc<Turn>,
) -> Result<Arc<Turn>, CallError> {
    let mut from = entries
        .into_iter()
        .skip_while(|e| !matches!(e.kind, EntryKind::Event { seq: q, .. } if q == seq));
    match from.next().map(|e| &e.kind) {
        Some(EntryKind::Event { event: first, .. }) => same_event(seq, first, event)?,
        Some(EntryKind::Turn(_) | EntryKind::Fault(_)) | None => {
            return Err(CallError::StaleSeq { seq, last });
        }
    }
    match from.next().map(|e| &e.kind) {
        Some(EntryKind::Turn(turn)) => Ok(turn.clone()),
        Some(EntryKind::Event { .. } | EntryKind::Fault(_)) | None => Ok(quiet()),
    }
}

/// A retry carries the event its seq first carried; anything else is a
/// reused seq.
pub(super) fn same_event(seq: u64, first: &Event, now: &Event) -> Result<(), CallError> {
    if first == now {
        return Ok(());
    }
    Err(CallError::SeqReused {
        seq,
        first: first.kind().into(),
        now: now.kind().into(),
    })
}

/// What handling an event did to the call.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcome {
    pub ended: bool,
    /// The Converse stream's client went away.
    pub subscriber_gone: bool,
    /// The timer task must hold an entry for the call at this time (its
    /// new deadline is earlier than any entry it holds).
    pub timer: Option<Instant>,
}

/// What a timer check found.
pub enum Fired {
    NotArmed,
    Later(Instant),
    /// The deadline's event was handled.
    Handled(Outcome),
}

impl Call {
    pub fn new(id: Arc<str>, kept: Kept, subscriber: Option<Sink>) -> Self {
        Call {
            id,
            session: Mutex::new(Session {
                kept,
                // The start and the opening; most calls wait there (memory
                // per live call, BENCHMARKS.md).
                transcript: VecDeque::with_capacity(2),
                scheduled: None,
                subscriber,
                shared: None,
                anchor: None,
            }),
        }
    }

    pub fn id(&self) -> &Arc<str> {
        &self.id
    }

    /// Locks the call for one whole operation. Every operation (start,
    /// send, fire, end) is one critical section, so nothing can slip in
    /// between a check and the handling it guards.
    pub fn lock(&self) -> MutexGuard<'_, Session> {
        // The machine is only mutated inside `handle`, which cannot panic on
        // input; recovering keeps one bug from taking a call down with it.
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A front-end event: a retry gets its earlier turn back, an ended call
    /// refuses, anything else is handled. All under one lock, so twenty
    /// concurrent retries of one seq apply it exactly once.
    pub fn send(
        self: &Arc<Self>,
        seq: u64,
        event: Event,
        settings: &EngineSettings,
    ) -> Result<(Arc<TurnView>, Outcome), CallError> {
        let mut s = self.lock();
        if let Some(replayed) = self.replay(&s, seq, &event) {
            return replayed.map(|v| (v, Outcome::default()));
        }
        s.kept.refuse_ended(&self.id)?;
        Ok(self.handle(&mut s, seq, event, settings))
    }

    /// A server-side event (start, operator hangup, front-end lost,
    /// shutdown), handled unless the call has already ended.
    pub fn server_event(
        self: &Arc<Self>,
        s: &mut Session,
        event: Event,
        settings: &EngineSettings,
    ) -> Option<(Arc<TurnView>, Outcome)> {
        if s.kept.machine.ended().is_some() {
            return None;
        }
        Some(self.handle(s, 0, event, settings))
    }

    /// The timer task's check: if the deadline has come, its event is
    /// handled under the same lock, so an event that moved the call on
    /// meanwhile has already replaced (or cleared) the deadline.
    pub fn fire(self: &Arc<Self>, now: Instant, settings: &EngineSettings) -> Fired {
        let mut s = self.lock();
        s.scheduled = None;
        match &s.kept.deadline {
            None => Fired::NotArmed,
            Some((at, _)) if *at > now => {
                let at = *at;
                s.scheduled = Some(at);
                Fired::Later(at)
            }
            Some(_) => match s.kept.deadline.take() {
                Some((at, Due::Event(event))) => {
                    crate::metrics::timer_fired(Instant::now().saturating_duration_since(at));
                    tracing::debug!(call_id = %self.id, ?event, "timer fired");
                    Fired::Handled(self.handle(&mut s, 0, event.into(), settings).1)
                }
                Some((at, Due::PlaybackGuard)) => {
                    match s.playback_guard_passed(&self.id, at, settings) {
                        Some(next) => Fired::Later(next),
                        None => Fired::NotArmed,
                    }
                }
                None => Fired::NotArmed,
            },
        }
    }

    /// The turn an already-seen event produced, if `seq` is a retry.
    fn replay(
        &self,
        s: &Session,
        seq: u64,
        event: &Event,
    ) -> Option<Result<Arc<TurnView>, CallError>> {
        if !s.kept.is_retry(seq) {
            return None;
        }
        let quiet = || Arc::new(s.quiet_turn());
        let turn = replayed(&s.transcript, seq, event, s.kept.last_event_seq, quiet);
        Some(turn.map(|turn| self.view(s, turn)))
    }

    pub(super) fn view(&self, s: &Session, turn: Arc<Turn>) -> Arc<TurnView> {
        Arc::new(TurnView {
            call_id: self.id.clone(),
            flow: s.kept.machine.flow().clone(),
            turn,
        })
    }

    /// Feeds one event; returns the turn and what became of the call. A
    /// streamed call whose reader has gone or fallen too far behind ends
    /// here too, as `FrontEndLost`, in the same critical section.
    pub(super) fn handle(
        self: &Arc<Self>,
        s: &mut Session,
        seq: u64,
        event: Event,
        settings: &EngineSettings,
    ) -> (Arc<TurnView>, Outcome) {
        let (view, mut outcome) = self.handle_one(s, seq, event, settings);
        if outcome.subscriber_gone && !outcome.ended {
            let (_, lost) = self.handle_one(s, 0, Event::FrontEndLost, settings);
            outcome.ended = lost.ended;
            outcome.timer = outcome.timer.or(lost.timer);
        }
        (view, outcome)
    }

    fn handle_one(
        self: &Arc<Self>,
        s: &mut Session,
        seq: u64,
        event: Event,
        settings: &EngineSettings,
    ) -> (Arc<TurnView>, Outcome) {
        let now = Instant::now();
        let offset = now.saturating_duration_since(s.kept.started);
        if seq > s.kept.last_event_seq {
            s.kept.last_event_seq = seq;
        }
        let played = event == Event::PromptPlayed;
        let input_started = event == Event::InputStarted;
        let mut timer = None;
        crate::metrics::event(event.kind().label());
        // Most turns are two actions (say and listen, say and hang up):
        // left to grow, the vector would take room for four, and the
        // transcript keeps every turn (an action is ~80 bytes; memory per
        // live call, BENCHMARKS.md).
        let mut actions = Vec::with_capacity(2);
        s.kept.machine.handle_at(offset, &event, &mut actions);
        s.log(
            Entry {
                offset,
                kind: EntryKind::Event {
                    seq,
                    event: event.into(),
                },
            },
            settings,
        );
        let ended = s.kept.machine.ended();

        if actions.is_empty() && ended.is_none() {
            // Nothing to say: the call waits on as it was, except that a
            // listen waiting for playback (streamed calls only) starts its
            // clock now.
            if let Some(timeout) = s.kept.pending_listen.take_if(|_| played) {
                timer = s.arm(now + timeout, Due::Event(TimerEvent::NoInput));
            }
            // The caller is speaking or keying: no silence prompt until
            // the input ends (its event arms the next wait).
            if input_started
                && s.kept.mode == Mode::Stream
                && waits_on_caller(s.kept.machine.state())
            {
                s.kept.deadline = None;
                s.kept.pending_listen = None;
            }
            // Input the phase ignores (e.g. while transferring) keeps the
            // deadline as it was.
            let turn = Arc::new(s.quiet_turn());
            let outcome = Outcome {
                timer,
                ..Outcome::default()
            };
            return (self.view(s, turn), outcome);
        }

        s.kept.turn_seq += 1;
        let turn = Arc::new(Turn {
            seq: s.kept.turn_seq,
            state: s.kept.machine.state(),
            step: s.kept.machine.step().cloned(),
            listen_for: actions
                .iter()
                .any(|a| matches!(a, crate::call::Action::Listen { .. }))
                .then(|| s.kept.machine.listen_for())
                .flatten(),
            actions,
            ended,
            understood: s.kept.machine.understood().into(),
            variables: s.kept.machine.changed().clone(),
        });
        crate::metrics::turn(turn.state.label(), false);
        s.log(
            Entry {
                offset,
                kind: EntryKind::Turn(turn.clone()),
            },
            settings,
        );

        // Arm the next wait (ARCHITECTURE.md "Time").
        s.kept.deadline = None;
        s.kept.pending_listen = None;
        let listen = turn.listen();
        if ended.is_none() {
            match (s.kept.mode, listen) {
                (Mode::Stream, Some(timeout)) if s.kept.reports_playback && has_speech(&turn) => {
                    // The front-end reports the end of playback; should
                    // that report never come, the guard starts the clock.
                    s.kept.pending_listen = Some(timeout);
                    s.kept.guard =
                        playback_guard(&view_flow_locale(s), &turn, settings.playback_guard);
                    timer = s.arm(now + s.kept.guard, Due::PlaybackGuard);
                }
                (Mode::Stream, Some(timeout)) => {
                    timer = s.arm(now + timeout, Due::Event(TimerEvent::NoInput))
                }
                (Mode::Stream, None) => {}
                (Mode::Unary, listen) => {
                    let guard = listen.unwrap_or_default() + settings.idle_timeout;
                    timer = s.arm(now + guard, Due::Event(TimerEvent::FrontEndLost));
                }
            }
        }

        let view = self.view(s, turn);
        let mut subscriber_gone = false;
        if let Some(sub) = &s.subscriber {
            // The final turn may pass the backlog's bound, so a reader that
            // fell behind still learns why its call ended.
            match sub.push(view.clone(), ended.is_some()) {
                Ok(()) => {}
                Err(PushError::Full) => {
                    static WARNED: std::sync::atomic::AtomicU64 =
                        std::sync::atomic::AtomicU64::new(0);
                    if super::once_a_second(&WARNED) {
                        tracing::warn!(call_id = %self.id, "a Converse client stopped reading its turns (max_pushed_backlog); ending its call");
                    }
                    subscriber_gone = true;
                }
                Err(PushError::Gone) => {
                    subscriber_gone = true;
                    s.subscriber = None;
                }
            }
        } else if let Some(shared) = &mut s.shared {
            // A working copy: the turn goes to the stream once stored.
            shared.outbox.push((view.clone(), ended.is_some()));
        }
        if ended.is_some() {
            // Dropping the sender ends the Converse stream after this turn.
            s.subscriber = None;
        }
        (
            view,
            Outcome {
                ended: ended.is_some(),
                subscriber_gone,
                timer,
            },
        )
    }

    /// The call's flow and why it ended (`None` while live): what the
    /// "call ended" log line and metric need, without copying the record.
    /// The flow, the end reason and how long the call lasted.
    pub fn ending(&self) -> (Arc<Flow>, Option<EndReason>, Duration) {
        let s = self.lock();
        let lasted = s.kept.started.elapsed();
        (
            s.kept.machine.flow().clone(),
            s.kept.machine.ended(),
            lasted,
        )
    }

    pub fn record(&self) -> CallRecord {
        let s = self.lock();
        let flow = s.kept.machine.flow().clone();
        CallRecord {
            call_id: self.id.clone(),
            locale: flow.locales()[usize::from(s.kept.machine.locale())].clone(),
            flow,
            state: s.kept.machine.state(),
            step: s.kept.machine.step().cloned(),
            ended: s.kept.machine.ended(),
            facts: (*s.kept.facts).clone(),
            transcript: s.transcript.iter().cloned().collect(),
            transcript_dropped: s.kept.transcript_dropped,
            variables: variables_of(&s.kept.machine),
        }
    }
}

/// Whether the no-input timer of a phase is the caller's silence (not a
/// hold's promise, a lookup's wait or the wait after a goodbye), which
/// input from the caller stops.
fn waits_on_caller(state: CallState) -> bool {
    match state {
        CallState::Listening
        | CallState::InMenu
        | CallState::Collecting
        | CallState::ConfirmingTransfer
        | CallState::ConfirmingHold
        | CallState::Closing
        | CallState::ConfirmingSwitch
        | CallState::CheckingHandset => true,
        CallState::Ringing
        | CallState::Transferring
        | CallState::OnHold
        | CallState::LookingUp
        | CallState::Recording
        | CallState::AwaitingHangup
        | CallState::Ended => false,
    }
}

/// A call's variables, sorted, for its record.
pub(super) fn variables_of(
    machine: &crate::call::CallMachine,
) -> std::collections::BTreeMap<String, String> {
    machine
        .variables()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether `who` may touch a call with these facts: anyone when the
/// service is open (`None`), otherwise only the client that started it.
pub(super) fn check_owner(
    facts: &Facts,
    who: super::Requester<'_>,
    call_id: &str,
) -> Result<(), CallError> {
    match who {
        None => Ok(()),
        Some(name) if facts.owner.as_deref() == Some(name) => Ok(()),
        Some(_) => Err(CallError::NotOwner(call_id.to_owned())),
    }
}

impl Session {
    /// About how many bytes this call's record holds: what the front-end
    /// sent (numbers, speech, digits) and a fixed cost per entry. The
    /// retained-record store is bounded by this as well as by count.
    pub fn approx_bytes(&self) -> usize {
        const CALL: usize = 512;
        const ENTRY: usize = 96;
        let facts = self.kept.facts.caller.len()
            + self.kept.facts.callee.len()
            + self.kept.facts.local_start.len()
            + self.kept.facts.opening_rule.len();
        let entries: usize = self
            .transcript
            .iter()
            .map(|e| {
                ENTRY
                    + match &e.kind {
                        EntryKind::Event { event, .. } => match &**event {
                            Event::Speech { text, .. } => text.len(),
                            Event::Dtmf { digits } => digits.len(),
                            Event::RecordingResult { recording, .. } => recording.len(),
                            Event::Data { variables }
                            | Event::LookupResult { variables, .. }
                            | Event::HoldResult { variables, .. } => {
                                variables.iter().map(|(k, v)| k.len() + v.len()).sum()
                            }
                            Event::Start
                            | Event::PromptPlayed
                            | Event::InputStarted
                            | Event::NoInput
                            | Event::Audio(_)
                            | Event::TransferResult { .. }
                            | Event::CallerHangup
                            | Event::OperatorHangup
                            | Event::FrontEndLost
                            | Event::Shutdown
                            | Event::TimeLimit => 0,
                        },
                        EntryKind::Turn(t) => t.actions.len() * 32,
                        EntryKind::Fault(f) => f.len(),
                    }
            })
            .sum();
        CALL + facts + entries
    }

    /// A working copy for an operation on a stored call: the operation is
    /// kept ([`Session::install`]) only once the store took it. It has no
    /// subscriber (its turns wait in the outbox) and no transcript (the
    /// lines it adds are the ones to append).
    pub(super) fn fork(&self) -> Session {
        Session {
            kept: self.kept.clone(),
            transcript: VecDeque::new(),
            scheduled: self.scheduled,
            subscriber: None,
            shared: self.shared.as_ref().map(|p| Box::new(p.fork())),
            // The working copy holds no connection; the call keeps its own.
            anchor: None,
        }
    }

    /// Takes a stored working copy's state; keeps the subscriber, the
    /// transcript and the timer entry.
    pub(super) fn install(&mut self, fork: Session) {
        self.kept = fork.kept;
        // The call's gate stays the one its operations queue on.
        let gate = self.shared.as_ref().map(|p| p.gate.clone());
        self.shared = fork.shared;
        if let (Some(gate), Some(part)) = (gate, &mut self.shared) {
            part.gate = gate;
        }
    }

    /// The playback guard passed at `at` without `prompt_played`: the
    /// transcript notes the front-end's fault and the no-input clock
    /// starts from the guard's own deadline (a timer task that runs late
    /// does not move the caller's clock). Returns the timer entry that
    /// listen needs (see [`Session::arm`]); `None` if no listen was
    /// waiting.
    pub(super) fn playback_guard_passed(
        &mut self,
        call_id: &str,
        at: Instant,
        settings: &EngineSettings,
    ) -> Option<Instant> {
        let timeout = self.kept.pending_listen.take()?;
        let offset = at.saturating_duration_since(self.kept.started);
        let waited = self.kept.guard;
        self.log(
            Entry {
                offset,
                kind: EntryKind::Fault(
                    format!(
                        "prompt_played did not come within the playback guard ({} ms); the no-input timer started without it",
                        waited.as_millis()
                    )
                    .into(),
                ),
            },
            settings,
        );
        tracing::debug!(%call_id, "playback guard: no prompt_played");
        self.arm(at + timeout, Due::Event(TimerEvent::NoInput))
    }

    pub(super) fn log(&mut self, entry: Entry, settings: &EngineSettings) {
        if self.transcript.len() >= settings.max_transcript.max(1) {
            self.transcript.pop_front();
            self.kept.transcript_dropped += 1;
        }
        self.transcript.push_back(entry);
    }

    pub(super) fn quiet_turn(&self) -> Turn {
        Turn {
            seq: self.kept.turn_seq,
            state: self.kept.machine.state(),
            step: self.kept.machine.step().cloned(),
            actions: Vec::new(),
            ended: self.kept.machine.ended(),
            understood: self.kept.machine.understood().into(),
            listen_for: None,
            variables: self.kept.machine.changed().clone(),
        }
    }

    /// Sets the call's deadline. Returns the entry the timer task must be
    /// given for it, if any: the engine hands it over once the operation
    /// is done, so handling an event never touches the timer task.
    fn arm(&mut self, at: Instant, due: Due) -> Option<Instant> {
        self.kept.deadline = Some((at, due));
        if self.shared.is_some() {
            // A unary call's deadline is in the store's index: any replica
            // fires it. A streamed one fires here, through the store; each
            // arm is scheduled (working copies cannot share the laziness).
            return (self.kept.mode == Mode::Stream).then_some(at);
        }
        // Lazy: an entry at or before the deadline is already there.
        if self.scheduled.is_none_or(|s| at < s) {
            self.scheduled = Some(at);
            return Some(at);
        }
        None
    }
}

/// The call's locale name, for the playback estimate.
fn view_flow_locale(s: &Session) -> Arc<str> {
    let flow = s.kept.machine.flow();
    flow.locales()[usize::from(s.kept.machine.locale())].clone()
}

/// How long a turn's prompts may take to play before the service stops
/// waiting for `prompt_played`: the text's length at a speaking rate for
/// the locale (Chinese about 4 characters a second, other languages about
/// 14), plus a margin for the front-end's own latency, at most `cap`.
pub fn playback_guard(locale: &str, turn: &Turn, cap: Duration) -> Duration {
    const MARGIN: Duration = Duration::from_secs(2);
    let per_char = if locale.to_ascii_lowercase().starts_with("zh") {
        Duration::from_millis(250)
    } else {
        Duration::from_millis(70)
    };
    let chars: u32 = turn
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Say(say) => Some(say.text().chars().count() as u32),
            _ => None,
        })
        .sum();
    (per_char * chars + MARGIN).min(cap)
}

fn has_speech(turn: &Turn) -> bool {
    turn.actions.iter().any(|a| matches!(a, Action::Say(_)))
}
