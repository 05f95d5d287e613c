//! `callscript.reference.v1.Reference`: the benchmarks' yardstick.
//!
//! A hello-world handler with nothing of callscript in it. Served from the
//! same binary, on the same listener and runtime as the real services, it
//! is the most this stack can do on the machine at hand; the benchmarks
//! report callscript's throughput as a ratio to it.

use tonic::{Request, Response, Status};

use super::reference_pb::{HelloReply, HelloRequest, reference_server::Reference};

#[derive(Debug, Default)]
pub struct ReferenceService;

#[tonic::async_trait]
impl Reference for ReferenceService {
    async fn hello(&self, req: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        let HelloRequest { name } = req.into_inner();
        Ok(Response::new(HelloReply {
            message: format!("Hello, {name}"),
        }))
    }
}
