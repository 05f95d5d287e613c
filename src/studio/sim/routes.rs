//! The simulation routes: start, act, show, write down as a scenario,
//! forget.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Command, Setup, input::EventRequest, input::vars};
use crate::{
    flow::{Flow, FlowRegistry, check_source},
    studio::{
        Studio,
        auth::Need,
        check::diagnostics_json,
        error::{ApiError, ApiResult, Body},
        flows::file_name,
    },
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    name: String,
    /// An unpublished text to simulate instead of the file.
    text: Option<String>,
    /// RFC 3339; now when absent.
    at: Option<String>,
    locale: Option<String>,
    start_step: Option<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    reply_after_ms: Option<u64>,
}

/// The longest a caller may take to answer, as a setting of a simulation.
const MAX_REPLY_AFTER: Duration = Duration::from_secs(60);

/// `POST /api/sim`
pub async fn start(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Body(req): Body<StartRequest>,
) -> ApiResult<Response> {
    studio.admit(&headers, Need::Designer)?;
    let at = match &req.at {
        None => Utc::now().trunc_subsecs(0),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map_err(|e| ApiError::bad_request(format!("at {text:?}: not RFC 3339 ({e})")))?
            .with_timezone(&Utc),
    };
    let reply_after = Duration::from_millis(req.reply_after_ms.unwrap_or(1000));
    if reply_after > MAX_REPLY_AFTER {
        return Err(ApiError::bad_request("reply_after_ms: at most 60000"));
    }
    let (flows, unreplayable) = flows_for(&studio, &req)?;
    let setup = Setup {
        flows,
        flow: req.name.clone(),
        at,
        locale: req.locale.clone(),
        variables: vars(req.variables)?,
        reply_after,
        unreplayable,
        scoring: studio.scoring.clone(),
    };
    let view = studio.sims.start(setup).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The flows a simulation runs on: the service's own, unless the request
/// gives a text or another start step, which are compiled for it alone;
/// and why such a call cannot be replayed by a scenario file.
fn flows_for(
    studio: &Studio,
    req: &StartRequest,
) -> Result<(Arc<FlowRegistry>, Option<String>), ApiError> {
    let file = file_name(&req.name)?;
    let published = || {
        studio
            .flows
            .get(&req.name)
            .ok_or_else(|| ApiError::not_found(format!("no flow named {:?} is loaded", req.name)))
    };
    if req.text.is_none() && req.start_step.is_none() {
        published()?;
        return Ok((studio.flows.clone(), None));
    }
    let text = match &req.text {
        Some(text) => text.clone(),
        None => published()?.source().to_string(),
    };
    let mut why = Vec::new();
    if req.text.is_some() {
        why.push("it ran an unpublished text".to_owned());
    }
    let text = match &req.start_step {
        None => text,
        Some(step) => {
            why.push(format!("it started at step {step:?}"));
            starting_at(&file, &text, step)?
        }
    };
    let flow = compile(&file, &text)?;
    if **flow.id() != *req.name {
        return Err(ApiError::unprocessable(format!(
            "the text's id is {:?}, not {:?}",
            flow.id(),
            req.name
        )));
    }
    let registry = FlowRegistry::from_flows([flow], (*studio.flows.holidays()).clone());
    Ok((Arc::new(registry), Some(why.join(" and "))))
}

fn compile(file: &str, text: &str) -> Result<Flow, ApiError> {
    match check_source(file, text) {
        (Some(flow), _) => Ok(flow),
        (None, diags) => Err(ApiError::unprocessable("the text does not compile")
            .with("diagnostics", diagnostics_json(&diags))),
    }
}

/// The text with its `start` set to `step`, a step of the flow's own
/// (a subflow's steps are entered by a `call` step only).
fn starting_at(file: &str, text: &str, step: &str) -> Result<String, ApiError> {
    let flow = compile(file, text)?;
    if !flow.steps().iter().any(|s| &*s.id == step) || step.contains('.') {
        return Err(ApiError::not_found(format!(
            "no step {step:?} of the flow's own to start at"
        )));
    }
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| ApiError::unprocessable(format!("{file}: {e}")))?;
    table.insert("start".into(), toml::Value::String(step.to_owned()));
    toml::to_string(&table).map_err(|e| ApiError::internal(format!("{file}: {e}")))
}

/// `GET /api/sim/{id}`
pub async fn show(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    studio.admit(&headers, Need::Designer)?;
    studio.sims.ask(&id, Command::Show).await.map(Json)
}

/// `POST /api/sim/{id}/event`
pub async fn event(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(req): Body<EventRequest>,
) -> ApiResult<Json<Value>> {
    studio.admit(&headers, Need::Designer)?;
    let input = req.input()?;
    studio
        .sims
        .ask(&id, |reply| Command::Act(input, reply))
        .await
        .map(Json)
}

/// `GET /api/sim/{id}/scenario`
pub async fn scenario(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    studio.admit(&headers, Need::Designer)?;
    let text = studio.sims.ask(&id, Command::Scenario).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
        text,
    )
        .into_response())
}

/// `DELETE /api/sim/{id}`
pub async fn stop(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    studio.admit(&headers, Need::Designer)?;
    if studio.sims.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("no simulation {id:?}")))
    }
}
