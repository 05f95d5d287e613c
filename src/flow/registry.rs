//! The loaded flows and the holiday calendar, and reloading them.
//!
//! A reload is all-or-nothing per file: a file that fails its check is
//! reported and the version it replaced keeps serving. Calls hold an
//! `Arc<Flow>`, so a swap never touches a live call.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::Duration,
};

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::{Diagnostic, Flow, Severity, check_source};
use crate::calendar::HolidayCalendar;

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
    dir: Option<PathBuf>,
    default_flow: Option<String>,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    flows: BTreeMap<Arc<str>, Loaded>,
    /// Problems of the last load, per file.
    problems: BTreeMap<String, Vec<Diagnostic>>,
    holidays: Arc<HolidayCalendar>,
}

#[derive(Clone)]
struct Loaded {
    flow: Arc<Flow>,
    file: PathBuf,
    loaded_at: DateTime<Utc>,
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
    /// Loads every `*.toml` in `dir`. Broken files are reported and skipped;
    /// it fails only when not a single flow loads.
    pub fn load_dir(
        dir: impl Into<PathBuf>,
        default_flow: Option<String>,
    ) -> Result<Self, LoadError> {
        let dir = dir.into();
        let registry = FlowRegistry {
            dir: Some(dir.clone()),
            default_flow,
            state: RwLock::new(State::default()),
        };
        let outcome = registry.reload_inner();
        if let Some(e) = outcome.dir_error {
            return Err(LoadError::Dir { dir, source: e });
        }
        if registry.read().flows.is_empty() {
            let problems = outcome
                .report
                .problems
                .iter()
                .map(|d| format!("{d}\n"))
                .collect();
            return Err(LoadError::NoFlows { dir, problems });
        }
        Ok(registry)
    }

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
            state: RwLock::new(State {
                flows,
                problems: BTreeMap::new(),
                holidays: Arc::new(holidays),
            }),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        // A panic while holding the lock cannot leave State half-written:
        // every writer builds the new value first and swaps it in.
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    fn default_id(&self, state: &State) -> Option<Arc<str>> {
        let wanted = self.default_flow.as_deref().unwrap_or("hotline");
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

    /// Re-reads the flows directory.
    pub fn reload(&self) -> ReloadReport {
        let before = self.problems();
        let outcome = self.reload_inner();
        // An editor's save often arrives as several file events, hence
        // several reloads: each problem is logged once, when it appears.
        for d in outcome
            .report
            .problems
            .iter()
            .filter(|d| !before.contains(d))
        {
            match d.severity {
                Severity::Error => {
                    warn!(problem = %d, "flow file rejected; its previous version keeps serving")
                }
                Severity::Warning => warn!(problem = %d, "flow warning"),
            }
        }
        if !outcome.report.loaded.is_empty() || !outcome.report.removed.is_empty() {
            info!(loaded = ?outcome.report.loaded, removed = ?outcome.report.removed, "flows reloaded");
        }
        crate::metrics::flow_reload(
            outcome
                .report
                .problems
                .iter()
                .any(|d| d.severity == Severity::Error),
        );
        self.publish_versions();
        outcome.report
    }

    /// Sets `callscript_flow_info` to the versions new calls get.
    pub fn publish_versions(&self) {
        let list = self.list();
        crate::metrics::serving_flows(list.iter().map(|s| (&**s.flow.id(), &**s.flow.version())));
    }

    fn reload_inner(&self) -> Outcome {
        let Some(dir) = &self.dir else {
            return Outcome::default();
        };
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) => {
                return Outcome {
                    dir_error: Some(e),
                    ..Outcome::default()
                };
            }
        };
        files.sort();
        let mut report = ReloadReport::default();
        let mut problems: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        let old = {
            let s = self.read();
            (s.flows.clone(), s.holidays.clone())
        };
        let (old_flows, old_holidays) = old;
        let mut holidays = old_holidays;
        let mut flows: BTreeMap<Arc<str>, Loaded> = BTreeMap::new();
        let now = Utc::now();
        for file in &files {
            let name = display_name(file);
            let text = match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) => {
                    problems
                        .entry(name.clone())
                        .or_default()
                        .push(io_problem(&name, &e));
                    // Keep what this file served before.
                    keep_previous(&old_flows, file, &mut flows);
                    continue;
                }
            };
            if file.file_name().is_some_and(|n| n == HOLIDAYS_FILE) {
                match HolidayCalendar::from_toml(&name, &text) {
                    Ok(cal) => holidays = Arc::new(cal),
                    Err(errors) => problems
                        .entry(name.clone())
                        .or_default()
                        .extend(errors.iter().map(|e| calendar_diagnostic(&name, e))),
                }
                continue;
            }
            // Quality scoring rules (N18) live beside the flows; not a flow.
            if file
                .file_name()
                .is_some_and(|n| n == crate::quality::QUALITY_FILE)
            {
                if let Err(errors) = crate::quality::Rules::from_toml(&name, &text) {
                    problems
                        .entry(name.clone())
                        .or_default()
                        .extend(errors.iter().map(crate::quality::rules_diagnostic));
                }
                continue;
            }
            let (flow, diags) = check_source(&name, &text);
            let entry = problems.entry(name.clone()).or_default();
            entry.extend(diags.0.iter().cloned());
            match flow {
                Some(flow) if flows.contains_key(&flow.id) => {
                    let other = flows[&flow.id].file.display().to_string();
                    entry.push(Diagnostic {
                        severity: Severity::Error,
                        file: name.clone(),
                        line: 1,
                        column: 1,
                        norm: None,
                        message: format!("flow id {:?} is already used by {other}", flow.id),
                    });
                }
                Some(flow) => {
                    let same = old_flows
                        .get(&flow.id)
                        .filter(|l| l.flow.version == flow.version && l.file == *file);
                    match same {
                        Some(l) => {
                            report.unchanged += 1;
                            flows.insert(flow.id.clone(), l.clone());
                        }
                        None => {
                            report.loaded.push(flow.id.clone());
                            flows.insert(
                                flow.id.clone(),
                                Loaded {
                                    flow: Arc::new(flow),
                                    file: file.clone(),
                                    loaded_at: now,
                                },
                            );
                        }
                    }
                }
                None => keep_previous(&old_flows, file, &mut flows),
            }
        }
        if let Some(w) = missing_holidays(dir) {
            problems.entry(w.file.clone()).or_default().push(w);
        }
        problems.retain(|_, v| !v.is_empty());
        report.removed = old_flows
            .keys()
            .filter(|id| !flows.contains_key(*id))
            .cloned()
            .collect();
        report.problems = problems.values().flatten().cloned().collect();
        let mut state = self.write();
        *state = State {
            flows,
            problems,
            holidays,
        };
        Outcome {
            report,
            dir_error: None,
        }
    }

    /// Reloads whenever a file in the flows directory changes, within about
    /// a second. The returned guard stops watching when dropped.
    pub fn watch(self: &Arc<Self>) -> notify_debouncer_full::notify::Result<Option<Watcher>> {
        use notify_debouncer_full::{DebounceEventResult, new_debouncer, notify::RecursiveMode};
        let Some(dir) = self.dir.clone() else {
            return Ok(None);
        };
        let registry = Arc::downgrade(self);
        let mut debouncer = new_debouncer(
            Duration::from_millis(300),
            None,
            move |res: DebounceEventResult| {
                let Some(registry) = registry.upgrade() else {
                    return;
                };
                match res {
                    Ok(events) if !events.is_empty() => {
                        registry.reload();
                    }
                    Ok(_) => {}
                    Err(errors) => warn!(?errors, "watching the flows directory failed"),
                }
            },
        )?;
        debouncer.watch(&dir, RecursiveMode::NonRecursive)?;
        Ok(Some(Watcher {
            _debouncer: debouncer,
        }))
    }
}

/// Keeps the flows directory watched while alive.
pub struct Watcher {
    _debouncer: notify_debouncer_full::Debouncer<
        notify_debouncer_full::notify::RecommendedWatcher,
        notify_debouncer_full::RecommendedCache,
    >,
}

#[derive(Default)]
struct Outcome {
    report: ReloadReport,
    dir_error: Option<std::io::Error>,
}

impl std::fmt::Debug for FlowRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowRegistry")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn keep_previous(
    old: &BTreeMap<Arc<str>, Loaded>,
    file: &Path,
    into: &mut BTreeMap<Arc<str>, Loaded>,
) {
    for (id, l) in old.iter().filter(|(_, l)| l.file == file) {
        into.entry(id.clone()).or_insert_with(|| l.clone());
    }
}

fn display_name(file: &Path) -> String {
    file.display().to_string()
}

fn io_problem(file: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        file: file.to_owned(),
        line: 1,
        column: 1,
        norm: None,
        message: format!("cannot read: {e}"),
    }
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
