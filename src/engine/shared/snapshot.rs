//! A call as the store keeps it: the snapshot written after every
//! operation and read back on any replica, wall-clock time, and the
//! replica's copy of a stored call.

use super::*;

/// A call as stored, written from a session.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    flow: &'a str,
    flow_version: &'a str,
    machine: &'a CallMachine,
    facts: &'a Facts,
    started_ms: u64,
    turn_seq: u64,
    last_event_seq: u64,
    last_answer: &'a Option<Arc<Turn>>,
    mode: Mode,
    reports_playback: bool,
    /// Unix ms, and what happens then.
    deadline: Option<(u64, &'a Due)>,
    pending_listen: Option<Duration>,
    /// The playback guard behind a waiting listen (its fault line).
    guard: Duration,
}

/// A call as stored, read back (the fields of [`SnapshotRef`]).
#[derive(Deserialize)]
pub(super) struct Snapshot {
    pub(super) machine: CallMachine,
    pub(super) facts: Facts,
    pub(super) started_ms: u64,
    pub(super) turn_seq: u64,
    pub(super) last_event_seq: u64,
    pub(super) last_answer: Option<Arc<Turn>>,
    pub(super) mode: Mode,
    pub(super) reports_playback: bool,
    pub(super) deadline: Option<(u64, Due)>,
    pub(super) pending_listen: Option<Duration>,
    #[serde(default)]
    pub(super) guard: Duration,
}

/// The part of a snapshot that says which flow reads the rest.
#[derive(Deserialize)]
struct Header {
    flow: String,
    flow_version: String,
}

pub(super) fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// A process instant as wall-clock unix ms.
pub(super) fn to_unix(at: Instant) -> u64 {
    let now = Instant::now();
    let unix = unix_ms();
    if at >= now {
        unix + (at - now).as_millis() as u64
    } else {
        unix.saturating_sub((now - at).as_millis() as u64)
    }
}

/// Wall-clock unix ms as a process instant.
pub(super) fn from_unix(ms: u64) -> Instant {
    let now = Instant::now();
    let unix = unix_ms();
    if ms >= unix {
        now + Duration::from_millis(ms - unix)
    } else {
        now.checked_sub(Duration::from_millis(unix - ms))
            .unwrap_or(now)
    }
}

pub(super) fn corrupt(call_id: &str, e: impl std::fmt::Display) -> CallError {
    CallError::StoreUnavailable(format!("call {call_id:?} in the store cannot be read: {e}"))
}

/// A call as this replica's copy of a stored snapshot.
pub(super) fn restored(
    call_id: &str,
    flow: Arc<Flow>,
    snapshot: Snapshot,
    stored: &Stored,
    subscriber: Option<Sink>,
) -> Arc<Call> {
    debug_assert!(Arc::ptr_eq(snapshot.machine.flow(), &flow));
    let call = Arc::new(Call::new(
        call_id.into(),
        snapshot.machine,
        snapshot.facts,
        snapshot.mode,
        snapshot.reports_playback,
        subscriber,
    ));
    {
        let mut s = call.lock();
        s.started = from_unix(snapshot.started_ms);
        s.turn_seq = snapshot.turn_seq;
        s.last_event_seq = snapshot.last_event_seq;
        s.deadline = snapshot.deadline.map(|(at, e)| (from_unix(at), e));
        s.pending_listen = snapshot.pending_listen;
        s.guard = snapshot.guard;
        s.transcript_dropped = stored.dropped;
        s.shared = Some(Box::new(SharedPart {
            version: stored.version,
            last_answer: snapshot.last_answer,
            started_ms: snapshot.started_ms,
            gate: Arc::default(),
            outbox: Vec::new(),
            used: Instant::now(),
        }));
    }
    call
}

impl Engine {
    /// The write that stores a working copy: its snapshot and the
    /// transcript lines it added.
    pub(super) fn write_of(
        &self,
        shared: &Shared,
        call_id: &str,
        fork: &mut Session,
        expected: u64,
        ended: bool,
    ) -> Result<Write, CallError> {
        let flow = fork.machine.flow().clone();
        let part = fork.shared.as_ref();
        let snapshot = SnapshotRef {
            flow: flow.id(),
            flow_version: flow.version(),
            machine: &fork.machine,
            facts: &fork.facts,
            started_ms: part.map_or(0, |p| p.started_ms),
            turn_seq: fork.turn_seq,
            last_event_seq: fork.last_event_seq,
            last_answer: match part {
                Some(p) => &p.last_answer,
                None => &None,
            },
            mode: fork.mode,
            reports_playback: fork.reports_playback,
            deadline: fork.deadline.as_ref().map(|(at, e)| (to_unix(*at), e)),
            pending_listen: fork.pending_listen,
            guard: fork.guard,
        };
        let snapshot = serde_json::to_string(&snapshot).map_err(|e| corrupt(call_id, e))?;
        let entries = fork
            .transcript
            .drain(..)
            .map(|e| serde_json::to_string(&e))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt(call_id, e))?;
        let settings = &self.inner.settings;
        let check_at = match (ended, fork.mode, &fork.deadline) {
            (true, _, _) => None,
            (false, Mode::Unary, Some((at, _))) => Some(to_unix(*at)),
            (false, Mode::Unary, None) => None,
            // A streamed call's timers are its stream replica's; the index
            // only notices when no replica has held it for idle_timeout.
            (false, Mode::Stream, _) => Some(unix_ms() + settings.idle_timeout.as_millis() as u64),
        };
        Ok(Write {
            expected,
            snapshot,
            entries,
            max_transcript: settings.max_transcript,
            ended_ttl: ended.then_some(shared.ended_ttl),
            check_at,
        })
    }

    /// A stored snapshot and the flow (version) it is of.
    pub(super) async fn read(
        &self,
        shared: &Shared,
        call_id: &str,
        stored: &Stored,
    ) -> Result<(Arc<Flow>, Snapshot), CallError> {
        let header: Header =
            serde_json::from_str(&stored.snapshot).map_err(|e| corrupt(call_id, e))?;
        let flow = shared
            .flow(&self.inner.flows, &header.flow, &header.flow_version)
            .await?;
        let snapshot = with_flow(&flow, || serde_json::from_str::<Snapshot>(&stored.snapshot))
            .map_err(|e| corrupt(call_id, e))?;
        Ok((flow, snapshot))
    }
}
