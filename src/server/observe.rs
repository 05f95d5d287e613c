//! What the metrics listener is given: the label values known at start,
//! and the readiness `/readyz` reports.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use prost::Message;

use crate::{
    engine::Engine,
    flow::FlowRegistry,
    grpc::{pb, reference_pb},
    metrics::{self, Endpoint, LabelSets},
};

/// The closed label sets, with the flows loaded now and every gRPC method
/// served, so their series are at zero from the first scrape.
pub(super) fn labels(flows: &FlowRegistry, reference_service: bool) -> LabelSets {
    let mut labels = crate::call::metric_labels();
    labels.flows = flows
        .list()
        .iter()
        .map(|s| s.flow.id().to_string())
        .collect();
    let mut sets = vec![pb::FILE_DESCRIPTOR_SET];
    if reference_service {
        sets.push(reference_pb::FILE_DESCRIPTOR_SET);
    }
    labels.rpc_methods = sets.into_iter().flat_map(methods).collect();
    labels
}

/// `/package.Service/Method` for every method in an encoded descriptor set.
fn methods(encoded: &[u8]) -> Vec<String> {
    let Ok(set) = prost_types::FileDescriptorSet::decode(encoded) else {
        return Vec::new();
    };
    let mut paths = Vec::new();
    for file in &set.file {
        let package = file.package();
        for service in &file.service {
            for method in &service.method {
                paths.push(format!("/{package}.{}/{}", service.name(), method.name()));
            }
        }
    }
    paths
}

/// The endpoint's live inputs: the live-calls gauge at each scrape, and
/// readiness from the flows, the drain and the store's last health check.
pub(super) fn endpoint(
    handle: metrics_exporter_prometheus::PrometheusHandle,
    engine: &Engine,
    flows: Arc<FlowRegistry>,
    store_up: Arc<AtomicBool>,
) -> Endpoint {
    let live = engine.clone();
    let ready = engine.clone();
    Endpoint {
        handle,
        refresh: Arc::new(move || metrics::live_calls(live.live_calls())),
        ready: Arc::new(move || {
            if !ready.taking_calls() {
                Err("draining".into())
            } else if flows.list().is_empty() {
                Err("no flows loaded".into())
            } else if !store_up.load(Ordering::Relaxed) {
                Err("the call store does not answer".into())
            } else {
                Ok(())
            }
        }),
    }
}
