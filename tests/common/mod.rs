//! Starts the real server on an ephemeral port for integration tests.
//!
//! The listener is bound before the server task is spawned, so a client can
//! connect at once: no sleeps, no retries.
#![allow(dead_code)]

pub mod h2;
mod raw;
mod turns;
#[allow(unused_imports)]
pub use raw::RawCodec;
#[allow(unused_imports)]
pub use turns::*;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use callscript::{
    engine::EngineSettings,
    flow::FlowRegistry,
    grpc::pb::{self, calls_client::CallsClient, flows_client::FlowsClient},
    server,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};
use tonic::transport::Channel;

pub struct TestServer {
    pub addr: SocketAddr,
    pub calls: CallsClient<Channel>,
    pub flows: FlowsClient<Channel>,
    pub registry: Arc<FlowRegistry>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// The repository's shipped flows directory.
pub fn shipped_flows() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("flows")
}

/// A server on the shipped flows.
pub async fn start_server() -> TestServer {
    let registry = FlowRegistry::load_dir(shipped_flows(), None).expect("the shipped flows load");
    start_server_with(Arc::new(registry), EngineSettings::default()).await
}

pub async fn start_server_with(
    registry: Arc<FlowRegistry>,
    settings: EngineSettings,
) -> TestServer {
    let settings = server::ServerSettings {
        engine: settings,
        drain_timeout: std::time::Duration::ZERO,
        ..server::ServerSettings::default()
    };
    start_server_settings(registry, settings).await
}

/// A server with every server-level setting given (limits, auth, …).
pub async fn start_server_settings(
    registry: Arc<FlowRegistry>,
    settings: server::ServerSettings,
) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind an ephemeral port");
    let addr = listener
        .local_addr()
        .expect("bound listener has an address");
    let (tx, rx) = oneshot::channel::<()>();
    let reg = registry.clone();
    let handle = tokio::spawn(async move {
        server::run_with(listener, reg, settings, async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect()
        .await
        .expect("connect to the test server");
    TestServer {
        addr,
        calls: CallsClient::new(channel.clone()),
        flows: FlowsClient::new(channel),
        registry,
        shutdown: Some(tx),
        handle: Some(handle),
    }
}

impl TestServer {
    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("server task ends cleanly");
        }
    }
}

/// A StartCall request with the fields tests usually set.
pub fn start(call_id: &str, at: &str) -> pb::StartCallRequest {
    pb::StartCallRequest {
        call_id: call_id.into(),
        at: at.into(),
        ..Default::default()
    }
}

pub fn event(call_id: &str, seq: u64, kind: pb::call_event::Kind) -> pb::CallEvent {
    pb::CallEvent {
        call_id: call_id.into(),
        seq,
        kind: Some(kind),
    }
}

pub fn speech(text: &str) -> pb::call_event::Kind {
    pb::call_event::Kind::Speech(pb::Speech {
        text: text.into(),
        confidence: 0.9,
        intents: Vec::new(),
    })
}

/// The front-end's answer to lookup `name`, with one variable.
pub fn lookup_result(name: &str, var: &str, value: &str) -> pb::call_event::Kind {
    pb::call_event::Kind::LookupResult(pb::LookupResult {
        name: name.into(),
        ok: true,
        variables: [(var.to_owned(), value.to_owned())].into(),
    })
}

pub fn no_input() -> pb::call_event::Kind {
    pb::call_event::Kind::NoInput(pb::NoInput {})
}

pub fn hangup() -> pb::call_event::Kind {
    pb::call_event::Kind::Hangup(pb::CallerHangup {})
}
