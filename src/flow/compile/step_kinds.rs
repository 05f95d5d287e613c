//! The table of step kinds ([`STEP_KINDS`]): for each kind, its fields,
//! which it needs, the norm a missing one breaks and what the caller would
//! miss; and how a raw step's fields are read by name, so the checks in
//! `steps` can walk the table instead of naming every field.

use std::ops::Range;

use super::super::raw::{RawStep, Sp};
use super::steps::{StepContext, StepFields, ask, close, hangup, hold, lookup, say, transfer};
use super::{Checked, StepKind};
use Holds::{Answers, Millis, PromptRef, StepRef, Text, Variables};

/// What a step field holds: prompt and step names are resolved by the
/// generic pass; the rest each kind reads itself.
#[derive(Clone, Copy)]
pub(super) enum Holds {
    PromptRef,
    StepRef,
    Text,
    Millis,
    /// `on.<intent> = "<step>"`.
    Answers,
    /// A list of variable names.
    Variables,
}

/// Whether a step must have a field: the norm it serves and what the
/// caller would miss without it (`why`, shown in the error).
#[derive(Clone, Copy)]
pub(super) enum Need {
    Optional,
    Required {
        norm: Option<&'static str>,
        why: Option<&'static str>,
    },
}

/// One field of a kind of step.
pub(super) struct Field {
    pub(super) key: &'static str,
    pub(super) holds: Holds,
    pub(super) need: Need,
}

const fn optional(key: &'static str, holds: Holds) -> Field {
    Field {
        key,
        holds,
        need: Need::Optional,
    }
}

const fn required(
    key: &'static str,
    holds: Holds,
    norm: Option<&'static str>,
    why: &'static str,
) -> Field {
    Field {
        key,
        holds,
        need: Need::Required {
            norm,
            why: Some(why),
        },
    }
}

/// A kind of step: the key that names it, its fields (missing ones are
/// reported in this order) and the function that builds it.
pub(super) struct StepKindSpec {
    pub(super) key: &'static str,
    pub(super) fields: &'static [Field],
    pub(super) build: fn(&StepContext<'_>, &StepFields<'_>) -> Checked<StepKind>,
}

/// Every kind of step and its fields: the one place a new kind or field is
/// added (then `kind_value`, `text_field` and `field_span` learn to read it).
pub(super) const STEP_KINDS: &[StepKindSpec] = &[
    StepKindSpec {
        key: "ask",
        fields: &[
            optional("reprompt", PromptRef),
            optional("on", Answers),
            optional("otherwise", StepRef),
        ],
        build: ask,
    },
    StepKindSpec {
        key: "say",
        fields: &[required("next", StepRef, None, "the step to go on to")],
        build: say,
    },
    StepKindSpec {
        key: "transfer",
        fields: &[
            required(
                "consent",
                PromptRef,
                Some("N10"),
                "the caller is told why and asked before any transfer",
            ),
            required("reason", Text, Some("N10"), "the reason for the transfer"),
            required(
                "declined",
                PromptRef,
                Some("N10"),
                "what we say when the caller does not agree",
            ),
            required(
                "failed",
                PromptRef,
                None,
                "the apology when the transfer fails",
            ),
            required(
                "fallback",
                StepRef,
                None,
                "the step after a failed transfer",
            ),
        ],
        build: transfer,
    },
    StepKindSpec {
        key: "hold",
        fields: &[
            required(
                "thanks",
                PromptRef,
                Some("N11"),
                "we thank the caller for agreeing to hold",
            ),
            required(
                "resume",
                PromptRef,
                Some("N11"),
                "we apologise for the wait when resuming",
            ),
            required("next", StepRef, None, "the step after the hold"),
            required(
                "declined",
                StepRef,
                Some("N11"),
                "the step when the caller does not want to hold",
            ),
            // The promise told to the caller; no norm sets its length.
            Field {
                key: "hold_ms",
                holds: Millis,
                need: Need::Required {
                    norm: None,
                    why: None,
                },
            },
            required(
                "failed",
                StepRef,
                Some("N11"),
                "the step when the work behind the hold failed (never claim a success nobody reported)",
            ),
            required(
                "overdue",
                PromptRef,
                Some("N11"),
                "when the hold outlasts hold_ms the caller hears an apology, the new estimate and a callback offer",
            ),
            required(
                "progress",
                PromptRef,
                Some("N11"),
                "a caller who asks how long it takes hears the estimate",
            ),
            required(
                "callback",
                StepRef,
                Some("N11"),
                "the step when the caller takes the callback offer",
            ),
            optional("gives", Variables),
        ],
        build: hold,
    },
    StepKindSpec {
        key: "lookup",
        fields: &[
            optional("params", Variables),
            optional("gives", Variables),
            required(
                "wait",
                PromptRef,
                Some("N11"),
                "a caller kept waiting for the answer is asked to hold on and thanked",
            ),
            required(
                "resume",
                PromptRef,
                Some("N11"),
                "we apologise for the wait when resuming",
            ),
            required("next", StepRef, None, "the step after the answer"),
            required(
                "failed",
                StepRef,
                None,
                "the step when the lookup fails or no answer comes",
            ),
        ],
        build: lookup,
    },
    StepKindSpec {
        key: "close",
        fields: &[
            required(
                "goodbye",
                PromptRef,
                Some("N12"),
                "we thank the caller and say goodbye",
            ),
            required(
                "more",
                StepRef,
                Some("N12"),
                "the step when the caller needs more help",
            ),
        ],
        build: close,
    },
    StepKindSpec {
        key: "hangup",
        fields: &[],
        build: hangup,
    },
];

