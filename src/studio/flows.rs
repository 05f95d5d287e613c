//! The designer's routes over flow files: list, read, check, draw.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
    http::HeaderMap,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    Studio,
    auth::Need,
    check::{check, diagnostics_json, graph_json},
    error::{ApiError, ApiResult, Body},
    files::{self, FlowFile},
};

/// `GET /api/flows`
pub async fn list(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
) -> ApiResult<Json<Vec<FlowFile>>> {
    studio.admit(&headers, Need::Designer)?;
    Ok(Json(files::list(
        studio.flows_dir()?,
        studio.max_flow_bytes,
    )?))
}

/// `GET /api/flows/{name}`
pub async fn get(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> ApiResult<Json<FlowFile>> {
    studio.admit(&headers, Need::Designer)?;
    files::read(studio.flows_dir()?, &name, studio.max_flow_bytes)?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no flow named {name:?}")))
}

/// A text to check or draw, as the file of flow `name`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextOf {
    pub name: String,
    pub text: String,
}

/// `POST /api/check`
pub async fn check_text(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Body(req): Body<TextOf>,
) -> ApiResult<Json<Value>> {
    studio.admit(&headers, Need::Designer)?;
    let (flow, diags) = check(&file_name(&req.name)?, &req.text);
    Ok(Json(json!({
        "ok": !diags.has_errors(),
        "diagnostics": diagnostics_json(&diags),
        "graph": flow.map(|f| graph_json(&f, &req.text)),
    })))
}

/// `POST /api/graph`
pub async fn graph(
    State(studio): State<Arc<Studio>>,
    headers: HeaderMap,
    Body(req): Body<TextOf>,
) -> ApiResult<Json<Value>> {
    studio.admit(&headers, Need::Designer)?;
    match check(&file_name(&req.name)?, &req.text) {
        (Some(flow), _) => Ok(Json(graph_json(&flow, &req.text))),
        (None, diags) => Err(ApiError::unprocessable("the text does not compile")
            .with("diagnostics", diagnostics_json(&diags))),
    }
}

/// The file name diagnostics name, as `callscript check` names a file of
/// the flows directory.
pub fn file_name(name: &str) -> Result<String, ApiError> {
    if files::plain_name(name) {
        Ok(format!("{name}.toml"))
    } else {
        Err(ApiError::bad_request(format!(
            "name {name:?}: a flow's name is letters, digits, - and _"
        )))
    }
}
