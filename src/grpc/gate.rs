//! The gate every request passes before its handler: who is asking and
//! whether they may (`auth`), and the statuses tonic raises while reading
//! a request, restated as the client's mistake (`status::wire_error`).
//! One tower layer around all services, so no RPC can forget either.

use std::{
    sync::Arc,
    task::{Context, Poll},
};

use tonic::{
    Status,
    body::Body,
    codegen::{BoxFuture, Service, http},
};
use tower_layer::Layer;

use super::{
    auth::{Access, Auth, access},
    status::wire_error,
};

/// Builds [`Gate`]s; `auth` is `None` when the service is open.
#[derive(Clone)]
pub struct GateLayer {
    auth: Option<Arc<Auth>>,
}

impl GateLayer {
    pub fn new(auth: Option<Arc<Auth>>) -> Self {
        GateLayer { auth }
    }
}

impl<S> Layer<S> for GateLayer {
    type Service = Gate<S>;

    fn layer(&self, inner: S) -> Gate<S> {
        Gate {
            inner,
            auth: self.auth.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Gate<S> {
    inner: S,
    auth: Option<Arc<Auth>>,
}

impl<S> Service<http::Request<Body>> for Gate<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        // The clone was made ready by nobody; take the ready one and leave
        // the clone (tower's documented idiom).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if let Some(auth) = &self.auth
            && access(req.uri().path()) != Access::Open
        {
            let header = req
                .headers()
                .get(http::header::AUTHORIZATION)
                .map(|v| v.as_bytes());
            match auth.admit(req.uri().path(), header) {
                Ok(client) => {
                    req.extensions_mut().insert(client);
                }
                Err(status) => {
                    tracing::debug!(path = req.uri().path(), %status, "request refused");
                    return Box::pin(async move { Ok(status.into_http()) });
                }
            }
        }
        Box::pin(async move {
            let mut resp = inner.call(req).await?;
            // A trailers-only error response carries its status in headers.
            if let Some(restated) = Status::from_header_map(resp.headers())
                .as_ref()
                .and_then(wire_error)
            {
                resp = restated.into_http();
            }
            Ok(resp)
        })
    }
}
