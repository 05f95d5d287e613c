//! Intents learned from examples: whole sentences a caller might say,
//! compared with what the caller did say when no phrase of the flow is in
//! it.
//!
//! The model is TF-IDF nearest neighbour. Each sentence becomes a sparse
//! vector of features: for Chinese, characters, character pairs (also
//! across a filler: 查一下话费 holds 查话), the same in toneless pinyin,
//! and the segmenter's words of two characters or more; for alphabetic
//! scripts, stemmed words and word pairs. A feature weighs `(1 + ln tf) ·
//! idf`, vectors are unit length, and an intent's confidence is the
//! cosine with its nearest example.
//!
//! What each choice is worth was measured on the labelled corpora
//! (tests/understanding: the first corpus to choose, the held-out one to
//! check), README "Understanding callers":
//!
//! - **Pinyin** lets one script's examples answer the other (話費 and 话费
//!   sound alike) and hears ASR slips the phrases' pinyin pass misses
//!   (化费); with it, **the Chinese locales share their examples**.
//! - **idf counts intents, not examples**: a word in ten bill examples and
//!   nowhere else is the bill's best word, where counting examples made it
//!   the weakest (held-out +5 points).
//! - **What follows a negator in its clause is another feature** (不想跟
//!   机器说话 is no evidence for 你是机器吗; hotline +2 lines). The same
//!   for English "not" lost two held-out lines and is left out.
//! - **Question words are no feature of their own** in either script (你是
//!   哪位 is not the agent number, "what's the weather" not the bill), but
//!   stay in pairs ("how much").
//! - **Concept classes** (src/flow/concepts.rs): a word of a class (扣,
//!   账单, "owe": money) is also the class, so a line meets examples that
//!   say the same thing in other words (hotline held out +4.6 points).
//! - **Only an intent that could count is guessed**: where the nearest
//!   example is a yes in a question, or a request the line negates, the
//!   nearest of the others is taken instead of nothing.
//! - **Each clause of a line is also compared on its own**, and the
//!   likeliest of the line and its clauses counts: a request among talk
//!   (我在上班,下班再说) is near its examples only without the talk
//!   (held out: hotline +2 lines, outbound +1).
//! - **A line's concept classes are also compared with each intent's**
//!   (its examples' classes summed), at [`GIST_WEIGHT`]: 气死我了 shares
//!   no character with an example yet its class is the complaint's
//!   (hotline held out +3 lines).
//! - Measured and left out: character triples (fewer hits: too few
//!   examples share one), k nearest neighbours with k = 2 or 3 (the mean
//!   of an intent's best k falls below any one threshold for intents with
//!   few close examples), per-locale thresholds (the locales' scores of
//!   right and wrong answers overlap alike), an intent's confidence raised
//!   toward the cosine with all its examples summed (a centroid: it is
//!   nearly never nearer than the nearest example, so nothing moved), a
//!   concept counted twice, min_confidence 0.3 to 0.45 (0.4 stays).
//!
//! Why nearest neighbour rather than a linear model: training is one pass
//! (no iterations, nothing random, so the same file always gives the same
//! model), a designer can be told which example a line was taken for
//! (`callscript understand`), and one new example fixes one miss without
//! moving every other decision. Training both shipped flows takes
//! milliseconds (BENCHMARKS.md).
//!
//! A linear model over the same features was measured and left out
//! (issue 25): multinomial logistic
//! regression, 30 SGD passes in a fixed order, L2-regularised, trained at
//! load (debug build: 280 ms of the hotline's 500 ms compile). Chosen on
//! the held-out corpora alone: in place of nearest neighbour, hotline
//! 89.6 % and outbound 78.2 % (from 91.9 / 87.2: sure of an intent on one
//! shared character); the higher of the two, outbound 82 to 87 %; a mix,
//! +2 hotline lines at weight 0.05, outbound lines lost from 0.15; as a
//! veto (a similarity lowered by up to 2 to 10 % where the model prefers
//! another intent), hotline 93.1 % (+2 lines), the rest unchanged. Read
//! once, the blind corpora were unchanged (91.2 / 88.8 %): no gain that
//! generalises, for a model and its training time in every flow.

use std::collections::{HashMap, HashSet};

mod features;

use super::IntentIx;
use super::matcher::ends_clause;
pub(crate) use features::stem;
use features::{features, is_cjk};

/// One example, as a sparse unit vector.
#[derive(Debug, Clone)]
struct Example {
    intent: IntentIx,
    /// Its intent's place in [`LocaleModel::gists`].
    slot: usize,
    /// Written for this locale, not shared by another of its script.
    own: bool,
    text: String,
    /// (feature, weight), sorted by feature.
    vector: Vec<(u32, f32)>,
}

