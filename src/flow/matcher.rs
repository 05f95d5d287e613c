//! Recognising what a caller meant, from their words or keys.
//!
//! Deliberately simple and visible to a script designer: an intent matches
//! when the words contain one of its phrases, and the longest phrase wins so
//! "不可以" (no) beats "可以" (yes). No statistics, nothing hidden.

/// One intent's phrases for one locale, plus its keys.
#[derive(Debug, Clone, Default)]
pub struct Phrases {
    /// Lower-cased phrases, per locale index.
    pub per_locale: Vec<Vec<String>>,
    pub dtmf: Vec<String>,
}

impl Phrases {
    /// Length (in chars) of the longest phrase found in `words`, if any.
    fn best_in(&self, locale: usize, words: &str) -> Option<usize> {
        self.per_locale
            .get(locale)?
            .iter()
            .filter(|p| contains_phrase(words, p))
            .map(|p| p.chars().count())
            .max()
    }
}

/// Finds a phrase as a whole word for alphabetic scripts ("no" must not match
/// "know"), and anywhere for Chinese, which has no spaces between words.
fn contains_phrase(words: &str, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let ascii = phrase.is_ascii();
    words.match_indices(phrase).any(|(i, _)| {
        if !ascii {
            return true;
        }
        let before = words[..i].chars().next_back();
        let after = words[i + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Picks the candidate whose phrase matches best; ties go to the earlier one.
pub fn best_match<'a, T: Copy>(
    candidates: impl IntoIterator<Item = (T, &'a Phrases)>,
    locale: usize,
    words: &str,
) -> Option<T> {
    let words = words.trim().to_lowercase();
    let mut best: Option<(usize, T)> = None;
    for (tag, phrases) in candidates {
        if let Some(len) = phrases.best_in(locale, &words)
            && best.is_none_or(|(l, _)| len > l)
        {
            best = Some((len, tag));
        }
    }
    best.map(|(_, t)| t)
}

/// The candidate that lists exactly these keys.
pub fn match_keys<'a, T: Copy>(
    candidates: impl IntoIterator<Item = (T, &'a Phrases)>,
    digits: &str,
) -> Option<T> {
    candidates
        .into_iter()
        .find(|(_, p)| p.dtmf.iter().any(|d| d == digits))
        .map(|(t, _)| t)
}
