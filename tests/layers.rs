//! The layering of `src/`: no cycle between top-level modules
//! (ARCHITECTURE.md, "Layers").
//!
//! A cycle between two top-level modules means neither can be read, tested
//! or changed without the other; the layering in ARCHITECTURE.md is what
//! keeps a new step kind or store one file instead of seventeen. This reads
//! every `crate::…` and `super::…` path in the library's sources (not its
//! tests: a test may reach across layers to check them) and fails naming
//! the files that close any cycle.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// Where one top-level module names another.
#[derive(Debug, Clone)]
struct Use {
    file: String,
    line: usize,
}

type Graph = BTreeMap<String, BTreeMap<String, Use>>;

#[test]
fn no_cycle_between_top_level_modules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    let cycles = cycles(&graph);
    let mut report = String::new();
    for cycle in &cycles {
        report.push_str(&format!("cycle: {}\n", cycle.join(" -> ")));
        // Every use that lies on some cycle through these modules is one
        // to look at.
        for (from, tos) in &graph {
            for (to, u) in tos {
                if reaches(&graph, to, &cycle[0])
                    && reaches(&graph, &cycle[0], from)
                    && reaches(&graph, to, from)
                {
                    report.push_str(&format!("  {from} -> {to}: {}:{}\n", u.file, u.line));
                }
            }
        }
    }
    assert!(cycles.is_empty(), "modules in src/ form cycles:\n{report}");
}

#[test]
fn the_reader_finds_crate_and_super_paths() {
    let text = "use crate::{flow::{Flow, StepIx}, calendar};\n\
                use super::super::metrics;\n\
                fn f() { crate::records::mask(\"\"); }\n\
                // crate::engine in a comment is no use\n\
                #[cfg(test)]\nmod tests { use crate::grpc; }\n";
    let names: BTreeSet<String> = uses(text, &["call".into(), "machine".into()])
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let want: BTreeSet<String> = ["flow", "calendar", "metrics", "records"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(names, want);
}

#[test]
fn the_cycle_finder_names_a_cycle() {
    let mut graph = Graph::new();
    let u = || Use {
        file: "f".into(),
        line: 1,
    };
    for (a, b) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph.entry(a.into()).or_default().insert(b.into(), u());
    }
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c", "a"]]);
}

/// Which top-level module names which, from the sources under `src`.
fn module_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).expect("under src");
        let path = module_path(rel);
        let Some(top) = path.first().cloned() else {
            continue; // lib.rs and main.rs sit above every module
        };
        if top == "main" || path.last().is_some_and(|m| m == "tests") {
            continue;
        }
        let text = fs::read_to_string(&file).expect("a readable source file");
        for (name, line) in uses(&text, &path) {
            if name != top && is_top_module(src, &name) {
                graph
                    .entry(top.clone())
                    .or_default()
                    .entry(name)
                    .or_insert(Use {
                        file: format!("src/{}", rel.display()),
                        line,
                    });
            }
        }
    }
    graph
}

fn is_top_module(src: &Path, name: &str) -> bool {
    src.join(format!("{name}.rs")).is_file() || src.join(name).join("mod.rs").is_file()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).expect("a readable src directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `engine/shared/mod.rs` is `engine::shared`; `engine/session.rs` is
/// `engine::session`; `lib.rs` is the crate root.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The top-level modules a file's code names, with the line of the first
/// mention: `crate::x…`, `crate::{x, y::…}` and `super::…` resolved from
/// the file's own module path. Comments and `#[cfg(test)]` modules are
/// skipped.
fn uses(text: &str, path: &[String]) -> Vec<(String, usize)> {
    let code = without_tests(&without_comments(text));
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let at_word = i == 0 || !is_ident(bytes[i - 1]);
        if at_word && bytes[i..].starts_with(b"crate::") {
            let line = line_of(&code, i);
            for name in first_segments(&code[i + "crate::".len()..]) {
                found.push((name, line));
            }
            i += "crate::".len();
        } else if at_word && bytes[i..].starts_with(b"super::") {
            // `super` is the parent of this file's module; each further
            // `super::` one more level up.
            let mut depth = 0;
            let mut j = i;
            while bytes[j..].starts_with(b"super::") {
                depth += 1;
                j += "super::".len();
            }
            let line = line_of(&code, i);
            if depth >= path.len() {
                // Reached the crate root: the next segment is a top module.
                for name in first_segments(&code[j..]) {
                    found.push((name, line));
                }
            }
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

/// `x::…` gives `x`; `{x, y::{…}, z as w}` gives x, y and z.
fn first_segments(rest: &str) -> Vec<String> {
    if let Some(group) = rest.strip_prefix('{') {
        let mut names = Vec::new();
        let mut depth = 0;
        let mut start = true;
        for (k, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => start = true,
                c if start && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                    names.push(ident(&group[k..]));
                    start = false;
                }
                _ => {}
            }
        }
        names
    } else {
        vec![ident(rest)]
    }
}

fn ident(s: &str) -> String {
    s.bytes()
        .take_while(|&b| is_ident(b))
        .map(char::from)
        .collect()
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].bytes().filter(|&b| b == b'\n').count() + 1
}

