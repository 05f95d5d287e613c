//! `callscript check --strict` and the quality scorer read one set of
//! wording rules (N13, `callscript::norms`), so they must agree on every
//! prompt: a prompt `check` passes is a line the scorer does not deduct
//! for, and a prompt `check` warns on is deducted for the same phrase.
//!
//! Each prompt text goes through both as a user meets them: the flow
//! checker's diagnostics for the whole file (`check_source`, what `check`
//! prints), and the scorer with the shipped `flows/quality.toml` scoring a
//! call in which the agent says that text.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use callscript::{
    flow::check_source,
    norms::{FORBIDDEN, NEGATIVE_ENDINGS},
    quality::{Scorer, load_rules},
};

/// What one side finds wrong with a prompt's words.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Clean,
    Says(String),
    EndsOnBu,
}

fn flows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("flows")
}

/// Every shipped flow file with its text (quality.toml and holidays.toml
/// are rules, not flows).
fn shipped_flows() -> Vec<(String, String)> {
    let mut flows: Vec<(String, String)> = std::fs::read_dir(flows_dir())
        .expect("read flows/")
        .map(|e| e.expect("a flows/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n != "quality.toml" && n != "holidays.toml")
        })
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read a flow file");
            (p.display().to_string(), text)
        })
        .collect();
    flows.sort();
    assert!(flows.len() >= 2, "the shipped flows: {flows:?}");
    flows
}

/// Every prompt text of a flow file: (prompt id, locale) → text.
fn prompt_texts(text: &str) -> BTreeMap<(String, String), String> {
    let file: toml::Table = toml::from_str(text).expect("a shipped flow is TOML");
    let prompts = file
        .get("prompts")
        .and_then(|p| p.as_table())
        .expect("a shipped flow has prompts");
    let mut out = BTreeMap::new();
    for (id, texts) in prompts {
        for (locale, text) in texts.as_table().expect("a prompt is a table of locales") {
            let text = text.as_str().expect("a prompt's text is a string");
            out.insert((id.clone(), locale.clone()), text.to_owned());
        }
    }
    out
}

/// The flow checker's verdict on each prompt of a file, from its N13
/// diagnostics.
fn checker_verdicts(file: &str, text: &str) -> BTreeMap<(String, String), Verdict> {
    let (_, diagnostics) = check_source(file, text);
    let mut out = BTreeMap::new();
    for d in diagnostics.0.iter().filter(|d| d.norm == Some("N13")) {
        let rest = d
            .message
            .strip_prefix("prompt \"")
            .expect("an N13 diagnostic names its prompt");
        let (id, rest) = rest.split_once("\" (").expect("then its locale");
        let (locale, rest) = rest.split_once(") ").expect("then the fault");
        let verdict = if let Some(said) = rest.strip_prefix("says \"") {
            let (phrase, _) = said.split_once('"').expect("a quoted phrase");
            Verdict::Says(phrase.to_owned())
        } else {
            assert!(rest.starts_with("ends on a 不-word"), "{d}");
            Verdict::EndsOnBu
        };
        out.insert((id.to_owned(), locale.to_owned()), verdict);
    }
    out
}

/// The scorer's verdict on an agent who says `words`.
fn scorer_verdict(scorer: &Scorer, words: &str) -> Verdict {
    let line = serde_json::json!({"t": 1.0, "who": "agent", "say": words});
    let quality = scorer.score_text(&line.to_string());
    let mut found = quality.deductions.iter().filter_map(|d| match d.rule {
        "forbidden_wording" => {
            let said = d
                .note
                .strip_prefix("forbidden wording \"")
                .expect("the note quotes the phrase");
            let (phrase, _) = said.split_once('"').expect("a quoted phrase");
            Some(Verdict::Says(phrase.to_owned()))
        }
        "negative_ending" => Some(Verdict::EndsOnBu),
        _ => None,
    });
    let verdict = found.next().unwrap_or(Verdict::Clean);
    assert_eq!(found.next(), None, "one wording deduction per line");
    verdict
}

fn shipped_scorer() -> Scorer {
    let rules = load_rules(&flows_dir()).expect("the shipped quality.toml is valid");
    Scorer::new(Arc::new(rules), Arc::default())
}

#[test]
fn check_and_the_scorer_agree_on_every_shipped_prompt() {
    let scorer = shipped_scorer();
    let mut prompts = 0;
    for (file, text) in shipped_flows() {
        let checked = checker_verdicts(&file, &text);
        for (key, words) in prompt_texts(&text) {
            let check = checked.get(&key).cloned().unwrap_or(Verdict::Clean);
            let score = scorer_verdict(&scorer, &words);
            assert_eq!(
                check, score,
                "{file}: prompt {key:?} ({words:?}): check and the scorer disagree"
            );
            // The shipped flows pass `check --strict`.
            assert_eq!(check, Verdict::Clean, "{file}: prompt {key:?}");
            prompts += 1;
        }
    }
    assert!(prompts > 100, "every locale of every prompt: {prompts}");
}

/// The shipped prompts are all clean, so the test above alone would pass if
/// the two sides shared no rule at all: here every forbidden phrase and
/// every 不-word, put into a shipped prompt, is found by both.
#[test]
fn check_and_the_scorer_find_every_rule_alike() {
    let scorer = shipped_scorer();
    let (file, text) = shipped_flows()
        .into_iter()
        .find(|(f, _)| f.ends_with("hotline.toml"))
        .expect("the hotline flow is shipped");
    let prompt =
        "[prompts.transfer_declined]\nzh-CN = \"好的,那我继续为您服务,请问还有什么可以帮您?\"";
    assert_eq!(text.matches(prompt).count(), 1, "{file} has {prompt:?}");
    let key = ("transfer_declined".to_owned(), "zh-CN".to_owned());
    let cases = FORBIDDEN
        .iter()
        .map(|f| {
            (
                format!("好的,{},请问还有什么可以帮您?", f.phrase),
                Verdict::Says(f.phrase.into()),
            )
        })
        .chain(
            NEGATIVE_ENDINGS
                .iter()
                .map(|e| (format!("好的,这件事{e}。"), Verdict::EndsOnBu)),
        );
    for (words, expected) in cases {
        let edited = text.replacen(
            prompt,
            &format!("[prompts.transfer_declined]\nzh-CN = \"{words}\""),
            1,
        );
        let check = checker_verdicts(&file, &edited)
            .remove(&key)
            .unwrap_or(Verdict::Clean);
        assert_eq!(check, expected, "check on {words:?}");
        assert_eq!(
            scorer_verdict(&scorer, &words),
            expected,
            "the scorer on {words:?}"
        );
    }
}
