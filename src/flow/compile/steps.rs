//! Steps: one table of step kinds and the fields each may have, then
//! one function per kind that resolves its references.

use super::*;

impl Compiler<'_> {
    pub(super) fn step(
        &mut self,
        name: &Sp<String>,
        step: &Sp<RawStep>,
        names: &Names,
        roles: &Roles,
        known_variables: &std::collections::HashSet<&str>,
    ) -> Step {
        let s = step.get_ref();
        let kinds: Vec<(&str, &Sp<String>)> = STEP_KINDS
            .iter()
            .filter_map(|k| kind_value(s, k.key).map(|v| (k.key, v)))
            .collect();
        let id: Arc<str> = name.get_ref().as_str().into();
        let placeholder = Step {
            id: id.clone(),
            kind: StepKind::Say { prompt: 0, next: 0 },
            barge_in: false,
        };
        let (kind, value) = match kinds.as_slice() {
            [one] => *one,
            [] => {
                self.error(
                    name.span(),
                    None,
                    format!(
                        "step {:?} has none of {}",
                        name.get_ref(),
                        STEP_KINDS
                            .iter()
                            .map(|k| k.key)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                return placeholder;
            }
            [_, (second, v), ..] => {
                self.error(
                    v.span(),
                    None,
                    format!(
                        "step {:?} has more than one kind (also `{second}`); split it into steps",
                        name.get_ref()
                    ),
                );
                return placeholder;
            }
        };
        self.check_fields(name, kind, s);
        let step_name = name.get_ref();
        let prompt =
            |cx: &mut Self, p: &Sp<String>| cx.reference(p, &names.prompts, "prompt").unwrap_or(0);
        let step_ref =
            |cx: &mut Self, p: &Sp<String>| cx.reference(p, &names.steps, "step").unwrap_or(0);
        let required = |cx: &mut Self,
                        v: &Option<Sp<String>>,
                        key: &str,
                        norm: Option<&'static str>,
                        why: &str|
         -> Option<Sp<String>> {
            if v.is_none() {
                cx.error(
                    step.span(),
                    norm,
                    format!("{kind} step {step_name:?} needs `{key}`: {why}"),
                );
            }
            v.clone()
        };
        let kind = match kind {
            "ask" => {
                let ask = if value.get_ref() == OPENING_REF {
                    AskPrompt::Opening
                } else {
                    AskPrompt::Prompt(prompt(self, value))
                };
                let answers =
                    s.on.iter()
                        .filter_map(|(intent, target)| {
                            let i = self.reference(intent, &names.intents, "intent");
                            let t = self.reference(target, &names.steps, "step");
                            Some((i?, t?))
                        })
                        .collect();
                let otherwise = s.otherwise.as_ref().map(|o| step_ref(self, o));
                if otherwise.is_none() && roles.not_understood.is_none() {
                    self.error(step.span(), None, format!("dead end: ask step {step_name:?} has no `otherwise` and the flow has no prompt \"not_understood\", so words that match no answer lead nowhere"));
                }
                StepKind::Ask {
                    prompt: ask,
                    reprompt: s.reprompt.as_ref().map(|r| prompt(self, r)),
                    answers,
                    otherwise,
                }
            }
            "say" => {
                let next = required(self, &s.next, "next", None, "the step to go on to");
                StepKind::Say {
                    prompt: prompt(self, value),
                    next: next.map_or(0, |n| step_ref(self, &n)),
                }
            }
            "transfer" => {
                let consent = required(
                    self,
                    &s.consent,
                    "consent",
                    Some("N10"),
                    "the caller is told why and asked before any transfer",
                );
                let reason = required(
                    self,
                    &s.reason,
                    "reason",
                    Some("N10"),
                    "the reason for the transfer",
                );
                let declined = required(
                    self,
                    &s.declined,
                    "declined",
                    Some("N10"),
                    "what we say when the caller does not agree",
                );
                let failed = required(
                    self,
                    &s.failed,
                    "failed",
                    None,
                    "the apology when the transfer fails",
                );
                let fallback = required(
                    self,
                    &s.fallback,
                    "fallback",
                    None,
                    "the step after a failed transfer",
                );
                if value.get_ref().trim().is_empty() {
                    self.error(value.span(), None, "transfer target is empty".into());
                }
                StepKind::Transfer(TransferStep {
                    target: value.get_ref().as_str().into(),
                    reason: reason.map_or_else(|| "".into(), |r| r.get_ref().as_str().into()),
                    consent: consent.map_or(0, |c| prompt(self, &c)),
                    declined: declined.map_or(0, |c| prompt(self, &c)),
                    failed: failed.map_or(0, |c| prompt(self, &c)),
                    fallback: fallback.map_or(0, |c| step_ref(self, &c)),
                })
            }
            "hold" => {
                let thanks = required(
                    self,
                    &s.thanks,
                    "thanks",
                    Some("N11"),
                    "we thank the caller for agreeing to hold",
                );
                let resume = required(
                    self,
                    &s.resume,
                    "resume",
                    Some("N11"),
                    "we apologise for the wait when resuming",
                );
                let next = required(self, &s.next, "next", None, "the step after the hold");
                let declined = required(
                    self,
                    &s.declined,
                    "declined",
                    Some("N11"),
                    "the step when the caller does not want to hold",
                );
                let duration = match &s.hold_ms {
                    None => {
                        self.error(
                            step.span(),
                            None,
                            format!("hold step {step_name:?} needs `hold_ms`"),
                        );
                        Duration::ZERO
                    }
                    Some(ms) => {
                        self.millis(&Some(ms.clone()), "hold_ms", 1000..600_001, Duration::ZERO)
                    }
                };
                let failed = required(
                    self,
                    &s.failed,
                    "failed",
                    Some("N11"),
                    "the step when the work behind the hold failed (never claim a success nobody reported)",
                );
                let overdue = required(
                    self,
                    &s.overdue,
                    "overdue",
                    Some("N11"),
                    "when the hold outlasts hold_ms the caller hears an apology, the new estimate and a callback offer",
                );
                let progress = required(
                    self,
                    &s.progress,
                    "progress",
                    Some("N11"),
                    "a caller who asks how long it takes hears the estimate",
                );
                let callback = required(
                    self,
                    &s.callback,
                    "callback",
                    Some("N11"),
                    "the step when the caller takes the callback offer",
                );
                StepKind::Hold(HoldStep {
                    ask: prompt(self, value),
                    thanks: thanks.map_or(0, |p| prompt(self, &p)),
                    resume: resume.map_or(0, |p| prompt(self, &p)),
                    duration,
                    next: next.map_or(0, |n| step_ref(self, &n)),
                    declined: declined.map_or(0, |n| step_ref(self, &n)),
                    failed: failed.map_or(0, |n| step_ref(self, &n)),
                    overdue: overdue.map_or(0, |p| prompt(self, &p)),
                    progress: progress.map_or(0, |p| prompt(self, &p)),
                    callback: callback.map_or(0, |n| step_ref(self, &n)),
                    gives: names_of(&s.gives),
                })
            }
            "lookup" => {
                let wait = required(
                    self,
                    &s.wait,
                    "wait",
                    Some("N11"),
                    "a caller kept waiting for the answer is asked to hold on and thanked",
                );
                let resume = required(
                    self,
                    &s.resume,
                    "resume",
                    Some("N11"),
                    "we apologise for the wait when resuming",
                );
                let next = required(self, &s.next, "next", None, "the step after the answer");
                let failed = required(
                    self,
                    &s.failed,
                    "failed",
                    None,
                    "the step when the lookup fails or no answer comes",
                );
                if value.get_ref().trim().is_empty() {
                    self.error(value.span(), None, "lookup name is empty".into());
                }
                for p in &s.params {
                    let n = p.get_ref();
                    if !matches!(n.as_str(), "caller" | "callee")
                        && !known_variables.contains(n.as_str())
                    {
                        self.error(p.span(), None, format!("lookup param {n:?} is no variable of this flow (a default, a required variable, one a step gives, or \"caller\"/\"callee\")"));
                    }
                }
                StepKind::Lookup(LookupStep {
                    name: value.get_ref().trim().into(),
                    params: names_of(&s.params),
                    gives: names_of(&s.gives),
                    wait: wait.map_or(0, |p| prompt(self, &p)),
                    resume: resume.map_or(0, |p| prompt(self, &p)),
                    next: next.map_or(0, |n| step_ref(self, &n)),
                    failed: failed.map_or(0, |n| step_ref(self, &n)),
                })
            }
            "close" => {
                let goodbye = required(
                    self,
                    &s.goodbye,
                    "goodbye",
                    Some("N12"),
                    "we thank the caller and say goodbye",
                );
                let more = required(
                    self,
                    &s.more,
                    "more",
                    Some("N12"),
                    "the step when the caller needs more help",
                );
                StepKind::Close(CloseStep {
                    ask: prompt(self, value),
                    goodbye: goodbye.map_or(0, |p| prompt(self, &p)),
                    more: more.map_or(0, |n| step_ref(self, &n)),
                })
            }
            _ => StepKind::Hangup {
                prompt: prompt(self, value),
            },
        };
        Step {
            id,
            kind,
            barge_in: s.barge_in.unwrap_or(true),
        }
    }

    /// Keys that do not belong to a step's kind are mistakes, not extras.
    fn check_fields(&mut self, name: &Sp<String>, kind: &str, s: &RawStep) {
        let allowed = STEP_KINDS
            .iter()
            .find(|k| k.key == kind)
            .map_or(&[][..], |k| k.fields);
        for key in FIELDS {
            if let Some(span) = field_span(s, key)
                && !allowed.contains(key)
            {
                self.error(
                    span,
                    None,
                    format!(
                        "`{key}` does not belong in a {kind} step ({:?})",
                        name.get_ref()
                    ),
                );
            }
        }
    }
}

/// A kind of step: the key that names it and the other keys it may have.
pub(super) struct StepKindSpec {
    pub key: &'static str,
    pub fields: &'static [&'static str],
}

