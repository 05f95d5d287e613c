//! Settings: intents and their phrases, counts and timers, and the
//! reserved prompts and intents the call machine relies on (roles).

use super::*;

impl Compiler<'_> {
    pub(super) fn intents(
        &mut self,
        raw: &RawFlow,
        locales: &[Arc<str>],
    ) -> (Vec<Intent>, HashMap<String, IntentIx>) {
        let mut intents = Vec::new();
        let mut names = HashMap::new();
        let Some(table) = &raw.intents else {
            return (intents, names);
        };
        for (name, fields) in table.get_ref() {
            let mut phrases = Phrases {
                per_locale: vec![Vec::new(); locales.len()],
                dtmf: Vec::new(),
            };
            for (key, list) in fields.get_ref() {
                match key.get_ref().as_str() {
                    "dtmf" => {
                        for keys in list.get_ref() {
                            let k = keys.get_ref();
                            if k.is_empty() || !k.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#') {
                                self.error(keys.span(), None, format!("dtmf entry {k:?} may hold only 0-9, * and #"));
                            }
                            phrases.dtmf.push(k.clone());
                        }
                    }
                    locale => match locales.iter().position(|l| &**l == locale) {
                        Some(ix) => {
                            for p in list.get_ref() {
                                if p.get_ref().trim().is_empty() {
                                    self.error(p.span(), None, format!("intent {:?} has an empty phrase", name.get_ref()));
                                }
                                phrases.per_locale[ix].push(p.get_ref().trim().to_lowercase());
                            }
                        }
                        None => self.error(
                            key.span(),
                            None,
                            format!("intent {:?}: {locale:?} is neither a declared locale ({}) nor `dtmf`", name.get_ref(), join(locales)),
                        ),
                    },
                }
            }
            for (ix, l) in locales.iter().enumerate() {
                if phrases.per_locale[ix].is_empty() {
                    self.warn(name.span(), None, format!("intent {:?} has no phrases for {l}: callers speaking {l} can only choose it by keys", name.get_ref()));
                }
            }
            names.insert(name.get_ref().clone(), intents.len() as IntentIx);
            intents.push(Intent {
                name: name.get_ref().as_str().into(),
                phrases,
            });
        }
        (intents, names)
    }

    pub(super) fn millis(
        &mut self,
        value: &Option<Sp<i64>>,
        what: &str,
        range: Range<i64>,
        default: Duration,
    ) -> Duration {
        match value {
            None => default,
            Some(v) if range.contains(v.get_ref()) => Duration::from_millis(*v.get_ref() as u64),
            Some(v) => {
                self.error(
                    v.span(),
                    None,
                    format!(
                        "{what} = {} is not a usable timer: it must be from {} to {} ms",
                        v.get_ref(),
                        range.start,
                        range.end - 1
                    ),
                );
                default
            }
        }
    }

    pub(super) fn count(
        &mut self,
        value: &Option<Sp<i64>>,
        what: &str,
        range: Range<i64>,
        default: u8,
        norm: Option<&'static str>,
    ) -> u8 {
        match value {
            None => default,
            Some(v) if range.contains(v.get_ref()) => *v.get_ref() as u8,
            Some(v) => {
                self.error(
                    v.span(),
                    norm,
                    format!(
                        "{what} = {} must be from {} to {}",
                        v.get_ref(),
                        range.start,
                        range.end - 1
                    ),
                );
                default
            }
        }
    }

    pub(super) fn timing(&mut self, raw: &RawFlow) -> Timing {
        let t = &raw.timing;
        let d = Timing::default();
        let low_confidence = match &t.low_confidence {
            None => d.low_confidence,
            Some(v) if (0.0..=1.0).contains(v.get_ref()) => *v.get_ref() as f32,
            Some(v) => {
                self.error(
                    v.span(),
                    None,
                    format!("low_confidence = {} must be between 0 and 1", v.get_ref()),
                );
                d.low_confidence
            }
        };
        Timing {
            no_input: self.millis(&t.no_input_ms, "no_input_ms", 1000..60_001, d.no_input),
            // Fewer than three silence prompts breaks N5 outright.
            silence_prompts: self.count(
                &t.silence_prompts,
                "silence_prompts",
                3..11,
                d.silence_prompts,
                Some("N5"),
            ),
            unclear_attempts: self.count(
                &t.unclear_attempts,
                "unclear_attempts",
                1..11,
                d.unclear_attempts,
                None,
            ),
            consent_wait: self.millis(
                &t.consent_wait_ms,
                "consent_wait_ms",
                1000..60_001,
                d.consent_wait,
            ),
            caller_hangup_wait: self.millis(
                &t.caller_hangup_wait_ms,
                "caller_hangup_wait_ms",
                1000..300_001,
                d.caller_hangup_wait,
            ),
            low_confidence,
            not_understood_attempts: self.count(
                &t.not_understood_attempts,
                "not_understood_attempts",
                1..11,
                d.not_understood_attempts,
                None,
            ),
            language_attempts: self.count(
                &t.language_attempts,
                "language_attempts",
                1..11,
                d.language_attempts,
                Some("N9"),
            ),
            consent_attempts: self.count(
                &t.consent_attempts,
                "consent_attempts",
                1..11,
                d.consent_attempts,
                Some("N10"),
            ),
            max_step_visits: self.count(
                &t.max_step_visits,
                "max_step_visits",
                2..51,
                d.max_step_visits,
                None,
            ),
            nuisance_turns: self.count(
                &t.nuisance_turns,
                "nuisance_turns",
                1..11,
                d.nuisance_turns,
                Some("N15"),
            ),
            max_call: self.millis(
                &t.max_call_ms,
                "max_call_ms",
                60_000..86_400_001,
                d.max_call,
            ),
            lookup_quiet: self.millis(
                &t.lookup_quiet_ms,
                "lookup_quiet_ms",
                0..10_001,
                d.lookup_quiet,
            ),
            lookup_timeout: self.millis(
                &t.lookup_timeout_ms,
                "lookup_timeout_ms",
                1000..120_001,
                d.lookup_timeout,
            ),
        }
    }

    /// Resolves the reserved prompts and intents the call machine relies on.
    pub(super) fn roles(&mut self, names: &Names, id_span: &Range<usize>) -> Roles {
        let p = |id: &str| names.prompts.get(id).copied();
        let i = |id: &str| names.intents.get(id).copied();
        let mut required = |id: &str, norm: &'static str, why: &str| {
            p(id).unwrap_or_else(|| {
                self.error(
                    id_span.clone(),
                    Some(norm),
                    format!("missing prompt {id:?}: {why}"),
                );
                0
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
            greeting_reply: p("greeting_reply"),
            greeting_reply_by_part: [
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
            greeting: i("greeting"),
            agent_number_intent: i("agent_number"),
            agent: i("agent"),
            person: None,
            thanks: i("thanks"),
            complaint: i("complaint"),
            repeat: i("repeat"),
            callback: i("callback"),
            nuisance: i("nuisance"),
        };
        self.everyday_prompts(&roles, id_span);
        if roles.greeting.is_some() && roles.greeting_reply.is_none() {
            self.error(id_span.clone(), Some("N6"), "intent \"greeting\" needs prompt \"greeting_reply\": a caller who greets us gets a polite answer".into());
        }
        if roles.agent_number_intent.is_some() && roles.agent_number.is_none() {
            self.error(id_span.clone(), Some("N14"), "intent \"agent_number\" needs prompt \"agent_number\": a caller who asks for the agent number hears it".into());
        }
        roles
    }
}
