//! Compiling how callers are understood: the flow's own words, the
//! front-end's confidence threshold, and the prompts the built-in everyday
//! intents need (thanks, complaint, callback, nuisance).

use std::{ops::Range, sync::Arc};

use super::{Roles, compile::Compiler, raw::RawFlow};

/// Front-end intents at or above this confidence win over the words.
const NLU_CONFIDENCE: f32 = 0.8;

impl Compiler<'_> {
    /// The segmenter's extra words per locale, and the NLU threshold.
    pub(super) fn understanding(
        &mut self,
        raw: &RawFlow,
        locales: &[Arc<str>],
    ) -> (Vec<Vec<String>>, f32) {
        let u = &raw.understanding;
        let mut words = vec![Vec::new(); locales.len()];
        for (locale, list) in &u.words {
            match locales.iter().position(|l| **l == **locale.get_ref()) {
                Some(ix) => {
                    for w in list.get_ref() {
                        if w.trim().is_empty() {
                            self.error(
                                list.span(),
                                None,
                                "understanding.words holds an empty word".into(),
                            );
                        }
                        words[ix].push(w.trim().to_lowercase());
                    }
                }
                None => self.error(
                    locale.span(),
                    None,
                    format!(
                        "understanding.words: {:?} is not a declared locale ({})",
                        locale.get_ref(),
                        locales.iter().map(|l| &**l).collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
        }
        let nlu = match &u.nlu_confidence {
            None => NLU_CONFIDENCE,
            Some(v) if (0.0..=1.0).contains(v.get_ref()) => *v.get_ref() as f32,
            Some(v) => {
                self.error(
                    v.span(),
                    None,
                    format!("nlu_confidence = {} must be between 0 and 1", v.get_ref()),
                );
                NLU_CONFIDENCE
            }
        };
        (words, nlu)
    }

    /// An everyday intent the flow defines needs the prompt that answers it.
    pub(super) fn everyday_prompts(&mut self, roles: &Roles, id_span: &Range<usize>) {
        let needs = [
            (
                roles.thanks,
                roles.thanks_reply,
                "thanks",
                "thanks_reply",
                "000",
                "a caller who thanks or praises us hears a modest thank-you",
            ),
            (
                roles.complaint,
                roles.complaint_reply,
                "complaint",
                "complaint_reply",
                "N17",
                "a complaint gets an apology, a record and a reply within three days",
            ),
            (
                roles.callback,
                roles.callback_reply,
                "callback",
                "callback_reply",
                "N17",
                "a caller who asks to be called back hears when",
            ),
            (
                roles.nuisance,
                roles.nuisance_reply,
                "nuisance",
                "nuisance_reply",
                "N15",
                "a nuisance caller is answered by the norm",
            ),
            (
                roles.nuisance,
                roles.nuisance_goodbye,
                "nuisance",
                "nuisance_goodbye",
                "N15",
                "a nuisance call ends with a goodbye before we hang up",
            ),
        ];
        for (intent, prompt, name, prompt_name, norm, why) in needs {
            if intent.is_some() && prompt.is_none() {
                let norm = if norm == "000" { None } else { Some(norm) };
                self.error(
                    id_span.clone(),
                    norm,
                    format!("intent {name:?} needs prompt {prompt_name:?}: {why}"),
                );
            }
        }
    }
}
