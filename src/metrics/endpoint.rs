//! The HTTP listener beside the gRPC one: `/metrics` for Prometheus, and
//! the probes kubelet and load balancers speak, which cannot do gRPC
//! health: `/healthz` (the process answers) and `/readyz` (it should get
//! traffic).

use std::{convert::Infallible, future::Future, sync::Arc};

use http_body_util::Full;
use hyper::{Method, Request, Response, StatusCode, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tracing::{debug, warn};

/// Whether the service should get traffic: `Err` says why not (e.g. "no
/// flows loaded", "draining", "the call store does not answer").
pub type Readiness = Arc<dyn Fn() -> Result<(), String> + Send + Sync>;

/// What the endpoint answers from.
#[derive(Clone)]
pub struct Endpoint {
    pub handle: PrometheusHandle,
    /// Runs before each scrape (to set gauges read from live state).
    pub refresh: Arc<dyn Fn() + Send + Sync>,
    pub ready: Readiness,
}

/// Answers on `listener` until `shutdown` completes.
pub async fn serve(listener: TcpListener, endpoint: Endpoint, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    warn!(error = %e, "metrics endpoint: accept failed");
                    continue;
                }
            },
            () = &mut shutdown => return,
        };
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let response = respond(&req, &endpoint);
                async move { Ok::<_, Infallible>(response) }
            });
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                debug!(%peer, error = %e, "metrics connection ended");
            }
        });
    }
}

fn respond<B>(req: &Request<B>, endpoint: &Endpoint) -> Response<Full<Bytes>> {
    let reply = |status, text: String| {
        let mut r = Response::new(Full::new(Bytes::from(text)));
        *r.status_mut() = status;
        r
    };
    let path = req.uri().path();
    if !matches!(path, "/metrics" | "/healthz" | "/readyz") {
        return reply(
            StatusCode::NOT_FOUND,
            "metrics are at /metrics, probes at /healthz and /readyz\n".into(),
        );
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return reply(StatusCode::METHOD_NOT_ALLOWED, format!("GET {path}\n"));
    }
    let mut r = match path {
        // The process answers: nothing else is asked, so a busy store or a
        // drain never gets the process restarted.
        "/healthz" => reply(StatusCode::OK, "ok\n".into()),
        "/readyz" => match (endpoint.ready)() {
            Ok(()) => reply(StatusCode::OK, "ready\n".into()),
            Err(why) => reply(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {why}\n"),
            ),
        },
        _ => {
            (endpoint.refresh)();
            let mut text = endpoint.handle.render();
            super::process::render(&mut text);
            let mut r = reply(StatusCode::OK, text);
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            return r;
        }
    };
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
