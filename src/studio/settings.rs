//! The studio's settings, as `config` reads them (README "Settings").

use std::{net::SocketAddr, path::PathBuf};

/// How the studio is served (`studio_listen` and the settings beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudioSettings {
    pub listen: SocketAddr,
    /// Where a simulated call saved as a test goes, and where coverage
    /// reads the flows' scenarios from (`scenarios_dir`).
    pub scenarios_dir: PathBuf,
    /// The change log, one JSON line per publish (`studio_changes_file`);
    /// `None`: `studio-changes.jsonl` beside the flows directory.
    pub changes_file: Option<PathBuf>,
}

/// The default `scenarios_dir`: where the repository keeps its scenarios.
pub const DEFAULT_SCENARIOS_DIR: &str = "tests/scenarios";

/// The studio's settings as text.
#[derive(Debug, Default)]
pub struct RawStudio {
    pub listen: Option<String>,
    pub public: Option<bool>,
    pub scenarios_dir: Option<String>,
    pub changes_file: Option<String>,
}

/// `None` when `studio_listen` is unset (the studio is off). A listener
/// beyond loopback is refused unless `studio_public` says it is meant:
/// the studio publishes flows, and an address typed by mistake must not
/// open that to a network.
pub fn parse(raw: RawStudio, errors: &mut Vec<String>) -> Option<StudioSettings> {
    let text = raw.listen.filter(|t| !t.trim().is_empty())?;
    let Ok(listen) = text.trim().parse::<SocketAddr>() else {
        errors.push(format!(
            "studio_listen: {text:?} is not an address such as 127.0.0.1:8080"
        ));
        return None;
    };
    if !listen.ip().is_loopback() && raw.public != Some(true) {
        errors.push(format!(
            "studio_listen: {listen} is beyond loopback; set studio_public = true to serve the studio there (with auth_tokens_file, so only designers publish flows)"
        ));
        return None;
    }
    let path = |v: Option<String>| v.filter(|p| !p.trim().is_empty()).map(PathBuf::from);
    Some(StudioSettings {
        listen,
        scenarios_dir: path(raw.scenarios_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SCENARIOS_DIR)),
        changes_file: path(raw.changes_file),
    })
}
