//! The running service: every gRPC service on one listener.
//!
//! `app` puts a service together from its settings (what `main` runs);
//! `watch` reloads what changes on disk.

mod app;
mod observe;
pub mod signals;
mod tls;
pub mod watch;

pub use app::{App, StartError};
pub use signals::Reloader;

use std::{
    future::Future,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::{net::TcpListener, sync::oneshot, time::Instant};
use tonic::transport::Server;
use tracing::{info, warn};

use crate::{
    connections::{self, ConnectionSettings, Tracker},
    engine::{Engine, EngineSettings, store::CallStore},
    flow::FlowRegistry,
    grpc::{
        CallsService, FlowsService, Limits, QualityScoring, QualityService, ReferenceService,
        auth::Auth,
        calls_pb::calls_server::CallsServer,
        gate::GateLayer,
        pb::{self, flows_server::FlowsServer, quality_server::QualityServer},
        reference_pb::{self, reference_server::ReferenceServer},
    },
    metrics,
    records::{CallScorer, RecordsSettings, RecordsWriter},
};

/// HTTP/2 flow-control window for a whole connection. A PBX multiplexes
/// thousands of Converse calls on a few connections, and each new call
/// opens with one small DATA frame; h2 allows half this window of such
/// frames to wait for their handler before it sends GOAWAY
/// ("too_many_data_frames"). At h2's 64 KiB default, opening 100k streams
/// over 16 connections tripped it (benches/grpc.rs); 4 MiB holds about
/// 10,000 waiting openings per connection.
const CONNECTION_WINDOW: u32 = 4 * 1024 * 1024;

/// The default `drain_timeout_ms`: the drain, the last words and the
/// records' flush stay well inside the 30 s that Kubernetes (and a systemd
/// `TimeoutStopSec=30`) give before SIGKILL.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(20);

/// How the server is put together.
#[derive(Clone)]
pub struct ServerSettings {
    pub engine: EngineSettings,
    /// Also serve `callscript.reference.v1.Reference`, the benchmarks'
    /// bare hello handler (see BENCHMARKS.md). Off in production.
    pub reference_service: bool,
    /// Size limits on requests.
    pub limits: Limits,
    pub connections: ConnectionSettings,
    /// Bearer tokens and roles; `None` leaves the service open.
    pub auth: Option<Arc<Auth>>,
    /// Serve TLS (and with a client CA, require client certificates).
    pub tls: Option<TlsFiles>,
    /// After SIGTERM, how long live calls may go on before each is ended
    /// with END_REASON_SHUTDOWN.
    pub drain_timeout: Duration,
    /// The largest flow source CheckFlow takes (as `max_flow_bytes`), and
    /// the largest transcript ScoreTranscript takes.
    pub max_flow_bytes: usize,
    /// The quality scoring rules file (`quality.toml` in the flows
    /// directory) for GetCall's score and Quality/ScoreTranscript; edits take
    /// effect at the next score. `None`, or no such file: the shipped rules.
    pub quality_file: Option<std::path::PathBuf>,
    /// The call detail records file, if any.
    pub records: RecordsSettings,
    /// The shared call store (`store = "redis://…"`) and how long ended
    /// calls stay in it; `None`: calls live in this process.
    pub store: Option<(Arc<dyn CallStore>, Duration)>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            engine: EngineSettings::default(),
            reference_service: false,
            limits: Limits::default(),
            connections: ConnectionSettings::default(),
            auth: None,
            tls: None,
            drain_timeout: DEFAULT_DRAIN,
            max_flow_bytes: 4 << 20,
            quality_file: None,
            records: RecordsSettings::default(),
            store: None,
        }
    }
}

