//! The studio (issue 28): a page for script designers and operators,
//! served by the service itself on `studio_listen`, and the HTTP JSON API
//! it is built on (README "Studio").
//!
//! It shares what the gRPC service has: the flow registry (a published
//! flow reaches calls by the watcher's reload), the engine (operators see
//! its calls), the tokens file with its roles, and the quality scoring.
//! Simulated calls run on engines of their own, each on a virtual clock
//! (`sim`), never among the live calls.
//!
//! One file per concern: `auth` (roles), `error` (every refusal in one
//! shape), `assets` (the embedded page), `files` (flow files on disk),
//! `check` (check and draw), `flows` (their routes), `publish` (save with
//! its conflict and the change log), `sim` (simulated calls), `scenarios`
//! (a call saved as a test) and `coverage`, `calls` (the operators' view),
//! `settings`; `path` (the steps a call went through) serves both the
//! simulator and coverage.

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::HeaderMap,
    routing::{get, post},
};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::{
    engine::Engine,
    flow::FlowRegistry,
    grpc::{QualityScoring, auth::Auth},
};

mod assets;
mod auth;
mod calls;
mod check;
mod coverage;
mod error;
mod files;
mod flows;
mod path;
mod publish;
mod scenarios;
mod settings;
mod sim;

pub use settings::{DEFAULT_SCENARIOS_DIR, RawStudio, StudioSettings, parse as parse_settings};

use auth::{Need, User};
use error::ApiError;

/// How many simulated calls are kept at once, and for how long unused:
/// each holds a thread and an engine.
const MAX_SIMS: usize = 16;
const SIM_IDLE: Duration = Duration::from_secs(30 * 60);

/// What the studio's routes share.
pub struct Studio {
    flows: Arc<FlowRegistry>,
    engine: Engine,
    auth: Option<Arc<Auth>>,
    scoring: QualityScoring,
    settings: StudioSettings,
    max_flow_bytes: usize,
    /// Whether the file watcher reloads published flows; when not, a
    /// publish reloads them itself.
    watched: bool,
    sims: sim::Sims,
    /// One publish at a time: the hash check and the rename are one step.
    publishing: tokio::sync::Mutex<()>,
}

impl Studio {
    pub fn new(
        flows: Arc<FlowRegistry>,
        engine: Engine,
        auth: Option<Arc<Auth>>,
        scoring: QualityScoring,
        settings: StudioSettings,
        max_flow_bytes: usize,
        watched: bool,
    ) -> Studio {
        Studio {
            flows,
            engine,
            auth,
            scoring,
            settings,
            max_flow_bytes,
            watched,
            sims: sim::Sims::new(MAX_SIMS, SIM_IDLE),
            publishing: tokio::sync::Mutex::new(()),
        }
    }

    fn admit(&self, headers: &HeaderMap, need: Need) -> Result<User, ApiError> {
        auth::admit(self.auth.as_ref(), headers, need)
    }

    fn flows_dir(&self) -> Result<&std::path::Path, ApiError> {
        self.flows
            .dir()
            .ok_or_else(|| ApiError::not_found("this service has no flows directory"))
    }

    fn changes_file(&self) -> Result<PathBuf, ApiError> {
        match &self.settings.changes_file {
            Some(file) => Ok(file.clone()),
            None => {
                let dir = self.flows_dir()?;
                let parent = dir.parent().unwrap_or(std::path::Path::new("."));
                Ok(parent.join("studio-changes.jsonl"))
            }
        }
    }
}

/// Every route of the studio.
pub fn router(studio: Arc<Studio>) -> Router {
    // A flow's text travels in JSON, escaped: room for twice its size.
    let limit = studio.max_flow_bytes * 2 + 64 * 1024;
    Router::new()
        .route("/", get(assets::index))
        .route("/api/whoami", get(whoami))
        .route("/api/flows", get(flows::list))
        .route("/api/flows/{name}", get(flows::get).put(publish::publish))
        .route("/api/check", post(flows::check_text))
        .route("/api/graph", post(flows::graph))
        .route("/api/changes", get(publish::changes))
        .route("/api/sim", post(sim::routes::start))
        .route(
            "/api/sim/{id}",
            get(sim::routes::show).delete(sim::routes::stop),
        )
        .route("/api/sim/{id}/event", post(sim::routes::event))
        .route("/api/sim/{id}/scenario", get(sim::routes::scenario))
        .route(
            "/api/flows/{name}/scenarios",
            get(scenarios::list).post(scenarios::save),
        )
        .route("/api/flows/{name}/coverage", get(scenarios::coverage))
        .route("/api/calls/live", get(calls::live))
        .route("/api/calls/recent", get(calls::recent))
        .route("/api/{*rest}", axum::routing::any(no_route))
        .route("/{*path}", get(assets::asset))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(studio)
}

/// `GET /api/whoami`
async fn whoami(
    axum::extract::State(studio): axum::extract::State<Arc<Studio>>,
    headers: HeaderMap,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let user = studio.admit(&headers, Need::Anyone)?;
    let roles: Vec<&str> = user.roles.iter().map(|r| r.as_str()).collect();
    Ok(axum::Json(serde_json::json!({
        "client": user.name.as_deref(),
        "roles": roles,
        "open": studio.auth.is_none(),
    })))
}

async fn no_route() -> ApiError {
    ApiError::not_found("no such route (README \"Studio\" lists them)")
}

/// Drops the simulations idle too long, once a minute, so their threads
/// end even when nobody opens another; stops with the studio.
async fn expire_idle_sims(studio: std::sync::Weak<Studio>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        match studio.upgrade() {
            Some(studio) => studio.sims.expire(),
            None => return,
        }
    }
}

/// Serves the studio on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    studio: Arc<Studio>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    if let Ok(addr) = listener.local_addr() {
        if studio.auth.is_none() && !addr.ip().is_loopback() {
            warn!(%addr, "the studio listens beyond loopback without auth_tokens_file: anyone who reaches it may publish flows");
        }
        info!(%addr, "studio serving");
    }
    tokio::spawn(expire_idle_sims(Arc::downgrade(&studio)));
    if let Err(e) = axum::serve(listener, router(studio))
        .with_graceful_shutdown(shutdown)
        .await
    {
        warn!(error = %e, "the studio stopped serving");
    }
}

#[cfg(test)]
mod tests;
