//! How the call ends: the goodbye (N12), who hangs up first (item 8), and a
//! line left open after the goodbye (N15, item 9).

use super::{Call, Deduction, secs};
use crate::quality::{
    rules::RuleId,
    transcript::{What, Who},
    words,
};

pub(super) fn check(call: &Call, out: &mut Vec<Deduction>) {
    // A silent caller's hang-up is N5's business (opening.rs).
    // A nuisance call is item 9's business (nuisance.rs), not a normal
    // consultation's.
    if !call.caller_spoke() || call.nuisance().is_some() {
        return;
    }
    // The call ends at the first hang-up or transfer; only an agent's
    // hang-up is judged here.
    let Some(end) = call
        .events
        .iter()
        .position(|e| matches!(e.what, What::Hangup | What::Transfer(_)))
    else {
        return;
    };
    let hangup = &call.events[end];
    if hangup.who != Who::Agent || hangup.what != What::Hangup {
        return;
    }
    let last_caller = call
        .says(Who::Caller)
        .map(|(i, _)| i)
        .filter(|i| *i < end)
        .last();
    // The closing: the agent's last words, if they are a goodbye (or "call
    // again from another phone"). The caller may still answer it.
    let closing = call
        .says(Who::Agent)
        .filter(|(i, _)| *i < end)
        .last()
        .filter(|(_, w)| w.has(words::GOODBYE) || w.has(words::CALL_AGAIN))
        .map(|(i, _)| i);
    let s = &call.rules.settings;
    let Some(closing) = closing else {
        let last_agent = call
            .says(Who::Agent)
            .map(|(i, _)| i)
            .filter(|i| *i < end)
            .last();
        let evidence = last_agent.map_or_else(String::new, |i| super::evidence(&call.events[i]));
        out.push(call.deduct_at(
            RuleId::NoGoodbye,
            hangup.t,
            evidence.clone(),
            "the agent's last words before hanging up are no goodbye".into(),
        ));
        out.push(
            call.deduct_at(
                RuleId::AgentHungUpFirst,
                hangup.t,
                evidence,
                "the agent hung up while the caller was still on the line in a normal consultation"
                    .into(),
            ),
        );
        return;
    };
    // The caller agreed to call again (N7): the agent may hang up at once.
    let agreed = call.words[closing]
        .as_ref()
        .is_some_and(|w| w.has(words::CALL_AGAIN))
        && call.events[closing + 1..end]
            .iter()
            .zip(&call.words[closing + 1..end])
            .any(|(e, w)| {
                e.who == Who::Caller
                    && w.as_ref()
                        .is_some_and(|w| w.has(words::YES) && !w.is_refusal())
            });
    let since = call.events[closing]
        .t
        .max(last_caller.map_or(0.0, |c| call.events[c].t));
    let quiet = hangup.t - since;
    let caller_after_closing = call.events[closing + 1..end]
        .iter()
        .any(|e| e.who == Who::Caller && e.say().is_some());
    if !agreed && quiet < s.caller_wait_s {
        let (ix, note) = match last_caller.filter(|c| *c > closing) {
            Some(c) => (
                c,
                format!(
                    "the agent hung up {} after the caller's last words, before the caller hung up (wait {})",
                    secs(quiet),
                    secs(s.caller_wait_s)
                ),
            ),
            None => (
                closing,
                format!(
                    "the agent hung up {} after the goodbye, before the caller hung up (wait {})",
                    secs(quiet),
                    secs(s.caller_wait_s)
                ),
            ),
        };
        let evidence = super::evidence(&call.events[ix]);
        out.push(call.deduct_at(RuleId::AgentHungUpFirst, hangup.t, evidence, note));
    } else if !caller_after_closing && quiet > s.line_open_limit_s {
        out.push(call.deduct_at(
            RuleId::LineLeftOpen,
            hangup.t,
            super::evidence(&call.events[closing]),
            format!(
                "after the goodbye the caller was silent and the line stayed open {} before the agent hung up (limit {})",
                secs(quiet),
                secs(s.line_open_limit_s)
            ),
        ));
    }
}
