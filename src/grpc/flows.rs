//! `callscript.v1.Flows`.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    convert,
    pb::{self, flows_server::Flows},
};
use crate::flow::{FlowRegistry, check_source};

pub struct FlowsService {
    flows: Arc<FlowRegistry>,
}

impl FlowsService {
    pub fn new(flows: Arc<FlowRegistry>) -> Self {
        FlowsService { flows }
    }

    fn listing(&self) -> (Vec<pb::FlowInfo>, Vec<pb::Diagnostic>) {
        let flows = self
            .flows
            .list()
            .iter()
            .map(|s| convert::flow_info(s, false))
            .collect();
        let problems = self
            .flows
            .problems()
            .iter()
            .map(convert::diagnostic)
            .collect();
        (flows, problems)
    }
}

/// Flow sources are small; anything larger is a mistake, not a flow.
const MAX_SOURCE: usize = 4 << 20;

#[tonic::async_trait]
impl Flows for FlowsService {
    async fn list_flows(
        &self,
        _req: Request<pb::ListFlowsRequest>,
    ) -> Result<Response<pb::ListFlowsResponse>, Status> {
        let (flows, problems) = self.listing();
        Ok(Response::new(pb::ListFlowsResponse { flows, problems }))
    }

    async fn get_flow(
        &self,
        req: Request<pb::GetFlowRequest>,
    ) -> Result<Response<pb::FlowInfo>, Status> {
        let pb::GetFlowRequest { id } = req.into_inner();
        if id.trim().is_empty() {
            return Err(Status::invalid_argument(
                "id: required and must not be empty",
            ));
        }
        self.flows
            .list()
            .iter()
            .find(|s| **s.flow.id() == id)
            .map(|s| Response::new(convert::flow_info(s, true)))
            .ok_or_else(|| Status::not_found(format!("id: flow {id:?} is not loaded")))
    }

    async fn check_flow(
        &self,
        req: Request<pb::CheckFlowRequest>,
    ) -> Result<Response<pb::CheckFlowResponse>, Status> {
        let pb::CheckFlowRequest {
            source,
            file_name,
            strict,
        } = req.into_inner();
        if source.len() > MAX_SOURCE {
            return Err(Status::invalid_argument(format!(
                "source: {} bytes is more than the {MAX_SOURCE} a flow may have",
                source.len()
            )));
        }
        let file = if file_name.is_empty() {
            "request.toml".to_owned()
        } else {
            file_name
        };
        // Compiling is CPU work proportional to the file; keep it off the
        // reactor threads.
        let diags = tokio::task::spawn_blocking(move || check_source(&file, &source).1)
            .await
            .map_err(|_| Status::internal("the check failed unexpectedly"))?;
        Ok(Response::new(pb::CheckFlowResponse {
            ok: !diags.fails(strict),
            diagnostics: diags.0.iter().map(convert::diagnostic).collect(),
        }))
    }

    async fn reload_flows(
        &self,
        _req: Request<pb::ReloadFlowsRequest>,
    ) -> Result<Response<pb::ReloadFlowsResponse>, Status> {
        let flows = self.flows.clone();
        tokio::task::spawn_blocking(move || flows.reload())
            .await
            .map_err(|_| Status::internal("the reload failed unexpectedly"))?;
        let (flows, problems) = self.listing();
        Ok(Response::new(pb::ReloadFlowsResponse { flows, problems }))
    }
}
