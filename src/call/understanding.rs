//! What the caller's input means, before any phase acts on it. Pure
//! functions of the flow and the event: nothing here changes the call.

use super::Event;
use crate::flow::{Flow, Heard, IntentIx, LocaleIx, matcher::Understood};

/// One event, as input from the caller.
#[derive(Debug, Clone, Copy)]
pub enum Input<'e> {
    /// Words or keys we can act on.
    Clear(Heard<'e>),
    /// Speech too quiet, empty or unsure to use (N7).
    Unclear,
    /// Not caller input at all (timers, audio reports, hang-ups).
    NotInput,
}

impl<'e> Input<'e> {
    pub fn of(flow: &Flow, event: &'e Event) -> Input<'e> {
        match event {
            Event::Speech {
                text, confidence, ..
            } => {
                let low = confidence.is_some_and(|c| c < flow.timing().low_confidence);
                if low || blank(text) {
                    Input::Unclear
                } else {
                    Input::Clear(Heard::Words(text))
                }
            }
            Event::Dtmf { digits } => Input::Clear(Heard::Keys(digits)),
            Event::Start
            | Event::PromptPlayed
            | Event::InputStarted
            | Event::NoInput
            | Event::Audio(_)
            | Event::TransferResult { .. }
            | Event::Data { .. }
            | Event::LookupResult { .. }
            | Event::HoldResult { .. }
            | Event::RecordingResult { .. }
            | Event::CallerHangup
            | Event::OperatorHangup
            | Event::FrontEndLost
            | Event::Shutdown
            | Event::TimeLimit => Input::NotInput,
        }
    }
}

/// Whether speech holds nothing but spaces. The first byte usually
/// settles it: Unicode's spaces are ASCII or start with a byte below 0xE4,
/// so a Chinese character (or any ASCII non-space) there is words.
fn blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(&b) if (0x21..0x80).contains(&b) || b >= 0xE4 => false,
        Some(_) => text.chars().all(char::is_whitespace),
    }
}

/// The answer to a yes/no question, with any requests said alongside it
/// ("好的,我要查话费": yes, and the bill).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// Neither: other words, which may still hold requests.
    Other,
}

/// Everything clear input means: the front-end's own intents when it is
/// confident enough, else the words or keys.
pub fn understand(flow: &Flow, locale: LocaleIx, event: &Event, heard: Heard<'_>) -> Understood {
    if let Event::Speech { intents, .. } = event
        && !intents.is_empty()
    {
        let mut from_front_end = Understood::default();
        for i in intents {
            if i.confidence >= flow.nlu_confidence()
                && let Some(ix) = flow.intent_index(&i.name)
            {
                from_front_end.push(ix);
            }
        }
        if !from_front_end.is_empty() {
            return from_front_end;
        }
    }
    flow.understand(locale, heard)
}

/// Splits what was understood into a yes/no answer and the other requests.
/// `agent_is_yes`: at a transfer's consent question, asking for a person
/// is agreeing to that transfer — unless the caller asked it (是真人吗?,
/// "is that a real person?"): a question is nobody's consent (N10). A
/// goodbye (不用了谢谢, 就这样吧) is a no where nothing else answers, and
/// never a request of its own; asked (就这样吗?), it answers nothing.
pub fn answer(flow: &Flow, understood: Understood, agent_is_yes: bool) -> (Answer, Understood) {
    let asked = understood.is_question();
    let agent_is_yes = agent_is_yes && !asked;
    let roles = flow.roles();
    let is = |i: IntentIx, role: Option<IntentIx>| Some(i) == role;
    let mut answer = Answer::Other;
    let mut goodbye = false;
    let mut rest = Understood::default();
    for &i in understood.as_slice() {
        let this = if is(i, roles.yes) || (agent_is_yes && is(i, roles.agent)) {
            Some(Answer::Yes)
        } else if is(i, roles.no) {
            Some(Answer::No)
        } else {
            None
        };
        match this {
            Some(a) if answer == Answer::Other => answer = a,
            Some(_) => {}
            None if is(i, roles.goodbye) => goodbye = !asked,
            None => rest.push(i),
        }
    }
    if goodbye && answer == Answer::Other {
        answer = Answer::No;
    }
    (answer, rest)
}

/// Whether the caller closed the call (再见, 没事了, "that's all"): said,
/// not asked.
pub fn says_goodbye(flow: &Flow, understood: Understood) -> bool {
    !understood.is_question() && flow.roles().goodbye.is_some_and(|g| understood.contains(g))
}

/// Whether what the caller said after our goodbye asks for something new:
/// any intent but a goodbye, thanks, a greeting, a bare yes or no (the
/// fillers of a call's last seconds: 好的, 嗯, 谢谢, 拜拜) or "are you
/// there?". Words that match nothing ask for nothing either (N12: the
/// caller hangs up first).
pub fn asks_for_more(flow: &Flow, understood: Understood) -> bool {
    let r = flow.roles();
    let fillers = [r.goodbye, r.thanks, r.hello, r.yes, r.no, r.repeat];
    understood
        .as_slice()
        .iter()
        .any(|&i| !fillers.contains(&Some(i)))
}

#[cfg(test)]
mod tests {
    use super::blank;

    #[test]
    fn blank_speech_is_only_spaces_of_any_script() {
        for text in ["", " ", "\t\n", "\u{3000}", "\u{a0} \u{2003}", "\u{85}"] {
            assert!(blank(text), "{text:?} is blank");
        }
        for text in ["你好", "a", " 好", "\u{3000}是", "\u{7f}", "é", "\u{2003}x"] {
            assert!(!blank(text), "{text:?} holds words");
        }
    }
}