/// PEM files for TLS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Client certificates must be signed by this CA (mTLS).
    pub client_ca: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("serving: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("metrics: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
    /// What [`App::build`] checks, for a server started without it.
    #[error(transparent)]
    Start(#[from] StartError),
}

/// What serving needs that can fail before the first request, made ready
/// before the listener is served: the quality scoring, the records file
/// (its writer scores ended calls) and the TLS configuration.
struct Prepared {
    scoring: QualityScoring,
    records: Option<RecordsWriter>,
    tls: Option<Arc<tls::ServerTls>>,
    /// The studio's listener, bound by `App::build` when `studio_listen`
    /// is set.
    studio: Option<StudioListener>,
}

/// The studio, ready to serve beside the gRPC service.
struct StudioListener {
    listener: TcpListener,
    settings: crate::studio::StudioSettings,
    /// Whether the file watcher reloads what the studio publishes.
    watched: bool,
}

fn prepare(
    flows: &Arc<FlowRegistry>,
    settings: &ServerSettings,
    metrics_on: bool,
) -> Result<Prepared, StartError> {
    let scoring = QualityScoring::new(settings.quality_file.clone(), flows.clone());
    // Ended calls are scored on the records thread, for the records file and
    // the quality metric, so scoring never delays a call's own events.
    let score_ended: CallScorer = {
        let scoring = scoring.clone();
        Arc::new(move |record| scoring.score_record(record))
    };
    let tls = settings
        .tls
        .as_ref()
        .map(|tls| tls::ServerTls::load(tls, settings.connections.handshake_timeout))
        .transpose()?
        .map(Arc::new);
    let records = RecordsWriter::start(&settings.records, Some(score_ended), metrics_on).map_err(
        |source| StartError::Records {
            path: settings.records.file.clone().unwrap_or_default(),
            source,
        },
    )?;
    Ok(Prepared {
        scoring,
        records,
        tls,
        studio: None,
    })
}

/// Past the drain deadline, how long the last turns have to go out before
/// every connection is dropped; the whole shutdown stays within
/// `drain_timeout` + 1 s.
const LAST_WORDS: Duration = Duration::from_millis(700);

/// Serves on an already bound listener until `shutdown` completes; then
/// ends the live calls at once (their records are kept) and returns. The
/// binary drains instead (`run_with` and `drain_timeout`).
pub async fn run(
    listener: TcpListener,
    flows: Arc<FlowRegistry>,
    engine: EngineSettings,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let settings = ServerSettings {
        engine,
        drain_timeout: Duration::ZERO,
        ..ServerSettings::default()
    };
    run_with(listener, flows, settings, shutdown).await
}

/// [`run`], with the server-level settings too.
pub async fn run_with(
    listener: TcpListener,
    flows: Arc<FlowRegistry>,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    run_observed(listener, None, flows, settings, shutdown).await
}

/// [`run_with`], and with `metrics_listener` Prometheus metrics at
/// `/metrics` there (src/metrics.rs).
pub async fn run_observed(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    flows: Arc<FlowRegistry>,
    settings: ServerSettings,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let prepared = prepare(&flows, &settings, metrics_listener.is_some())?;
    serve(
        listener,
        metrics_listener,
        flows,
        settings,
        prepared,
        shutdown,
    )
    .await
}

/// Serves until `shutdown`, then drains (see [`run_with`]).
async fn serve(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    flows: Arc<FlowRegistry>,
    settings: ServerSettings,
    prepared: Prepared,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let metrics_on = metrics_listener.is_some();
    let Prepared {
        scoring,
        records,
        tls,
        studio,
    } = prepared;
    let mut engine_settings = settings.engine.clone();
    engine_settings.records = records.as_ref().map(RecordsWriter::sink);
    let engine = Engine::with_store(flows.clone(), engine_settings, settings.store.clone());
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    // Without a shared store there is nothing to reach; with one, not
    // ready until its first health check answers.
    let store_up = Arc::new(AtomicBool::new(engine.store().is_none()));
    if let Some(metrics_listener) = metrics_listener {
        let handle = metrics::install(&observe::labels(&flows, settings.reference_service))?;
        flows.publish_versions();
        tokio::spawn(metrics::serve(
            metrics_listener,
            observe::endpoint(handle, &engine, flows.clone(), store_up.clone()),
            async move {
                let _ = metrics_stopped.await;
            },
        ));
    }
    let (stop_studio, studio_stopped) = tokio::sync::oneshot::channel::<()>();
    if let Some(StudioListener {
        listener,
        settings: studio_settings,
        watched,
    }) = studio
    {
        // The studio shares the registry, the engine, the tokens and the
        // scoring with the gRPC services.
        let studio = crate::studio::Studio::new(
            flows.clone(),
            engine.clone(),
            settings.auth.clone(),
            scoring.clone(),
            studio_settings,
            settings.max_flow_bytes,
            watched,
        );
        tokio::spawn(crate::studio::serve(
            listener,
            Arc::new(studio),
            async move {
                let _ = studio_stopped.await;
            },
        ));
    }
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<CallsServer<CallsService>>().await;
    health.set_serving::<FlowsServer<FlowsService>>().await;
    health.set_serving::<QualityServer<QualityService>>().await;
    if let Some(store) = engine.store() {
        tokio::spawn(watch_store(store, engine.clone(), health.clone(), store_up));
    }

    // grpcurl 1.8.6 speaks only v1alpha reflection; newer tools use v1.
    let reflection = || {
        let builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
        if settings.reference_service {
            builder.register_encoded_file_descriptor_set(reference_pb::FILE_DESCRIPTOR_SET)
        } else {
            builder
        }
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;

    let conn = &settings.connections;
    let builder = Server::builder();
    if let Ok(addr) = listener.local_addr() {
        if settings.auth.is_none() && !addr.ip().is_loopback() {
            warn!(%addr, "listening beyond loopback without auth_tokens_file: any client may read calls and reload flows");
        }
        info!(%addr, flows = flows.list().len(), tls = settings.tls.is_some(), "callscript serving");
    }
    let calls = CallsServer::new(
        CallsService::with_limits(engine.clone(), settings.limits.clone())
            .with_quality(scoring.clone()),
    )
    .max_decoding_message_size(settings.limits.max_message_bytes);
    // A transcript to score may be as large as a flow file.
    let quality_service = QualityServer::new(QualityService::new(scoring))
        .max_decoding_message_size(settings.max_flow_bytes + 4096);
    // A flow source may be as large as a flow file.
    let flows_service = FlowsServer::new(FlowsService::new(flows))
        .max_decoding_message_size(settings.max_flow_bytes + 4096);

    let (draining_tx, draining_rx) = oneshot::channel::<Instant>();
    let drain_timeout = settings.drain_timeout;
    let tracker = Arc::new(Tracker::default());
    let drain = {
        let engine = engine.clone();
        let tracker = tracker.clone();
        async move {
            shutdown.await;
            let _ = draining_tx.send(Instant::now());
            drain(&engine, &health, &tracker, drain_timeout).await;
        }
    };
    let router = builder
        .initial_connection_window_size(CONNECTION_WINDOW)
        .max_concurrent_streams(conn.max_concurrent_streams)
        .http2_keepalive_interval(Some(conn.keepalive_interval))
        .http2_keepalive_timeout(Some(conn.keepalive_timeout))
        // Oversized metadata is the gate's to refuse, on its own stream.
        .http2_max_header_list_size(crate::grpc::gate::H2_MAX_HEADER_LIST)
        // Outermost, so refusals by the gate are counted under their codes.
        .layer(tower::util::option_layer(
            metrics_on.then_some(metrics::RpcLayer),
        ))
        .layer(GateLayer::new(
            settings.auth.clone(),
            conn.handshake_timeout,
        ))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(calls)
        .add_service(flows_service)
        .add_service(quality_service)
        .add_optional_service(
            settings
                .reference_service
                .then(|| ReferenceServer::new(ReferenceService)),
        );
    let incoming = connections::incoming(listener, conn, tracker);
    let serve: std::pin::Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>> =
        match tls {
            Some(tls) => Box::pin(router.serve_with_incoming_shutdown(tls.accept(incoming), drain)),
            None => Box::pin(router.serve_with_incoming_shutdown(incoming, drain)),
        };

    // Whatever the peers do, the process is done a fixed time after the
    // signal: connections still open then are dropped.
    let deadline = async move {
        match draining_rx.await {
            Ok(began) => tokio::time::sleep_until(began + drain_timeout + LAST_WORDS).await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        served = serve => served?,
        () = deadline => {
            warn!("connections still open at the drain deadline were closed");
        }
    }
    let _ = stop_metrics.send(());
    let _ = stop_studio.send(());
    // The calls the drain ended are on disk before the process exits.
    if let Some(records) = records {
        let _ = tokio::task::spawn_blocking(move || records.finish()).await;
    }
    Ok(())
}

/// How often the shared store's health is checked.
const STORE_CHECK: Duration = Duration::from_millis(500);

/// With a shared store, health follows it: NOT_SERVING while it does not
/// answer (every call operation then fails UNAVAILABLE, naming it), SERVING
/// again when it does. The store's client reconnects by itself.
async fn watch_store(
    store: Arc<dyn CallStore>,
    engine: Engine,
    health: tonic_health::server::HealthReporter,
    store_up: Arc<AtomicBool>,
) {
    let mut up: Option<bool> = None;
    loop {
        let now_up = store.ping().await.map_err(|e| e.0);
        if !engine.taking_calls() {
            return;
        }
        let is_up = now_up.is_ok();
        if !is_up {
            metrics::store_error();
        }
        store_up.store(is_up, Ordering::Relaxed);
        if up != Some(is_up) {
            let status = if is_up {
                info!(store = store.describe(), "the call store answers; serving");
                tonic_health::ServingStatus::Serving
            } else {
                warn!(store = store.describe(), error = %now_up.as_ref().err().map_or("", |e| e.as_str()), "the call store does not answer; NOT_SERVING until it does");
                tonic_health::ServingStatus::NotServing
            };
            let calls = <CallsServer<CallsService> as tonic::server::NamedService>::NAME;
            health.set_service_status(calls, status).await;
            health.set_service_status("", status).await;
            up = Some(is_up);
        }
        tokio::time::sleep(STORE_CHECK).await;
    }
}

/// SIGTERM's drain: refuse new calls and say so to health checks at once,
/// let live calls finish until the deadline, then end the rest.
async fn drain(
    engine: &Engine,
    health: &tonic_health::server::HealthReporter,
    connections: &Tracker,
    timeout: Duration,
) {
    engine.stop_taking_calls();
    health.set_not_serving::<CallsServer<CallsService>>().await;
    health.set_not_serving::<FlowsServer<FlowsService>>().await;
    health
        .set_not_serving::<QualityServer<QualityService>>()
        .await;
    health
        .set_service_status("", tonic_health::ServingStatus::NotServing)
        .await;
    // Peers with no live call on their connection have nothing to wait for.
    let closed = connections.close_quiet();
    let began = Instant::now();
    info!(
        live_calls = engine.live_calls(),
        closed_quiet_connections = closed,
        drain_timeout_ms = timeout.as_millis() as u64,
        "draining: no new calls"
    );
    // With a shared store the calls are already stored: nothing to wait for
    // (`shutdown` closes the Converse streams, telling them to resume).
    while engine.store().is_none() && engine.live_calls() > 0 && began.elapsed() < timeout {
        tokio::time::sleep(Duration::from_millis(100).min(timeout)).await;
    }
    info!(live_calls = engine.live_calls(), "shutting down");
    engine.shutdown();
}
