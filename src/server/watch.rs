//! One file watcher for everything that reloads from disk: the flows
//! directory and the tokens file. Each reload builds the new value whole
//! and swaps it in (`arc-swap`), so requests never wait on a reload.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use notify_debouncer_full::{
    DebounceEventResult, Debouncer, RecommendedCache, new_debouncer,
    notify::{self, Event, EventKind, RecommendedWatcher, RecursiveMode, event::ModifyKind},
};
use tracing::warn;

use crate::{flow::FlowRegistry, grpc::auth::Auth};

/// An editor's save arrives as several events; they are taken together.
const DEBOUNCE: Duration = Duration::from_millis(300);

/// What the watcher reloads.
#[derive(Default)]
pub struct Reloads {
    /// Re-read when a flow file (`*.toml`) in its directory changes, or
    /// the directory itself.
    pub flows: Option<Arc<FlowRegistry>>,
    /// Re-read when the tokens file changes (its directory is watched, so
    /// editors that replace the file are seen too).
    pub tokens: Option<Arc<Auth>>,
}

/// Keeps the files watched while alive.
pub struct FileWatcher {
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

/// Where each reloadable thing lives, with directories as the file system
/// reports them in events (canonical), so a relative setting matches.
struct Targets {
    flows: Option<(PathBuf, Arc<FlowRegistry>)>,
    tokens: Option<(PathBuf, Arc<Auth>)>,
}

impl FileWatcher {
    /// Watches what `reloads` names; `Ok(None)` when there is nothing on
    /// disk to watch (flows built in memory, no tokens file).
    pub fn start(reloads: Reloads) -> notify::Result<Option<FileWatcher>> {
        let Reloads { flows, tokens } = reloads;
        let targets = Targets {
            flows: flows.and_then(|r| Some((canonical_dir(r.dir()?), r))),
            tokens: tokens
                .filter(|a| !a.path().as_os_str().is_empty())
                .map(|a| (tokens_path(a.path()), a)),
        };
        let mut dirs: Vec<PathBuf> = Vec::new();
        if let Some((dir, _)) = &targets.flows {
            dirs.push(dir.clone());
        }
        if let Some((file, _)) = &targets.tokens {
            dirs.extend(file.parent().map(Path::to_owned));
        }
        dirs.dedup();
        if dirs.is_empty() {
            return Ok(None);
        }
        let mut debouncer =
            new_debouncer(DEBOUNCE, None, move |res: DebounceEventResult| match res {
                Ok(events) => targets.reload_for(events.iter().map(|e| &e.event)),
                Err(errors) => warn!(?errors, "watching files failed"),
            })?;
        for dir in &dirs {
            debouncer.watch(dir, RecursiveMode::NonRecursive)?;
        }
        Ok(Some(FileWatcher {
            _debouncer: debouncer,
        }))
    }
}

impl Targets {
    /// Reloads each thing a batch of events may have changed, once.
    fn reload_for<'a>(&self, events: impl Iterator<Item = &'a Event>) {
        let mut flows = false;
        let mut tokens = false;
        for event in events.filter(|e| is_change(e)) {
            if let Some((dir, _)) = &self.flows {
                flows |= touches_flows(event, dir);
            }
            if let Some((file, _)) = &self.tokens {
                tokens |= event.paths.iter().any(|p| p == file);
            }
        }
        if let (true, Some((_, registry))) = (flows, &self.flows) {
            registry.reload();
        }
        if let (true, Some((_, auth))) = (tokens, &self.tokens) {
            auth.reload();
        }
    }
}

/// Whether a watcher event may have changed what a reload would read:
/// new contents, a name (an editor's rename over the file), a file made or
/// removed. Reading the files (ours included) raises open, access and, on
/// some file systems, attribute events (inotify reports any attribute,
/// the access time too, as `Metadata(Any)`); a reload is a read, so if any
/// of those counted, every reload would set off the next (two replicas
/// sharing a tokens file did so from boot). A chmod is not a change of
/// contents: SIGHUP re-reads after one. Events the watcher lost (a
/// rescan) may have been changes.
fn is_change(event: &Event) -> bool {
    match event.kind {
        EventKind::Create(_)
        | EventKind::Remove(_)
        | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Name(_) | ModifyKind::Any) => true,
        EventKind::Modify(ModifyKind::Metadata(_) | ModifyKind::Other)
        | EventKind::Access(_)
        | EventKind::Any => false,
        EventKind::Other => event.need_rescan(),
    }
}

/// The flows directory itself (moved, deleted) or a flow file in it; not
/// editors' swap files and the like. Events name paths under the directory
/// as it was given to the watcher (canonical).
fn touches_flows(event: &Event, dir: &Path) -> bool {
    event.paths.is_empty()
        || event.paths.iter().any(|p| {
            p == dir || (p.parent() == Some(dir) && p.extension().is_none_or(|e| e == "toml"))
        })
}

/// The tokens file as events name it: its directory canonical, its name
/// as given (the file itself may be a link, or be replaced).
fn tokens_path(file: &Path) -> PathBuf {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = canonical_dir(dir);
    match file.file_name() {
        Some(name) => dir.join(name),
        None => dir,
    }
}

fn canonical_dir(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_owned())
}

#[cfg(test)]
mod tests;
