//! The table's doubling (加倍扣罚): items 8 and 17 double when the caller
//! complains (造成客户不满或引起投诉), items 9 and 10 when the fault is
//! serious (情况严重), which a call shows by repeating it.

use super::{Call, secs};
use crate::quality::{Deduction, rules::Doubling, transcript::Who, words};

/// Doubles, in place, every deduction the table says to.
pub(super) fn apply(call: &Call, out: &mut [Deduction]) {
    // A complaint anywhere in the call counts: one made after the fault was
    // caused by it; one made before it means the agent faulted a caller who
    // was already dissatisfied (hanging up right after 我要投诉你), which the
    // table scores as 造成客户不满 all the same.
    let complaint = call
        .says(Who::Caller)
        .find(|(_, w)| w.has(words::COMPLAINT))
        .map(|(i, _)| &call.events[i]);
    let repeats = call.rules.settings.serious_repeats;
    for ix in 0..out.len() {
        let Some(item) = out[ix].item.and_then(|i| call.rules.item(i)) else {
            continue;
        };
        let why = match item.doubling {
            Doubling::Never => None,
            Doubling::Complaint => complaint.map(|e| {
                format!(
                    "the caller complained at {} ({:?})",
                    secs(e.t),
                    super::evidence(e)
                )
            }),
            Doubling::Serious => {
                let found = out.iter().filter(|d| d.item == Some(item.number)).count();
                (found >= repeats).then(|| {
                    format!(
                        "item {} found {found} times in the call (serious from {repeats})",
                        item.number
                    )
                })
            }
        };
        if let Some(why) = why {
            let d = &mut out[ix];
            d.points = d.points.saturating_mul(2).min(100);
            d.doubled = Some(why);
        }
    }
}
