//! The shipped flows' understanding, measured on labelled corpora written
//! apart from their examples (tests/understanding/*.toml): the build fails
//! when accuracy drops below the figure README "Understanding callers"
//! states, or an intent's F1 below its floor.

use callscript::{
    cli::understand::{Corpus, evaluate},
    flow::FlowRegistry,
};

/// (flow, corpus, least accuracy, least F1 of any intent), as README states.
const FLOORS: &[(&str, &str, f64, f64)] = &[
    ("hotline", "tests/understanding/hotline.toml", 0.93, 0.86),
    ("outbound", "tests/understanding/outbound.toml", 0.97, 0.92),
];

#[test]
fn the_shipped_corpora_score_at_least_what_the_readme_states() {
    let registry = FlowRegistry::load_dir(std::path::Path::new("flows"), None)
        .expect("the shipped flows load");
    for &(id, file, accuracy, f1) in FLOORS {
        let flow = registry.get(id).expect("a shipped flow");
        let text = std::fs::read_to_string(file).expect("the corpus is there");
        let corpus: Corpus = toml::from_str(&text).expect("the corpus parses");
        let report = evaluate(&flow, &corpus);
        assert!(report.errors.is_empty(), "{file}: {:?}", report.errors);
        assert!(report.lines >= 100, "{file}: {} lines", report.lines);
        assert!(
            report.accuracy >= accuracy,
            "{file}: accuracy {:.3} < {accuracy}; misses: {:#?}",
            report.accuracy,
            report.misses
        );
        let worst = report.worst_f1().expect("intents with lines");
        assert!(worst.f1 >= f1, "{file}: {worst:?} under {f1}");
    }
}

/// At least 400 lines over the three locales, as the README says.
#[test]
fn the_corpora_cover_three_locales_with_400_lines() {
    let mut lines = 0;
    let mut locales = std::collections::BTreeSet::new();
    for &(_, file, _, _) in FLOORS {
        let text = std::fs::read_to_string(file).expect("the corpus is there");
        let corpus: Corpus = toml::from_str(&text).expect("the corpus parses");
        lines += corpus.lines.len();
        locales.extend(corpus.lines.into_iter().map(|l| l.0));
    }
    assert!(lines >= 400, "{lines} lines");
    assert_eq!(
        locales.into_iter().collect::<Vec<_>>(),
        ["en", "zh-CN", "zh-TW"]
    );
}
