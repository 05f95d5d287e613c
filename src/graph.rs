//! A flow as a diagram, for designers who would rather look than read.
//!
//! [`mermaid`] and [`dot`] draw the same picture: every step (its id, kind
//! and prompt), the answers that lead on (edges labelled with the intent),
//! `otherwise`, the requests understood at any listening step, silence and
//! poor audio (dashed edges to their hang-ups, N5 and N7), the consent
//! questions of transfers and holds (yes/no, N10-N11), and the closing:
//! goodbye, then the caller hangs up first (N12).
//!
//! Both are built from one list of nodes and edges, so they cannot drift.

use std::fmt::Write;

use crate::flow::{AskPrompt, Flow, StepKind};

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A step of the script.
    Step,
    /// Where the call leaves the script: a hang-up or a transfer.
    End,
    /// A place the service reaches by itself (start, any listening step).
    Marker,
}

#[derive(Debug, Clone)]
struct Node {
    id: String,
    lines: Vec<String>,
    shape: Shape,
}

#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    label: Option<String>,
    /// Drawn dashed: not the caller's answer but a timer or the audio.
    dashed: bool,
}

#[derive(Debug, Default)]
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
}

// === impl Graph ===

impl Graph {
    fn node(&mut self, id: impl Into<String>, lines: Vec<String>, shape: Shape) {
        let id = id.into();
        if !self.nodes.iter().any(|n| n.id == id) {
            self.nodes.push(Node { id, lines, shape });
        }
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<&str>, dashed: bool) {
        self.edges.push(Edge {
            from: from.to_owned(),
            to: to.to_owned(),
            label: label.map(str::to_owned),
            dashed,
        });
    }

    fn hangup(&mut self, reason: &str, why: &str) -> String {
        let id = format!("hangup_{reason}");
        self.node(
            id.clone(),
            vec![format!("hang up ({reason}, {why})")],
            Shape::End,
        );
        id
    }

