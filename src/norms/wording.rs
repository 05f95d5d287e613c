//! N13: wording an agent must never use, and answers that must not end on
//! a 不-word, in Simplified and Traditional Chinese and in English.
//!
//! Words are compared in a *compact* form (lower case, without spaces or
//! punctuation), so "喂,说话呀", "喂，说话呀" and "喂 说话呀" are the same
//! words and "I don't know" matches "i dont know": a prompt cannot slip past
//! `check` by its punctuation, nor an agent's line past the scorer.

use std::{ops::Range, sync::LazyLock};

use aho_corasick::{AhoCorasick, MatchKind};

/// A phrase the norms forbid, and the wording the shipped flows use for
/// what the agent meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forbidden {
    /// As written; compared compact.
    pub phrase: &'static str,
    /// The norm it breaks (docs/norms.md).
    pub norm: &'static str,
    /// What to say instead.
    pub instead: &'static str,
}

const fn n13(phrase: &'static str, instead: &'static str) -> Forbidden {
    Forbidden {
        phrase,
        norm: "N13",
        instead,
    }
}

// The suggestions are the shipped flows' own wording for the same moment:
// the silent caller (N5), unclear audio (N7), a transfer with consent
// (N10), a hold with consent (N11).
const SILENT_ZH_CN: &str = "您好!请问有什么可以帮您?";
const SILENT_GOODBYE_ZH_CN: &str = "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!";
const LOOK_UP_ZH_CN: &str = "我需要为您查询一下,请您稍候,可以吗?";
const TRANSFER_ZH_CN: &str = "为了更好地解决您的问题,我为您转接到负责的同事,请问可以吗?";
const SILENT_ZH_TW: &str = "您好!請問有什麼可以幫您?";
const SILENT_GOODBYE_ZH_TW: &str = "非常抱歉,您的電話沒有聲音,請您換一部電話再打來,再見!";
const LOOK_UP_ZH_TW: &str = "我需要為您查詢一下,請您稍候,可以嗎?";
const TRANSFER_ZH_TW: &str = "為了更好地解決您的問題,我為您轉接到負責的同事,請問可以嗎?";
const SILENT_EN: &str = "Hello! How may I help you?";
const LOOK_UP_EN: &str = "I need to look that up for you. May I put you on hold for a moment?";
const TRANSFER_EN: &str =
    "To solve your problem better, may I transfer you to the team that handles it?";

/// Commanding or impatient wording (N13; the scoring regulations' item 1).
pub const FORBIDDEN: &[Forbidden] = &[
    // Simplified
    n13("喂,说话呀", SILENT_ZH_CN),
    n13("有什么事快说", "请问有什么可以帮您?"),
    n13("不说我挂线啦", SILENT_GOODBYE_ZH_CN),
    n13("再不说话我就挂机", SILENT_GOODBYE_ZH_CN),
    n13("喂,有什么事,说吧", SILENT_ZH_CN),
    n13("我不知道", LOOK_UP_ZH_CN),
    n13("我没空", LOOK_UP_ZH_CN),
    n13("这不是我负责的", TRANSFER_ZH_CN),
    n13("我不负责这块", TRANSFER_ZH_CN),
    n13("我不会处理", TRANSFER_ZH_CN),
    n13("喂,大声点", "非常抱歉,我这边听不清楚,请您大声一点,好吗?"),
    // Traditional (我不知道 is written alike in both, above)
    n13("喂,說話呀", SILENT_ZH_TW),
    n13("有什麼事快說", "請問有什麼可以幫您?"),
    n13("不說我掛線啦", SILENT_GOODBYE_ZH_TW),
    n13("再不說話我就掛機", SILENT_GOODBYE_ZH_TW),
    n13("喂,有什麼事,說吧", SILENT_ZH_TW),
    n13("我沒空", LOOK_UP_ZH_TW),
    n13("這不是我負責的", TRANSFER_ZH_TW),
    n13("我不負責這塊", TRANSFER_ZH_TW),
    n13("我不會處理", TRANSFER_ZH_TW),
    n13("喂,大聲點", "非常抱歉,我這邊聽不清楚,請您大聲一點,好嗎?"),
    // English
    n13("say something", SILENT_EN),
    n13("hurry up", "How may I help you?"),
    n13(
        "or I'll hang up",
        "I'm very sorry, there is no sound on your line. Please call again from another phone. Goodbye!",
    ),
    n13("I don't know", LOOK_UP_EN),
    n13("I'm busy", LOOK_UP_EN),
    n13("not my job", TRANSFER_EN),
    n13("not my responsibility", TRANSFER_EN),
    n13("not my department", TRANSFER_EN),
];

/// 不-words an answer must not end on (N13), compact: say what can be done
/// instead. A question tag that repeats the word around 不 (好不好, 行不行,
/// 可不可以) asks the caller and is fine.
pub const NEGATIVE_ENDINGS: &[&str] = &[
    "不知道",
    "不行",
    "不可以",
    "不清楚",
    "不能",
    "不会",
    "不會",
    "不了",
    "不到",
    "不通",
    "没办法",
    "沒辦法",
    "不负责",
    "不負責",
];

