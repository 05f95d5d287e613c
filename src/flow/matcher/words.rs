//! Which phrases stand as words in Chinese: the segmenter, the built-in
//! neutral words, and the word boundaries around a one-character phrase.

use std::sync::LazyLock;

use jieba_rs::Jieba;

use super::Hit;

/// The segmenter, shared by every flow: its dictionary is large (loaded
/// once per process, when the first flow with Chinese phrases compiles).
pub(super) static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Words that contain a yes/no word but answer nothing: politeness,
/// reassurance, and the A-not-A question forms (好不好 "is it OK?").
/// Simplified and Traditional forms; used for every Chinese locale.
pub(super) const NEUTRAL_WORDS: &[&str] = &[
    "不好意思",
    "没关系",
    "沒關係",
    "不客气",
    "不客氣",
    "对不起",
    "對不起",
    "不要紧",
    "不要緊",
    "好不好",
    "是不是",
    "行不行",
    "可不可以",
    "对不对",
    "對不對",
    "要不要",
    "能不能",
    "有没有",
    "有沒有",
    "不一定",
    "不是吗",
    "不是嗎",
    "不用谢",
    "不用謝",
    "好不容易",
];

/// Keeps the hits that stand as words: none inside a neutral word, and a
/// one-character phrase only as a word by itself, which is the one case
/// that needs the segmenter (on a few characters around it).
pub(super) fn chinese_words<'h>(
    found: &WordsFound,
    words: &str,
    hits: &'h mut [Hit],
) -> &'h mut [Hit] {
    let mut span: Option<(usize, usize)> = None;
    for h in hits.iter().filter(|h| h.needs_segmenter(found)) {
        let (s, e) = span.unwrap_or((h.start, h.end));
        span = Some((s.min(h.start), e.max(h.end)));
    }
    let segmented = span.map(|span| found.segment(words, span));
    let mut kept = 0;
    for i in 0..hits.len() {
        let h = hits[i];
        let ok = !h.chinese
            || (!found.in_neutral(h.start, h.end)
                && (!h.one_char
                    || segmented
                        .as_ref()
                        .is_some_and(|s| s.one_word(h.start, h.end))));
        if ok {
            hits[kept] = h;
            kept += 1;
        }
    }
    &mut hits[..kept]
}

/// Most dictionary words of one utterance taken into account.
pub(super) const MAX_WORDS: usize = 16;
/// Characters of context segmented on each side of a one-character phrase.
const CONTEXT: usize = 2;

/// The flow's words and the neutral words found in an utterance.
pub(super) struct WordsFound {
    /// Byte ranges, and whether the word is neutral.
    pub(super) found: [(usize, usize, bool); MAX_WORDS],
    pub(super) n: usize,
}

impl WordsFound {
    pub(super) fn push(&mut self, start: usize, end: usize, neutral: bool) {
        if self.n < MAX_WORDS {
            self.found[self.n] = (start, end, neutral);
            self.n += 1;
        }
    }

    fn all(&self) -> &[(usize, usize, bool)] {
        &self.found[..self.n]
    }

    /// Whether `start..end` lies inside a neutral word (不好 in 不好意思).
    pub(super) fn in_neutral(&self, start: usize, end: usize) -> bool {
        self.all()
            .iter()
            .any(|&(s, e, neutral)| neutral && s <= start && end <= e)
    }

    /// Segments `span` of `words`, with a few characters of context, into
    /// word boundaries: the segmenter's, plus the ends of the words found,
    /// with none inside a neutral word.
    fn segment(&self, words: &str, span: (usize, usize)) -> Segmented {
        let from = words[..span.0]
            .char_indices()
            .rev()
            .nth(CONTEXT - 1)
            .map_or(0, |(i, _)| i);
        let to = words[span.1..]
            .char_indices()
            .nth(CONTEXT)
            .map_or(words.len(), |(i, _)| span.1 + i);
        let mut b = Bits::new(to - from + 1);
        b.set(0, true);
        b.set(to - from, true);
        for token in JIEBA.cut(&words[from..to], false) {
            b.set(token.byte_start, true);
            b.set(token.byte_end, true);
        }
        for &(s, e, neutral) in self.all() {
            let (s, e) = (s.max(from), e.min(to));
            if s >= e {
                continue;
            }
            b.set(s - from, true);
            b.set(e - from, true);
            if neutral {
                for i in s - from + 1..e - from {
                    b.set(i, false);
                }
            }
        }
        Segmented { from, bits: b }
    }
}

/// Word boundaries of part of an utterance, as byte offsets from `from`.
struct Segmented {
    from: usize,
    bits: Bits,
}

impl Segmented {
    /// Whether `start..end` is a word by itself (是 is not in 但是, 好 not
    /// in 只好).
    fn one_word(&self, start: usize, end: usize) -> bool {
        self.bits.get(start - self.from) && self.bits.get(end - self.from)
    }
}

/// A small bit set, on the stack for the usual few words.
enum Bits {
    Inline(u128),
    Heap(Vec<bool>),
}

impl Bits {
    fn new(len: usize) -> Bits {
        if len <= 128 {
            Bits::Inline(0)
        } else {
            Bits::Heap(vec![false; len])
        }
    }

    fn set(&mut self, i: usize, on: bool) {
        match self {
            Bits::Inline(bits) if on => *bits |= 1 << i,
            Bits::Inline(bits) => *bits &= !(1 << i),
            Bits::Heap(v) => v[i] = on,
        }
    }

    fn get(&self, i: usize) -> bool {
        match self {
            Bits::Inline(bits) => *bits & (1 << i) != 0,
            Bits::Heap(v) => v[i],
        }
    }
}

/// The segmenter's words of `text`, in order (the classifier's features).
pub fn segment(text: &str) -> Vec<&str> {
    JIEBA.cut(text, false).into_iter().map(|t| t.word).collect()
}
