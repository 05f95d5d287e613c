//! Each kind of step as drawn: its node and the edges it leads by.

use super::{Graph, Shape, node_id, seconds};
use crate::flow::{
    AskPrompt, CloseStep, CollectStep, Flow, HoldStep, LookupStep, MenuKey, MenuStep, PromptIx,
    StepIx, StepKind, TransferStep,
};

impl Graph {
    /// One step's node and the edges it leads by.
    pub(super) fn step(&mut self, flow: &Flow, ix: StepIx) {
        let g = self;
        let step_id = |ix: StepIx| node_id(&flow.step(ix).id);
        let prompt = |ix: PromptIx| flow.prompt(ix).id.to_string();
        let timing = flow.timing();
        let roles = flow.roles();
        let step = flow.step(ix);
        let id = node_id(&step.id);
        match &step.kind {
            StepKind::Ask {
                prompt: ask,
                reprompt,
                answers,
                otherwise,
            } => {
                let what = match ask {
                    AskPrompt::Opening => "@opening (N2-N4)".to_owned(),
                    AskPrompt::Prompt(p) => prompt(*p),
                };
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("ask {what}")],
                    Shape::Step,
                );
                for (intent, to) in answers {
                    g.edge(&id, &step_id(*to), Some(&flow.intent(*intent).name), false);
                }
                if let Some(to) = otherwise {
                    g.edge(&id, &step_id(*to), Some("otherwise"), false);
                }
                let again = reprompt.unwrap_or(roles.silence_reprompt);
                g.silence(flow, &id, again);
            }
            StepKind::Say { prompt: p, next } => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("say {}", prompt(*p))],
                    Shape::Step,
                );
                g.edge(&id, &step_id(*next), None, false);
            }
            StepKind::Transfer(TransferStep {
                target,
                consent,
                declined,
                failed,
                fallback,
                ..
            }) => {
                g.node(
                    id.clone(),
                    vec![
                        step.id.to_string(),
                        format!("transfer? {}", prompt(*consent)),
                    ],
                    Shape::Step,
                );
                let done = format!("{id}_transferred");
                g.node(
                    done.clone(),
                    vec![format!("transfer to {target}")],
                    Shape::End,
                );
                g.edge(&id, &done, Some("yes"), false);
                let back = g.back_node();
                g.edge(
                    &id,
                    &back,
                    Some(&format!("no, {}", prompt(*declined))),
                    false,
                );
                g.edge(
                    &done,
                    &step_id(*fallback),
                    Some(&format!("failed, {}", prompt(*failed))),
                    false,
                );
                g.silence(flow, &id, *consent);
            }
            StepKind::Hold(HoldStep {
                ask,
                thanks,
                resume,
                duration,
                next,
                declined,
                failed,
                overdue,
                progress: _,
                callback,
                gives: _,
            }) => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("hold? {}", prompt(*ask))],
                    Shape::Step,
                );
                let held = format!("{id}_on_hold");
                g.node(
                    held.clone(),
                    vec![format!("on hold {} s", duration.as_secs())],
                    Shape::Marker,
                );
                g.edge(
                    &id,
                    &held,
                    Some(&format!("yes, {}", prompt(*thanks))),
                    false,
                );
                g.edge(
                    &held,
                    &step_id(*next),
                    Some(&format!("done, {}", prompt(*resume))),
                    false,
                );
                g.edge(
                    &held,
                    &step_id(*failed),
                    Some(&format!("failed, {}", prompt(*resume))),
                    false,
                );
                g.edge(
                    &held,
                    &step_id(*callback),
                    Some(&format!("overdue {}, callback", prompt(*overdue))),
                    false,
                );
                g.edge(&id, &step_id(*declined), Some("no"), false);
                g.silence(flow, &id, *ask);
            }
            StepKind::Lookup(LookupStep {
                name,
                params: _,
                gives: _,
                wait,
                resume: _,
                next,
                failed,
            }) => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("lookup {name}")],
                    Shape::Step,
                );
                g.edge(&id, &step_id(*next), Some("answered"), false);
                g.edge(
                    &id,
                    &step_id(*failed),
                    Some(&format!("failed or no answer (after {})", prompt(*wait))),
                    false,
                );
            }
            StepKind::Close(CloseStep { ask, goodbye, more }) => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("close {}", prompt(*ask))],
                    Shape::Step,
                );
                // Other words are answered as `more` would answer them.
                g.edge(&id, &step_id(*more), Some("yes or a request"), false);
                let bye = format!("{id}_goodbye");
                g.node(
                    bye.clone(),
                    vec![format!("say {}", prompt(*goodbye))],
                    Shape::Marker,
                );
                let label = format!("no or {} silence", seconds(timing.no_input));
                g.edge(&id, &bye, Some(&label), false);
                g.node(
                    "caller_hangup",
                    vec!["caller hangs up first (N12)".into()],
                    Shape::End,
                );
                g.edge(&bye, "caller_hangup", None, false);
                g.edge(&bye, &step_id(*more), Some("caller speaks again"), false);
                let open = g.hangup("line_left_open", "N15");
                let label = format!("{}, line left open", seconds(timing.caller_hangup_wait));
                g.edge(&bye, &open, Some(&label), true);
            }
            StepKind::Menu(MenuStep {
                prompt: menu,
                keys,
                answers,
                invalid,
                attempts,
                exhausted,
            }) => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("menu {}", prompt(*menu))],
                    Shape::Step,
                );
                // Each key on its edge; `@repeat` loops, `@back` goes to
                // whichever menu came before, so it has no fixed edge.
                for (key, to) in keys.iter() {
                    match to {
                        MenuKey::Step(to) => {
                            g.edge(&id, &step_id(*to), Some(&format!("key {key}")), false);
                        }
                        MenuKey::Repeat => {
                            g.edge(&id, &id, Some(&format!("key {key}, again")), true)
                        }
                        MenuKey::Back => {
                            let back = format!("{id}_back");
                            g.node(back.clone(), vec!["the menu before".into()], Shape::Marker);
                            g.edge(&id, &back, Some(&format!("key {key}, back")), true);
                        }
                    }
                }
                for (intent, to) in answers.iter() {
                    g.edge(&id, &step_id(*to), Some(&flow.intent(*intent).name), false);
                }
                let label = format!("{attempts} x {}", prompt(*invalid));
                g.edge(&id, &step_id(*exhausted), Some(&label), false);
                g.silence(flow, &id, *menu);
            }
            StepKind::Collect(CollectStep {
                prompt: ask,
                into,
                digits,
                pattern: _,
                invalid,
                attempts,
                next,
                exhausted,
            }) => {
                let what = match digits {
                    Some(d) => format!("{}-{} digits", d.min, d.max),
                    None => "words".to_owned(),
                };
                g.node(
                    id.clone(),
                    vec![
                        step.id.to_string(),
                        format!("collect {{{into}}} ({what}) {}", prompt(*ask)),
                    ],
                    Shape::Step,
                );
                g.edge(&id, &step_id(*next), Some("valid"), false);
                let label = format!("{attempts} x {}", prompt(*invalid));
                g.edge(&id, &step_id(*exhausted), Some(&label), false);
                g.silence(flow, &id, *ask);
            }
            StepKind::Hangup { prompt: p } => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("say {}, hang up", prompt(*p))],
                    Shape::Step,
                );
                let end = g.hangup("flow_end", "script");
                g.edge(&id, &end, None, false);
            }
            StepKind::Branch(b) => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("branch on {}", b.variable)],
                    Shape::Step,
                );
                for (value, to) in b.cases.iter() {
                    g.edge(&id, &step_id(*to), Some(&format!("= {value}")), false);
                }
                g.edge(&id, &step_id(b.default), Some("default"), false);
            }
            StepKind::Record(r) => {
                g.node(
                    id.clone(),
                    vec![
                        step.id.to_string(),
                        format!("record {} into {}", prompt(r.instructions), r.into),
                    ],
                    Shape::Step,
                );
                g.edge(&id, &step_id(r.next), Some("recorded"), false);
                let label = format!("failed or none in {}", seconds(r.max));
                g.edge(&id, &step_id(r.failed), Some(&label), false);
            }
            StepKind::Call(c) => {
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("call {}", c.subflow)],
                    Shape::Step,
                );
                g.edge(&id, &step_id(c.entry), Some("enter"), false);
                for (label, to) in c.returns.iter() {
                    let label = format!("returned {label}");
                    g.edge(&id, &step_id(*to), Some(&label), false);
                }
            }
            StepKind::Return(r) => {
                g.node(
                    id.clone(),
                    vec![format!("return {}", r.label)],
                    Shape::Marker,
                );
            }
            StepKind::Set(s) => {
                let names: Vec<&str> = s.values.iter().map(|(n, _)| &**n).collect();
                g.node(
                    id.clone(),
                    vec![step.id.to_string(), format!("set {}", names.join(", "))],
                    Shape::Step,
                );
                g.edge(&id, &step_id(s.next), None, false);
            }
        }
    }
}
