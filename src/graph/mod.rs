//! A flow as a diagram, for designers who would rather look than read.
//!
//! [`mermaid`] and [`dot`] draw the same picture: every step (its id, kind
//! and prompt), the answers that lead on (edges labelled with the intent),
//! `otherwise`, the requests understood at any listening step, the consent
//! questions of transfers and holds (yes/no, N10-N11), and the closing:
//! goodbye, then the caller hangs up first (N12). Dashed edges are what the
//! caller does not choose: silence at every question, consent questions
//! included (the question again, then the goodbye, then hang up, N5), and
//! audio trouble at any listening step: unclear audio (speak up, then
//! another phone, N7), no audio (is the handset picked up? N8) and an
//! unknown language (N9).
//!
//! Edges follow what the call machine (`call::machine`) does, with the
//! prompts, counts and times taken from the flow. Both formats are built
//! from one list of nodes and edges, so they cannot drift.

use std::fmt::Write;

use std::time::Duration;

use crate::flow::{Flow, PromptIx, StepBehaviour, StepIx};

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A step of the script.
    Step,
    /// Where the call leaves the script: a hang-up or a transfer.
    End,
    /// A place the service reaches by itself (start, any listening step).
    Marker,
}

/// One node of the diagram: a step, or a place the call reaches.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub lines: Vec<String>,
    pub shape: Shape,
}

/// One way from a node to another.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
    /// Drawn dashed: not the caller's answer but a timer or the audio.
    pub dashed: bool,
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
        let step_id = |ix: StepIx| node_id(&flow.step(ix).id);

        g.node("call_start", vec!["call answered".into()], Shape::Marker);
        g.edge("call_start", &step_id(flow.start()), None, false);

        for ix in script_order(flow) {
            g.step(flow, ix);
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
        g.audio(flow);
        g
    }

    /// N5 at a question: after `again` (the question itself, or its
    /// reprompt) as often as the count allows, the goodbye; one silence more
    /// and we hang up. Each prompt comes after `no_input` of silence.
    fn silence(&mut self, flow: &Flow, from: &str, again: PromptIx) {
        let timing = flow.timing();
        let count = timing.silence_prompts;
        // The goodbye depends on whether the caller has spoken (their phone
        // has sound then), so the edge names both.
        let roles = flow.roles();
        let goodbye = format!(
            "{} / {}",
            flow.prompt(roles.silence_goodbye).id,
            flow.prompt(roles.silence_goodbye_spoken).id
        );
        let prompts: Vec<&str> = (1..count)
            .map(|k| {
                if k == count - 1 {
                    &*goodbye
                } else {
                    &*flow.prompt(again).id
                }
            })
            .collect();
        let mut label = format!("silence x{count}");
        if !prompts.is_empty() {
            let _ = write!(
                label,
                ", {} apart: {}",
                seconds(timing.no_input),
                prompts.join(", ")
            );
        }
        let hangup = self.hangup("silence", "N5");
        self.edge(from, &hangup, Some(&label), true);
    }

    /// Audio trouble, met at any listening step (the machine's `in_call`
    /// superstate): the call stays at its step or comes back to it.
    fn audio(&mut self, flow: &Flow) {
        let roles = flow.roles();
        let timing = flow.timing();
        let prompt = |ix: PromptIx| flow.prompt(ix).id.to_string();
        let here = "anywhere";

        // N7: ask to speak up, then suggest another phone and wait for consent.
        let label = format!(
            "unclear audio x{}, {}",
            timing.unclear_attempts,
            prompt(roles.unclear)
        );
        self.edge(here, here, Some(&label), true);
        let switch = "audio_switch_phone";
        self.node(
            switch,
            vec![format!("hang up? {} (N7)", prompt(roles.switch_phone))],
            Shape::Marker,
        );
        self.edge(here, switch, Some("unclear audio once more"), true);
        let poor = self.hangup("poor_audio", "N7");
        let label = format!("yes, {}, 5 s for the caller", prompt(roles.polite_close));
        self.edge(switch, &poor, Some(&label), true);
        self.silence(flow, switch, roles.switch_phone);
        self.edge(switch, here, Some("no, the step again"), false);
        let label = format!("unclear audio, {}", prompt(roles.switch_phone));
        self.edge(switch, switch, Some(&label), true);

        // N8: no voice at all; likely a speakerphone.
        let handset = "audio_handset";
        self.node(
            handset,
            vec![format!("handset? {} (N8)", prompt(roles.pick_up_handset))],
            Shape::Marker,
        );
        self.edge(here, handset, Some("no audio"), true);
        self.edge(handset, here, Some("yes, the step again"), false);
        let label = format!("no, {}", prompt(roles.speak_into_handset));
        self.edge(handset, handset, Some(&label), false);
        self.silence(flow, handset, roles.pick_up_handset);

        // N9: a language the recogniser does not know; the step waits on.
        let label = format!(
            "unknown language x{}, {}",
            timing.language_attempts,
            prompt(roles.mandarin)
        );
        self.edge(here, here, Some(&label), true);

        // The bounds: a call that cannot go on is offered a person, or
        // closed politely.
        let stuck = "cannot_go_on";
        self.node(
            stuck,
            vec!["a person (N10), else a polite close (N12)".into()],
            Shape::Marker,
        );
        for label in [
            format!(
                "not understood x{}",
                u16::from(timing.not_understood_attempts) + 1
            ),
            format!(
                "unknown language x{}",
                u16::from(timing.language_attempts) + 1
            ),
            format!("a step visited x{}", u16::from(timing.max_step_visits) + 1),
        ] {
            self.edge(here, stuck, Some(&label), true);
        }
        if let Some(person) = roles.person {
            let to = node_id(&flow.step(person).id);
            self.edge(stuck, &to, Some("offer a person"), false);
        }
        let open = self.hangup("line_left_open", "N15");
        let label = format!(
            "{}, {}",
            prompt(roles.polite_close),
            seconds(timing.caller_hangup_wait)
        );
        self.edge(stuck, &open, Some(&label), true);
        let limit = self.hangup("time_limit", "max_call_ms");
        let label = format!(
            "after {} min, {}",
            timing.max_call.as_secs() / 60,
            prompt(roles.polite_close)
        );
        self.edge(here, &limit, Some(&label), true);
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

/// "5 s", "1.5 s".
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}