/// The 不-word a line's compact words end on, if any.
pub fn negative_ending(compact: &str) -> Option<&'static str> {
    let end = NEGATIVE_ENDINGS
        .iter()
        .find(|e| compact.ends_with(*e))
        .copied()?;
    let is_question_tag = end.strip_prefix('不').is_some_and(|after| {
        let before = compact[..compact.len() - end.len()].chars().next_back();
        before.is_some_and(|b| after.starts_with(b))
    });
    (!is_question_tag).then_some(end)
}

/// Lower case without whitespace or punctuation (ASCII and CJK).
pub fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    compact_into(text, &mut out, |_| {});
    out
}

/// `compact`, calling `at` with the byte offset in `text` of each byte
/// pushed, so a match in the compact form can be placed in the text.
fn compact_into(text: &str, out: &mut String, mut at: impl FnMut(usize)) {
    for (ix, c) in text.char_indices() {
        let before = out.len();
        match c {
            'a'..='z' | '0'..='9' => out.push(c),
            'A'..='Z' => out.push(c.to_ascii_lowercase()),
            _ if c.is_ascii() => {}
            // CJK ideographs, the bulk of a Chinese line: letters without case.
            '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' => out.push(c),
            _ if c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
        for _ in before..out.len() {
            at(ix);
        }
    }
}

/// One forbidden phrase as a [`Wording`] searches for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// As written.
    pub written: String,
    pub compact: String,
    /// The norm it breaks.
    pub norm: &'static str,
    /// What to say instead; `None` for a phrase `quality.toml` added.
    pub instead: Option<&'static str>,
}

/// What a line breaks: a forbidden phrase, or else a 不-word ending (a
/// line with both is reported for the phrase, the graver fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding<'a> {
    Forbidden(&'a Phrase),
    NegativeEnding(&'static str),
}

/// A phrase added to the built-in ones that has no words to compare.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordingError {
    #[error("{0:?} has no words")]
    NoWords(String),
}

/// The forbidden phrases, built-in and added, searched in one pass.
#[derive(Debug, Clone)]
pub struct Wording {
    phrases: Vec<Phrase>,
    search: AhoCorasick,
}

static BUILT_IN: LazyLock<Wording> = LazyLock::new(|| {
    Wording::with_added(Vec::<String>::new()).expect("the built-in phrases all have words")
});

impl Wording {
    /// The norms' own phrases, which `check` uses.
    pub fn built_in() -> &'static Wording {
        &BUILT_IN
    }

    /// The built-in phrases and `added` after them (`quality.toml`'s own);
    /// one already built in is not listed twice.
    pub fn with_added(
        added: impl IntoIterator<Item = String>,
    ) -> Result<Wording, Vec<WordingError>> {
        let mut phrases: Vec<Phrase> = FORBIDDEN
            .iter()
            .map(|f| Phrase {
                written: f.phrase.to_owned(),
                compact: compact(f.phrase),
                norm: f.norm,
                instead: Some(f.instead),
            })
            .collect();
        let mut errors = Vec::new();
        for written in added {
            let c = compact(&written);
            if c.is_empty() {
                errors.push(WordingError::NoWords(written));
            } else if !phrases.iter().any(|p| p.compact == c) {
                phrases.push(Phrase {
                    written,
                    compact: c,
                    norm: "N13",
                    instead: None,
                });
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Leftmost-first: of two phrases found at one place, the first
        // listed is reported, so a built-in phrase wins over an added one.
        let search = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(phrases.iter().map(|p| &p.compact))
            .expect("non-empty plain strings make an automaton");
        Ok(Wording { phrases, search })
    }

    /// Every phrase, built-in ones first.
    pub fn phrases(&self) -> &[Phrase] {
        &self.phrases
    }

    /// The first forbidden phrase in a line's compact words.
    pub fn forbidden_in(&self, compact: &str) -> Option<&Phrase> {
        self.search
            .find(compact)
            .map(|m| &self.phrases[m.pattern().as_usize()])
    }

    /// What a line, given in compact form, breaks.
    pub fn judge(&self, compact: &str) -> Option<Finding<'_>> {
        match self.forbidden_in(compact) {
            Some(p) => Some(Finding::Forbidden(p)),
            None => negative_ending(compact).map(Finding::NegativeEnding),
        }
    }

    /// What a text breaks, with where in it (bytes): the phrase as the text
    /// writes it, or the whole text for an ending.
    pub fn judge_text(&self, text: &str) -> Option<(Range<usize>, Finding<'_>)> {
        let mut words = String::with_capacity(text.len());
        let mut origin = Vec::with_capacity(text.len());
        compact_into(text, &mut words, |ix| origin.push(ix));
        let place = |compact: Range<usize>| {
            let start = origin.get(compact.start).copied().unwrap_or(0);
            let last = compact.end.checked_sub(1).and_then(|i| origin.get(i));
            let end = last.map_or(start, |&i| {
                i + text[i..].chars().next().map_or(0, char::len_utf8)
            });
            start..end
        };
        match self.search.find(words.as_str()) {
            Some(m) => Some((
                place(m.range()),
                Finding::Forbidden(&self.phrases[m.pattern().as_usize()]),
            )),
            None => {
                negative_ending(&words).map(|end| (0..text.len(), Finding::NegativeEnding(end)))
            }
        }
    }
}
