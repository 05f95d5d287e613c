//! How a kind of step is drawn: `graph` (a layer above) implements
//! [`Draw`], and each kind's file draws its own node and edges with it,
//! so a new kind needs nothing of the diagram code.

use std::time::Duration;

use super::super::{Flow, PromptIx, StepIx};
use super::Step;

/// How a node is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeShape {
    /// A step of the script.
    Step,
    /// Where the call leaves the script: a hang-up or a transfer.
    End,
    /// A place the service reaches by itself.
    Marker,
}

/// A diagram being drawn.
pub trait Draw {
    /// A node (the first of one id wins).
    fn node(&mut self, id: String, lines: Vec<String>, shape: NodeShape);
    /// An edge; `dashed`: not the caller's answer but a timer or the audio.
    fn edge(&mut self, from: &str, to: &str, label: Option<&str>, dashed: bool);
    /// The hang-up node for `reason`, drawn once.
    fn hangup(&mut self, reason: &str, why: &str) -> String;
    /// N5 at a question: `again`, the goodbye, then hang up.
    fn silence(&mut self, flow: &Flow, from: &str, again: PromptIx);
    /// "Back to the step that asked" (a declined transfer, N10).
    fn back_node(&mut self) -> String;
    /// A step's node id.
    fn node_id(&self, step: &str) -> String;
}

/// The step being drawn, with the names its node and edges use.
pub struct DrawAt<'f> {
    pub flow: &'f Flow,
    pub step: &'f Step,
    /// Its node id.
    pub id: String,
}

impl DrawAt<'_> {
    /// Another step's node id.
    pub fn step_id(&self, g: &dyn Draw, ix: StepIx) -> String {
        g.node_id(&self.flow.step(ix).id)
    }

    /// A prompt as labels name it.
    pub fn prompt(&self, ix: PromptIx) -> String {
        self.flow.prompt(ix).id.to_string()
    }

    /// The step's own node: its id, then what it does.
    pub fn node(&self, g: &mut dyn Draw, what: String) {
        g.node(
            self.id.clone(),
            vec![self.step.id.to_string(), what],
            NodeShape::Step,
        );
    }

    /// An edge from the step's node to another step.
    pub fn edge_to(&self, g: &mut dyn Draw, to: StepIx, label: Option<&str>) {
        let to = self.step_id(g, to);
        g.edge(&self.id, &to, label, false);
    }
}

/// A time as diagrams label it.
pub fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} s", d.as_secs_f64())
    }
}
