//! What a call understands at its current step, or waits for: shown after
//! each turn of a simulated call, and in full on `/help`.

use crate::{
    call::CallState,
    engine::CallRecord,
    flow::{Flow, IntentIx, StepBehaviour, StepKind, WaitsFor},
};

/// What the call understands now, or waits for: the current step's
/// answers and the flow's `[anywhere]` requests, with their keys (`full`:
/// one a line, with the phrases in the call's locale, for `/help`). `None`
/// once the call has ended.
pub fn understands(record: &CallRecord, full: bool) -> Option<String> {
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
    let list = |heard: Vec<String>| {
        if full {
            format!("understands:\n  {}", heard.join("\n  "))
        } else {
            format!("understands: {}", heard.join(", "))
        }
    };
    // A call waiting in its step's own phase: the kind says what for.
    match step.and_then(|kind| kind.waits_for(flow, record.state)) {
        Some(WaitsFor::Result(text)) => return Some(text),
        Some(WaitsFor::Entry { what, intents }) => {
            let mut heard = vec![what];
            heard.extend(intents.iter().map(|ix| flow.intent(*ix).name.to_string()));
            return Some(list(heard));
        }
        None => {}
    }
    let roles = flow.roles();
    let intent = |ix: IntentIx| describe_intent(flow, ix, locale, full);
    let yes_and_no = || -> Vec<String> {
        [roles.yes, roles.no]
            .into_iter()
            .flatten()
            .map(intent)
            .collect()
    };
    let ask = if let Some(StepKind::Ask(ask)) = step {
        Some(ask)
    } else {
        None
    };
    let mut heard: Vec<String> = match record.state {
        CallState::AwaitingHangup => {
            return Some(
                "waiting for the caller to hang up first (/hangup); speaking again reopens the call"
                    .into(),
            );
        }
        CallState::Listening => ask
            .map(|a| a.answers.iter().map(|(ix, _)| intent(*ix)).collect())
            .unwrap_or_default(),
        // The kinds' own phases, at some other kind's step: nothing.
        CallState::Transferring
        | CallState::OnHold
        | CallState::LookingUp
        | CallState::Recording
        | CallState::InMenu
        | CallState::Collecting => Vec::new(),
        CallState::Ringing
        | CallState::ConfirmingTransfer
        | CallState::ConfirmingHold
        | CallState::Closing
        | CallState::ConfirmingSwitch
        | CallState::CheckingHandset
        | CallState::Ended => yes_and_no(),
    };
    if matches!(record.state, CallState::Listening | CallState::Closing) {
        let anywhere = flow.anywhere().iter().map(|(ix, _)| *ix);
        heard.extend(anywhere.chain(roles.agent_number_intent).map(intent));
    }
    let otherwise = if record.state == CallState::Listening {
        // Words nothing matches are not filed as a request: the caller is
        // asked again, then offered a person (or a polite close).
        ask.map(|a| match a.otherwise {
            Some(next) => format!("other words → {}", flow.step(next).id),
            None => "other words → asked again".to_owned(),
        })
    } else if let (CallState::Closing, Some(StepKind::Close(close))) = (record.state, step) {
        Some(format!("a request → {}", flow.step(close.more).id))
    } else {
        None
    };
    heard.extend(otherwise);
    Some(list(heard))
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
