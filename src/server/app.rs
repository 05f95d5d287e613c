//! A service put together from its settings: what `callscript serve` runs,
//! and what tests build in-process to check the wiring.

use std::{future::Future, io, net::SocketAddr, path::PathBuf, sync::Arc};

use tokio::net::TcpListener;
use tracing::{info, warn};

use super::{Prepared, Reloader, ServeError, ServerSettings, TlsFiles, prepare, serve, watch};
use crate::{
    config::Settings,
    engine::store::{CallStore, StoreError, redis::RedisStore},
    flow::{FlowRegistry, registry::LoadError},
    grpc::auth::Auth,
    quality::QUALITY_FILE,
};

/// What kept a service from starting, named so an operator knows which
/// setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("flows_dir: {0}")]
    Flows(#[from] LoadError),
    #[error("auth_tokens_file: {0}")]
    TokensFile(String),
    #[error("TLS: {0}")]
    Tls(String),
    /// The store's own message names the setting and the URL.
    #[error("{0}")]
    Store(StoreError),
    #[error("records_file {}: {source}", path.display())]
    Records { path: PathBuf, source: io::Error },
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("cannot listen on {addr} (metrics_listen): {source}")]
    MetricsListen { addr: SocketAddr, source: io::Error },
    #[error("cannot listen on {addr} (studio_listen): {source}")]
    StudioListen { addr: SocketAddr, source: io::Error },
    /// More than one of the above, all reported at once.
    #[error("{}", .0.iter().map(|e| format!("\n  - {e}")).collect::<String>())]
    Several(Vec<StartError>),
}

impl StartError {
    /// One problem as itself, several together.
    fn all(problems: Vec<StartError>) -> StartError {
        match <[StartError; 1]>::try_from(problems) {
            Ok([one]) => one,
            Err(problems) => StartError::Several(problems),
        }
    }
}

/// A service ready to serve: flows loaded, files read, listeners bound.
pub struct App {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    registry: Arc<FlowRegistry>,
    settings: ServerSettings,
    prepared: Prepared,
    /// Reloads flows, tokens and quality rules while the app lives.
    _watcher: Option<watch::FileWatcher>,
}

impl App {
    /// Loads and checks everything the settings name (flows, the tokens
    /// file, the store, the TLS files, the records file), then binds the
    /// listeners; nothing listens until all of it is right, and every
    /// problem is reported at once.
    pub async fn build(settings: Settings) -> Result<App, StartError> {
        let mut problems = Vec::new();
        let registry = FlowRegistry::load_dir_with(
            &settings.flows_dir,
            settings.default_flow.clone(),
            settings.max_flow_bytes,
            Some(crate::quality::check_rules_file),
        )
        .map(Arc::new);
        for problem in registry.iter().flat_map(|r| r.problems()) {
            warn!(%problem, "flow problem at start-up");
        }
        let auth = settings
            .auth_tokens_file
            .as_deref()
            .map(Auth::load)
            .transpose()
            .map_err(|e| problems.push(StartError::TokensFile(e)))
            .ok()
            .flatten();
        let store = match &settings.store {
            None => None,
            Some(url) => match RedisStore::open(url) {
                Ok(store) => {
                    info!(store = store.describe(), "calls live in the shared store");
                    let store: Arc<dyn CallStore> = Arc::new(store);
                    Some((store, settings.store_ended_ttl))
                }
                Err(e) => {
                    problems.push(StartError::Store(e));
                    None
                }
            },
        };
        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: settings.tls_client_ca.clone(),
            }),
            _ => None,
        };
        // Read here too (`prepare` reads them again to serve), so their
        // problems are reported with the others.
        if let Some(files) = &tls
            && let Err(e) =
                super::tls::ServerTls::load(files, settings.connections.handshake_timeout)
        {
            problems.push(e);
        }
        if let Some(path) = &settings.records.file
            && let Err(source) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        {
            problems.push(StartError::Records {
                path: path.clone(),
                source,
            });
        }
        let registry = match registry {
            Ok(registry) if problems.is_empty() => registry,
            Ok(_) => return Err(StartError::all(problems)),
            Err(e) => {
                problems.insert(0, StartError::Flows(e));
                return Err(StartError::all(problems));
            }
        };
        let quality_file = settings.flows_dir.join(QUALITY_FILE);
        let server_settings = ServerSettings {
            engine: settings.engine.clone(),
            reference_service: settings.reference_service,
            limits: settings.limits.clone(),
            connections: settings.connections.clone(),
            auth: auth.clone(),
            tls,
            drain_timeout: settings.drain_timeout,
            max_flow_bytes: settings.max_flow_bytes,
            quality_file: Some(quality_file),
            records: settings.records.clone(),
            store,
        };
        let addr = settings.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        let metrics_listener = match settings.metrics_listen {
            None => None,
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::MetricsListen { addr, source })?,
            ),
        };
        let studio = match &settings.studio {
            None => None,
            Some(studio) => Some(super::StudioListener {
                listener: TcpListener::bind(studio.listen).await.map_err(|source| {
                    StartError::StudioListen {
                        addr: studio.listen,
                        source,
                    }
                })?,
                settings: studio.clone(),
                watched: settings.watch,
            }),
        };
        let mut prepared = prepare(&registry, &server_settings, metrics_listener.is_some())?;
        prepared.studio = studio;
        let watcher = if settings.watch {
            let reloads = watch::Reloads {
                flows: Some(registry.clone()),
                tokens: auth,
            };
            watch::FileWatcher::start(reloads)
                .map_err(|e| warn!(error = %e, "cannot watch the flows directory or the tokens file; use ReloadFlows to reload flows, restart to change tokens"))
                .ok()
                .flatten()
        } else {
            None
        };
        Ok(App {
            listener,
            metrics_listener,
            registry,
            settings: server_settings,
            prepared,
            _watcher: watcher,
        })
    }

    /// Where the service listens (the port a `:0` setting was given).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where Prometheus scrapes `/metrics`, when it is served.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Where the studio is served, when it is.
    pub fn studio_addr(&self) -> Option<SocketAddr> {
        self.prepared
            .studio
            .as_ref()
            .and_then(|s| s.listener.local_addr().ok())
    }

    /// What SIGHUP re-reads (`signals::reload_on_hangup`).
    pub fn reloader(&self) -> Reloader {
        Reloader {
            flows: self.registry.clone(),
            tokens: self.settings.auth.clone(),
            scoring: self.prepared.scoring.clone(),
            tls: self.prepared.tls.clone(),
        }
    }

    /// Serves until `shutdown` completes, then drains (`drain_timeout`).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> Result<(), ServeError> {
        let App {
            listener,
            metrics_listener,
            registry,
            settings,
            prepared,
            _watcher,
        } = self;
        serve(
            listener,
            metrics_listener,
            registry,
            settings,
            prepared,
            shutdown,
        )
        .await
    }
}

#[cfg(test)]
mod tests;
