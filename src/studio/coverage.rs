//! Transition coverage, as Dialogflow CX shows it: which of a flow's ways
//! from one step to another its scenario files take.
//!
//! A transition is an edge of the flow's diagram (`graph::model`) from a
//! step to a step: an answer, a key, `otherwise`, `next`, a result. A
//! scenario covers one when its call goes from the one step to the other,
//! in any of its locales; edges to a hang-up or a transfer are the call
//! leaving the script, counted by the end reasons scenarios check instead.

use std::{collections::BTreeSet, path::Path, sync::Arc};

use serde_json::{Value, json};

use super::{error::ApiError, path};
use crate::{
    flow::{Flow, FlowRegistry},
    graph::{self, Shape},
    scenario::{self, Scenario},
};

/// What the scenarios of a flow did: the files that ran, and every step
/// to step move their calls made.
pub struct Runs {
    files: Vec<String>,
    moves: BTreeSet<(String, String)>,
    steps: BTreeSet<String>,
    failed: Vec<String>,
}

/// Runs each scenario in each of its locales on a virtual clock, noting
/// the steps its call goes between. A failing scenario covers nothing and
/// is named.
pub fn runs(
    flows: Arc<FlowRegistry>,
    dir: &Path,
    scenarios: Vec<(String, Scenario)>,
) -> Result<Runs, ApiError> {
    let runtime = crate::simulate::simulated_runtime()
        .map_err(|e| ApiError::internal(format!("cannot start a clock: {e}")))?;
    let mut out = Runs {
        files: Vec::new(),
        moves: BTreeSet::new(),
        steps: BTreeSet::new(),
        failed: Vec::new(),
    };
    for (file, parsed) in scenarios {
        let path = dir.join(&file);
        let Ok(each) = scenario::per_locale(&parsed) else {
            out.failed.push(file);
            continue;
        };
        let mut ok = true;
        for one in each {
            match runtime.block_on(scenario::run_recorded(flows.clone(), &one, &path)) {
                Ok((_, record)) => {
                    let steps = path::path(&record);
                    for pair in steps.windows(2) {
                        out.moves.insert((pair[0].clone(), pair[1].clone()));
                    }
                    out.steps.extend(steps);
                }
                Err(_) => ok = false,
            }
        }
        if ok {
            out.files.push(file);
        } else {
            out.failed.push(file);
        }
    }
    Ok(out)
}

/// The coverage of `flow` by `runs`.
pub fn report(flow: &Flow, runs: &Runs) -> Value {
    let (nodes, edges) = graph::model(flow);
    let step_of = |node: &str| -> Option<String> {
        nodes
            .iter()
            .find(|n| n.shape == Shape::Step && n.id == node)
            .and_then(|n| {
                flow.steps()
                    .iter()
                    .find(|s| graph::node_id(&s.id) == n.id)
                    .map(|s| s.id.to_string())
            })
    };
    let mut seen = BTreeSet::new();
    let mut covered = 0usize;
    let mut uncovered = Vec::new();
    for e in &edges {
        let (Some(from), Some(to)) = (step_of(&e.from), step_of(&e.to)) else {
            continue;
        };
        if !seen.insert((from.clone(), to.clone(), e.label.clone())) {
            continue;
        }
        if runs.moves.contains(&(from.clone(), to.clone())) {
            covered += 1;
        } else {
            uncovered.push(json!({ "from": from, "to": to, "label": e.label }));
        }
    }
    let transitions = seen.len();
    let percent = if transitions == 0 {
        100.0
    } else {
        (covered as f64 * 1000.0 / transitions as f64).round() / 10.0
    };
    json!({
        "transitions": transitions,
        "covered": covered,
        "percent": percent,
        "scenarios": runs.files,
        "failed": runs.failed,
        "uncovered": uncovered,
        "covered_steps": runs.steps,
    })
}
