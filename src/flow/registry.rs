//! The loaded flows and the holiday calendar, as new calls get them.
//! Loading, reloading and watching the flows directory is `flows_dir`'s
//! (above `flow`, since a reload also checks the quality rules and
//! records metrics).

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use super::{Diagnostic, Flow, Severity};
use crate::calendar::HolidayCalendar;
use chrono::{DateTime, Utc};

/// The file in the flows directory that holds the holiday notices rather
/// than a flow.
pub const HOLIDAYS_FILE: &str = "holidays.toml";

/// A loaded flow as listed to operators.
#[derive(Debug, Clone)]
pub struct FlowSummary {
    pub flow: Arc<Flow>,
    pub loaded_at: DateTime<Utc>,
    pub is_default: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read flows directory {dir}: {source}")]
    Dir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("no flow could be loaded from {dir}:\n{problems}")]
    NoFlows { dir: PathBuf, problems: String },
}

pub struct FlowRegistry {
    pub(crate) dir: Option<PathBuf>,
    pub(crate) default_flow: Option<String>,
    /// Larger files are refused without being read.
    pub(crate) max_flow_bytes: u64,
    pub(crate) state: RwLock<State>,
}

/// The default `max_flow_bytes`: flow sources are small; anything larger is
/// a mistake (or junk), not a flow.
pub const DEFAULT_MAX_FLOW_BYTES: usize = 4 << 20;

#[derive(Default)]
pub(crate) struct State {
    pub(crate) flows: BTreeMap<Arc<str>, Loaded>,
    /// Problems of the last load, per file.
    pub(crate) problems: BTreeMap<String, Vec<Diagnostic>>,
    pub(crate) holidays: Arc<HolidayCalendar>,
}

#[derive(Clone)]
pub(crate) struct Loaded {
    pub(crate) flow: Arc<Flow>,
    pub(crate) file: PathBuf,
    pub(crate) loaded_at: DateTime<Utc>,
}

/// What one reload changed.
#[derive(Debug, Default, Clone)]
pub struct ReloadReport {
    pub loaded: Vec<Arc<str>>,
    pub unchanged: usize,
    pub removed: Vec<Arc<str>>,
    pub problems: Vec<Diagnostic>,
}

impl FlowRegistry {
    /// A registry over flows built in memory (tests, the simulator).
    pub fn from_flows(flows: impl IntoIterator<Item = Flow>, holidays: HolidayCalendar) -> Self {
        let now = Utc::now();
        let flows = flows
            .into_iter()
            .map(|f| {
                let file = PathBuf::from(f.source_file());
                (
                    f.id.clone(),
                    Loaded {
                        flow: Arc::new(f),
                        file,
                        loaded_at: now,
                    },
                )
            })
            .collect();
        FlowRegistry {
            dir: None,
            default_flow: None,
            max_flow_bytes: DEFAULT_MAX_FLOW_BYTES as u64,
            state: RwLock::new(State {
                flows,
                problems: BTreeMap::new(),
                holidays: Arc::new(holidays),
            }),
        }
    }

    pub(crate) fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave State half-written:
        // every writer builds the new value first and swaps it in.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn wanted_default(&self) -> &str {
        self.default_flow.as_deref().unwrap_or("hotline")
    }

    fn default_id(&self, state: &State) -> Option<Arc<str>> {
        let wanted = self.wanted_default();
        state
            .flows
            .get(wanted)
            .or_else(|| state.flows.values().next())
            .map(|l| l.flow.id.clone())
    }

    /// The flow with this id; the default flow for "".
    pub fn get(&self, id: &str) -> Option<Arc<Flow>> {
        let state = self.read();
        let id = if id.is_empty() {
            self.default_id(&state)?
        } else {
            id.into()
        };
        state.flows.get(&id).map(|l| l.flow.clone())
    }

    pub fn holidays(&self) -> Arc<HolidayCalendar> {
        self.read().holidays.clone()
    }

    pub fn list(&self) -> Vec<FlowSummary> {
        let state = self.read();
        let default = self.default_id(&state);
        state
            .flows
            .values()
            .map(|l| FlowSummary {
                flow: l.flow.clone(),
                loaded_at: l.loaded_at,
                is_default: Some(&l.flow.id) == default.as_ref(),
            })
            .collect()
    }

    /// Problems from the last load of each file.
    pub fn problems(&self) -> Vec<Diagnostic> {
        self.read().problems.values().flatten().cloned().collect()
    }
}

impl std::fmt::Debug for FlowRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowRegistry")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

pub(crate) fn display_name(file: &Path) -> String {
    file.display().to_string()
}

/// The warning for a flows directory without `holidays.toml`: a copied
/// directory that lost it would greet 2026-10-03 with 早上好 instead of
/// 国庆节快乐 without a word (N4).
pub fn missing_holidays(dir: &Path) -> Option<Diagnostic> {
    let file = dir.join(HOLIDAYS_FILE);
    (!file.exists()).then(|| Diagnostic {
        severity: Severity::Warning,
        file: display_name(&file),
        line: 1,
        column: 1,
        norm: Some("N4"),
        message: format!(
            "no {HOLIDAYS_FILE} in {}: holiday openings fall back to the computed days \
             (1 Jan, lunar 1/1, 1 May, lunar 8/15, 1 Oct), not the official notice periods",
            dir.display()
        ),
    })
}

/// A holiday-calendar error as a flow diagnostic (the registry and
/// `check` report both kinds of file alike).
pub fn calendar_diagnostic(file: &str, e: &crate::calendar::CalendarError) -> Diagnostic {
    let (line, column) = e
        .location()
        .map_or((1, 1), |l| (l.line as u32, l.column as u32));
    let text = e.to_string();
    // Display starts with "file:line:col: "; the diagnostic carries those.
    let message = match e.location() {
        Some(l) => text
            .strip_prefix(&format!("{}:{}:{}: ", l.origin, l.line, l.column))
            .unwrap_or(&text)
            .to_owned(),
        None => text,
    };
    Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        line,
        column,
        norm: Some("N4"),
        message,
    }
}
