//! A flow's scenario files: list them, save a simulated call as one, and
//! how much of the flow they cover.

use std::{path::PathBuf, sync::Arc};

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Studio,
    auth::Need,
    coverage,
    error::{ApiError, ApiResult, Body},
    files,
};
use crate::{
    flow::FlowRegistry,
    scenario::{self, Scenario},
};

/// The scenario files of `scenarios_dir` that run flow `name`, by file
/// name, with their parsed contents.
pub fn of_flow(dir: &std::path::Path, name: &str) -> Vec<(String, Scenario)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Scenario)> = entries
        .flatten()
        .filter_map(|e| {
            let path = e.path();
            let file = path.file_name()?.to_str()?.to_owned();
            if !file.ends_with(".toml") {
                return None;
            }
            // A file that does not parse is no scenario of this flow here;
            // the test suite reports it.
            let scenario = scenario::load(&path).ok()?;
            (scenario.flow == name).then_some((file, scenario))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `GET /api/flows/{name}/scenarios`
pub async fn list(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    studio.admit(&headers, Need::Designer)?;
    let found = of_flow(&studio.settings.scenarios_dir, &name);
    Ok(Json(Value::Array(
        found
            .iter()
            .map(|(file, s)| json!({ "file": file, "title": s.title }))
            .collect(),
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaveRequest {
    file_name: String,
    scenario: String,
}

/// `POST /api/flows/{name}/scenarios`: written only if it is a scenario of
/// this flow that passes against the flows served now, so a saved test is
/// green the day it is saved.
pub async fn save(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Body(req): Body<SaveRequest>,
) -> ApiResult<Response> {
    studio.admit(&headers, Need::Designer)?;
    let stem = req.file_name.strip_suffix(".toml").unwrap_or("");
    if !files::plain_name(stem) {
        return Err(ApiError::bad_request(format!(
            "file_name {:?}: letters, digits, - and _, ending .toml",
            req.file_name
        )));
    }
    let parsed: Scenario = toml::from_str(&req.scenario)
        .map_err(|e| ApiError::unprocessable(format!("not a scenario file: {e}")))?;
    if parsed.flow != name {
        return Err(ApiError::unprocessable(format!(
            "the scenario runs flow {:?}, not {name:?}",
            parsed.flow
        )));
    }
    let dir = studio.settings.scenarios_dir.clone();
    let path = dir.join(&req.file_name);
    if path.exists() {
        return Err(ApiError::conflict(format!(
            "{} exists already; choose another name",
            path.display()
        )));
    }
    let flows = studio.flows.clone();
    let label = path.clone();
    tokio::task::spawn_blocking(move || passes(flows, &parsed, &label))
        .await
        .map_err(|e| ApiError::internal(format!("the scenario run stopped: {e}")))??;
    std::fs::create_dir_all(&dir)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
        })
        .and_then(|mut f| std::io::Write::write_all(&mut f, req.scenario.as_bytes()))
        .map_err(|e| ApiError::internal(format!("{}: {e}", path.display())))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "file": req.file_name, "path": path.display().to_string() })),
    )
        .into_response())
}

/// Runs a scenario in each of its locales on a virtual clock, as
/// `callscript simulate --scenario` does.
fn passes(
    flows: Arc<FlowRegistry>,
    parsed: &Scenario,
    file: &std::path::Path,
) -> Result<(), ApiError> {
    let runtime = crate::simulate::simulated_runtime()
        .map_err(|e| ApiError::internal(format!("cannot start a clock: {e}")))?;
    let each = scenario::per_locale(parsed).map_err(ApiError::unprocessable)?;
    for one in each {
        runtime
            .block_on(scenario::run(flows.clone(), &one, file))
            .map_err(|failure| {
                ApiError::unprocessable(format!("the scenario does not pass: {failure}"))
            })?;
    }
    Ok(())
}

/// `GET /api/flows/{name}/coverage`
pub async fn coverage(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    studio.admit(&headers, Need::Designer)?;
    let flow = studio
        .flows
        .get(&name)
        .ok_or_else(|| ApiError::not_found(format!("no flow named {name:?} is loaded")))?;
    let dir: PathBuf = studio.settings.scenarios_dir.clone();
    let flows = studio.flows.clone();
    let found = tokio::task::spawn_blocking(move || {
        let scenarios = of_flow(&dir, &name);
        coverage::runs(flows, &dir, scenarios)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the scenario runs stopped: {e}")))??;
    Ok(Json(coverage::report(&flow, &found)))
}