/// Every kind of step and its fields: the one place a new kind or field is
/// added (then `kind_value` and `field_span` learn to read it).
pub(super) const STEP_KINDS: &[StepKindSpec] = &[
    StepKindSpec {
        key: "ask",
        fields: &["reprompt", "on", "otherwise"],
    },
    StepKindSpec {
        key: "say",
        fields: &["next"],
    },
    StepKindSpec {
        key: "transfer",
        fields: &["consent", "reason", "declined", "failed", "fallback"],
    },
    StepKindSpec {
        key: "hold",
        fields: &[
            "thanks", "resume", "hold_ms", "next", "declined", "failed", "overdue", "progress",
            "callback", "gives",
        ],
    },
    StepKindSpec {
        key: "lookup",
        fields: &["params", "gives", "wait", "resume", "next", "failed"],
    },
    StepKindSpec {
        key: "close",
        fields: &["goodbye", "more"],
    },
    StepKindSpec {
        key: "hangup",
        fields: &[],
    },
];

/// Every field a step may have besides its kind, in the order they are
/// checked.
const FIELDS: &[&str] = &[
    "reprompt",
    "on",
    "otherwise",
    "next",
    "consent",
    "reason",
    "declined",
    "failed",
    "fallback",
    "thanks",
    "resume",
    "hold_ms",
    "goodbye",
    "more",
    "params",
    "gives",
    "wait",
    "overdue",
    "progress",
    "callback",
];

