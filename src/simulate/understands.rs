//! What a call understands at its current step, or waits for: shown after
//! each turn of a simulated call, and in full on `/help`.

use crate::{
    call::CallState,
    engine::CallRecord,
    flow::{Flow, IntentIx, RecordStep, StepKind, TransferStep},
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
    let roles = flow.roles();
    let intent = |ix: IntentIx| describe_intent(flow, ix, locale, full);
    let yes_and_no = || -> Vec<String> {
        [roles.yes, roles.no]
            .into_iter()
            .flatten()
            .map(intent)
            .collect()
    };
    let mut heard: Vec<String> = match record.state {
        CallState::Transferring => {
            return Some(TransferStep::WAITS_FOR.into());
        }
        CallState::OnHold => {
            if let Some(StepKind::Hold(hold)) = step {
                return Some(hold.waits_for());
            }
            yes_and_no()
        }
        CallState::LookingUp => {
            if let Some(StepKind::Lookup(lookup)) = step {
                return Some(lookup.waits_for());
            }
            yes_and_no()
        }
        CallState::Recording => return Some(RecordStep::WAITS_FOR.into()),
        CallState::AwaitingHangup => {
            return Some(
                "waiting for the caller to hang up first (/hangup); speaking again reopens the call"
                    .into(),
            );
        }
        CallState::Collecting => match step {
            Some(StepKind::Collect(collect)) => {
                let mut heard = vec![collect.waits_for()];
                heard.extend(
                    flow.anywhere()
                        .iter()
                        .map(|(ix, _)| flow.intent(*ix).name.to_string()),
                );
                heard
            }
            Some(
                StepKind::Ask { .. }
                | StepKind::Say { .. }
                | StepKind::Transfer(_)
                | StepKind::Hold(_)
                | StepKind::Lookup(_)
                | StepKind::Close(_)
                | StepKind::Menu(_)
                | StepKind::Hangup { .. }
                | StepKind::Branch(_)
                | StepKind::Set(_)
                | StepKind::Record(_)
                | StepKind::Call(_)
                | StepKind::Return(_),
            )
            | None => Vec::new(),
        },
        CallState::InMenu => match step {
            // Only the menu's own keys count here; words as its intents
            // and the `[anywhere]` requests say them (no flow-wide keys).
            Some(StepKind::Menu(menu)) => {
                let mut heard = vec![menu.waits_for()];
                let words = menu.answers.iter().chain(flow.anywhere());
                heard.extend(words.map(|(ix, _)| flow.intent(*ix).name.to_string()));
                heard
            }
            Some(
                StepKind::Ask { .. }
                | StepKind::Say { .. }
                | StepKind::Transfer(_)
                | StepKind::Hold(_)
                | StepKind::Lookup(_)
                | StepKind::Close(_)
                | StepKind::Collect(_)
                | StepKind::Hangup { .. }
                | StepKind::Branch(_)
                | StepKind::Set(_)
                | StepKind::Record(_)
                | StepKind::Call(_)
                | StepKind::Return(_),
            )
            | None => Vec::new(),
        },
        CallState::Listening => match step {
            Some(StepKind::Ask { answers, .. }) => {
                answers.iter().map(|(ix, _)| intent(*ix)).collect()
            }
            Some(
                StepKind::Say { .. }
                | StepKind::Transfer(_)
                | StepKind::Hold(_)
                | StepKind::Lookup(_)
                | StepKind::Close(_)
                | StepKind::Menu(_)
                | StepKind::Collect(_)
                | StepKind::Hangup { .. }
                | StepKind::Branch(_)
                | StepKind::Set(_)
                | StepKind::Record(_)
                | StepKind::Call(_)
                | StepKind::Return(_),
            )
            | None => Vec::new(),
        },
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
    let otherwise = match (record.state, step) {
        (
            CallState::Listening,
            Some(StepKind::Ask {
                otherwise: Some(next),
                ..
            }),
        ) => Some(format!("other words → {}", flow.step(*next).id)),
        // Words nothing matches are not filed as a request: the caller is
        // asked again, then offered a person (or a polite close).
        (
            CallState::Listening,
            Some(StepKind::Ask {
                otherwise: None, ..
            }),
        ) => Some("other words → asked again".to_owned()),
        (CallState::Closing, Some(StepKind::Close(close))) => {
            Some(format!("a request → {}", flow.step(close.more).id))
        }
        (
            CallState::Ringing
            | CallState::Listening
            | CallState::ConfirmingTransfer
            | CallState::Transferring
            | CallState::ConfirmingHold
            | CallState::OnHold
            | CallState::LookingUp
            | CallState::Recording
            | CallState::Closing
            | CallState::AwaitingHangup
            | CallState::ConfirmingSwitch
            | CallState::CheckingHandset
            | CallState::InMenu
            | CallState::Collecting
            | CallState::Ended,
            Some(
                StepKind::Ask { .. }
                | StepKind::Menu(_)
                | StepKind::Collect(_)
                | StepKind::Say { .. }
                | StepKind::Transfer(_)
                | StepKind::Hold(_)
                | StepKind::Lookup(_)
                | StepKind::Close(_)
                | StepKind::Hangup { .. }
                | StepKind::Branch(_)
                | StepKind::Set(_)
                | StepKind::Record(_)
                | StepKind::Call(_)
                | StepKind::Return(_),
            )
            | None,
        ) => None,
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
