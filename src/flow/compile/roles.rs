//! Roles: the reserved prompts and intents the call machine says and
//! understands for the norms they are named after, and the answer each
//! everyday intent needs.

use std::ops::Range;

use super::super::{PromptIx, Roles};
use super::{Checked, Findings, Names, Source};

/// Resolves the reserved prompts and intents the call machine relies on;
/// a norm's prompt that is missing is an error naming the norm.
pub(super) fn check_roles(
    source: &Source<'_>,
    names: &Names,
    id_span: &Range<usize>,
) -> Checked<Roles> {
    let mut found = Findings::new(source);
    let p = |id: &str| names.prompts.get(id).copied();
    let i = |id: &str| names.intents.get(id).copied();
    let mut required = |id: &str, norm: &'static str, why: &str| {
        p(id).unwrap_or_else(|| {
            found.error(
                id_span.clone(),
                Some(norm),
                format!("missing prompt {id:?}: {why}"),
            );
            PromptIx::default()
        })
    };
    let roles = Roles {
        silence_reprompt: required(
            "silence_reprompt",
            "N5",
            "a silent caller hears a second prompt after 5 s",
        ),
        silence_goodbye: required(
            "silence_goodbye",
            "N5",
            "a silent caller hears a third prompt before we hang up",
        ),
        // Built in when the flow words none (flow::understanding).
        silence_goodbye_spoken: p("silence_goodbye_spoken").unwrap_or_default(),
        unclear: required(
            "unclear",
            "N7",
            "a caller we cannot hear clearly is asked to speak up",
        ),
        switch_phone: required(
            "switch_phone",
            "N7",
            "a caller still unclear is asked to call from another phone",
        ),
        pick_up_handset: required(
            "pick_up_handset",
            "N8",
            "a caller on speakerphone is asked whether the handset is picked up",
        ),
        speak_into_handset: required(
            "speak_into_handset",
            "N8",
            "a caller on speakerphone is asked to pick up the handset",
        ),
        mandarin: required(
            "mandarin",
            "N9",
            "a caller in another language is asked to use Mandarin",
        ),
        hello_reply: p("greeting_reply"),
        hello_reply_by_part: [
            p("greeting_reply_morning"),
            p("greeting_reply_afternoon"),
            p("greeting_reply_evening"),
        ],
        polite_close: required(
            "polite_close",
            "N12",
            "a call that cannot go on (not understood, another language, too long) ends with an apology and thanks",
        ),
        agent_number: p("agent_number"),
        not_understood: p("not_understood"),
        not_understood_again: p("not_understood_again"),
        thanks_reply: p("thanks_reply"),
        complaint_reply: p("complaint_reply"),
        callback_reply: p("callback_reply"),
        nuisance_reply: p("nuisance_reply"),
        nuisance_goodbye: p("nuisance_goodbye"),
        yes: i("yes"),
        no: i("no"),
        hello: i("greeting"),
        agent_number_intent: i("agent_number"),
        agent: i("agent"),
        person: None,
        thanks: i("thanks"),
        complaint: i("complaint"),
        repeat: i("repeat"),
        callback: i("callback"),
        nuisance: i("nuisance"),
        goodbye: i("goodbye"),
        close: None,
        hold_wait: p("hold_wait"),
        transfer_wait: p("transfer_wait"),
        assistant_reply: p("assistant_reply"),
    };
    found.take(check_everyday_prompts(source, &roles, id_span));
    if roles.hello.is_some() && roles.hello_reply.is_none() {
        found.error(id_span.clone(), Some("N6"), "intent \"greeting\" needs prompt \"greeting_reply\": a caller who greets us gets a polite answer".into());
    }
    if roles.agent_number_intent.is_some() && roles.agent_number.is_none() {
        found.error(id_span.clone(), Some("N14"), "intent \"agent_number\" needs prompt \"agent_number\": a caller who asks for the agent number hears it".into());
    }
    found.done(roles)
}

/// An everyday intent the flow defines needs the prompt that answers it.
fn check_everyday_prompts(
    source: &Source<'_>,
    roles: &Roles,
    id_span: &Range<usize>,
) -> Checked<()> {
    let mut found = Findings::new(source);
    let needs = [
        (
            roles.thanks,
            roles.thanks_reply,
            "thanks",
            "thanks_reply",
            None,
            "a caller who thanks or praises us hears a modest thank-you",
        ),
        (
            roles.complaint,
            roles.complaint_reply,
            "complaint",
            "complaint_reply",
            Some("N17"),
            "a complaint gets an apology, a record and a reply within three days",
        ),
        (
            roles.callback,
            roles.callback_reply,
            "callback",
            "callback_reply",
            Some("N17"),
            "a caller who asks to be called back hears when",
        ),
        (
            roles.nuisance,
            roles.nuisance_reply,
            "nuisance",
            "nuisance_reply",
            Some("N15"),
            "a nuisance caller is answered by the norm",
        ),
        (
            roles.nuisance,
            roles.nuisance_goodbye,
            "nuisance",
            "nuisance_goodbye",
            Some("N15"),
            "a nuisance call ends with a goodbye before we hang up",
        ),
    ];
    for (intent, prompt, name, prompt_name, norm, why) in needs {
        if intent.is_some() && prompt.is_none() {
            found.error(
                id_span.clone(),
                norm,
                format!("intent {name:?} needs prompt {prompt_name:?}: {why}"),
            );
        }
    }
    found.done(())
}
