//! What the agent says: forbidden wording and 不-endings (N13, item 1), and
//! the agent number when the caller asks for it (N14, item 2).

use super::{Call, Deduction};
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

/// One deduction per line that holds a forbidden phrase; a line that does
/// not, but ends on a 不-word, gets the lighter `negative_ending`. The
/// rules are the norms' own (crate::norms), the ones `check` warns on.
fn forbidden(call: &Call, out: &mut Vec<Deduction>) {
    for (ix, w) in call.says(Who::Agent) {
        match call.rules.wording().judge(&w.compact) {
            Some(Finding::Forbidden(phrase)) => {
                let instead = phrase
                    .instead
                    .map(|s| format!("; say instead {s:?}"))
                    .unwrap_or_default();
                out.push(call.deduct(
                    RuleId::ForbiddenWording,
                    ix,
                    format!("forbidden wording {:?}{instead}", phrase.written),
                ));
            }
            Some(Finding::NegativeEnding(end)) => out.push(call.deduct(
                RuleId::NegativeEnding,
                ix,
                format!("the answer ends on {end:?}"),
            )),
            None => {}
        }
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