// === Reading raw steps ===

/// Every field key of every kind, once each.
pub(super) fn all_field_keys() -> impl Iterator<Item = &'static str> {
    let mut seen: Vec<&str> = Vec::new();
    STEP_KINDS
        .iter()
        .flat_map(|k| k.fields.iter().map(|f| f.key))
        .filter(move |key| {
            let new = !seen.contains(key);
            seen.push(key);
            new
        })
}

/// The value of a kind key in a raw step.
pub(super) fn kind_value<'s>(s: &'s RawStep, key: &str) -> Option<&'s Sp<String>> {
    match key {
        "ask" => s.ask.as_ref(),
        "say" => s.say.as_ref(),
        "transfer" => s.transfer.as_ref(),
        "hold" => s.hold.as_ref(),
        "close" => s.close.as_ref(),
        "hangup" => s.hangup.as_ref(),
        "lookup" => s.lookup.as_ref(),
        _ => None,
    }
}

/// The value of a text field in a raw step.
pub(super) fn text_field<'s>(s: &'s RawStep, key: &str) -> Option<&'s Sp<String>> {
    match key {
        "reprompt" => s.reprompt.as_ref(),
        "otherwise" => s.otherwise.as_ref(),
        "next" => s.next.as_ref(),
        "consent" => s.consent.as_ref(),
        "reason" => s.reason.as_ref(),
        "declined" => s.declined.as_ref(),
        "failed" => s.failed.as_ref(),
        "fallback" => s.fallback.as_ref(),
        "thanks" => s.thanks.as_ref(),
        "resume" => s.resume.as_ref(),
        "goodbye" => s.goodbye.as_ref(),
        "more" => s.more.as_ref(),
        "wait" => s.wait.as_ref(),
        "overdue" => s.overdue.as_ref(),
        "progress" => s.progress.as_ref(),
        "callback" => s.callback.as_ref(),
        _ => None,
    }
}

/// Where a field is written in a raw step, if it is.
pub(super) fn field_span(s: &RawStep, key: &str) -> Option<Range<usize>> {
    match key {
        "on" => s.on.keys().next().map(|k| k.span()),
        "hold_ms" => s.hold_ms.as_ref().map(|v| v.span()),
        "params" => s.params.first().map(|v| v.span()),
        "gives" => s.gives.first().map(|v| v.span()),
        text => text_field(s, text).map(|v| v.span()),
    }
}
