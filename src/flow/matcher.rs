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
    occurrences(words, phrase).any(|i| {
        if !ascii {
            return true;
        }
        let before = words[..i].chars().next_back();
        let after = words[i + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Byte offsets where `phrase` occurs in `words`. A plain scan: callers'
/// words are a sentence or two, and the profile showed `str::match_indices`
/// spending most of an event setting up its two-way searcher for each of a
/// flow's phrases. Every offset is a char boundary, because a UTF-8 lead
/// byte (the phrase's first) never equals a continuation byte.
fn occurrences<'a>(words: &'a str, phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let phrase = phrase.as_bytes();
    words
        .as_bytes()
        .windows(phrase.len().max(1))
        .enumerate()
        .filter(move |(_, window)| window[0] == phrase[0] && *window == phrase)
        .map(|(i, _)| i)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_are_found_anywhere_in_chinese_and_as_whole_words_otherwise() {
        assert!(contains_phrase("你的工号是多少", "工号"));
        assert!(contains_phrase("工号", "工号"));
        assert!(
            !contains_phrase("工", "工号"),
            "a phrase longer than the words"
        );
        assert!(!contains_phrase("", "工号"));
        assert!(
            contains_phrase("i don't know. no", "no"),
            "a later whole word"
        );
        assert!(!contains_phrase("i don't know", "no"));
        assert!(contains_phrase("no, thanks", "no"));
        assert!(contains_phrase("可以吗", "可以"));
        // 号 (U+53F7) ends in byte 0xB7, which no phrase's first byte equals.
        assert_eq!(occurrences("号号", "号").collect::<Vec<_>>(), [0, 3]);
    }

    #[test]
    fn the_longest_phrase_wins() {
        let yes = Phrases {
            per_locale: vec![vec!["可以".into(), "是".into()]],
            dtmf: vec!["1".into()],
        };
        let no = Phrases {
            per_locale: vec![vec!["不可以".into(), "不".into()]],
            dtmf: vec!["2".into()],
        };
        let both = [("yes", &yes), ("no", &no)];
        assert_eq!(best_match(both, 0, "不可以"), Some("no"));
        assert_eq!(best_match(both, 0, " 可以 "), Some("yes"));
        assert_eq!(best_match(both, 0, "好的"), None);
        assert_eq!(match_keys(both, "2"), Some("no"));
    }
}