/// Names as the compiled step keeps them.
fn names_of(list: &[Sp<String>]) -> Arc<[Arc<str>]> {
    list.iter()
        .map(|n| Arc::from(n.get_ref().as_str()))
        .collect()
}

/// The value of a kind key in a raw step.
fn kind_value<'s>(s: &'s RawStep, key: &str) -> Option<&'s Sp<String>> {
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

/// Where a field is written in a raw step, if it is.
fn field_span(s: &RawStep, key: &str) -> Option<Range<usize>> {
    let text = |v: &Option<Sp<String>>| v.as_ref().map(|v| v.span());
    match key {
        "reprompt" => text(&s.reprompt),
        "on" => s.on.keys().next().map(|k| k.span()),
        "otherwise" => text(&s.otherwise),
        "next" => text(&s.next),
        "consent" => text(&s.consent),
        "reason" => text(&s.reason),
        "declined" => text(&s.declined),
        "failed" => text(&s.failed),
        "fallback" => text(&s.fallback),
        "thanks" => text(&s.thanks),
        "resume" => text(&s.resume),
        "hold_ms" => s.hold_ms.as_ref().map(|v| v.span()),
        "goodbye" => text(&s.goodbye),
        "more" => text(&s.more),
        "params" => s.params.first().map(|v| v.span()),
        "gives" => s.gives.first().map(|v| v.span()),
        "wait" => text(&s.wait),
        "overdue" => text(&s.overdue),
        "progress" => text(&s.progress),
        "callback" => text(&s.callback),
        _ => None,
    }
}
