//! A call's record as a reader without the `pii` role sees it (N16), for
//! every place that shows one: GetCall and EndCall (`grpc::calls`) and the
//! records file (`records`). One implementation, so the two cannot differ
//! again.
//!
//! Two rules, both from `crate::norms`:
//!
//! - **numbers**: the caller's and callee's, and every run of six or more
//!   digits in free text (what the caller said or keyed, what a prompt
//!   said, variables' values, a lookup's params), keep at most their last
//!   four characters;
//! - **`pii` variables** (the flow's `pii` list): their values are
//!   `***` whole, wherever they show: a data event, a lookup's or hold's
//!   result, a lookup's params, and the prompts that say them. A prompt's
//!   text is cut at its template's literal pieces to find what was said
//!   for its placeholders, so a value StartCall gave (which no transcript
//!   line carries) is hidden too; placeholders side by side
//!   (`{customer}{salutation}`) are hidden together. A value met alone is
//!   also hidden wherever else it shows (the caller repeating it, a
//!   deduction quoting the line).

use std::sync::Arc;

use crate::{
    call::{Action, Event, Say},
    flow::{Flow, Piece, Vars},
    norms::{HIDDEN, mask_digit_runs, mask_number},
};

use super::{CallRecord, Entry, EntryKind, Turn};

/// Hides what a record's reader may not see in any text from that record
/// (a deduction's evidence quotes its lines).
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// The `pii` values met in the record, longest first, so a value that
    /// contains another is hidden whole.
    hidden: Vec<String>,
}

// === impl Redactor ===

impl Redactor {
    /// `text` with every `pii` value met hidden and every number masked.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.hidden {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), HIDDEN);
            }
        }
        mask_digit_runs(&out)
    }

    fn meet(&mut self, value: &str) {
        // A one-character value ("1", "是") would hide that character in
        // every line; the places that carry it by name hide it anyway.
        if value.chars().count() >= 2 && !self.hidden.iter().any(|h| h == value) {
            self.hidden.push(value.to_owned());
        }
    }

    /// A map of variables with each value as this reader may see it: an
    /// event's (`Vars`) or a turn's and the record's own (sorted, as the
    /// wire shows them).
    fn variables<'v, M>(
        &self,
        flow: &Flow,
        vars: impl IntoIterator<Item = (&'v String, &'v String)>,
    ) -> M
    where
        M: FromIterator<(String, String)>,
    {
        vars.into_iter()
            .map(|(name, value)| (name.clone(), self.value(flow, name, value)))
            .collect()
    }

    fn value(&self, flow: &Flow, name: &str, value: &str) -> String {
        if flow.is_pii(name) {
            HIDDEN.to_owned()
        } else {
            self.text(value)
        }
    }
}

impl CallRecord {
    /// This record as a reader without the `pii` role sees it, and the
    /// redactor that hides the same things in text quoted from it.
    pub fn masked(&self) -> (CallRecord, Redactor) {
        let flow = &self.flow;
        let mut redactor = Redactor::default();
        for entry in &self.transcript {
            for value in pii_values(flow, &entry.kind) {
                redactor.meet(value);
            }
        }
        for (name, value) in &self.variables {
            if flow.is_pii(name) {
                redactor.meet(value);
            }
        }
        redactor.hidden.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let mut record = self.clone();
        record.facts.caller = mask_number(&record.facts.caller).into();
        record.facts.callee = mask_number(&record.facts.callee).into();
        record.variables = redactor.variables(flow, &self.variables);
        for entry in &mut record.transcript {
            *entry = Entry {
                offset: entry.offset,
                kind: masked_entry(flow, &redactor, &entry.kind),
            };
        }
        (record, redactor)
    }
}

/// The `pii` values an entry shows.
fn pii_values<'e>(flow: &'e Flow, kind: &'e EntryKind) -> Vec<&'e str> {
    let named = |vars: &'e Vars| -> Vec<&'e str> {
        vars.iter()
            .filter(|(name, _)| flow.is_pii(name))
            .map(|(_, value)| value.as_str())
            .collect()
    };
    match kind {
        EntryKind::Event { event, .. } => match &**event {
            Event::Data { variables }
            | Event::LookupResult { variables, .. }
            | Event::HoldResult { variables, .. } => named(variables),
            Event::Start
            | Event::InputStarted
            | Event::Speech { .. }
            | Event::Dtmf { .. }
            | Event::NoInput
            | Event::Audio(_)
            | Event::PromptPlayed
            | Event::TransferResult { .. }
            | Event::RecordingResult { .. }
            | Event::CallerHangup
            | Event::OperatorHangup
            | Event::FrontEndLost
            | Event::Shutdown
            | Event::TimeLimit => Vec::new(),
        },
        EntryKind::Turn(turn) => turn
            .variables
            .iter()
            .filter(|(name, _)| flow.is_pii(name))
            .map(|(_, value)| value.as_str())
            .chain(turn.actions.iter().flat_map(|action| {
                match action {
                    // A run of several placeholders is hidden whole where it is
                    // said, but only a lone one's value is known for certain.
                    Action::Say(say) => said_values(say)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|(names, value)| match names.as_slice() {
                            [name] if flow.is_pii(name) => Some(value),
                            _ => None,
                        })
                        .collect(),
                    Action::Lookup { params, .. }
                    | Action::Transfer {
                        attached: params, ..
                    } => params
                        .iter()
                        .filter(|(name, _)| flow.is_pii(name))
                        .map(|(_, value)| value.as_str())
                        .collect(),
                    Action::Listen { .. } | Action::Hangup(_) | Action::Record { .. } => Vec::new(),
                }
            }))
            .collect(),
        EntryKind::Fault(_) => Vec::new(),
    }
}

