//! The loaded flows and the holiday calendar, and reloading them.
//!
//! A reload is all-or-nothing per file: a file that fails its check is
//! reported and the version it replaced keeps serving. Calls hold an
//! `Arc<Flow>`, so a swap never touches a live call.
//!
//! Nothing in the directory can wedge a reload: only regular files of at
//! most `max_flow_bytes` are read, opened without blocking (a FIFO, a
//! device or a link to one is a problem, not a hang); a directory that
//! cannot be read is a problem and the flows stay as they were; the default
//! flow never changes silently (deleting its file keeps its last good
//! version serving, with a problem naming the file); two files with one
//! flow id are an error naming both, and the version already serving stays.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::{Diagnostic, Flow, Severity, check_source};
use crate::calendar::HolidayCalendar;

/// The file in the flows directory that holds the holiday notices rather
/// than a flow.
pub const HOLIDAYS_FILE: &str = "holidays.toml";

/// The file in the flows directory that holds the quality scoring rules
/// (N18): never a flow. The registry checks it only with the checker it
/// is given ([`RulesCheck`]), since the rules belong to the scorer, a
/// layer above the flows.
pub const QUALITY_FILE: &str = "quality.toml";

/// Checks the quality rules file's text (`name` for the diagnostics), so
/// a reload reports its mistakes beside the flows'.
pub type RulesCheck = fn(name: &str, text: &str) -> Vec<Diagnostic>;

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
    /// Larger files are refused without being read.
    max_flow_bytes: u64,
    /// Checks the quality rules file on every load, when given.
    rules_check: Option<RulesCheck>,
    /// Each reload builds the next state whole and swaps it in, so a
    /// lookup never waits for a reload.
    state: ArcSwap<State>,
}

/// The default `max_flow_bytes`: flow sources are small; anything larger is
/// a mistake (or junk), not a flow.
pub const DEFAULT_MAX_FLOW_BYTES: usize = 4 << 20;