/// Steps in the order a call meets them: breadth first from the start, then
/// what only `anywhere` reaches, then anything left.
fn script_order(flow: &Flow) -> Vec<StepIx> {
    let mut order: Vec<StepIx> = Vec::with_capacity(flow.steps().len());
    let mut queue = std::collections::VecDeque::from([flow.start()]);
    queue.extend(flow.anywhere().iter().map(|(_, to)| *to));
    queue.extend(StepIx::all(flow.steps().len()));
    let mut seen = vec![false; flow.steps().len()];
    // Successors of the steps met so far come before the fallbacks queued above.
    let mut front = std::collections::VecDeque::new();
    while let Some(ix) = front.pop_front().or_else(|| queue.pop_front()) {
        if std::mem::replace(&mut seen[usize::from(ix)], true) {
            continue;
        }
        order.push(ix);
        front.extend(flow.step(ix).kind.successors());
    }
    order
}

/// A step id as a diagram node id: mermaid reserves `end`, and both formats
/// want plain word characters.
pub fn node_id(step: &str) -> String {
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

/// Text for inside a quoted mermaid label. Every label is quoted, nodes'
/// and edges': unquoted, Mermaid 11 reads `(`, `[` or `{` in a label as the
/// start of a node shape and refuses the whole diagram (tests/mermaid.rs
/// shows its parser doing so). Inside quotes only `"` itself needs its
/// entity.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// The nodes and edges both drawings are made from, for the studio's page
/// to draw its own.
pub fn model(flow: &Flow) -> (Vec<Node>, Vec<Edge>) {
    let g = Graph::of(flow);
    (g.nodes, g.edges)
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
            .map(|l| mermaid_text(l))
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
                "    {} {arrow}|\"{}\"| {}",
                e.from,
                mermaid_text(l),
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

mod steps;
#[cfg(test)]
mod tests;
