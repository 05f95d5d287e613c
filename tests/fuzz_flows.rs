//! Mutated flow files into the flow checker (proptest, stable Rust): never
//! a panic; a file that does not compile always says why, with a position
//! inside the file.

use callscript::flow::{Severity, check_source};
use proptest::prelude::*;

const FLOWS: [(&str, &str); 2] = [
    ("hotline.toml", include_str!("../flows/hotline.toml")),
    ("outbound.toml", include_str!("../flows/outbound.toml")),
];

/// Characters that matter to TOML and to the flow format.
const PIECES: &[&str] = &[
    "=",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "\"",
    "'",
    "\"\"\"",
    "#",
    "\n",
    "\\",
    " ",
    ",",
    ".",
    "0",
    "-1",
    "99999999999999999999",
    "true",
    "id",
    "step",
    "prompt",
    "话",
    "é",
    "\t",
    "\r\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete {
        at: prop::sample::Index,
        len: usize,
    },
    Insert {
        at: prop::sample::Index,
        piece: prop::sample::Index,
    },
    DuplicateLine {
        at: prop::sample::Index,
    },
    Truncate {
        at: prop::sample::Index,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(at, piece)| Edit::Insert { at, piece }),
        any::<prop::sample::Index>().prop_map(|at| Edit::DuplicateLine { at }),
        any::<prop::sample::Index>().prop_map(|at| Edit::Truncate { at }),
    ]
}

/// The nearest char boundary at or before `i`.
fn boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut text: String, e: &Edit) -> String {
    if text.is_empty() {
        return text;
    }
    match e {
        Edit::Delete { at, len } => {
            let a = boundary(&text, at.index(text.len()));
            let b = boundary(&text, a + len);
            text.replace_range(a..b, "");
        }
        Edit::Insert { at, piece } => {
            let a = boundary(&text, at.index(text.len()));
            text.insert_str(a, PIECES[piece.index(PIECES.len())]);
        }
        Edit::DuplicateLine { at } => {
            let lines: Vec<&str> = text.lines().collect();
            let i = at
                .index(lines.len().max(1))
                .min(lines.len().saturating_sub(1));
            let mut out: Vec<&str> = lines.clone();
            if let Some(line) = lines.get(i) {
                out.insert(i, line);
            }
            text = out.join("\n");
        }
        Edit::Truncate { at } => {
            let a = boundary(&text, at.index(text.len()));
            text.truncate(a);
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_flow_files_get_diagnostics_with_positions_never_a_panic(
        which in 0..FLOWS.len(),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let (name, original) = FLOWS[which];
        let text = edits.iter().fold(original.to_owned(), apply);
        let lines = text.lines().count().max(1) as u32 + 1;
        let (flow, diags) = check_source(name, &text);
        if flow.is_none() {
            prop_assert!(
                diags.0.iter().any(|d| d.severity == Severity::Error),
                "no flow and no error for:\n{text}"
            );
        }
        for d in &diags.0 {
            prop_assert_eq!(&d.file, name);
            prop_assert!(d.line >= 1 && d.line <= lines, "line {} of {}: {}", d.line, lines, d.message);
            prop_assert!(d.column >= 1, "column {}: {}", d.column, d.message);
            prop_assert!(!d.message.is_empty());
        }
    }
}
