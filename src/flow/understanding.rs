//! Compiling how callers are understood: the flow's own words for the
//! segmenter, and the front-end's confidence threshold.

use std::sync::Arc;

use super::{
    compile::{Checked, Findings, Source},
    raw::RawFlow,
};

/// Front-end intents at or above this confidence win over the words.
const NLU_CONFIDENCE: f32 = 0.8;

/// The segmenter's extra words per locale, and the NLU threshold.
pub(super) fn check_understanding(
    source: &Source<'_>,
    raw: &RawFlow,
    locales: &[Arc<str>],
) -> Checked<(Vec<Vec<String>>, f32)> {
    let mut found = Findings::new(source);
    let u = &raw.understanding;
    let mut words = vec![Vec::new(); locales.len()];
    for (locale, list) in &u.words {
        match locales.iter().position(|l| **l == **locale.get_ref()) {
            Some(ix) => {
                for w in list.get_ref() {
                    if w.trim().is_empty() {
                        found.error(
                            list.span(),
                            None,
                            "understanding.words holds an empty word".into(),
                        );
                    }
                    words[ix].push(w.trim().to_lowercase());
                }
            }
            None => found.error(
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
            found.error(
                v.span(),
                None,
                format!("nlu_confidence = {} must be between 0 and 1", v.get_ref()),
            );
            NLU_CONFIDENCE
        }
    };
    found.done((words, nlu))
}
