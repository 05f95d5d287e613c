//! Flow versions across replicas: each publishes the sources of the
//! versions its calls use; a replica asked to go on with a call pinned to
//! a version it does not serve fetches that source and compiles it.

use super::*;

impl Shared {
    /// Publishes a flow version's source once, so a replica asked to go on
    /// with a call pinned to it can compile it.
    pub async fn publish(&self, flow: &Flow) -> Result<(), CallError> {
        let key = (flow.id().clone(), flow.version().clone());
        if self.lock_published().contains(&key) {
            return Ok(());
        }
        self.store
            .publish_flow(flow.id(), flow.version(), flow.source())
            .await
            .map_err(|e| self.unavailable(e))?;
        self.lock_published().insert(key);
        Ok(())
    }

    fn lock_published(&self) -> std::sync::MutexGuard<'_, HashSet<(Arc<str>, Arc<str>)>> {
        self.published.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The compiled flow of this id and version: the one serving, one
    /// compiled before, or the published source compiled now.
    pub(super) async fn flow(
        &self,
        flows: &FlowRegistry,
        id: &str,
        version: &str,
    ) -> Result<Arc<Flow>, CallError> {
        if let Some(flow) = flows.get(id).filter(|f| **f.version() == *version) {
            return Ok(flow);
        }
        let key: (Arc<str>, Arc<str>) = (id.into(), version.into());
        if let Some(flow) = self.lock_pinned().get(&key) {
            return Ok(flow.clone());
        }
        let missing = || {
            CallError::StoreUnavailable(format!(
                "flow {id:?} version {version} is neither loaded here nor published in the store"
            ))
        };
        let source = self
            .store
            .flow_source(id, version)
            .await
            .map_err(|e| self.unavailable(e))?
            .ok_or_else(missing)?;
        let flow = compile_source(&format!("{id}.toml"), &source).map_err(|d| {
            CallError::StoreUnavailable(format!(
                "flow {id:?} version {version} from the store does not compile: {d}"
            ))
        })?;
        if **flow.version() != *version {
            return Err(missing());
        }
        info!(flow = %id, %version, "compiled a flow version from the store for a call pinned to it");
        let flow = Arc::new(flow);
        self.lock_pinned().insert(key, flow.clone());
        Ok(flow)
    }

    fn lock_pinned(&self) -> std::sync::MutexGuard<'_, HashMap<FlowKey, Arc<Flow>>> {
        self.pinned.lock().unwrap_or_else(|e| e.into_inner())
    }
}
