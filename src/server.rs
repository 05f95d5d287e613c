//! The running service: every gRPC service on one listener.

use std::{future::Future, sync::Arc};

use tokio::net::TcpListener;
use tonic::transport::{Server, server::TcpIncoming};
use tracing::info;

use crate::{
    engine::{Engine, EngineSettings},
    flow::FlowRegistry,
    grpc::{
        CallsService, FlowsService, QualityScoring, QualityService, ReferenceService,
        pb::{
            self, calls_server::CallsServer, flows_server::FlowsServer,
            quality_server::QualityServer,
        },
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

/// How the server is put together.
#[derive(Debug, Clone, Default)]
pub struct ServerSettings {
    pub engine: EngineSettings,
    /// Also serve `callscript.reference.v1.Reference`, the benchmarks'
    /// bare hello handler (see BENCHMARKS.md). Off in production.
    pub reference_service: bool,
    /// The quality scoring rules file (`quality.toml` in the flows
    /// directory) for GetCall's score and Quality/ScoreTranscript; edits take
    /// effect at the next score. `None`, or no such file: the shipped rules.
    pub quality_file: Option<std::path::PathBuf>,
    /// The call detail records file, if any.
    pub records: RecordsSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("serving: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("records_file: {0}")]
    Records(std::io::Error),
    #[error("metrics: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
}

/// Serves on an already bound listener until `shutdown` completes; then
/// ends the live calls (their records are kept) and returns.
pub async fn run(
    listener: TcpListener,
    flows: Arc<FlowRegistry>,
    engine: EngineSettings,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let settings = ServerSettings {
        engine,
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
    let metrics_on = metrics_listener.is_some();
    let scoring = QualityScoring::new(settings.quality_file.clone(), flows.clone());
    // Ended calls are scored on the records thread, for the records file and
    // the quality metric, so scoring never delays a call's own events.
    let score_ended: CallScorer = {
        let scoring = scoring.clone();
        Arc::new(move |record| scoring.score_record(record))
    };
    let records = RecordsWriter::start(&settings.records, Some(score_ended), metrics_on)
        .map_err(ServeError::Records)?;
    let mut engine_settings = settings.engine.clone();
    engine_settings.records = records.as_ref().map(RecordsWriter::sink);
    let engine = Engine::new(flows.clone(), engine_settings);
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    if let Some(metrics_listener) = metrics_listener {
        let handle = metrics::install()?;
        flows.publish_versions();
        let live = engine.clone();
        tokio::spawn(metrics::serve(
            metrics_listener,
            handle,
            Arc::new(move || metrics::live_calls(live.live_calls())),
            async move {
                let _ = metrics_stopped.await;
            },
        ));
    }
    let (health, health_service) = tonic_health::server::health_reporter();
    health.set_serving::<CallsServer<CallsService>>().await;
    health.set_serving::<FlowsServer<FlowsService>>().await;
    health.set_serving::<QualityServer<QualityService>>().await;

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

    let engine_for_shutdown = engine.clone();
    Server::builder()
        .initial_connection_window_size(CONNECTION_WINDOW)
        .layer(tower::util::option_layer(
            metrics_on.then_some(metrics::RpcLayer),
        ))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(CallsServer::new(
            CallsService::new(engine).with_quality(scoring.clone()),
        ))
        .add_service(FlowsServer::new(FlowsService::new(flows)))
        .add_service(QualityServer::new(QualityService::new(scoring)))
        .add_optional_service(
            settings
                .reference_service
                .then(|| ReferenceServer::new(ReferenceService)),
        )
        // Without TCP_NODELAY a small turn pushed on a quiet Converse stream
        // can wait for the client's delayed ACK: 40 ms late on Linux
        // (benches/grpc.rs measured it).
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            async move {
                shutdown.await;
                health.set_not_serving::<CallsServer<CallsService>>().await;
                info!(
                    live_calls = engine_for_shutdown.live_calls(),
                    "shutting down"
                );
                engine_for_shutdown.shutdown();
            },
        )
        .await?;
    let _ = stop_metrics.send(());
    // The calls the shutdown ended are on disk before the process exits.
    if let Some(records) = records {
        let _ = tokio::task::spawn_blocking(move || records.finish()).await;
    }
    Ok(())
}
