//! The operators' view: live calls and recent ended ones, shown as GetCall
//! shows them (masked by the one masking rule, `CallRecord::masked`,
//! unless the token has `pii`).

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    extract::{Query, State},
    http::HeaderMap,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Studio, auth::Need, error::ApiResult};
use crate::{
    engine::CallRecord,
    transcript::{EntryKind, Redactor, transcript_lines},
};

/// The most calls one answer lists.
const MAX_LISTED: usize = 500;

#[derive(Debug, Deserialize)]
pub struct Limit {
    limit: Option<usize>,
}

/// `GET /api/calls/live`
pub async fn live(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Query(q): Query<Limit>,
) -> ApiResult<Json<Value>> {
    let user = studio.admit(&headers, Need::Operator)?;
    let limit = q.limit.unwrap_or(MAX_LISTED).min(MAX_LISTED);
    let mut calls: Vec<(CallRecord, Duration)> = studio.engine.live_listing(limit);
    calls.sort_by_key(|c| std::cmp::Reverse(c.1));
    let listed: Vec<Value> = calls
        .into_iter()
        .map(|(record, lasted)| {
            let in_step = lasted.saturating_sub(step_entered(&record));
            let record = if user.pii { record } else { record.masked().0 };
            json!({
                "call_id": &*record.call_id,
                "flow": record.flow.id().to_string(),
                "version": record.flow.version().to_string(),
                "step": record.step.as_deref(),
                "state": record.state.as_str(),
                "locale": record.locale.to_string(),
                "caller": &*record.facts.caller,
                "seconds_in_step": in_step.as_secs(),
                "seconds_in_call": lasted.as_secs(),
            })
        })
        .collect();
    Ok(Json(Value::Array(listed)))
}

/// When (since its start) the call came to the step it is at: the first
/// of the turns at its current step since it was last elsewhere.
fn step_entered(record: &CallRecord) -> Duration {
    let mut entered = Duration::ZERO;
    let mut at: Option<&str> = None;
    for entry in &record.transcript {
        if let EntryKind::Turn(turn) = &entry.kind
            && turn.step.as_deref() != at
        {
            at = turn.step.as_deref();
            entered = entry.offset;
        }
    }
    entered
}

/// `GET /api/calls/recent`
pub async fn recent(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Query(q): Query<Limit>,
) -> ApiResult<Json<Value>> {
    let user = studio.admit(&headers, Need::Operator)?;
    let limit = q.limit.unwrap_or(50).min(MAX_LISTED);
    let listed: Vec<Value> = studio
        .engine
        .recent_ended(limit)
        .into_iter()
        .map(|record| {
            // Scored on the call as it was, then shown as the reader may
            // see it: the evidence quotes the call's lines.
            let mut score = studio.scoring.score_record(&record);
            let (record, redactor) = if user.pii {
                (record, None::<Redactor>)
            } else {
                let (masked, redactor) = record.masked();
                (masked, Some(redactor))
            };
            if let Some(redactor) = &redactor {
                for d in &mut score.deductions {
                    d.evidence = redactor.text(&d.evidence);
                }
            }
            let seconds = record.transcript.last().map_or(0, |e| e.offset.as_secs());
            let transcript: String = transcript_lines(&record.transcript)
                .iter()
                .map(|l| format!("{l}\n"))
                .collect();
            json!({
                "call_id": &*record.call_id,
                "flow": record.flow.id().to_string(),
                "locale": record.locale.to_string(),
                "caller": &*record.facts.caller,
                "end_reason": record.ended.map(|r| r.as_str()),
                "started": &*record.facts.local_start,
                "seconds": seconds,
                "transcript": transcript,
                "score": serde_json::to_value(&score).unwrap_or_default(),
            })
        })
        .collect();
    Ok(Json(Value::Array(listed)))
}
