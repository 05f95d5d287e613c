//! `PUT /api/flows/{name}`: publish a flow, only when it checks without
//! errors and nobody changed the file since the designer opened it; and
//! the change log every publish appends to (`GET /api/changes`).
//!
//! Why a hash and not a lock: designers open a flow and may never save;
//! the hash they opened (the content version) is all a save needs to say
//! "I changed this text", and a stale one gets the diff instead of
//! silently replacing someone's work.

use std::{io::Write, sync::Arc};

use axum::{
    Json,
    extract::{Path, Query, State},
    http::HeaderMap,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use similar::TextDiff;

use super::{
    Studio,
    auth::Need,
    check::{check, diagnostics_json},
    error::{ApiError, ApiResult, Body},
    files,
};
use crate::flow::{Diagnostics, Severity};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    text: String,
    /// The hash of the file as the designer opened it; `None` for a new
    /// flow.
    base_hash: Option<String>,
}

/// One line of the change log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
    at: String,
    /// The token's client name; `None` when the studio is open.
    who: Option<String>,
    flow: String,
    file: String,
    from_hash: Option<String>,
    to_hash: String,
    diff: String,
}

/// `PUT /api/flows/{name}`
pub async fn publish(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Body(req): Body<PublishRequest>,
) -> ApiResult<Json<Value>> {
    let user = studio.admit(&headers, Need::Designer)?;
    let dir = studio.flows_dir()?;
    let path = files::flow_path(dir, &name)?;
    let file = format!("{name}.toml");
    let _one_at_a_time = studio.publishing.lock().await;
    let current = files::read(dir, &name, studio.max_flow_bytes)?;
    let current_text = current.as_ref().and_then(|f| f.text.as_deref());
    let current_hash = current.as_ref().map(|f| f.hash.as_str());
    if current_hash != req.base_hash.as_deref() {
        let why = match (current_hash, &req.base_hash) {
            (Some(_), Some(_)) => "the file changed since you opened it",
            (Some(_), None) => "a flow of that name exists already",
            (None, _) => "the file was removed since you opened it",
        };
        return Err(
            ApiError::conflict(format!("{file}: {why}; nothing was written"))
                .with("current_hash", current_hash)
                .with("current_text", current_text)
                .with("diff", diff(&file, current_text.unwrap_or(""), &req.text)),
        );
    }
    let (flow, diags) = check(&file, &req.text);
    let Some(flow) = flow else {
        return Err(refused(&file, &diags));
    };
    if **flow.id() != *name {
        return Err(ApiError::unprocessable(format!(
            "{file}: its id is {:?}; a flow's file is named after its id",
            flow.id()
        ))
        .with("diagnostics", Value::Array(vec![])));
    }
    files::write_atomically(&path, &req.text)?;
    let to_hash = crate::flow::version_of(&req.text);
    let change = Change {
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        who: user.name.as_deref().map(str::to_owned),
        flow: name.clone(),
        file: file.clone(),
        from_hash: current_hash.map(str::to_owned),
        to_hash: to_hash.clone(),
        diff: diff(&file, current_text.unwrap_or(""), &req.text),
    };
    append(&studio.changes_file()?, &change)?;
    if !studio.watched {
        let flows = studio.flows.clone();
        let _ = tokio::task::spawn_blocking(move || flows.reload()).await;
    }
    let warnings = Diagnostics(
        diags
            .0
            .into_iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect(),
    );
    Ok(Json(json!({
        "hash": to_hash,
        "warnings": diagnostics_json(&warnings),
    })))
}

fn refused(file: &str, diags: &Diagnostics) -> ApiError {
    let errors = diags
        .0
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    ApiError::unprocessable(format!(
        "{file}: {errors} error{} (nothing was written)",
        if errors == 1 { "" } else { "s" }
    ))
    .with("diagnostics", diagnostics_json(diags))
}

/// A unified diff of the file `now` against `yours`.
pub fn diff(file: &str, now: &str, yours: &str) -> String {
    TextDiff::from_lines(now, yours)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{file} (now)"), &format!("{file} (yours)"))
        .to_string()
}

fn append(log: &std::path::Path, change: &Change) -> Result<(), ApiError> {
    let mut line = serde_json::to_string(change)
        .map_err(|e| ApiError::internal(format!("change log: {e}")))?;
    line.push('\n');
    // One write of one line in append mode: two publishes cannot
    // interleave their lines.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .map_err(|e| {
            ApiError::internal(format!(
                "the flow was published, but the change log {} could not be written: {e}",
                log.display()
            ))
        })
}

#[derive(Debug, Deserialize)]
pub struct ChangesQuery {
    flow: Option<String>,
    limit: Option<usize>,
}

/// `GET /api/changes`
pub async fn changes(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Query(q): Query<ChangesQuery>,
) -> ApiResult<Json<Vec<Change>>> {
    studio.admit(&headers, Need::Designer)?;
    let log = studio.changes_file()?;
    let text = match std::fs::read_to_string(&log) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ApiError::internal(format!("{}: {e}", log.display()))),
    };
    let limit = q.limit.unwrap_or(100).min(10_000);
    Ok(Json(
        text.lines()
            .rev()
            // A line cut short by a crash is skipped, not fatal.
            .filter_map(|l| serde_json::from_str::<Change>(l).ok())
            .filter(|c| q.flow.as_ref().is_none_or(|f| *f == c.flow))
            .take(limit)
            .collect(),
    ))
}
