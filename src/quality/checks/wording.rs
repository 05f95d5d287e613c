//! What the agent says: forbidden wording and 不-endings (N13, item 1), and
//! the agent number when the caller asks for it (N14, item 2).

use super::{Call, Deduction, secs};
use crate::norms::Finding;
use crate::quality::{
    rules::RuleId,
    transcript::{What, Who},
    words::{self, digit_runs},
};

pub(super) fn check(call: &Call, out: &mut Vec<Deduction>) {
    forbidden(call, out);
    agent_number(call, out);
}

/// Item 1, at most one deduction per line: the norms' own findings first
/// (crate::norms, what `check` warns on: a forbidden phrase, a 不-ending),
/// so the two never disagree; then an order aimed at the caller, a
/// brush-off, a second line of impatience, and last an interruption.
fn forbidden(call: &Call, out: &mut Vec<Deduction>) {
    let interrupt_s = call.rules.settings.interrupt_s;
    let mut impatient_lines = 0;
    for (ix, w) in call.says(Who::Agent) {
        let t = call.events[ix].t;
        let quote = |family| w.marker(family).unwrap_or_default();
        impatient_lines += usize::from(w.has(words::IMPATIENCE));
        let (rule, note) = match call.rules.wording().judge(&w.compact) {
            Some(Finding::Forbidden(phrase)) => {
                let instead = phrase
                    .instead
                    .map(|s| format!("; say instead {s:?}"))
                    .unwrap_or_default();
                (
                    RuleId::ForbiddenWording,
                    format!("forbidden wording {:?}{instead}", phrase.written),
                )
            }
            Some(Finding::NegativeEnding(end)) => (
                RuleId::NegativeEnding,
                format!("the answer ends on {end:?}"),
            ),
            _ if w.has(words::IMPERATIVE) => (
                RuleId::ImperativeTone,
                format!(
                    "an order aimed at the caller: {:?} at {}",
                    quote(words::IMPERATIVE),
                    secs(t)
                ),
            ),
            _ if w.has(words::BRUSH_OFF) || w.has(words::GO_YOURSELF) => {
                let said = [words::DONT_KNOW, words::BRUSH_OFF, words::GO_YOURSELF]
                    .into_iter()
                    .filter(|f| w.has(*f))
                    .map(|f| format!("{:?}", quote(f)))
                    .collect::<Vec<_>>()
                    .join(" + ");
                (
                    RuleId::BrushOff,
                    format!("a brush-off: {said} at {}", secs(t)),
                )
            }
            _ if w.has(words::IMPATIENCE) && impatient_lines >= 2 => (
                RuleId::RepeatedImpatience,
                format!(
                    "impatience again: {:?} at {} (line {impatient_lines} with such words)",
                    quote(words::IMPATIENCE),
                    secs(t)
                ),
            ),
            None if interrupt_s > 0.0 => {
                let Some(prev) = ix
                    .checked_sub(1)
                    .filter(|p| call.is_say(*p, Who::Caller))
                    .map(|p| &call.events[p])
                    .filter(|p| t - p.t < interrupt_s)
                else {
                    continue;
                };
                (
                    RuleId::Interrupting,
                    format!(
                        "started {} after the caller's {:?} at {}, within {}",
                        secs(t - prev.t),
                        super::evidence(prev),
                        secs(prev.t),
                        secs(interrupt_s)
                    ),
                )
            }
            None => continue,
        };
        out.push(call.deduct(rule, ix, note));
    }
}

/// Each time the caller asks for the agent number, the agent's reply (its
/// lines before the caller speaks again) must give it, and give the right
/// one when the header has `agent_id`.
fn agent_number(call: &Call, out: &mut Vec<Deduction>) {
    let agent_id = call
        .transcript
        .header
        .as_ref()
        .and_then(|h| h.agent_id.as_deref())
        .map(|id| digit_runs(id).concat())
        .filter(|id| !id.is_empty());
    for (ask, w) in call.says(Who::Caller) {
        if !w.has(words::ASK_AGENT_NUMBER) {
            continue;
        }
        let asked_at = call.events[ask].t;
        let reply: Vec<usize> = call.events[ask + 1..]
            .iter()
            .enumerate()
            .take_while(|(_, e)| {
                e.who == Who::Agent && !matches!(e.what, What::Hangup | What::Transfer(_))
            })
            .filter(|(_, e)| e.say().is_some())
            .map(|(i, _)| ask + 1 + i)
            .collect();
        // Single Chinese numerals (一下, 一个) are words, not a number.
        let given: Vec<(usize, String)> = reply
            .iter()
            .flat_map(|&i| {
                digit_runs(call.events[i].say().unwrap_or_default())
                    .into_iter()
                    .filter(|d| d.len() >= 2)
                    .map(move |d| (i, d))
            })
            .collect();
        if given.is_empty() {
            let note = format!(
                "the caller asked for the agent number at {}; the reply gives none",
                super::secs(asked_at)
            );
            match reply.first() {
                Some(&i) => out.push(call.deduct(RuleId::AgentNumberRefused, i, note)),
                None => out.push(call.deduct(
                    RuleId::AgentNumberRefused,
                    ask,
                    note + " (no reply at all)",
                )),
            }
            continue;
        }
        if let Some(id) = &agent_id
            && !given.iter().any(|(_, d)| d == id)
        {
            let (i, d) = &given[0];
            out.push(call.deduct(
                RuleId::AgentNumberWrong,
                *i,
                format!("gave agent number {d}; the agent is {id}"),
            ));
        }
    }
}
