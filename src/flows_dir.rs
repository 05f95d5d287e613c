//! The flows directory: loading it, reloading it and watching it, for the
//! [`FlowRegistry`] that serves what it holds.
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
//!
//! Apart from `flow` because a reload also checks the quality rules kept
//! beside the flows and records metrics: `flow` stays below `quality` and
//! `metrics`, which both read flows.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
    time::Duration,
};

use chrono::Utc;
use tracing::{info, warn};

use crate::calendar::HolidayCalendar;
use crate::flow::{
    Diagnostic, Flow, FlowRegistry, Severity, check_source,
    registry::{
        DEFAULT_MAX_FLOW_BYTES, HOLIDAYS_FILE, LoadError, Loaded, ReloadReport, State,
        calendar_diagnostic, display_name, missing_holidays,
    },
};

impl FlowRegistry {
    /// Loads every `*.toml` in `dir`. Broken files are reported and skipped;
    /// it fails only when not a single flow loads.
    pub fn load_dir(
        dir: impl Into<PathBuf>,
        default_flow: Option<String>,
    ) -> Result<Self, LoadError> {
        Self::load_dir_with(dir, default_flow, DEFAULT_MAX_FLOW_BYTES)
    }

    /// [`FlowRegistry::load_dir`] with a `max_flow_bytes` of its own.
    pub fn load_dir_with(
        dir: impl Into<PathBuf>,
        default_flow: Option<String>,
        max_flow_bytes: usize,
    ) -> Result<Self, LoadError> {
        let dir = dir.into();
        let registry = FlowRegistry {
            dir: Some(dir.clone()),
            default_flow,
            max_flow_bytes: max_flow_bytes as u64,
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
                let mut state = self.write();
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
                    // Reading the files (ours included) raises open and
                    // access events; only a change is worth a re-read, or
                    // every reload would set off the next.
                    Ok(events) if events.iter().any(|e| is_change(&e.event)) => {
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

/// Whether a watcher event may have changed what a reload would read.
fn is_change(event: &notify_debouncer_full::notify::Event) -> bool {
    use notify_debouncer_full::notify::{
        EventKind,
        event::{MetadataKind, ModifyKind},
    };
    let kind_matters = match event.kind {
        EventKind::Access(_) | EventKind::Other => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Any | EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_) => true,
    };
    // The directory itself (moved, deleted) or a flow file; not editors'
    // swap files and the like.
    kind_matters
        && (event.paths.is_empty()
            || event
                .paths
                .iter()
                .any(|p| p.extension().is_none_or(|e| e == "toml")))
}

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

#[cfg(test)]
mod tests {
    use notify_debouncer_full::notify::{
        Event, EventKind,
        event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind},
    };

    use super::*;

    /// Reading the flows raises open/close events on them; those must not
    /// set off another reload, or one change re-reads the directory forever.
    #[test]
    fn only_changes_to_flow_files_are_worth_a_reload() {
        let on = |kind, path: &str| Event::new(kind).add_path(PathBuf::from(path));
        assert!(!is_change(&on(
            EventKind::Access(AccessKind::Open(AccessMode::Read)),
            "flows/hotline.toml"
        )));
        assert!(!is_change(&on(
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            "flows/hotline.toml"
        )));
        assert!(is_change(&on(
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            "flows/hotline.toml"
        )));
        assert!(is_change(&on(
            EventKind::Create(CreateKind::File),
            "flows/new.toml"
        )));
        assert!(!is_change(&on(
            EventKind::Create(CreateKind::File),
            "flows/.hotline.toml.swp"
        )));
    }
}
