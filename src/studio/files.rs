//! The flow files the studio reads and writes: `NAME.toml` in
//! `flows_dir`, named by a plain word so no request reaches outside it.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use super::error::ApiError;
use crate::flow::registry::{HOLIDAYS_FILE, QUALITY_FILE};

/// A flow file as the studio shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FlowFile {
    pub name: String,
    pub file: String,
    /// The content version of the text (`flow::version_of`, the version a
    /// loaded flow reports), so a hash names the exact text.
    pub hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Whether `name` is a plain word: letters, digits, `-` and `_`.
pub fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The path of flow `name` in `dir`: refused for a name that is not a
/// plain word, or that names the calendar or the quality rules.
pub fn flow_path(dir: &Path, name: &str) -> Result<PathBuf, ApiError> {
    let file = format!("{name}.toml");
    if !plain_name(name) || file == HOLIDAYS_FILE || file == QUALITY_FILE {
        return Err(ApiError::not_found(format!("no flow named {name:?}")));
    }
    Ok(dir.join(file))
}

/// Every flow file of `dir`, by name.
pub fn list(dir: &Path, max_bytes: usize) -> Result<Vec<FlowFile>, ApiError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ApiError::internal(format!("cannot read {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".toml"))
        else {
            continue;
        };
        if flow_path(dir, name).is_err() {
            continue;
        }
        if let Ok(Some(file)) = read(dir, name, max_bytes) {
            out.push(FlowFile { text: None, ..file });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Flow `name` with its text; `None` when there is no such file.
pub fn read(dir: &Path, name: &str, max_bytes: usize) -> Result<Option<FlowFile>, ApiError> {
    let path = flow_path(dir, name)?;
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(&path, &e)),
    };
    if !meta.is_file() || meta.len() > max_bytes as u64 {
        return Err(ApiError::unprocessable(format!(
            "{}: not a regular file of at most {max_bytes} bytes (max_flow_bytes)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| cannot(&path, &e))?;
    Ok(Some(FlowFile {
        name: name.to_owned(),
        file: format!("{name}.toml"),
        hash: crate::flow::version_of(&text),
        text: Some(text),
    }))
}

/// Writes `text` to `path` whole or not at all: a temporary file beside it,
/// synced, then renamed over it, so the watcher (and a crash) never sees
/// half a flow.
pub fn write_atomically(path: &Path, text: &str) -> Result<(), ApiError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("flow");
    // A dot-file without `.toml`: the registry does not take it for a flow.
    let temp = dir.join(format!(".{name}.studio-{}", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(cannot(path, &e));
    }
    Ok(())
}

fn cannot(path: &Path, e: &std::io::Error) -> ApiError {
    ApiError::internal(format!("{}: {e}", path.display()))
}
