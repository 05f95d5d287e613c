//! The repository's documents stand alone: the norms `check` cites are
//! explained in docs/norms.md, and no file points outside the repository.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every text file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_norm_has_an_anchor_in_docs_norms_md() {
    let norms = read(&repo().join("docs/norms.md"));
    let mut ids: Vec<String> = (1..=18).map(|n| format!("N{n}")).collect();
    ids.push("N3b".into());
    for id in ids {
        let anchor = format!("<a id=\"{}\"></a>\n## {id}: ", id.to_ascii_lowercase());
        assert!(norms.contains(&anchor), "docs/norms.md lacks {anchor:?}");
    }
}

#[test]
fn every_norm_the_code_cites_is_explained() {
    let norms = read(&repo().join("docs/norms.md"));
    let mut sources = Vec::new();
    files(&repo().join("src"), &mut sources);
    for file in sources {
        let text = read(&file);
        for (at, _) in text.match_indices("Some(\"N") {
            let id: String = text[at + 6..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            let anchor = format!("<a id=\"{}\"></a>", id.to_ascii_lowercase());
            assert!(
                norms.contains(&anchor),
                "{} cites {id}, which docs/norms.md does not explain",
                file.display()
            );
        }
    }
}

#[test]
fn no_file_points_outside_the_repository() {
    let mut all = Vec::new();
    for dir in [
        "src", "proto", "flows", "tests", "benches", "examples", "docs", ".ci",
    ] {
        files(&repo().join(dir), &mut all);
    }
    for file in [
        "README.md",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "Cargo.toml",
        "build.rs",
    ] {
        all.push(repo().join(file));
    }
    // Spelt in pieces so this file does not match itself.
    let outside = [
        ["../", "shared"].concat(),
        ["/work/", "shared"].concat(),
        ["NORMS", ".md"].concat(),
        ["DESIGN", ".md"].concat(),
        ["STYLE", ".md"].concat(),
        ["STACK", ".md"].concat(),
    ];
    for file in all {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for bad in &outside {
            assert!(
                !text.contains(bad.as_str()),
                "{} mentions {bad}, which a clone does not have",
                file.display()
            );
        }
    }
}
