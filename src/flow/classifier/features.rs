//! A sentence's features, as the classifier compares them: for Chinese,
//! characters, pairs, toneless pinyin, the segmenter's words and concept
//! classes, those after a negator apart; for English, stemmed words, word
//! pairs and concept classes.

use pinyin::ToPinyin;

use crate::flow::concepts;
use crate::flow::matcher::segment;

pub(super) fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ffff}')
}

/// Words every request holds, English and Chinese: as features they only
/// make unrelated lines look alike ("I want to order pizza" like "I want
/// to complain"). Chinese ones are dropped as single characters only;
/// their pairs (要得) still count.
const EN_FILLERS: &[&str] = &[
    "i", "a", "an", "the", "to", "my", "me", "you", "your", "please", "can", "could", "would",
    "is", "it", "do", "i'd", "i'm", "want", "like", "need", "of", "for", "in", "on", "this",
    "that", "and", "just", "so", "some", "be", "with", "at", "um", "well", "oh",
];
/// English question words: no feature alone, as 什么 and 哪 are not, but
/// kept in pairs ("how much").
const EN_QUESTION_WORDS: &[&str] = &[
    "what", "what's", "whats", "how", "where", "when", "who", "why", "which",
];
const ZH_FILLERS: &[char] = &[
    '我', '你', '的', '了', '吗', '嗎', '呢', '啊', '吧', '一', '下', '个', '個', '要', '想', '帮',
    '幫', '请', '請', '这', '這', '那', '是', '嗯', '呀', '就', '有', '给', '給', '哪', '什', '么',
    '麼', '谁', '誰',
];

/// The features of a sentence: for each run of Chinese characters, its
/// characters, pairs and sounds, then the segmenter's longer words; its
/// alphabetic words and their pairs. Each is handed to `found` as it is
/// written (in one reused buffer: a guess allocates no feature).
pub(super) fn features(text: &str, found: &mut impl FnMut(&str)) {
    let lower = text.to_lowercase();
    let mut out = Feature {
        buf: String::new(),
        found,
    };
    let mut run: Vec<char> = Vec::new();
    for c in lower.chars().chain([' ']) {
        if is_cjk(c) {
            run.push(c);
        } else if !run.is_empty() {
            chinese_features(&run, &mut out);
            run.clear();
        }
    }
    if lower.chars().any(is_cjk) {
        for w in segment(&lower) {
            if w.chars().filter(|&c| is_cjk(c)).count() >= 2 {
                out.emit(format_args!("w{w}"));
            }
        }
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'')
        .map(|w| {
            if w.ends_with("n't") || w == "cannot" {
                "not"
            } else {
                w
            }
        })
        .filter(|w| !w.is_empty() && !EN_FILLERS.contains(w))
        .collect();
    for (i, w) in words.iter().enumerate() {
        let stem = stem(w);
        if !EN_QUESTION_WORDS.contains(w) {
            out.emit(format_args!("e{stem}"));
        }
        let next = words.get(i + 1).map(|n| self::stem(n));
        if let Some(next) = next {
            out.emit(format_args!("p{stem} {next}"));
        }
        for class in concepts::english(stem, next).into_iter().flatten() {
            out.concept("", 'e', class);
        }
    }
}

/// Writes one feature at a time into a buffer kept between them.
struct Feature<'f, F: FnMut(&str)> {
    buf: String,
    found: &'f mut F,
}

impl<F: FnMut(&str)> Feature<'_, F> {
    fn emit(&mut self, feature: std::fmt::Arguments<'_>) {
        use std::fmt::Write;
        self.buf.clear();
        // Writing to a String cannot fail.
        let _ = self.buf.write_fmt(feature);
        (self.found)(&self.buf);
    }

    /// A concept class (src/flow/concepts.rs), once per word of it (twice
    /// was no better on the held-out corpora), in its script: a Chinese
    /// line never meets an English example by a class.
    fn concept(&mut self, negated: &str, script: char, class: &str) {
        self.emit(format_args!("{negated}k{script}{class}"));
    }
}

/// Characters after which what is said is negated.
const ZH_NEGATORS: &[char] = &['不', '没', '沒', '别', '別', '甭'];

/// One run of Chinese characters: each character but the fillers; each
/// pair of neighbours, fillers too (要得, 有的), and each pair of
/// characters a filler stands between (查一下话费: 查话); the characters'
/// toneless pinyin and the pinyin of neighbours once the fillers are out,
/// so that Traditional meets Simplified and a homophone its word. Those
/// said after a negator are marked so (the segmenter's words are not).
fn chinese_features<F: FnMut(&str)>(run: &[char], out: &mut Feature<'_, F>) {
    let filler = |c: &char| ZH_FILLERS.contains(c);
    // After a negator (not the 不 of A-not-A, 欠不欠), to the end of the
    // run, the features are others: 我不想跟机器说话 says nothing of
    // 你是机器吗.
    let mut negated = false;
    let scope: Vec<&str> = run
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mark = if negated { "!" } else { "" };
            let a_not_a = i > 0 && run.get(i + 1) == Some(&run[i - 1]);
            negated |= ZH_NEGATORS.contains(c) && !a_not_a;
            mark
        })
        .collect();
    for (i, w) in run.windows(2).enumerate() {
        out.emit(format_args!("{}b{}{}", scope[i + 1], w[0], w[1]));
    }
    let mut last: Option<(usize, char)> = None;
    let mut sound_before: Option<&str> = None;
    for (i, &c) in run.iter().enumerate() {
        if filler(&c) {
            continue;
        }
        let n = scope[i];
        out.emit(format_args!("{n}c{c}"));
        if let Some((j, p)) = last
            && j + 1 < i
        {
            out.emit(format_args!("{n}b{p}{c}"));
        }
        last = Some((i, c));
        let sound = c.to_pinyin().map_or("?", |p| p.plain());
        out.emit(format_args!("{n}y{sound}"));
        if let Some(prev) = sound_before {
            out.emit(format_args!("{n}z{prev} {sound}"));
        }
        sound_before = Some(sound);
    }
    let text: String = run.iter().collect();
    concepts::chinese(&text, &mut |class, at| out.concept(scope[at], 'z', class));
}

/// English words without their commonest endings, so "charges" meets
/// "charged" and "charging". (Before this, every "n't" became "not": the
/// verbs it hangs on are fillers, and "can't hear" is "couldn't hear".)
pub(crate) fn stem(word: &str) -> &str {
    let word = word.trim_end_matches("'s");
    ["ing", "ed", "es", "s", "ly"]
        .iter()
        .find_map(|suffix| word.strip_suffix(suffix).filter(|stem| stem.len() >= 3))
        .unwrap_or(word)
}
