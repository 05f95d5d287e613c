//! `POST /api/check` and `POST /api/graph`: a flow's text checked by the
//! checker `callscript check` runs, and drawn from the model
//! `callscript graph` draws.

use serde_json::{Value, json};

use crate::{
    flow::{Diagnostic, Diagnostics, Flow, Severity, StepBehaviour, check_source},
    graph::{self, Shape},
};

/// A text checked as the file `file`: the compiled flow when it has no
/// error, and every diagnostic.
pub fn check(file: &str, text: &str) -> (Option<Flow>, Diagnostics) {
    check_source(file, text)
}

/// The diagnostics as the API answers them.
pub fn diagnostics_json(diags: &Diagnostics) -> Value {
    Value::Array(diags.0.iter().map(diagnostic_json).collect())
}

fn diagnostic_json(d: &Diagnostic) -> Value {
    json!({
        "severity": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "line": d.line,
        "column": d.column,
        "norm": d.norm,
        "message": d.message,
        "fix": fix(&d.message),
        "text": d.to_string(),
    })
}

/// The checker's "did you mean" suggestion in a message, if it makes one:
/// `(did you mean "close"?)` or ``(did you mean `next`?)``.
pub(super) fn fix(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once("did you mean ")?;
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '`')?;
    let rest = &rest[quote.len_utf8()..];
    rest.split_once(quote).map(|(word, _)| word)
}

/// The diagram of a compiled flow: nodes and edges of `graph::model`, each
/// step's node with its kind and the line of its table in `text`.
pub fn graph_json(flow: &Flow, text: &str) -> Value {
    let (nodes, edges) = graph::model(flow);
    let nodes: Vec<Value> = nodes
        .iter()
        .map(|n| {
            let step = flow
                .steps()
                .iter()
                .find(|s| n.shape == Shape::Step && graph::node_id(&s.id) == n.id);
            json!({
                "id": n.id,
                "kind": match n.shape {
                    Shape::Step => "step",
                    Shape::End => "end",
                    Shape::Marker => "marker",
                },
                "step": step.map(|s| &*s.id),
                "step_kind": step.map(|s| s.kind.key()),
                "label": n.lines.join("\n"),
                "line": step.and_then(|s| step_line(text, &s.id)),
            })
        })
        .collect();
    let edges: Vec<Value> = edges
        .iter()
        .map(|e| {
            json!({
                "from": e.from,
                "to": e.to,
                "label": e.label,
                "kind": if e.dashed { "timer" } else { "caller" },
            })
        })
        .collect();
    json!({ "nodes": nodes, "edges": edges, "mermaid": graph::mermaid(flow) })
}

/// The 1-based line of a step's table: `[steps.ID]`, or
/// `[subflows.NAME.steps.ID]` for `NAME.ID`. A subflow's returns have no
/// table of their own: `None`.
pub fn step_line(text: &str, step: &str) -> Option<u32> {
    let header = match step.split_once('.') {
        Some((sub, id)) => format!("[subflows.{sub}.steps.{id}]"),
        None => format!("[steps.{step}]"),
    };
    text.lines()
        .position(|l| {
            let l = l.trim();
            l == header
                || (l.starts_with(&header) && l[header.len()..].trim_start().starts_with('#'))
        })
        .map(|i| i as u32 + 1)
}
