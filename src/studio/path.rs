//! The path a simulated call took, step by step, for the diagram to
//! highlight.
//!
//! A turn names only the step the call stopped at; the steps it passed
//! through on the way (a `say`, a `set`, a `branch`) leave their prompts
//! in the turn but not their ids. Between two steps the call stopped at,
//! the path is the shortest way through the flow whose `say` steps said
//! what the turn said (else the shortest way).

use std::collections::VecDeque;

use crate::{
    call::Action,
    engine::CallRecord,
    flow::{Flow, StepIx, StepKind},
    transcript::EntryKind,
};

/// The most partial paths searched between two stops: flows have tens of
/// steps, and a stop's successors are few.
const MAX_SEARCH: usize = 10_000;

/// The steps the call has been at or passed through, in order.
pub fn path(record: &CallRecord) -> Vec<String> {
    let flow = &record.flow;
    let find = |id: &str| StepIx::all(flow.steps().len()).find(|ix| &*flow.step(*ix).id == id);
    let mut path: Vec<StepIx> = Vec::new();
    for entry in &record.transcript {
        let EntryKind::Turn(turn) = &entry.kind else {
            continue;
        };
        let Some(to) = turn.step.as_deref().and_then(find) else {
            continue;
        };
        let said: Vec<&str> = turn
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::Say(s) => Some(&*s.prompt.id),
                Action::Listen { .. }
                | Action::Transfer { .. }
                | Action::Hangup(_)
                | Action::Lookup { .. }
                | Action::Record { .. } => None,
            })
            .collect();
        match path.last() {
            None if flow.start() == to => path.push(to),
            None => {
                path.push(flow.start());
                path.extend(via(flow, flow.start(), to, &said));
            }
            Some(from) if *from == to => {}
            Some(from) => {
                let from = *from;
                path.extend(via(flow, from, to, &said));
            }
        }
    }
    path.iter()
        .map(|ix| flow.step(*ix).id.to_string())
        .collect()
}

/// The steps after `from` up to `to` (included).
fn via(flow: &Flow, from: StepIx, to: StepIx, said: &[&str]) -> Vec<StepIx> {
    // A step passed through without stopping said its prompt, if it has
    // one of its own; the others leave nothing to compare.
    let said_by = |ix: StepIx| match &flow.step(ix).kind {
        StepKind::Say { prompt, .. } | StepKind::Hangup { prompt } => {
            said.contains(&&*flow.prompt(*prompt).id)
        }
        StepKind::Ask { .. }
        | StepKind::Transfer(_)
        | StepKind::Hold(_)
        | StepKind::Lookup(_)
        | StepKind::Menu(_)
        | StepKind::Collect(_)
        | StepKind::Close(_)
        | StepKind::Branch(_)
        | StepKind::Set(_)
        | StepKind::Record(_)
        | StepKind::Call(_)
        | StepKind::Return(_) => true,
    };
    let mut shortest: Option<Vec<StepIx>> = None;
    let mut queue: VecDeque<Vec<StepIx>> = VecDeque::from([vec![from]]);
    let mut searched = 0;
    while let Some(partial) = queue.pop_front() {
        searched += 1;
        if searched > MAX_SEARCH {
            break;
        }
        let last = *partial.last().expect("a partial path starts with `from`");
        for next in flow.successors(last) {
            if partial.contains(&next) {
                continue;
            }
            let mut longer = partial.clone();
            longer.push(next);
            if next == to {
                let between = &longer[1..longer.len() - 1];
                if between.iter().all(|ix| said_by(*ix)) {
                    return longer[1..].to_vec();
                }
                shortest.get_or_insert_with(|| longer[1..].to_vec());
            } else {
                queue.push_back(longer);
            }
        }
    }
    shortest.unwrap_or_else(|| vec![to])
}
