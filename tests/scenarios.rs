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