/// The text with `//` comments blanked (lines kept, so line numbers hold)
/// and string literals emptied.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = ' ';
        let mut cut = line.len();
        for (k, c) in line.char_indices() {
            if c == '"' && prev != '\\' && prev != '\'' {
                in_str = !in_str;
            } else if !in_str && c == '/' && prev == '/' {
                cut = k - 1;
                break;
            }
            prev = c;
        }
        let kept = &line[..cut];
        // Strings may hold `crate::` in messages; blank their insides.
        let mut in_str = false;
        let mut prev = ' ';
        for c in kept.chars() {
            if c == '"' && prev != '\\' && prev != '\'' {
                in_str = !in_str;
                out.push(c);
            } else {
                out.push(if in_str { ' ' } else { c });
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// The text with every `#[cfg(test)]` item (a `mod tests { … }` or a
/// `mod tests;`) blanked, lines kept.
fn without_tests(text: &str) -> String {
    let mut out = text.to_owned();
    let mut from = 0;
    while let Some(k) = out[from..].find("#[cfg(test)]") {
        let start = from + k;
        // The item ends at its `;` or at the brace closing its first `{`.
        let mut depth = 0;
        let mut end = out.len();
        for (j, c) in out[start..].char_indices() {
            match c {
                ';' if depth == 0 => {
                    end = start + j + 1;
                    break;
                }
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = start + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        let blank: String = out[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..end, &blank);
        from = start + blank.len();
    }
    out
}

/// Whether `to` is `from` or can be reached from it.
fn reaches(graph: &Graph, from: &str, to: &str) -> bool {
    from == to || reachable(graph, from).contains(to)
}

/// Every module reachable from `from` by one use or more.
fn reachable(graph: &Graph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_owned()];
    while let Some(n) = todo.pop() {
        for next in graph.get(&n).into_iter().flat_map(|m| m.keys()) {
            if seen.insert(next.clone()) {
                todo.push(next.clone());
            }
        }
    }
    seen
}

/// Every cycle through the graph's strongly connected components, each
/// as a closed walk from its smallest module (a -> b -> a).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = graph
        .keys()
        .chain(graph.values().flat_map(|m| m.keys()))
        .collect();
    let reached: BTreeMap<&String, BTreeSet<String>> =
        nodes.iter().map(|n| (*n, reachable(graph, n))).collect();
    let mut done = BTreeSet::new();
    let mut out = Vec::new();
    for &n in &nodes {
        if done.contains(n) || !reached[n].contains(n) {
            continue;
        }
        // The component: modules that reach n and that n reaches.
        let component: BTreeSet<&String> = nodes
            .iter()
            .copied()
            .filter(|m| reached[n].contains(*m) && reached[*m].contains(n))
            .collect();
        done.extend(component.iter().map(|m| (*m).clone()));
        out.push(walk(graph, n, &component));
    }
    out
}

/// A shortest closed walk from `start` back to it inside the component.
fn walk(graph: &Graph, start: &String, component: &BTreeSet<&String>) -> Vec<String> {
    let mut prev: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.clone()]);
    while let Some(n) = queue.pop_front() {
        for next in graph.get(&n).into_iter().flat_map(|m| m.keys()) {
            if !component.contains(next) {
                continue;
            }
            if next == start {
                let mut path = vec![start.clone()];
                let mut at = n.clone();
                while at != *start {
                    path.push(at.clone());
                    at = prev[&at].clone();
                }
                path.push(start.clone());
                path.reverse();
                return path;
            }
            if !prev.contains_key(next) {
                prev.insert(next.clone(), n.clone());
                queue.push_back(next.clone());
            }
        }
    }
    vec![start.clone()]
}
