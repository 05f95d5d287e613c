//! Checks over a whole compiled flow: its structure (reachability, loops)
//! and the norms (docs/norms.md) that are about wording rather than references.

use std::ops::Range;

use super::{
    Flow, StepIx, StepKind,
    compile::{Checked, Findings, Source},
    raw::RawFlow,
};
use crate::norms::{Finding, Wording};

/// Every check over the compiled flow. Only run on a flow with no errors:
/// structure means nothing while a name is unresolved.
pub(super) fn check_norms(source: &Source<'_>, flow: &Flow, raw: &RawFlow) -> Checked<()> {
    let mut found = Findings::new(source);
    let step_span =
        |ix: StepIx| -> Range<usize> { super::compile::subflows::step_span(raw, flow, ix) };
    found.take(check_reachability(source, flow, &step_span));
    found.take(check_say_loops(source, flow, &step_span));
    found.take(check_wording(source, flow, raw));
    found.take(super::steps::check_step_norms(source, flow, &step_span));
    found.done(())
}

fn check_reachability(
    source: &Source<'_>,
    flow: &Flow,
    span: &dyn Fn(StepIx) -> Range<usize>,
) -> Checked<()> {
    let mut found = Findings::new(source);
    let mut seen = vec![false; flow.steps.len()];
    // A call starts at `start`, or at `after_hours` when the centre is closed.
    let mut todo = vec![flow.start];
    todo.extend(flow.hours.as_ref().map(|h| h.after_hours));
    while let Some(s) = todo.pop() {
        if std::mem::replace(&mut seen[usize::from(s)], true) {
            continue;
        }
        todo.extend(flow.successors(s));
    }
    for (ix, reached) in seen.iter().enumerate() {
        // A subflow's return no step leads to is a label its callers map
        // in vain; nothing a caller could miss.
        if !reached && !matches!(flow.steps[ix].kind, StepKind::Return(_)) {
            found.warn(
                span(StepIx::new(ix)),
                None,
                format!(
                    "step {:?} is never reached from the start step {:?}",
                    flow.steps[ix].id,
                    flow.step(flow.start).id
                ),
            );
        }
    }
    found.done(())
}

/// A ring of `say` steps never listens and never ends: the caller would
/// hear the same lines forever. This is the one cycle no bound can stop:
/// every other cycle passes a step that listens, and there the call counts
/// visits (`max_step_visits`), silence (N5), unclear audio (N7), other
/// languages (N9), words not understood and repeated consent questions,
/// each with its own way out, under the `max_call_ms` ceiling. So a flow
/// that passes this check cannot loop for ever.
fn check_say_loops(
    source: &Source<'_>,
    flow: &Flow,
    span: &dyn Fn(StepIx) -> Range<usize>,
) -> Checked<()> {
    let mut found = Findings::new(source);
    let mut reported = vec![false; flow.steps.len()];
    for start in 0..flow.steps.len() {
        let mut path: Vec<StepIx> = Vec::new();
        let mut at = StepIx::new(start);
        while let StepKind::Say(super::SayStep { next, .. }) = flow.step(at).kind {
            if let Some(pos) = path.iter().position(|&p| p == at) {
                let ring = &path[pos..];
                if !ring.iter().any(|&s| reported[usize::from(s)]) {
                    for &s in ring {
                        reported[usize::from(s)] = true;
                    }
                    let names: Vec<&str> = ring
                        .iter()
                        .chain([&at])
                        .map(|&s| &*flow.step(s).id)
                        .collect();
                    found.error(
                        span(at),
                        None,
                        format!(
                            "dead end: steps {} loop without ever listening to the caller",
                            names.join(" → ")
                        ),
                    );
                }
                break;
            }
            path.push(at);
            at = next;
        }
    }
    found.done(())
}

/// N13: forbidden phrases, and answers that end on a 不-word; a spoken
/// prompt that names both titles (N3b, N6).
fn check_wording(source: &Source<'_>, flow: &Flow, raw: &RawFlow) -> Checked<()> {
    let mut found = Findings::new(source);
    let Some(prompts) = &raw.prompts else {
        return found.done(());
    };
    for (id, fields) in prompts.get_ref() {
        for (locale, text) in fields.get_ref() {
            if !flow.locales.iter().any(|l| **l == **locale.get_ref()) {
                continue;
            }
            let t = text.get_ref();
            if let Some(at) = promises_ticket(t)
                && !t.contains("{ticket}")
            {
                found.error(
                    source.within(text, at),
                    Some("N17"),
                    format!(
                        "prompt {:?} ({}) promises a service ticket number but never says one: add the {{ticket}} placeholder, or promise only the reply",
                        id.get_ref(),
                        locale.get_ref()
                    ),
                );
            }
            if let Some((at, norm)) = crate::norms::both_titles(t) {
                found.warn(
                    source.within(text, at.start),
                    Some(norm),
                    format!(
                        "prompt {:?} ({}) says {:?}: {}",
                        id.get_ref(),
                        locale.get_ref(),
                        &t[at],
                        crate::norms::BOTH_TITLES_FIX
                    ),
                );
            }
            // The scorer's rules too (crate::norms), so a prompt this passes
            // is a line the scorer does not deduct for.
            match Wording::built_in().judge_text(t) {
                Some((at, Finding::Forbidden(bad))) => found.warn(
                    source.within(text, at.start),
                    Some(bad.norm),
                    format!(
                        "prompt {:?} ({}) says {:?}, which the norms forbid",
                        id.get_ref(),
                        locale.get_ref(),
                        bad.written
                    ),
                ),
                Some((_, Finding::NegativeEnding(_))) => found.warn(
                    text.span(),
                    Some("N13"),
                    format!(
                        "prompt {:?} ({}) ends on a 不-word; say what can be done instead",
                        id.get_ref(),
                        locale.get_ref()
                    ),
                ),
                None => {}
            }
        }
    }
    found.done(())
}

/// Where a prompt tells the caller about a service ticket number (N17).
fn promises_ticket(text: &str) -> Option<usize> {
    text.find("服务单号")
        .or_else(|| text.find("服務單號"))
        .or_else(|| text.to_ascii_lowercase().find("ticket number"))
}