    fn of(flow: &Flow) -> Graph {
        let mut g = Graph::default();
        let step_id = |ix: u16| node_id(&flow.step(ix).id);
        let prompt = |ix: u16| flow.prompt(ix).id.to_string();
        let timing = flow.timing();

        g.node("call_start", vec!["call answered".into()], Shape::Marker);
        g.edge("call_start", &step_id(flow.start()), None, false);

        for ix in script_order(flow) {
            let step = flow.step(ix);
            let id = node_id(&step.id);
            match &step.kind {
                StepKind::Ask {
                    prompt: ask,
                    answers,
                    otherwise,
                    ..
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
                    let silence = g.hangup("silence", "N5");
                    let label = format!(
                        "silence x{}, {} s apart",
                        timing.silence_prompts,
                        timing.no_input.as_secs()
                    );
                    g.edge(&id, &silence, Some(&label), true);
                }
                StepKind::Say { prompt: p, next } => {
                    g.node(
                        id.clone(),
                        vec![step.id.to_string(), format!("say {}", prompt(*p))],
                        Shape::Step,
                    );
                    g.edge(&id, &step_id(*next), None, false);
                }
                StepKind::Transfer {
                    target,
                    consent,
                    declined,
                    failed,
                    fallback,
                    ..
                } => {
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
                }
                StepKind::Hold {
                    ask,
                    thanks,
                    resume,
                    duration,
                    next,
                    declined,
                } => {
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
                    g.edge(&held, &step_id(*next), Some(&prompt(*resume)), false);
                    g.edge(&id, &step_id(*declined), Some("no"), false);
                }
                StepKind::Close { ask, goodbye, more } => {
                    g.node(
                        id.clone(),
                        vec![step.id.to_string(), format!("close {}", prompt(*ask))],
                        Shape::Step,
                    );
                    g.edge(&id, &step_id(*more), Some("yes"), false);
                    let bye = format!("{id}_goodbye");
                    g.node(
                        bye.clone(),
                        vec![format!("say {}", prompt(*goodbye))],
                        Shape::Marker,
                    );
                    g.edge(&id, &bye, Some("no"), false);
                    g.node(
                        "caller_hangup",
                        vec!["caller hangs up first (N12)".into()],
                        Shape::End,
                    );
                    g.edge(&bye, "caller_hangup", None, false);
                    let open = g.hangup("line_left_open", "N15");
                    let label =
                        format!("{} s, line left open", timing.caller_hangup_wait.as_secs());
                    g.edge(&bye, &open, Some(&label), true);
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
            }
        }

        // What every listening step understands, whatever it asks.
        g.node("anywhere", vec!["any listening step".into()], Shape::Marker);
        for (intent, to) in flow.anywhere() {
            g.edge(
                "anywhere",
                &step_id(*to),
                Some(&flow.intent(*intent).name),
                false,
            );
        }
        let poor = g.hangup("poor_audio", "N7");
        let label = format!(
            "unclear x{}, switch phone, yes or {} s",
            timing.unclear_attempts,
            timing.consent_wait.as_secs()
        );
        g.edge("anywhere", &poor, Some(&label), true);
        g
    }

    /// A declined transfer returns to the step that asked.
    fn back_node(&mut self) -> String {
        let id = "asked_again".to_owned();
        self.node(
            id.clone(),
            vec!["back to the step that asked".into()],
            Shape::Marker,
        );
        id
    }
}

/// Steps in the order a call meets them: breadth first from the start, then
/// what only `anywhere` reaches, then anything left.
fn script_order(flow: &Flow) -> Vec<u16> {
    let mut order: Vec<u16> = Vec::with_capacity(flow.steps().len());
    let mut queue = std::collections::VecDeque::from([flow.start()]);
    queue.extend(flow.anywhere().iter().map(|(_, to)| *to));
    queue.extend(0..flow.steps().len() as u16);
    let mut seen = vec![false; flow.steps().len()];
    // Successors of the steps met so far come before the fallbacks queued above.
    let mut front = std::collections::VecDeque::new();
    while let Some(ix) = front.pop_front().or_else(|| queue.pop_front()) {
        if std::mem::replace(&mut seen[usize::from(ix)], true) {
            continue;
        }
        order.push(ix);
        match &flow.step(ix).kind {
            StepKind::Ask {
                answers, otherwise, ..
            } => {
                front.extend(answers.iter().map(|(_, to)| *to));
                front.extend(*otherwise);
            }
            StepKind::Say { next, .. } => front.push_back(*next),
            StepKind::Transfer { fallback, .. } => front.push_back(*fallback),
            StepKind::Hold { next, declined, .. } => front.extend([*next, *declined]),
            StepKind::Close { more, .. } => front.push_back(*more),
            StepKind::Hangup { .. } => {}
        }
    }
    order
}

/// A step id as a diagram node id: mermaid reserves `end`, and both formats
/// want plain word characters.
fn node_id(step: &str) -> String {
    let clean: String = step
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == "end" || clean.starts_with(|c: char| c.is_ascii_digit()) {
        format!("step_{clean}")
    } else {
        clean
    }
}

/// The flow as a mermaid flowchart (GitHub renders it in a ```mermaid block).
pub fn mermaid(flow: &Flow) -> String {
    let g = Graph::of(flow);
    let mut out = String::new();
    let _ = writeln!(out, "flowchart TD");
    for n in &g.nodes {
        let label = n
            .lines
            .iter()
            .map(|l| l.replace('"', "#quot;"))
            .collect::<Vec<_>>()
            .join("<br/>");
        let _ = match n.shape {
            Shape::Step => writeln!(out, "    {}[\"{label}\"]", n.id),
            Shape::End => writeln!(out, "    {}([\"{label}\"])", n.id),
            Shape::Marker => writeln!(out, "    {}{{{{\"{label}\"}}}}", n.id),
        };
    }
    for e in &g.edges {
        let arrow = if e.dashed { "-.->" } else { "-->" };
        let _ = match &e.label {
            Some(l) => writeln!(
                out,
                "    {} {arrow}|{}| {}",
                e.from,
                l.replace('"', "#quot;"),
                e.to
            ),
            None => writeln!(out, "    {} {arrow} {}", e.from, e.to),
        };
    }
    out
}

/// The flow as a Graphviz digraph (`dot -Tsvg`).
pub fn dot(flow: &Flow) -> String {
    let g = Graph::of(flow);
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", quote(flow.id()));
    let _ = writeln!(out, "    rankdir=TB;");
    let _ = writeln!(out, "    node [shape=box, fontname=\"sans-serif\"];");
    for n in &g.nodes {
        let label = n
            .lines
            .iter()
            .map(|l| quote(l))
            .collect::<Vec<_>>()
            .join("\\n");
        let shape = match n.shape {
            Shape::Step => "box",
            Shape::End => "oval",
            Shape::Marker => "hexagon",
        };
        let _ = writeln!(out, "    {} [label=\"{label}\", shape={shape}];", n.id);
    }
    for e in &g.edges {
        let mut attrs = Vec::new();
        if let Some(l) = &e.label {
            attrs.push(format!("label=\"{}\"", quote(l)));
        }
        if e.dashed {
            attrs.push("style=dashed".to_owned());
        }
        let attrs = if attrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", attrs.join(", "))
        };
        let _ = writeln!(out, "    {} -> {}{attrs};", e.from, e.to);
    }
    let _ = writeln!(out, "}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::compile_source;

    fn hotline() -> Flow {
        compile_source("hotline.toml", include_str!("../flows/hotline.toml"))
            .expect("shipped hotline compiles")
    }

    fn lines(text: &str) -> Vec<&str> {
        text.lines().map(str::trim).collect()
    }

    #[test]
    fn mermaid_draws_steps_answers_and_otherwise() {
        let text = mermaid(&hotline());
        let lines = lines(&text);
        assert_eq!(lines[0], "flowchart TD");
        for want in [
            "welcome[\"welcome<br/>ask @opening (N2-N4)\"]",
            "bill[\"bill<br/>say bill_answer\"]",
            "call_start --> welcome",
            "welcome -->|bill| bill",
            "welcome -->|change_plan| change_plan",
            "welcome -->|otherwise| record_request",
            "bill --> anything_else",
            "more_help -->|bill| bill",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn mermaid_draws_silence_audio_and_anywhere() {
        let text = mermaid(&hotline());
        let lines = lines(&text);
        for want in [
            "hangup_silence([\"hang up (silence, N5)\"])",
            "welcome -.->|silence x3, 5 s apart| hangup_silence",
            "more_help -.->|silence x3, 5 s apart| hangup_silence",
            "anywhere{{\"any listening step\"}}",
            "anywhere -->|agent| to_agent",
            "anywhere -.->|unclear x3, switch phone, yes or 5 s| hangup_poor_audio",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn mermaid_draws_consent_for_transfer_and_hold_and_the_closing() {
        let text = mermaid(&hotline());
        let lines = lines(&text);
        for want in [
            "to_agent[\"to_agent<br/>transfer? transfer_consent\"]",
            "to_agent -->|yes| to_agent_transferred",
            "to_agent_transferred([\"transfer to agent_queue\"])",
            "to_agent -->|no, transfer_declined| asked_again",
            "to_agent_transferred -->|failed, transfer_failed| anything_else",
            "change_plan -->|yes, hold_thanks| change_plan_on_hold",
            "change_plan_on_hold{{\"on hold 30 s\"}}",
            "change_plan_on_hold -->|hold_resume| plan_done",
            "change_plan -->|no| record_request",
            "anything_else -->|yes| more_help",
            "anything_else -->|no| anything_else_goodbye",
            "anything_else_goodbye --> caller_hangup",
            "anything_else_goodbye -.->|10 s, line left open| hangup_line_left_open",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn every_step_is_drawn_once() {
        let flow = hotline();
        let text = mermaid(&flow);
        for step in flow.steps() {
            let decl = format!("{}[\"{}<br/>", step.id, step.id);
            assert_eq!(text.matches(&decl).count(), 1, "{decl}");
        }
    }

    #[test]
    fn dot_draws_the_same_graph() {
        let text = dot(&hotline());
        let lines = lines(&text);
        assert_eq!(lines[0], "digraph \"hotline\" {");
        assert_eq!(lines.last(), Some(&"}"));
        for want in [
            "welcome [label=\"welcome\\nask @opening (N2-N4)\", shape=box];",
            "welcome -> bill [label=\"bill\"];",
            "welcome -> record_request [label=\"otherwise\"];",
            "welcome -> hangup_silence [label=\"silence x3, 5 s apart\", style=dashed];",
            "to_agent -> to_agent_transferred [label=\"yes\"];",
            "anything_else_goodbye -> caller_hangup;",
            "hangup_silence [label=\"hang up (silence, N5)\", shape=oval];",
        ] {
            assert!(lines.contains(&want), "missing {want:?} in\n{text}");
        }
    }

    #[test]
    fn steps_are_drawn_in_script_order() {
        let text = mermaid(&hotline());
        let steps: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("<br/>"))
            .filter_map(|l| l.trim().split('[').next())
            .collect();
        assert_eq!(
            steps,
            [
                "welcome",
                "bill",
                "change_plan",
                "record_request",
                "anything_else",
                "plan_done",
                "more_help",
                "to_agent"
            ]
        );
    }

    #[test]
    fn reserved_and_odd_step_ids_are_escaped() {
        assert_eq!(node_id("end"), "step_end");
        assert_eq!(node_id("ask-again"), "ask_again");
        assert_eq!(node_id("welcome"), "welcome");
    }
}
