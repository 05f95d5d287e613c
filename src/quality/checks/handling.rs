//! Handling the caller's request: transfers (N10), holds (N11), complaints,
//! promised replies and the ticket number (N17).

use super::{Call, Deduction};
use crate::quality::{
    HoldEdge,
    rules::RuleId,
    transcript::{What, Who},
    words::{self, Family, Words},
};

pub(super) fn check(call: &Call, out: &mut Vec<Deduction>) {
    transfers(call, out);
    holds(call, out);
    promises(call, out);
}

/// The agent's last question about `markers` in `from..to`, and whether the
/// caller then said yes (answered, and not with a refusal).
fn asked(call: &Call, from: usize, to: usize, markers: Family) -> Option<(usize, bool)> {
    let question = (from..to).rev().find(|&i| {
        call.is_say(i, Who::Agent)
            && call.words[i]
                .as_ref()
                .is_some_and(|w| w.has(markers) && w.is_question())
    })?;
    let answers: Vec<&Words> = (question + 1..to)
        .filter(|&i| call.is_say(i, Who::Caller))
        .filter_map(|i| call.words[i].as_ref())
        .collect();
    let yes = !answers.is_empty() && !answers[0].is_refusal();
    Some((question, yes))
}

/// N10: before a transfer, the agent asks (with the reason) and the caller agrees.
fn transfers(call: &Call, out: &mut Vec<Deduction>) {
    let mut from = 0;
    for (ix, e) in call.events.iter().enumerate() {
        if e.who != Who::Agent || !matches!(e.what, What::Transfer(_)) {
            continue;
        }
        match asked(call, from, ix, words::TRANSFER) {
            Some((_, true)) => {}
            Some((q, false)) => out.push(call.deduct(
                RuleId::TransferNotAsked,
                ix,
                format!(
                    "the agent asked at {} but transferred without the caller's yes",
                    super::secs(call.events[q].t)
                ),
            )),
            None => out.push(call.deduct(
                RuleId::TransferNotAsked,
                ix,
                "transferred without asking the caller first".into(),
            )),
        }
        let reason = (from..ix).any(|i| {
            call.is_say(i, Who::Agent)
                && call.words[i].as_ref().is_some_and(|w| {
                    w.has(words::TRANSFER) && (w.has(words::REASON) || starts_with_to(w))
                })
        });
        if !reason {
            out.push(call.deduct(
                RuleId::TransferNoReason,
                ix,
                "transferred without telling the caller why".into(),
            ));
        }
        from = ix + 1;
    }
}

/// "To solve your problem, I will transfer you …": an English reason.
fn starts_with_to(w: &Words) -> bool {
    w.lower
        .split(['.', ',', ';', '!', '?'])
        .any(|s| s.trim_start().starts_with("to "))
}

/// N11: ask before a hold; apologise for the wait first thing after it.
fn holds(call: &Call, out: &mut Vec<Deduction>) {
    let mut from = 0;
    for (ix, e) in call.events.iter().enumerate() {
        match (e.who, &e.what) {
            (Who::Agent, What::Hold(HoldEdge::Start)) => {
                match asked(call, from, ix, words::HOLD) {
                    Some((_, true)) => {}
                    Some((q, false)) => out.push(call.deduct(
                        RuleId::HoldNotAsked,
                        ix,
                        format!(
                            "the agent asked at {} but put the caller on hold without their yes",
                            super::secs(call.events[q].t)
                        ),
                    )),
                    None => out.push(call.deduct(
                        RuleId::HoldNotAsked,
                        ix,
                        "put the caller on hold without asking first".into(),
                    )),
                }
                from = ix + 1;
            }
            (Who::Agent, What::Hold(HoldEdge::End)) => {
                // The agent's first words after the hold, before the caller speaks.
                let next = (ix + 1..call.events.len())
                    .find(|&i| call.words[i].is_some())
                    .filter(|&i| call.events[i].who == Who::Agent);
                match next {
                    Some(i)
                        if call.words[i]
                            .as_ref()
                            .is_some_and(|w| w.has(words::APOLOGY)) => {}
                    Some(i) => out.push(call.deduct(
                        RuleId::ResumeWithoutApology,
                        i,
                        "the agent's first words after the hold are no apology for the wait".into(),
                    )),
                    None => out.push(call.deduct(
                        RuleId::ResumeWithoutApology,
                        ix,
                        "the agent came back from the hold without apologising for the wait".into(),
                    )),
                }
                from = ix + 1;
            }
            _ => {}
        }
    }
}

/// N17: a complaint gets an apology; a promised reply says when; a
/// recorded request ends with the ticket number reminder.
fn promises(call: &Call, out: &mut Vec<Deduction>) {
    let agent_after = |from: usize, markers: Family| {
        call.says(Who::Agent)
            .any(|(i, w)| i >= from && w.has(markers))
    };
    if let Some((ix, _)) = call
        .says(Who::Caller)
        .find(|(i, w)| w.has(words::COMPLAINT) && !agent_after(*i, words::APOLOGY))
    {
        out.push(call.deduct(
            RuleId::ComplaintNoApology,
            ix,
            "the caller complained and the agent never apologised".into(),
        ));
    }
    for (ix, w) in call.says(Who::Agent) {
        // "Call from another phone / may we call you another time?" ends a
        // call nobody can hear (N5, N7); it answers no request.
        if w.has(words::CALLBACK)
            && !w.has(words::CALL_AGAIN)
            && !w.has(words::WHEN)
            && !has_number_of_days(w)
        {
            out.push(call.deduct(
                RuleId::CallbackWithoutTime,
                ix,
                "promised a reply without saying when".into(),
            ));
        }
    }
    if let Some((ix, _)) = call
        .says(Who::Agent)
        .find(|(i, w)| w.has(words::RECORDED) && !agent_after(*i, words::TICKET))
    {
        out.push(call.deduct(
            RuleId::NoTicketReminder,
            ix,
            "the request was recorded but the caller was never reminded of the service ticket number".into(),
        ));
    }
}

/// "三天内", "2天": a number of days.
fn has_number_of_days(w: &Words) -> bool {
    let c: Vec<char> = w.compact.chars().collect();
    c.windows(2).any(|p| {
        (p[1] == '天' || p[1] == '日')
            && (p[0].is_ascii_digit() || "一二两兩三四五六七八九十".contains(p[0]))
    })
}
