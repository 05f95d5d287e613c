//! ASR slips: recognisers write a homophone for the word said (话费 as
//! 花费, 工号 as 公号, 人工 as 仁工). A character of the caller's words that
//! sounds (toneless pinyin) like a character of the flow's Chinese phrases
//! is written as that character, and the phrases are looked for again.
//!
//! Only characters of phrases of two characters or more are taken: one
//! character alone (是, 好) has too many homophones to mean anything, and
//! a character the phrases already use is never changed.

use std::collections::{HashMap, HashSet};

use pinyin::ToPinyin;

/// Per locale, each sound of the phrases' characters and the character
/// it is written as in the phrases.
#[derive(Debug, Clone, Default)]
pub struct Slips {
    per_locale: Vec<Sounds>,
}

#[derive(Debug, Clone, Default)]
struct Sounds {
    /// Toneless pinyin to the first phrase character that sounds so.
    written: HashMap<&'static str, char>,
    /// Every character the phrases use.
    used: HashSet<char>,
}

impl Slips {
    /// From every locale's phrases (lower-cased, as the matcher holds them).
    pub fn new<'a>(per_locale: impl Iterator<Item = impl Iterator<Item = &'a str>>) -> Slips {
        let per_locale = per_locale
            .map(|phrases| {
                let mut s = Sounds::default();
                for p in phrases {
                    s.used.extend(p.chars());
                    if p.chars().count() < 2 {
                        continue;
                    }
                    for c in p.chars() {
                        if let Some(py) = c.to_pinyin() {
                            s.written.entry(py.plain()).or_insert(c);
                        }
                    }
                }
                s
            })
            .collect();
        Slips { per_locale }
    }

    /// `words` with each slip written as the phrases write it, or `None`
    /// when nothing sounds like a phrase's character. Byte offsets are
    /// kept: a character is only replaced by one of the same length.
    pub fn rewrite(&self, locale: usize, words: &str) -> Option<String> {
        let sounds = self.per_locale.get(locale)?;
        if sounds.written.is_empty() {
            return None;
        }
        let mut changed = false;
        let out = words
            .chars()
            .map(|c| {
                if sounds.used.contains(&c) {
                    return c;
                }
                match c.to_pinyin().and_then(|py| sounds.written.get(py.plain())) {
                    Some(&w) if w.len_utf8() == c.len_utf8() => {
                        changed = true;
                        w
                    }
                    _ => c,
                }
            })
            .collect();
        changed.then_some(out)
    }
}
