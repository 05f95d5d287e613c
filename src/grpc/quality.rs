//! `callscript.v1.Quality`, and the score `GetCall` and `EndCall` attach to
//! a call record.

use std::{path::PathBuf, sync::Arc, time::SystemTime};

use arc_swap::ArcSwap;
use tonic::{Request, Response, Status};
use tracing::{info, warn};

use super::{
    convert,
    pb::{self, quality_server},
};
use crate::{
    flow::FlowRegistry,
    quality::{self, Rules, Scorer},
    transcript::CallRecord,
};

/// What scoring needs: the rules, and the holiday calendar the flows use
/// (read from the registry each time, so a reloaded holidays.toml counts).
///
/// With a rules file, an edit to it takes effect at the next score, like a
/// flow's: the file's modification time is compared on each use (a stat,
/// cheap beside an RPC), and a broken edit is logged while the last good
/// rules keep scoring.
#[derive(Clone)]
pub struct QualityScoring {
    /// Swapped whole when the file changes: scoring never waits on a
    /// re-read.
    rules: Arc<ArcSwap<LoadedRules>>,
    file: Option<PathBuf>,
    flows: Arc<FlowRegistry>,
}

struct LoadedRules {
    rules: Arc<Rules>,
    /// The file's modification time and length when last read.
    seen: Option<(SystemTime, u64)>,
}

impl QualityScoring {
    /// Scores with `file` (e.g. `flows/quality.toml`), or with the shipped
    /// rules when there is no file or it does not exist.
    pub fn new(file: Option<PathBuf>, flows: Arc<FlowRegistry>) -> Self {
        let scoring = QualityScoring {
            rules: Arc::new(ArcSwap::from_pointee(LoadedRules {
                rules: Arc::new(Rules::default()),
                seen: None,
            })),
            file,
            flows,
        };
        scoring.current_rules();
        scoring
    }

    /// Re-reads the rules file if it changed (SIGHUP), rather than at the
    /// next score.
    pub fn refresh(&self) {
        self.current_rules();
    }

    /// The rules, re-read first when the file changed since the last read.
    /// Two scores that see one change together may both read the file;
    /// either result is the file's rules.
    fn current_rules(&self) -> Arc<Rules> {
        let loaded = self.rules.load();
        let Some(file) = &self.file else {
            return loaded.rules.clone();
        };
        let stamp = std::fs::metadata(file)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())));
        if loaded.seen == stamp {
            return loaded.rules.clone();
        }
        let mut rules = loaded.rules.clone();
        if stamp.is_some() {
            let name = file.display().to_string();
            match std::fs::read_to_string(file)
                .map_err(|e| e.to_string())
                .and_then(|text| {
                    Rules::from_toml(&name, &text).map_err(|errors| {
                        errors
                            .iter()
                            .map(|e| e.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                }) {
                Ok(new) => {
                    info!(file = %name, "quality rules loaded");
                    rules = Arc::new(new);
                }
                Err(error) => {
                    warn!(file = %name, %error, "quality rules not loaded; the last good rules keep scoring");
                }
            }
        }
        self.rules.store(Arc::new(LoadedRules {
            rules: rules.clone(),
            seen: stamp,
        }));
        rules
    }

    fn scorer(&self) -> Scorer {
        Scorer::new(self.current_rules(), self.flows.holidays())
    }

    /// One of the service's own calls, scored with the service as the agent.
    pub fn score_record(&self, record: &CallRecord) -> quality::Quality {
        self.scorer().score(&quality::from_record(record))
    }

    /// [`Self::score_record`], as the wire shows it.
    pub fn record_quality(&self, record: &CallRecord) -> pb::QualityResult {
        convert::quality(&self.score_record(record))
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
