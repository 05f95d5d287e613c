//! What the front-end should collect while the call listens at a step:
//! keys or words, how many keys, which key ends an entry, the pause
//! between keys, and the phrases the step understands (hints for the
//! recogniser). A PBX adapter (Asterisk `Read()`, FreeSWITCH
//! `play_and_get_digits`) reads it from each `Listen` instead of keeping
//! its own table by step.

use std::sync::Arc;

use super::{Flow, IntentIx, LocaleIx, StepIx, steps::StepBehaviour};

/// What a listen collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum InputMode {
    Dtmf,
    Speech,
    DtmfAndSpeech,
}

/// What the front-end collects at one step.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ListenFor {
    pub input: InputMode,
    /// Keys: the fewest and most (0: no bound).
    pub min_digits: u32,
    pub max_digits: u32,
    /// Keys that end an entry.
    pub terminators: Arc<str>,
    /// The pause between keys that ends an entry (0: none).
    pub inter_digit_ms: u32,
    /// The phrases understood here, in the call's locale.
    pub hints: Arc<[Arc<str>]>,
}

impl Flow {
    /// What to collect at `step` in `locale`, from the flow's table.
    pub fn listen_for(&self, step: StepIx, locale: LocaleIx) -> Arc<ListenFor> {
        let locales = self.locales.len().max(1);
        let table = self.listens.get_or_init(|| {
            StepIx::all(self.steps.len())
                .flat_map(|s| (0..locales).map(move |l| (s, l)))
                .map(|(s, l)| Arc::new(self.build_listen_for(s, l)))
                .collect()
        });
        let at = usize::from(step) * locales + usize::from(locale).min(locales - 1);
        match table.get(at) {
            Some(listen) => Arc::clone(listen),
            // A step of this flow is always in its table; built anyway.
            None => Arc::new(self.build_listen_for(step, usize::from(locale))),
        }
    }

    /// What to collect at `step` in `locale`: from the step's kind.
    fn build_listen_for(&self, step: StepIx, locale: usize) -> ListenFor {
        let at = Listening { flow: self, locale };
        self.step(step).kind.listen_for(&at)
    }
}

/// What a kind of step builds its [`ListenFor`] from: the flow and the
/// call's locale, with the pieces most kinds share.
pub struct Listening<'f> {
    pub flow: &'f Flow,
    locale: usize,
}

impl Listening<'_> {
    /// The phrases of `intents` in the locale, each once.
    pub fn phrases(&self, intents: &mut dyn Iterator<Item = IntentIx>) -> Arc<[Arc<str>]> {
        let mut out: Vec<Arc<str>> = Vec::new();
        for i in intents {
            for p in self
                .flow
                .intent(i)
                .phrases
                .per_locale
                .get(self.locale)
                .into_iter()
                .flatten()
            {
                let p: Arc<str> = p.as_str().into();
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
        out.into()
    }

    /// The requests understood at every listening step.
    pub fn anywhere(&self) -> impl Iterator<Item = IntentIx> + '_ {
        self.flow.anywhere.iter().map(|(i, _)| *i)
    }

    /// Where the flow-wide keys apply: any of them, up to the longest.
    pub fn flow_keys(&self, hints: Arc<[Arc<str>]>) -> ListenFor {
        let longest = self
            .flow
            .intents
            .iter()
            .flat_map(|i| i.phrases.dtmf.iter())
            .map(|k| k.len() as u32)
            .max();
        ListenFor {
            input: match longest {
                Some(_) => InputMode::DtmfAndSpeech,
                None => InputMode::Speech,
            },
            min_digits: u32::from(longest.is_some()),
            max_digits: longest.unwrap_or(0),
            terminators: "".into(),
            inter_digit_ms: 0,
            hints,
        }
    }

    /// A yes/no question's: the flow's keys, yes, no and anywhere's words.
    pub fn yes_no(&self) -> ListenFor {
        let roles = self.flow.roles();
        let mut intents = [roles.yes, roles.no]
            .into_iter()
            .flatten()
            .chain(self.anywhere());
        self.flow_keys(self.phrases(&mut intents))
    }

    /// Nothing of the step's own: a step that never waits for the caller
    /// (whatever listens after it, a goodbye's wait, takes words).
    pub fn nothing(&self) -> ListenFor {
        ListenFor {
            input: InputMode::Speech,
            min_digits: 0,
            max_digits: 0,
            terminators: "".into(),
            inter_digit_ms: 0,
            hints: Arc::new([]),
        }
    }
}