/// One locale's examples and vocabulary.
#[derive(Debug, Clone, Default)]
struct LocaleModel {
    vocabulary: HashMap<String, u32>,
    idf: Vec<f32>,
    examples: Vec<Example>,
    /// Whether each feature is a concept class.
    concept: Vec<bool>,
    /// Each intent's concept classes over all its examples, as a unit
    /// vector, in the order the intents were first seen.
    gists: Vec<(IntentIx, Vec<(u32, f32)>)>,
    /// For each feature, the examples that have it with their weight, in
    /// example order: a line is scored against every example by walking
    /// only its own features' lists, not every example's whole vector
    /// (a line of a few dozen features meets a few hundred examples).
    postings: Vec<Vec<(u32, f32)>>,
}

/// Every intent's examples, per locale, ready to compare.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    locales: Vec<LocaleModel>,
}

/// The intent a sentence is most like, and the example it is nearest to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guess {
    pub intent: IntentIx,
    /// Cosine similarity with the nearest example: 1 for the example itself.
    pub score: f32,
    /// Index of that example in its locale (see [`Classifier::example`]).
    pub example: usize,
    /// The score is the line's concept classes against the intent's, not
    /// the nearest example's (which `example` still names).
    pub by_concepts: bool,
}

/// Two intents a designer should tell apart better.
#[derive(Debug, Clone, PartialEq)]
pub enum Collision {
    /// The same sentence is an example of both.
    Same {
        locale: usize,
        sentence: String,
        intents: (IntentIx, IntentIx),
    },
    /// Left out of the model, this many of `of`'s examples are taken for
    /// `for_`.
    Confused {
        locale: usize,
        of: IntentIx,
        for_: IntentIx,
        count: usize,
        total: usize,
    },
}

impl Classifier {
    /// Learns from `examples[intent][locale]`: sentences as written. A
    /// Chinese locale (most of its examples in Chinese characters) also
    /// learns from every other Chinese locale's examples, after its own.
    pub fn train(examples: &[Vec<Vec<String>>], locales: usize) -> Classifier {
        let chinese: Vec<bool> = (0..locales)
            .map(|l| {
                let sentences = || examples.iter().filter_map(|p| p.get(l)).flatten();
                let zh = sentences().filter(|s| s.chars().any(is_cjk)).count();
                zh > 0 && zh * 2 > sentences().count()
            })
            .collect();
        let locales = (0..locales)
            .map(|locale| {
                let others = (0..locales).filter(|&o| o != locale && chinese[locale] && chinese[o]);
                let sentences = std::iter::once(locale).chain(others).flat_map(|from| {
                    examples
                        .iter()
                        .enumerate()
                        .flat_map(move |(ix, per_locale)| {
                            per_locale
                                .get(from)
                                .into_iter()
                                .flatten()
                                .map(move |s| (IntentIx::new(ix), s, from == locale))
                        })
                });
                LocaleModel::train(sentences)
            })
            .collect();
        Classifier { locales }
    }

    /// Whether any locale has an example.
    pub fn is_empty(&self) -> bool {
        self.locales.iter().all(|l| l.examples.is_empty())
    }

    /// The intent `words` are most like among those `admit` lets count,
    /// if any of its examples shares a feature.
    pub fn guess(
        &self,
        locale: usize,
        words: &str,
        admit: impl Fn(IntentIx) -> bool,
    ) -> Option<Guess> {
        let model = self.locales.get(locale)?;
        let mut best = model.likeliest(&model.vector(words), &admit);
        // A long line's request is often one clause among talk: each
        // clause is also compared on its own, and the likeliest counts.
        if words.contains(ends_clause) {
            for clause in words.split(ends_clause).filter(|c| !c.trim().is_empty()) {
                let g = model.likeliest(&model.vector(clause), &admit);
                if let Some(g) = g
                    && best.is_none_or(|b| g.score > b.score)
                {
                    best = Some(g);
                }
            }
        }
        best
    }

    /// The text of example `ix` of `locale`.
    pub fn example(&self, locale: usize, ix: usize) -> &str {
        self.locales
            .get(locale)
            .and_then(|l| l.examples.get(ix))
            .map_or("", |e| e.text.as_str())
    }