#[derive(Default, Clone)]
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
        Self::load_dir_with(dir, default_flow, DEFAULT_MAX_FLOW_BYTES, None)
    }

    /// [`FlowRegistry::load_dir`] with a `max_flow_bytes` of its own, and
    /// the checker of the quality rules file beside the flows.
    pub fn load_dir_with(
        dir: impl Into<PathBuf>,
        default_flow: Option<String>,
        max_flow_bytes: usize,
        rules_check: Option<RulesCheck>,
    ) -> Result<Self, LoadError> {
        let dir = dir.into();
        let registry = FlowRegistry {
            dir: Some(dir.clone()),
            default_flow,
            max_flow_bytes: max_flow_bytes as u64,
            rules_check,
            state: ArcSwap::default(),
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
            max_flow_bytes: DEFAULT_MAX_FLOW_BYTES as u64,
            rules_check: None,
            state: ArcSwap::from_pointee(State {
                flows,
                problems: BTreeMap::new(),
                holidays: Arc::new(holidays),
            }),
        }
    }

    fn read(&self) -> arc_swap::Guard<Arc<State>> {
        self.state.load()
    }

    fn wanted_default(&self) -> &str {
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

    /// The directory the flows are read from (`None` for flows built in
    /// memory), for the file watcher (`server::watch`).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Re-reads the flows directory.
    pub fn reload(&self) -> ReloadReport {
        let before = self.problems();
        let outcome = self.reload_inner();
        if let Some(e) = &outcome.dir_error {
            warn!(dir = ?self.dir, error = %e, "cannot read the flows directory; the flows loaded before keep serving");
        }
        // An editor's save often arrives as several file events, hence
        // several reloads: each problem is logged once, when it appears.
        for d in outcome
            .report
            .problems
            .iter()
            .filter(|d| !before.contains(d))
        {
            match d.severity {
                Severity::Error if d.message.starts_with(DEFAULT_KEPT) => {
                    warn!(problem = %d, "the default flow's file is gone; its last good version keeps serving")
                }
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
        let (old_flows, old_holidays) = {
            let s = self.read();
            (s.flows.clone(), s.holidays.clone())
        };
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect(),
            Err(e) => {
                // Nothing can be said about the files: keep every flow, and
                // say why in the problems.
                let name = display_name(dir);
                let mut state = State::clone(&self.read());
                state.problems = BTreeMap::from([(
                    name.clone(),
                    vec![Diagnostic::file_error(
                        name,
                        format!(
                            "cannot read the flows directory: {e}; the flows loaded before keep serving"
                        ),
                    )],
                )]);
                let report = ReloadReport {
                    unchanged: state.flows.len(),
                    problems: state.problems.values().flatten().cloned().collect(),
                    ..ReloadReport::default()
                };
                self.state.store(Arc::new(state));
                return Outcome {
                    report,
                    dir_error: Some(e),
                };
            }
        };
        files.sort();
        let mut report = ReloadReport::default();
        let mut problems: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
        let mut holidays = old_holidays;
        // Every file's flow first, by id, so that two files claiming one id
        // are seen together whatever their names.
        let mut candidates: BTreeMap<Arc<str>, Vec<(PathBuf, Flow)>> = BTreeMap::new();
        let mut flows: BTreeMap<Arc<str>, Loaded> = BTreeMap::new();
        let now = Utc::now();
        for file in &files {
            let name = display_name(file);
            let text = match read_flow_file(file, self.max_flow_bytes) {
                Ok(t) => t,
                Err(message) => {
                    problems
                        .entry(name.clone())
                        .or_default()
                        .push(Diagnostic::file_error(name.clone(), message));
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
            if file.file_name().is_some_and(|n| n == QUALITY_FILE) {
                if let Some(check) = self.rules_check {
                    let found = check(&name, &text);
                    if !found.is_empty() {
                        problems.entry(name.clone()).or_default().extend(found);
                    }
                }
                continue;
            }
            let (flow, diags) = check_source(&name, &text);
            problems
                .entry(name.clone())
                .or_default()
                .extend(diags.0.iter().cloned());
            match flow {
                Some(flow) => candidates
                    .entry(flow.id.clone())
                    .or_default()
                    .push((file.clone(), flow)),
                None => keep_previous(&old_flows, file, &mut flows),
            }
        }
        for (id, mut claims) in candidates {
            if claims.len() > 1 {
                let names: Vec<String> = claims.iter().map(|(f, _)| display_name(f)).collect();
                let serving = old_flows.get(&id);
                let kept = match serving {
                    Some(l) => format!(
                        "the version already serving (from {}) keeps serving",
                        l.file.display()
                    ),
                    None => "neither is loaded".to_owned(),
                };
                for (file, _) in &claims {
                    let name = display_name(file);
                    problems
                        .entry(name.clone())
                        .or_default()
                        .push(Diagnostic::file_error(
                            name,
                            format!(
                                "flow id {id:?} is defined by more than one file ({}); {kept}",
                                names.join(" and ")
                            ),
                        ));
                }
                if let Some(l) = serving {
                    flows.insert(id.clone(), l.clone());
                }
                continue;
            }
            let Some((file, flow)) = claims.pop() else {
                continue;
            };
            let same = old_flows
                .get(&flow.id)
                .filter(|l| l.flow.version == flow.version && l.file == file);
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
                            file,
                            loaded_at: now,
                        },
                    );
                }
            }
        }
        // The default flow never changes silently: if it was serving and its
        // file no longer yields it, its last good version stays.
        let default: Arc<str> = self.wanted_default().into();
        if !flows.contains_key(&default)
            && let Some(l) = old_flows.get(&default)
        {
            let name = display_name(&l.file);
            problems.entry(name.clone()).or_default().push(Diagnostic::file_error(
                name.clone(),
                format!(
                    "{DEFAULT_KEPT}{default:?} (from {name}) is no longer in the flows directory; its last good version keeps serving until the file is restored or default_flow names another flow"
                ),
            ));
            flows.insert(default, l.clone());
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
        self.state.store(Arc::new(State {
            flows,
            problems,
            holidays,
        }));
        Outcome {
            report,
            dir_error: None,
        }
    }
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

/// How a kept default flow's problem starts (also how `reload` finds it).
const DEFAULT_KEPT: &str = "the default flow ";

/// A flow file's text: a regular file (after links) of at most `max`
/// bytes, opened without blocking, so a FIFO, a device or a link to one is
/// refused rather than read forever.
fn read_flow_file(file: &Path, max: u64) -> Result<String, String> {
    use std::{io::Read, os::unix::fs::OpenOptionsExt};
    let meta = std::fs::metadata(file).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "not a regular file ({}); only regular files are read",
            kind_of(&meta)
        ));
    }
    if meta.len() > max {
        return Err(format!(
            "{} bytes is more than max_flow_bytes ({max}); not read",
            meta.len()
        ));
    }
    // Non-blocking open: if the file was swapped for a FIFO since the check
    // above, opening it still returns at once.
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(file)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = f.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "not a regular file ({}); only regular files are read",
            kind_of(&meta)
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(max) as usize);
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("more than max_flow_bytes ({max}) bytes; not read"));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a plain file"
    }
}

fn display_name(file: &Path) -> String {
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
