//! The process signals a service answers, as a PBX's would: SIGHUP
//! re-reads what lives in files (flows, tokens, quality rules, TLS
//! certificates) with live calls untouched; SIGTERM and SIGINT drain.

use std::{future::Future, sync::Arc};

use tracing::{info, warn};

use super::tls::ServerTls;
use crate::{flow::FlowRegistry, grpc::QualityScoring, grpc::auth::Auth};

/// Everything SIGHUP re-reads. Each part builds its new value whole and
/// swaps it in, so requests and live calls never wait on a reload, and a
/// broken file leaves the value in use in place.
#[derive(Clone)]
pub struct Reloader {
    pub(super) flows: Arc<FlowRegistry>,
    pub(super) tokens: Option<Arc<Auth>>,
    pub(super) scoring: QualityScoring,
    pub(super) tls: Option<Arc<ServerTls>>,
}

impl Reloader {
    /// Re-reads every file, then says in one line what was reloaded (each
    /// part also logs its own problems).
    pub fn reload(&self) {
        let report = self.flows.reload();
        let flows_rejected = report
            .problems
            .iter()
            .filter(|p| p.severity == crate::flow::Severity::Error)
            .count();
        let tokens = match &self.tokens {
            None => "none",
            Some(auth) if auth.reload() => "reloaded",
            Some(_) => "kept",
        };
        self.scoring.refresh();
        let tls = match &self.tls {
            None => "none",
            Some(tls) => match tls.reload() {
                Ok(()) => "reloaded",
                Err(error) => {
                    warn!(%error, "TLS files rejected; the certificate in use stays");
                    "kept"
                }
            },
        };
        info!(
            flows_loaded = report.loaded.len(),
            flows_unchanged = report.unchanged,
            flows_removed = report.removed.len(),
            flows_rejected,
            tokens,
            quality_rules = "re-read",
            tls,
            "SIGHUP: files reloaded"
        );
    }
}

/// Reloads on every SIGHUP until the process ends. The handler is
/// installed before this returns, so a SIGHUP after it can no longer kill
/// the process (the default action).
#[cfg(unix)]
pub fn reload_on_hangup(
    reloader: Reloader,
) -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    Ok(async move {
        while hangups.recv().await.is_some() {
            // The flows directory may be slow (a network disk): off the
            // runtime's workers.
            let reloader = reloader.clone();
            let _ = tokio::task::spawn_blocking(move || reloader.reload()).await;
        }
    })
}

/// Completes at SIGTERM or SIGINT (Ctrl-C), which start the drain.
pub async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