    /// Intents whose examples collide: the same sentence in two, or, each
    /// example left out in turn, a tenth or more of an intent's examples
    /// (two at least) taken for another at or above `min_confidence`.
    /// Only a locale's own examples are checked (another locale's are
    /// checked in theirs), against all it learnt from.
    pub fn collisions(&self, min_confidence: f32) -> Vec<Collision> {
        let mut out = Vec::new();
        for (locale, model) in self.locales.iter().enumerate() {
            let mut seen: HashMap<String, IntentIx> = HashMap::new();
            let mut confused: HashMap<(IntentIx, IntentIx), usize> = HashMap::new();
            let mut totals: HashMap<IntentIx, usize> = HashMap::new();
            for (ix, e) in model.examples.iter().enumerate().filter(|(_, e)| e.own) {
                *totals.entry(e.intent).or_default() += 1;
                let key = normalise(&e.text);
                match seen.get(&key) {
                    Some(&other) if other != e.intent => out.push(Collision::Same {
                        locale,
                        sentence: e.text.clone(),
                        intents: (other, e.intent),
                    }),
                    Some(_) => {}
                    None => {
                        seen.insert(key, e.intent);
                    }
                }
                if let Some(g) = model.nearest(&e.vector, Some(ix))
                    && g.intent != e.intent
                    && g.score >= min_confidence
                {
                    *confused.entry((e.intent, g.intent)).or_default() += 1;
                }
            }
            let mut pairs: Vec<_> = confused.into_iter().collect();
            pairs.sort_unstable_by_key(|&((a, b), _)| (a, b));
            for ((of, for_), count) in pairs {
                let total = totals.get(&of).copied().unwrap_or(0);
                if count >= 2 && count * 10 >= total {
                    out.push(Collision::Confused {
                        locale,
                        of,
                        for_,
                        count,
                        total,
                    });
                }
            }
        }
        out
    }
}

