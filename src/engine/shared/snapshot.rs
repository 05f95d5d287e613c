//! A call as the store keeps it: the snapshot written after every
//! operation and read back on any replica, and the replica's copy of a
//! stored call.

use super::*;

/// A call as stored, written from a session: which flow version reads
/// it, the call itself ([`Kept`], serialized whole) and what only a stored
/// call needs.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    flow: &'a str,
    flow_version: &'a str,
    kept: &'a Kept,
    started_ms: u64,
    last_answer: &'a Option<Arc<Turn>>,
    last_event: &'a Option<Event>,
}

/// A call as stored, read back (what [`SnapshotRef`] wrote).
#[derive(Deserialize)]
pub(super) struct Snapshot {
    pub(super) kept: Kept,
    started_ms: u64,
    last_answer: Option<Arc<Turn>>,
    /// Absent from snapshots written before it was kept.
    #[serde(default)]
    last_event: Option<Event>,
}

/// The part of a snapshot that says which flow reads the rest.
#[derive(Deserialize)]
struct Header {
    flow: String,
    flow_version: String,
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
    debug_assert!(Arc::ptr_eq(snapshot.kept.machine.flow(), &flow));
    let mut kept = snapshot.kept;
    kept.started = from_unix(snapshot.started_ms);
    kept.transcript_dropped = stored.dropped;
    let call = Arc::new(Call::new(call_id.into(), kept, subscriber));
    call.lock().shared = Some(Box::new(SharedPart::new(
        stored.version,
        (snapshot.last_answer, snapshot.last_event),
        snapshot.started_ms,
    )));
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
        let flow = fork.kept.machine.flow().clone();
        let part = fork.shared.as_ref();
        let snapshot = SnapshotRef {
            flow: flow.id(),
            flow_version: flow.version(),
            kept: &fork.kept,
            started_ms: part.map_or(0, |p| p.started_ms),
            last_answer: match part {
                Some(p) => &p.last_answer,
                None => &None,
            },
            last_event: match part {
                Some(p) => &p.last_event,
                None => &None,
            },
        };
        let snapshot = serde_json::to_string(&snapshot).map_err(|e| corrupt(call_id, e))?;
        let entries = fork
            .transcript
            .drain(..)
            .map(|e| serde_json::to_string(&e))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt(call_id, e))?;
        let settings = &self.inner.settings;
        let check_at = match (ended, fork.kept.mode, &fork.kept.deadline) {
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
