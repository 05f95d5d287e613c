//! `callscript graph`'s Mermaid, read by Mermaid's own parser (the one a
//! browser, GitHub or a wiki renders it with), in Node.
//!
//! `.ci/run` installs Node from Debian and `npm ci`s the pinned mermaid
//! and jsdom of `tests/mermaid/package-lock.json` into a cache outside the
//! repository: `$MERMAID_MODULES_DIR`, by default
//! `~/.cache/callscript/mermaid`. Without node or those modules a
//! developer's run skips these tests loudly; in CI (`CI` set) it fails them.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

const PARSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mermaid/parse.mjs");

/// Where `npm ci` put mermaid, or `None` (skipped) outside CI when node or
/// the modules are missing.
fn modules() -> Option<PathBuf> {
    let dir = match std::env::var_os("MERMAID_MODULES_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/callscript/mermaid"),
    };
    let missing = if Command::new("node").arg("--version").output().is_err() {
        Some("node is not installed (apt-get install nodejs npm)".to_owned())
    } else if !dir.join("node_modules/mermaid/package.json").is_file() {
        Some(format!(
            "mermaid is not installed in {} (cp tests/mermaid/package*.json there, then \
             npm ci --prefix there; .ci/run does it)",
            dir.display()
        ))
    } else {
        None
    };
    match missing {
        None => Some(dir),
        Some(why) => {
            assert!(std::env::var_os("CI").is_none(), "{why}, and CI needs it");
            eprintln!("\n*** SKIPPED: {why} ***\n");
            None
        }
    }
}

/// Runs Mermaid's parser on `files`: its exit code and what it printed.
fn parse(modules: &Path, files: &[&Path]) -> (i32, String) {
    let out = Command::new("node")
        .arg(PARSE)
        .arg(modules)
        .args(files)
        .output()
        .expect("node runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn graph(flow: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_callscript"))
        .args(["graph", "--flow", flow])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("callscript runs");
    assert!(out.status.success(), "graph --flow {flow} fails");
    String::from_utf8(out.stdout).expect("utf-8 diagram")
}

#[test]
fn the_shipped_flows_diagrams_parse_in_mermaid() {
    let Some(modules) = modules() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<PathBuf> = ["hotline", "outbound", "menu"]
        .into_iter()
        .map(|flow| {
            let file = dir.path().join(format!("{flow}.mmd"));
            std::fs::write(&file, graph(flow)).expect("write the diagram");
            file
        })
        .collect();
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let (code, out) = parse(&modules, &files);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out.matches(": flowchart-v2\n").count(),
        files.len(),
        "{out}"
    );
}

/// The check can fail: the hotline's diagram with its edge labels
/// unquoted, as `graph` drew them before, is refused at the first label
/// with parentheses (`failed or no answer (after lookup_wait)`).
#[test]
fn unquoted_labels_with_parentheses_are_refused() {
    let Some(modules) = modules() else { return };
    let quoted = graph("hotline");
    let unquoted = quoted.replace("|\"", "|").replace("\"|", "|");
    assert_ne!(unquoted, quoted, "graph quotes its edge labels");
    assert!(unquoted.contains(" (after "), "a label has parentheses");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("unquoted.mmd");
    std::fs::write(&file, unquoted).expect("write the diagram");
    let (code, out) = parse(&modules, &[&file]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("unquoted.mmd: REFUSED\nParse error"), "{out}");
}
