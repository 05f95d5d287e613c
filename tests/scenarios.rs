//! Runs every scenario file in `tests/scenarios/` against the shipped flows.
//!
//! A designer adds a scenario by adding a file; no Rust is needed. The test
//! fails once, listing every failing file with its step and what was heard.

use std::{path::Path, sync::Arc};

use callscript::{flow::FlowRegistry, scenario};

#[tokio::test(start_paused = true)]
async fn every_scenario_file_passes_on_the_shipped_flows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flows =
        Arc::new(FlowRegistry::load_dir(root.join("flows"), None).expect("shipped flows load"));
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/scenarios"))
        .expect("tests/scenarios exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scenario files found");

    let mut failures = Vec::new();
    for file in &files {
        if let Err(failure) = scenario::run_scenario(flows.clone(), file).await {
            failures.push(failure.to_string());
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// Every prompt of the shipped flows says exactly what the wording file for
/// its locale says: the one place wording is checked.
#[test]
fn every_prompt_is_worded_as_its_wording_file_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flows = FlowRegistry::load_dir(root.join("flows"), None).expect("shipped flows load");
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/wording"))
        .expect("tests/wording exists")
        .map(|e| e.expect("readable directory entry").path())
        .collect();
    files.sort();
    let mut covered = Vec::new();
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable wording file");
        let wording: scenario::Wording = toml::from_str(&text).expect("wording file parses");
        covered.push(format!("{}.{}", wording.flow, wording.locale));
        for p in scenario::check_wording(&flows, &wording) {
            problems.push(format!("{}: {p}", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for flow in ["hotline", "outbound", "menu"] {
        for locale in ["zh-CN", "zh-TW", "en"] {
            let name = format!("{flow}.{locale}");
            assert!(covered.contains(&name), "no wording file for {name}");
        }
    }
}

/// A wording file that differs from the flow names the prompt and both texts.
#[test]
fn a_changed_wording_is_reported() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flows = FlowRegistry::load_dir(root.join("flows"), None).expect("shipped flows load");
    let mut wording: scenario::Wording = toml::from_str(
        &std::fs::read_to_string(root.join("tests/wording/hotline.en.toml")).expect("file"),
    )
    .expect("parses");
    wording.prompts.insert("goodbye".into(), "Bye.".into());
    assert_eq!(
        scenario::check_wording(&flows, &wording),
        [
            "prompt \"goodbye\" says \"Thank you, have a nice day! Goodbye.\", the wording file \"Bye.\""
        ]
    );
}

/// The runner itself must be able to fail: a wrong text is reported with its
/// step, what was expected and what was heard.
#[tokio::test(start_paused = true)]
async fn a_wrong_expectation_fails_with_step_expected_and_heard() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let flows =
        Arc::new(FlowRegistry::load_dir(root.join("flows"), None).expect("shipped flows load"));
    let scenario: scenario::Scenario = toml::from_str(
        r#"
flow = "hotline"
locale = "zh-CN"
at = "2026-11-23T15:00:00+08:00"

[[step]]
expect = ["opening"]

[[step]]
silence = true

[[step]]
expect = ["喂,说话呀"]
"#,
    )
    .expect("scenario parses");
    let failure = scenario::run(flows, &scenario, Path::new("inline.toml"))
        .await
        .expect_err("the expectation is wrong");
    assert_eq!(failure.step, Some(3));
    assert_eq!(
        failure.to_string(),
        "inline.toml: step 3: a different thing was said\n  \
         expected say [\"喂,说话呀\"]\n  \
         heard    say silence_reprompt \"您好!请问有什么可以帮您?\", listen 5000 ms, state listening in welcome"
    );
}
