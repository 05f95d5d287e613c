//! Each kind of step as drawn: the kind's own file draws its node and
//! edges (`StepBehaviour::draw`) through the [`Draw`] this module gives
//! it.

use super::{Graph, Shape, node_id};
use crate::flow::{Draw, DrawAt, Flow, NodeShape, PromptIx, StepBehaviour, StepIx};

impl Graph {
    /// One step's node and the edges it leads by.
    pub(super) fn step(&mut self, flow: &Flow, ix: StepIx) {
        let step = flow.step(ix);
        let at = DrawAt {
            flow,
            step,
            id: node_id(&step.id),
        };
        step.kind.draw(&at, self);
    }
}

impl Draw for Graph {
    fn node(&mut self, id: String, lines: Vec<String>, shape: NodeShape) {
        let shape = match shape {
            NodeShape::Step => Shape::Step,
            NodeShape::End => Shape::End,
            NodeShape::Marker => Shape::Marker,
        };
        Graph::node(self, id, lines, shape);
    }

    fn edge(&mut self, from: &str, to: &str, label: Option<&str>, dashed: bool) {
        Graph::edge(self, from, to, label, dashed);
    }

    fn hangup(&mut self, reason: &str, why: &str) -> String {
        Graph::hangup(self, reason, why)
    }

    fn silence(&mut self, flow: &Flow, from: &str, again: PromptIx) {
        Graph::silence(self, flow, from, again);
    }

    fn back_node(&mut self) -> String {
        Graph::back_node(self)
    }

    fn node_id(&self, step: &str) -> String {
        node_id(step)
    }
}