impl LocaleModel {
    fn train<'a>(sentences: impl Iterator<Item = (IntentIx, &'a String, bool)>) -> LocaleModel {
        let mut model = LocaleModel::default();
        let mut counted: Vec<(IntentIx, &String, bool, Counts)> = Vec::new();
        // The intents each feature is seen in.
        let mut seen_in: Vec<HashSet<IntentIx>> = Vec::new();
        for (intent, text, own) in sentences {
            let mut counts: HashMap<u32, u32> = HashMap::new();
            features(text, &mut |f| {
                let id = match model.vocabulary.get(f) {
                    Some(&id) => id,
                    None => {
                        let id = model.vocabulary.len() as u32;
                        model.vocabulary.insert(f.to_owned(), id);
                        seen_in.push(HashSet::new());
                        id
                    }
                };
                seen_in[id as usize].insert(intent);
                *counts.entry(id).or_default() += 1;
            });
            let mut counts: Vec<(u32, u32)> = counts.into_iter().collect();
            counts.sort_unstable();
            counted.push((intent, text, own, counts));
        }
        let intents = counted.iter().map(|c| c.0).collect::<HashSet<_>>().len() as f32;
        model.idf = seen_in
            .iter()
            .map(|s| ((intents + 1.0) / (s.len() as f32 + 1.0)).ln() + 1.0)
            .collect();
        model.concept = vec![false; model.idf.len()];
        for (f, &id) in &model.vocabulary {
            model.concept[id as usize] = f.trim_start_matches('!').starts_with('k');
        }
        let mut sums: Vec<(IntentIx, HashMap<u32, f32>)> = Vec::new();
        model.examples = counted
            .into_iter()
            .map(|(intent, text, own, counts)| {
                let vector = model.weigh(counts);
                let slot = sums
                    .iter()
                    .position(|(i, _)| *i == intent)
                    .unwrap_or_else(|| {
                        sums.push((intent, HashMap::new()));
                        sums.len() - 1
                    });
                for (id, w) in model.concepts_of(&vector) {
                    *sums[slot].1.entry(id).or_default() += w;
                }
                Example {
                    intent,
                    slot,
                    own,
                    text: text.clone(),
                    vector,
                }
            })
            .collect();
        model.gists = sums
            .into_iter()
            .map(|(intent, sum)| {
                let mut v: Vec<(u32, f32)> = sum.into_iter().collect();
                v.sort_unstable_by_key(|&(id, _)| id);
                unit(&mut v);
                (intent, v)
            })
            .collect();
        model.postings = vec![Vec::new(); model.idf.len()];
        for (ix, e) in model.examples.iter().enumerate() {
            for &(id, w) in &e.vector {
                model.postings[id as usize].push((ix as u32, w));
            }
        }
        model
    }

    /// `vector`'s cosine with every example, as [`cosine`] gives it: each
    /// example's products are added in the same (feature) order, so the
    /// sums are the same to the bit.
    fn cosines(&self, vector: &[(u32, f32)]) -> Vec<f32> {
        let mut sums = vec![0.0f32; self.examples.len()];
        for &(id, w) in vector {
            for &(ix, ew) in &self.postings[id as usize] {
                sums[ix as usize] += w * ew;
            }
        }
        sums
    }

    /// The concept classes of `vector`, as a unit vector.
    fn concepts_of(&self, vector: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let mut v: Vec<(u32, f32)> = vector
            .iter()
            .copied()
            .filter(|&(id, _)| self.concept[id as usize])
            .collect();
        unit(&mut v);
        v
    }

    /// The likeliest intent `admit` lets count: by its nearest example's
    /// cosine, or by the line's concept classes against the intent's,
    /// whichever is higher. Ties go to the first written (example, then
    /// intent), so the answer never depends on hashing.
    fn likeliest(&self, vector: &[(u32, f32)], admit: &impl Fn(IntentIx) -> bool) -> Option<Guess> {
        let mut best: Option<Guess> = None;
        let mut nearest: Vec<(f32, usize)> = vec![(0.0, 0); self.gists.len()];
        let cosines = self.cosines(vector);
        for ((ix, e), &score) in self.examples.iter().enumerate().zip(&cosines) {
            if score > nearest[e.slot].0 {
                nearest[e.slot] = (score, ix);
            }
            if score > 0.0 && best.is_none_or(|b| score > b.score) && admit(e.intent) {
                best = Some(Guess {
                    intent: e.intent,
                    score,
                    example: ix,
                    by_concepts: false,
                });
            }
        }
        let concepts = self.concepts_of(vector);
        if !concepts.is_empty() {
            for ((intent, gist), &(_, example)) in self.gists.iter().zip(&nearest) {
                let score = GIST_WEIGHT * cosine(&concepts, gist);
                if score > 0.0 && best.is_none_or(|b| score > b.score) && admit(*intent) {
                    best = Some(Guess {
                        intent: *intent,
                        score,
                        example,
                        by_concepts: true,
                    });
                }
            }
        }
        best
    }

    /// Unit TF-IDF vector of counted features, sorted by feature.
    fn weigh(&self, counts: Vec<(u32, u32)>) -> Vec<(u32, f32)> {
        let mut v: Vec<(u32, f32)> = counts
            .into_iter()
            .map(|(id, tf)| (id, (1.0 + (tf as f32).ln()) * self.idf[id as usize]))
            .collect();
        unit(&mut v);
        v
    }

    /// What the caller said, in this locale's features; words never seen
    /// in an example count for nothing.
    fn vector(&self, words: &str) -> Vec<(u32, f32)> {
        let mut counts: HashMap<u32, u32> = HashMap::new();
        features(words, &mut |f| {
            if let Some(&id) = self.vocabulary.get(f) {
                *counts.entry(id).or_default() += 1;
            }
        });
        let mut counts: Vec<(u32, u32)> = counts.into_iter().collect();
        counts.sort_unstable();
        self.weigh(counts)
    }

    /// The nearest example to `vector` (leaving out `skip`); ties go to
    /// the first written, so the answer never depends on hashing.
    fn nearest(&self, vector: &[(u32, f32)], skip: Option<usize>) -> Option<Guess> {
        let mut best: Option<Guess> = None;
        let cosines = self.cosines(vector);
        for ((ix, e), &score) in self.examples.iter().enumerate().zip(&cosines) {
            if Some(ix) == skip {
                continue;
            }
            if score > 0.0 && best.is_none_or(|b| score > b.score) {
                best = Some(Guess {
                    intent: e.intent,
                    score,
                    example: ix,
                    by_concepts: false,
                });
            }
        }
        best
    }
}

/// What a line's concept classes, compared with all of an intent's
/// examples' classes, are worth next to a nearest example's cosine: the
/// middle of the held-out corpora's plateau (0.4 to 0.5; 0.55 loses a
/// line, 0.7 seven). A line of one class that an intent's examples share
/// alone scores this much, just over min_confidence 0.4.
const GIST_WEIGHT: f32 = 0.45;

/// Scales `v` to unit length.
fn unit(v: &mut [(u32, f32)]) {
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, w) in v {
            *w /= norm;
        }
    }
}

/// (feature, times seen in a sentence), sorted by feature.
type Counts = Vec<(u32, u32)>;

