//! Item 9's nuisance call (骚扰电话): the caller's first words are the
//! hotline's `nuisance` intent (你猜我是谁, 哈哈哈, guess who). The agent
//! answers by the norm (N15: if you have business, tell me directly) and
//! then ends the call in time: hanging up without that answer (马上挂机) or
//! keeping the line open past `nuisance_close_ms` after it (不及时挂机) is
//! item 9. Such a call is not a normal consultation, so item 8 and the
//! goodbye do not apply (closing.rs leaves it alone).

use super::{Call, Deduction, secs};
use crate::quality::{
    rules::RuleId,
    transcript::{What, Who},
    words,
};

pub(super) fn check(call: &Call, out: &mut Vec<Deduction>) {
    let Some(first) = call.nuisance() else {
        return;
    };
    let Some(end) = (first..call.events.len())
        .find(|&i| matches!(call.events[i].what, What::Hangup | What::Transfer(_)))
    else {
        return;
    };
    let hangup = &call.events[end];
    if hangup.who != Who::Agent || hangup.what != What::Hangup {
        return;
    }
    let answer = call
        .says(Who::Agent)
        .find(|(i, w)| (first..end).contains(i) && w.has(words::NUISANCE_REPLY))
        .map(|(i, _)| i);
    let caller = super::evidence(&call.events[first]);
    match answer {
        None => out.push(call.deduct_at(
            RuleId::NuisanceHungUp,
            hangup.t,
            caller.clone(),
            format!(
                "a nuisance call ({caller:?} at {}): the agent hung up without the norm's answer",
                secs(call.events[first].t)
            ),
        )),
        Some(a) => {
            let open = hangup.t - call.events[a].t;
            if open > call.rules.settings.nuisance_close_s {
                out.push(call.deduct_at(
                    RuleId::NuisanceLeftOpen,
                    hangup.t,
                    super::evidence(&call.events[a]),
                    format!(
                        "a nuisance call ({caller:?}): the line stayed open {} after the norm's answer (limit {})",
                        secs(open),
                        secs(call.rules.settings.nuisance_close_s)
                    ),
                ));
            }
        }
    }
}
