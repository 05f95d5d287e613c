//! What kind of event a call met, as the closed set of names the metrics
//! count by (`callscript_events_total{kind=…}`). Audio trouble counts by
//! its own kind, so the set is flatter than `Event`.

use strum::{EnumCount, EnumIter, IntoStaticStr};

use super::{AudioKind, Event};

/// An event's kind, one label value each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, EnumCount, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum EventKind {
    Start,
    PromptPlayed,
    Speech,
    Dtmf,
    NoInput,
    AudioWeak,
    AudioNoisy,
    AudioNone,
    AudioUnknownLanguage,
    TransferResult,
    CallerHangup,
    OperatorHangup,
    FrontEndLost,
    Shutdown,
    TimeLimit,
    Data,
    LookupResult,
    HoldResult,
    InputStarted,
    RecordingResult,
}

impl EventKind {
    /// The label value, and its place among all kinds (the metrics keep
    /// one pre-registered counter per kind, found by index on every event).
    pub fn label(self) -> crate::metrics::Label {
        crate::metrics::Label {
            index: self as usize,
            name: self.into(),
        }
    }
}

impl Event {
    pub fn kind(&self) -> EventKind {
        match self {
            Event::Start => EventKind::Start,
            Event::PromptPlayed => EventKind::PromptPlayed,
            Event::Speech { .. } => EventKind::Speech,
            Event::Dtmf { .. } => EventKind::Dtmf,
            Event::NoInput => EventKind::NoInput,
            Event::Audio(AudioKind::Weak) => EventKind::AudioWeak,
            Event::Audio(AudioKind::Noisy) => EventKind::AudioNoisy,
            Event::Audio(AudioKind::NoAudio) => EventKind::AudioNone,
            Event::Audio(AudioKind::UnknownLanguage) => EventKind::AudioUnknownLanguage,
            Event::TransferResult { .. } => EventKind::TransferResult,
            Event::CallerHangup => EventKind::CallerHangup,
            Event::OperatorHangup => EventKind::OperatorHangup,
            Event::FrontEndLost => EventKind::FrontEndLost,
            Event::Shutdown => EventKind::Shutdown,
            Event::TimeLimit => EventKind::TimeLimit,
            Event::Data { .. } => EventKind::Data,
            Event::LookupResult { .. } => EventKind::LookupResult,
            Event::HoldResult { .. } => EventKind::HoldResult,
            Event::InputStarted => EventKind::InputStarted,
            Event::RecordingResult { .. } => EventKind::RecordingResult,
        }
    }
}

impl super::CallState {
    /// The label value of a turn's state (`callscript_turns_total{state=…}`).
    pub fn label(self) -> crate::metrics::Label {
        crate::metrics::Label {
            index: self as usize,
            name: self.as_str(),
        }
    }
}

/// Every label set the metrics pre-register, so a scrape shows each
/// series from zero.
pub fn metric_labels() -> crate::metrics::LabelSets {
    use strum::IntoEnumIterator;
    crate::metrics::LabelSets {
        event_kinds: EventKind::iter().map(|k| k.into()).collect(),
        turn_states: super::CallState::iter()
            .map(super::CallState::as_str)
            .collect(),
        end_reasons: super::EndReason::iter()
            .map(super::EndReason::as_str)
            .collect(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn kinds_are_named_as_the_metrics_always_named_them() {
        let names: Vec<&str> = EventKind::iter().map(Into::into).collect();
        assert_eq!(
            names,
            [
                "start",
                "prompt_played",
                "speech",
                "dtmf",
                "no_input",
                "audio_weak",
                "audio_noisy",
                "audio_none",
                "audio_unknown_language",
                "transfer_result",
                "caller_hangup",
                "operator_hangup",
                "front_end_lost",
                "shutdown",
                "time_limit",
                "data",
                "lookup_result",
                "hold_result",
                "input_started",
                "recording_result",
            ]
        );
        assert_eq!(EventKind::COUNT, names.len());
        for (i, k) in EventKind::iter().enumerate() {
            assert_eq!(k.label().index, i);
        }
    }

    #[test]
    fn states_and_end_reasons_keep_their_wire_names() {
        use crate::call::{CallState, EndReason};
        let states: Vec<&str> = CallState::iter().map(CallState::as_str).collect();
        assert_eq!(
            states,
            [
                "ringing",
                "listening",
                "confirming_transfer",
                "transferring",
                "confirming_hold",
                "on_hold",
                "looking_up",
                "closing",
                "awaiting_hangup",
                "confirming_switch",
                "checking_handset",
                "ended",
                "in_menu",
                "collecting",
                "recording",
            ]
        );
        for (i, s) in CallState::iter().enumerate() {
            assert_eq!(CallState::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
            assert_eq!(s.label().index, i);
        }
        assert_eq!(CallState::parse("nowhere"), None);
        let reasons: Vec<&str> = EndReason::iter().map(EndReason::as_str).collect();
        assert_eq!(
            reasons,
            [
                "caller_hangup",
                "silence",
                "poor_audio",
                "transferred",
                "operator",
                "line_left_open",
                "front_end_lost",
                "flow_end",
                "shutdown",
                "time_limit",
            ]
        );
    }
}