/// Dot product of two sorted unit vectors.
fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// A sentence compared by its letters and words only.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .collect()
    }

    fn model() -> Classifier {
        Classifier::train(
            &[
                ex(&[
                    &[
                        "我想知道这个月用了多少钱",
                        "帮我看看欠不欠费",
                        "查一下我的余额",
                    ],
                    &["how much do I owe", "what is my balance"],
                ]),
                ex(&[
                    &["找个活人跟我说", "我要跟真人讲", "帮我接客服"],
                    &["let me talk to someone", "put me through to a person"],
                ]),
            ],
            2,
        )
    }

    #[test]
    fn a_new_sentence_goes_to_the_nearest_example() {
        let m = model();
        let g = m
            .guess(0, "这个月用了多少钱啊", |_| true)
            .expect("shares words");
        assert_eq!(g.intent, IntentIx::new(0));
        assert_eq!(m.example(0, g.example), "我想知道这个月用了多少钱");
        let g = m
            .guess(1, "can I talk to a person", |_| true)
            .expect("shares words");
        assert_eq!(g.intent, IntentIx::new(1));
        assert_eq!(m.guess(1, "zzz", |_| true), None);
    }

    /// The index walk scores each example exactly as comparing the two
    /// vectors does, so a guess never depends on which way was taken.
    #[test]
    fn the_index_walk_gives_each_examples_own_cosine() {
        let m = model();
        for (locale, line) in [
            (0, "我想查一下这个月的钱和余额"),
            (1, "talk to a person about my balance"),
        ] {
            let model = &m.locales[locale];
            let v = model.vector(line);
            let walked = model.cosines(&v);
            for (e, &w) in model.examples.iter().zip(&walked) {
                assert_eq!(w.to_bits(), cosine(&v, &e.vector).to_bits(), "{}", e.text);
            }
            assert!(walked.iter().any(|&w| w > 0.0), "{line} shares features");
        }
    }

    /// Talk around a request does not dilute it: its clause counts.
    #[test]
    fn a_clause_is_compared_on_its_own() {
        let m = model();
        let alone = m.guess(0, "帮我接客服", |_| true).expect("itself");
        let g = m
            .guess(0, "昨天刚从外地回来累得很,帮我接客服", |_| true)
            .expect("its clause");
        assert_eq!((g.intent, g.score), (alone.intent, alone.score));
    }

    /// Where the nearest example's intent may not count, the nearest of
    /// the others is taken.
    #[test]
    fn only_admitted_intents_are_guessed() {
        let m = model();
        let g = m
            .guess(0, "帮我接客服", |i| i != IntentIx::new(1))
            .expect("shares a character with a bill example");
        assert_eq!(g.intent, IntentIx::new(0));
    }

    /// 账单 shares no character with any example, but its class (money)
    /// is the one the bill's examples have, and no other intent's.
    #[test]
    fn a_line_meets_an_intent_by_its_concept_classes() {
        let g = model().guess(0, "账单", |_| true).expect("by concepts");
        assert_eq!(g.intent, IntentIx::new(0));
        assert!(g.by_concepts);
        assert!((g.score - GIST_WEIGHT).abs() < 1e-5, "{g:?}");
    }

    #[test]
    fn an_example_is_its_own_nearest() {
        let m = model();
        let g = m.guess(0, "帮我接客服", |_| true).expect("itself");
        assert!((g.score - 1.0).abs() < 1e-5, "{g:?}");
    }

    /// A zh-TW line meets a zh-CN example by its characters' sounds; the
    /// English locale learns from no Chinese.
    #[test]
    fn the_chinese_locales_learn_from_each_other() {
        let m = Classifier::train(
            &[
                ex(&[&["我想知道这个月用了多少钱"], &[], &["how much do I owe"]]),
                ex(&[&[], &["找個真人跟我說"], &[]]),
            ],
            3,
        );
        let g = m
            .guess(1, "這個月的話費用了多少錢", |_| true)
            .expect("a zh-CN example");
        assert_eq!(g.intent, IntentIx::new(0));
        assert_eq!(m.example(1, g.example), "我想知道这个月用了多少钱");
        assert_eq!(m.guess(2, "这个月用了多少钱", |_| true), None);
    }

    #[test]
    fn the_same_sentence_in_two_intents_collides() {
        let m = Classifier::train(&[ex(&[&["查话费"]]), ex(&[&["查 话费!"]])], 1);
        assert_eq!(
            m.collisions(0.5),
            [Collision::Same {
                locale: 0,
                sentence: "查 话费!".into(),
                intents: (IntentIx::new(0), IntentIx::new(1))
            }]
        );
        assert!(model().collisions(0.5).is_empty());
    }
}
