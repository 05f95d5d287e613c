//! `callscript.v1.Quality`, and the score `GetCall` and `EndCall` attach to
//! a call record.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::{
    convert,
    pb::{self, quality_server},
};
use crate::{
    engine::CallRecord,
    flow::FlowRegistry,
    quality::{self, Rules, Scorer},
};

/// What scoring needs: the rules, and the holiday calendar the flows use
/// (read from the registry each time, so a reloaded holidays.toml counts).
#[derive(Clone)]
pub struct QualityScoring {
    rules: Arc<Rules>,
    flows: Arc<FlowRegistry>,
}

impl QualityScoring {
    pub fn new(rules: Arc<Rules>, flows: Arc<FlowRegistry>) -> Self {
        QualityScoring { rules, flows }
    }

    fn scorer(&self) -> Scorer {
        Scorer::new(self.rules.clone(), self.flows.holidays())
    }

    /// One of the service's own calls, scored with the service as the agent.
    pub fn record_quality(&self, record: &CallRecord) -> pb::QualityResult {
        convert::quality(&self.scorer().score(&quality::from_record(record)))
    }
}

pub struct QualityService {
    scoring: QualityScoring,
}

impl QualityService {
    pub fn new(scoring: QualityScoring) -> Self {
        QualityService { scoring }
    }
}

#[tonic::async_trait]
impl quality_server::Quality for QualityService {
    async fn score_transcript(
        &self,
        req: Request<pb::ScoreTranscriptRequest>,
    ) -> Result<Response<pb::QualityResult>, Status> {
        let pb::ScoreTranscriptRequest { transcript } = req.into_inner();
        if transcript.trim().is_empty() {
            return Err(Status::invalid_argument(
                "transcript: required: a JSON Lines transcript, header line first",
            ));
        }
        let q = self.scoring.scorer().score_text(&transcript);
        Ok(Response::new(convert::quality(&q)))
    }
}
