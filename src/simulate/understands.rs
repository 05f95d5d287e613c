//! What a call understands at its current step, or waits for: shown after
//! each turn of a simulated call, and in full on `/help`.

use crate::{
    engine::CallRecord,
    flow::{Flow, IntentIx, StepKind},
};

/// What the call understands now, or waits for: the current step's
/// answers and the flow's `[anywhere]` requests, with their keys (`full`:
/// one a line, with the phrases in the call's locale, for `/help`). `None`
/// once the call has ended.
pub(super) fn understands(record: &CallRecord, full: bool) -> Option<String> {
    if record.ended.is_some() {
        return None;
    }
    let flow = &record.flow;
    let locale = usize::from(flow.locale_index(&record.locale).unwrap_or(0));
    let step = record
        .step
        .as_ref()
        .and_then(|id| flow.steps().iter().find(|s| &s.id == id))
        .map(|s| &s.kind);
    let roles = flow.roles();
    let intent = |ix: IntentIx| describe_intent(flow, ix, locale, full);
    let mut heard: Vec<String> = match (record.state, step) {
        ("transferring", _) => {
            return Some("waiting for the transfer: /transfer ok or /transfer failed".into());
        }
        ("on_hold", Some(StepKind::Hold { duration, .. })) => {
            return Some(format!(
                "on hold for {} s: /silence lets the hold run out; the caller speaking ends it early",
                duration.as_secs()
            ));
        }
        ("awaiting_hangup", _) => {
            return Some(
                "waiting for the caller to hang up first (/hangup); speaking again reopens the call"
                    .into(),
            );
        }
        ("listening", Some(StepKind::Ask { answers, .. })) => {
            answers.iter().map(|(ix, _)| intent(*ix)).collect()
        }
        ("listening", _) => Vec::new(),
        _ => [roles.yes, roles.no]
            .into_iter()
            .flatten()
            .map(intent)
            .collect(),
    };
    if matches!(record.state, "listening" | "closing") {
        let anywhere = flow.anywhere().iter().map(|(ix, _)| *ix);
        heard.extend(anywhere.chain(roles.agent_number_intent).map(intent));
    }
    let otherwise = match (record.state, step) {
        (
            "listening",
            Some(StepKind::Ask {
                otherwise: Some(next),
                ..
            }),
        ) => Some(format!("other words → {}", flow.step(*next).id)),
        ("closing", Some(StepKind::Close { more, .. })) => {
            Some(format!("a request → {}", flow.step(*more).id))
        }
        _ => None,
    };
    heard.extend(otherwise);
    Some(if full {
        format!("understands:\n  {}", heard.join("\n  "))
    } else {
        format!("understands: {}", heard.join(", "))
    })
}

/// `bill [3]`, or with `full` `bill: 账单, 话费, 查询余额; keys 3`.
fn describe_intent(flow: &Flow, ix: IntentIx, locale: usize, full: bool) -> String {
    let intent = flow.intent(ix);
    let keys = &intent.phrases.dtmf;
    if !full {
        return if keys.is_empty() {
            intent.name.to_string()
        } else {
            format!("{} [{}]", intent.name, keys.join(" "))
        };
    }
    let phrases = intent
        .phrases
        .per_locale
        .get(locale)
        .map(|p| p.join(", "))
        .unwrap_or_default();
    if keys.is_empty() {
        format!("{}: {phrases}", intent.name)
    } else {
        format!("{}: {phrases}; keys {}", intent.name, keys.join(" "))
    }
}