/// What a prompt said for its placeholders, found by cutting its text at
/// the template's literal pieces: one span per run of placeholders (side
/// by side, as in `{customer}{salutation}`, they cannot be cut apart) with
/// the names in it; `None` when the text does not follow the template.
fn said_values(say: &Say) -> Option<Vec<(Vec<&str>, &str)>> {
    let text: &str = say.text();
    let mut at = 0;
    let mut spans = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for piece in template(say)? {
        match piece {
            Piece::Text(literal) => {
                let rest = text.get(at..)?;
                let len = if names.is_empty() {
                    0
                } else {
                    rest.find(&**literal)?
                };
                if !names.is_empty() {
                    spans.push((std::mem::take(&mut names), &rest[..len]));
                }
                at += len;
                at += text
                    .get(at..)?
                    .starts_with(&**literal)
                    .then_some(literal.len())?;
            }
            Piece::Var { name, .. } => names.push(name),
        }
    }
    if !names.is_empty() {
        spans.push((names, text.get(at..)?));
        at = text.len();
    }
    (at == text.len()).then_some(spans)
}

/// A prompt's pieces in the locale it was said in.
fn template(say: &Say) -> Option<&[Piece]> {
    let pieces = say.prompt.template.as_ref()?;
    pieces
        .get(usize::from(say.locale))
        .or(pieces.last())
        .map(|p| &**p)
}

fn masked_entry(flow: &Flow, redactor: &Redactor, kind: &EntryKind) -> EntryKind {
    match kind {
        EntryKind::Event { seq, event } => EntryKind::Event {
            seq: *seq,
            event: masked_event(flow, redactor, event).into(),
        },
        EntryKind::Turn(turn) => EntryKind::Turn(Arc::new(Turn {
            actions: turn
                .actions
                .iter()
                .map(|a| masked_action(flow, redactor, a))
                .collect(),
            variables: redactor.variables(flow, &turn.variables),
            ..Turn::clone(turn)
        })),
        EntryKind::Fault(detail) => EntryKind::Fault(redactor.text(detail).into()),
    }
}

fn masked_event(flow: &Flow, redactor: &Redactor, event: &Event) -> Event {
    match event {
        Event::Speech {
            text,
            confidence,
            intents,
        } => Event::Speech {
            text: redactor.text(text),
            confidence: *confidence,
            intents: intents.clone(),
        },
        Event::Dtmf { digits } => Event::Dtmf {
            digits: redactor.text(digits),
        },
        Event::Data { variables } => Event::Data {
            variables: redactor.variables(flow, variables),
        },
        Event::LookupResult {
            name,
            ok,
            variables,
        } => Event::LookupResult {
            name: name.clone(),
            ok: *ok,
            variables: redactor.variables(flow, variables),
        },
        Event::HoldResult { ok, variables } => Event::HoldResult {
            ok: *ok,
            variables: redactor.variables(flow, variables),
        },
        // A recording's reference may be named after the caller's number.
        Event::RecordingResult {
            ok,
            recording,
            duration,
        } => Event::RecordingResult {
            ok: *ok,
            recording: redactor.text(recording),
            duration: *duration,
        },
        Event::Start
        | Event::InputStarted
        | Event::NoInput
        | Event::Audio(_)
        | Event::PromptPlayed
        | Event::TransferResult { .. }
        | Event::CallerHangup
        | Event::OperatorHangup
        | Event::FrontEndLost
        | Event::Shutdown
        | Event::TimeLimit => event.clone(),
    }
}

fn masked_action(flow: &Flow, redactor: &Redactor, action: &Action) -> Action {
    match action {
        Action::Say(say) => Action::Say(Say {
            rendered: Some(masked_said(flow, redactor, say).into()),
            // A read-back (`{phone:digits}`) says the number in SSML too.
            rendered_ssml: say
                .rendered_ssml
                .as_deref()
                .map(|ssml| redactor.text(ssml).into()),
            ..say.clone()
        }),
        Action::Lookup { name, params } => Action::Lookup {
            name: name.clone(),
            params: params
                .iter()
                .map(|(k, v)| (k.clone(), redactor.value(flow, k, v)))
                .collect(),
        },
        // The screen pop carries the caller's variables.
        Action::Transfer {
            target,
            reason,
            target_type,
            timeout,
            attached,
        } => Action::Transfer {
            target: target.clone(),
            reason: reason.clone(),
            target_type: *target_type,
            timeout: *timeout,
            attached: attached
                .iter()
                .map(|(k, v)| (k.clone(), redactor.value(flow, k, v)))
                .collect(),
        },
        Action::Listen { .. } | Action::Hangup(_) | Action::Record { .. } => action.clone(),
    }
}

/// What a prompt said, each run of placeholders with a `pii` one in it
/// hidden where the template places it, then the redactor's rules over the
/// whole.
fn masked_said(flow: &Flow, redactor: &Redactor, say: &Say) -> String {
    let text: &str = say.text();
    let (Some(spans), Some(pieces)) = (said_values(say), template(say)) else {
        return redactor.text(text);
    };
    let mut spans = spans.into_iter();
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for piece in pieces {
        match piece {
            Piece::Text(literal) => {
                in_run = false;
                out.push_str(literal);
            }
            Piece::Var { .. } if in_run => {}
            Piece::Var { .. } => {
                in_run = true;
                let (names, value) = spans.next().unwrap_or_default();
                let pii = names.iter().any(|n| flow.is_pii(n));
                out.push_str(if pii { HIDDEN } else { value });
            }
        }
    }
    redactor.text(&out)
}

#[cfg(test)]
mod tests;
