//! A scenario's caller steps: what each `[[step]]` makes the caller do
//! (words, keys, silence, a front-end's answer), read before the call
//! starts so a typo fails at once.

use super::{HangupField, ScenarioStep, data, parse_duration};
use crate::call::{AudioKind, Event, NluIntent};

/// What a caller step does, once parsed.
pub(super) enum CallerAct {
    Event(Event),
    Silence,
}

/// `Some` for a caller step, `None` for an expectation.
pub(super) fn parse_step(step: &ScenarioStep) -> Result<Option<CallerAct>, String> {
    let mut acts = Vec::new();
    if let Some(text) = &step.say {
        acts.push(CallerAct::Event(Event::Speech {
            text: text.clone(),
            confidence: step.confidence,
            intents: step
                .intents
                .iter()
                .map(|(name, confidence)| NluIntent {
                    name: name.clone(),
                    confidence: *confidence,
                })
                .collect(),
        }));
    }
    if let Some(digits) = &step.dtmf {
        acts.push(CallerAct::Event(Event::Dtmf {
            digits: digits.clone(),
        }));
    }
    if step.silence {
        acts.push(CallerAct::Silence);
    }
    if let Some(kind) = &step.audio {
        let kind = match kind.as_str() {
            "weak" => AudioKind::Weak,
            "noisy" => AudioKind::Noisy,
            "no_audio" => AudioKind::NoAudio,
            "unknown_language" => AudioKind::UnknownLanguage,
            other => {
                return Err(format!(
                    "audio = {other:?}: expected weak, noisy, no_audio or unknown_language"
                ));
            }
        };
        acts.push(CallerAct::Event(Event::Audio(kind)));
    }
    if step.hangup == Some(HangupField::Caller(true)) {
        acts.push(CallerAct::Event(Event::CallerHangup));
    }
    acts.extend(data::events(step).into_iter().map(CallerAct::Event));
    let expecting = step.expect.is_some() || matches!(step.hangup, Some(HangupField::Reason(_)));
    if let (Some(result), false) = (&step.transfer, expecting) {
        acts.push(CallerAct::Event(data::transfer_result(result)?));
    }
    if let Some(w) = &step.wait {
        parse_duration(w)?;
    }
    let expectation_fields = step.state.is_some()
        || step.lookup.is_some()
        || step.record.is_some()
        || step.in_step.is_some()
        || step.listen_ms.is_some()
        || step.at_ms.is_some()
        || step.ended.is_some()
        || matches!(step.hangup, Some(HangupField::Reason(_)));
    match (acts.len(), expecting) {
        (1, false) if !expectation_fields => Ok(acts.pop()),
        (0, true) if step.wait.is_none() && step.confidence.is_none() => Ok(None),
        (0, false) => Err(
            "a step needs a caller event (say, dtmf, silence, audio, hangup, transfer) \
             or `expect`"
                .into(),
        ),
        _ => Err("a step is either one caller event or one expected turn; split it in two".into()),
    }
}
