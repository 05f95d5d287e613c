//! `callscript understand`: what one line is understood as and why, or a
//! labelled corpus run against a flow with per-intent precision, recall
//! and F1, the confusion matrix and every miss (as `rasa test nlu` does).

use std::{collections::BTreeMap, path::PathBuf};

use serde::{Deserialize, Serialize};

use crate::flow::{Flow, matcher::How};

/// `understand`.
#[derive(Debug, clap::Args)]
pub struct UnderstandArgs {
    /// Flow id, or a flow file (path/to/flow.toml).
    #[arg(long)]
    pub flow: String,
    /// What the caller said (one line), unless --eval is given.
    #[arg(required_unless_present = "eval")]
    pub line: Option<String>,
    /// The line's locale [default: the flow's first].
    #[arg(long, conflicts_with = "eval")]
    pub locale: Option<String>,
    /// A labelled corpus (tests/understanding/*.toml): prints precision,
    /// recall and F1 per intent, the confusion matrix and every miss.
    #[arg(long, value_name = "FILE.toml", conflicts_with = "line")]
    pub eval: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = super::Format::Text)]
    pub format: super::Format,
    /// Directory of flow files.
    #[arg(long, default_value = "flows")]
    pub flows: PathBuf,
}

/// A labelled corpus: `lines = [[locale, step, utterance, expected], …]`,
/// the expected intent's name or "none".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Corpus {
    pub lines: Vec<(String, String, String, String)>,
}

/// What `none` is called in a report.
const NONE: &str = "none";

/// One intent's scores.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IntentScore {
    pub intent: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Lines expecting it.
    pub support: usize,
}

/// A line understood otherwise than labelled.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Miss {
    pub locale: String,
    pub step: String,
    pub line: String,
    pub expected: String,
    pub understood: String,
}

/// A corpus run against a flow.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub flow: String,
    pub lines: usize,
    pub correct: usize,
    pub accuracy: f64,
    pub intents: Vec<IntentScore>,
    /// Labels of the matrix's rows (expected) and columns (understood).
    pub labels: Vec<String>,
    pub confusion: Vec<Vec<usize>>,
    pub misses: Vec<Miss>,
    /// Lines naming a locale the flow does not offer or an unknown intent.
    pub errors: Vec<String>,
}

impl Report {
    /// The lowest F1 of an intent with lines in the corpus ("none" is
    /// not an intent: its misses are the intents' recall).
    pub fn worst_f1(&self) -> Option<&IntentScore> {
        self.intents
            .iter()
            .filter(|s| s.support > 0 && s.intent != NONE)
            .min_by(|a, b| a.f1.total_cmp(&b.f1))
    }
}

/// What `line` is understood as, scored against `expected`: the expected
/// intent when it is among those found (好的谢谢你 is a yes and thanks),
/// else the first found, or "none".
fn understood_as(flow: &Flow, locale: usize, line: &str, expected: &str) -> String {
    let heard = flow.matcher.hear(locale, line);
    let names: Vec<&str> = heard
        .found
        .as_slice()
        .iter()
        .map(|&i| &*flow.intent(i).name)
        .collect();
    if names.contains(&expected) {
        return expected.to_owned();
    }
    names.first().map_or(NONE, |n| n).to_owned()
}

/// Runs `corpus` against `flow`.
pub fn evaluate(flow: &Flow, corpus: &Corpus) -> Report {
    let mut labels: Vec<String> = flow.intents().iter().map(|i| i.name.to_string()).collect();
    labels.push(NONE.to_owned());
    let ix = |name: &str| labels.iter().position(|l| l == name);
    let mut confusion = vec![vec![0; labels.len()]; labels.len()];
    let (mut misses, mut errors, mut correct, mut lines) = (Vec::new(), Vec::new(), 0, 0);
    for (locale, step, line, expected) in &corpus.lines {
        let Some(l) = flow.locale_index(locale) else {
            errors.push(format!("{line:?}: the flow has no locale {locale:?}"));
            continue;
        };
        let Some(e) = ix(expected) else {
            errors.push(format!("{line:?}: the flow has no intent {expected:?}"));
            continue;
        };
        let understood = understood_as(flow, usize::from(l), line, expected);
        let u = ix(&understood).unwrap_or(labels.len() - 1);
        confusion[e][u] += 1;
        lines += 1;
        if e == u {
            correct += 1;
        } else {
            misses.push(Miss {
                locale: locale.clone(),
                step: step.clone(),
                line: line.clone(),
                expected: expected.clone(),
                understood,
            });
        }
    }
    let intents = (0..labels.len())
        .map(|k| {
            let tp = confusion[k][k] as f64;
            let predicted: usize = confusion.iter().map(|row| row[k]).sum();
            let support: usize = confusion[k].iter().sum();
            let precision = if predicted == 0 {
                1.0
            } else {
                tp / predicted as f64
            };
            let recall = if support == 0 {
                1.0
            } else {
                tp / support as f64
            };
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            IntentScore {
                intent: labels[k].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    Report {
        flow: flow.id().to_string(),
        lines,
        correct,
        accuracy: if lines == 0 {
            0.0
        } else {
            correct as f64 / lines as f64
        },
        intents,
        labels,
        confusion,
        misses,
        errors,
    }
}

/// Runs `understand`; 0 when done, 1 when the corpus has lines the flow
/// cannot take, 2 when the flow or the corpus cannot be read.
pub fn understand(args: &UnderstandArgs, out: &mut dyn std::io::Write) -> std::io::Result<i32> {
    let Some((registry, id)) = super::resolve_flow(&args.flow, &args.flows, out)? else {
        return Ok(2);
    };
    let Some(flow) = registry.get(&id) else {
        return Ok(2);
    };
    if let Some(path) = &args.eval {
        let corpus: Corpus = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| toml::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => {
                writeln!(out, "{}: {e}", path.display())?;
                return Ok(2);
            }
        };
        let report = evaluate(&flow, &corpus);
        match args.format {
            super::Format::Json => writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?
            )?,
            super::Format::Text => write_report(&report, out)?,
        }
        return Ok(if report.errors.is_empty() { 0 } else { 1 });
    }
    let line = args.line.as_deref().unwrap_or_default();
    let locale = match &args.locale {
        None => 0,
        Some(name) => match flow.locale_index(name) {
            Some(l) => usize::from(l),
            None => {
                writeln!(out, "--locale: the flow has no locale {name:?}")?;
                return Ok(2);
            }
        },
    };
    explain(&flow, locale, line, args.format, out)?;
    Ok(0)
}

/// One line, what it is understood as, and why.
#[derive(Debug, Serialize)]
struct Explanation<'a> {
    line: &'a str,
    locale: &'a str,
    understood: Vec<String>,
    how: &'static str,
    /// The phrase (or, for pinyin, the phrase heard) per intent.
    phrases: Vec<String>,
    /// For pinyin: the line with its slips written as the phrases write them.
    heard_as: Option<String>,
    /// The nearest example and its score (also when below the minimum).
    example: Option<(String, String, f32)>,
    /// The score is by concept classes (src/flow/concepts.rs), not the
    /// nearest example's.
    by_concepts: bool,
    /// For clauses without a phrase in a line with phrases: the example
    /// each was taken for.
    clauses: Vec<(String, String, f32)>,
    confidence: f32,
    negated: Vec<String>,
    question: bool,
}

fn explain(
    flow: &Flow,
    locale: usize,
    line: &str,
    format: super::Format,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let heard = flow.matcher.hear(locale, line);
    let name = |i: &crate::flow::IntentIx| flow.intent(*i).name.to_string();
    let example = |g: &crate::flow::classifier::Guess| {
        (
            name(&g.intent),
            flow.matcher.example(locale, g).to_owned(),
            g.score,
        )
    };
    let (how, heard_as, nearest) = match &heard.how {
        How::Phrases => ("phrase", None, None),
        How::Pinyin { heard_as } => ("pinyin", Some(heard_as.clone()), None),
        How::Example { guess } => ("example", None, Some(example(guess))),
        How::Nothing { nearest } => ("nothing", None, nearest.as_ref().map(example)),
    };
    let e = Explanation {
        line,
        locale: &flow.locales()[locale],
        understood: heard.found.as_slice().iter().map(name).collect(),
        how,
        phrases: heard.phrases.clone(),
        heard_as,
        example: nearest,
        by_concepts: match &heard.how {
            How::Example { guess } => guess.by_concepts,
            How::Nothing { nearest } => nearest.is_some_and(|g| g.by_concepts),
            How::Phrases | How::Pinyin { .. } => false,
        },
        clauses: heard.clauses.iter().map(example).collect(),
        confidence: heard.confidence(),
        negated: heard.negated.as_slice().iter().map(name).collect(),
        question: heard.question,
    };
    if matches!(format, super::Format::Json) {
        let json = serde_json::to_string_pretty(&e).map_err(std::io::Error::other)?;
        return writeln!(out, "{json}");
    }
    let understood = if e.understood.is_empty() {
        NONE.to_owned()
    } else {
        e.understood.join(", ")
    };
    writeln!(out, "{line:?} ({}): {understood}", e.locale)?;
    match &heard.how {
        How::Phrases => {
            writeln!(out, "  by phrase: {}", e.phrases.join(", "))?;
            for (intent, text, score) in &e.clauses {
                writeln!(
                    out,
                    "  a clause without a phrase by example: {text:?} ({intent}, score {score:.2})"
                )?;
            }
        }
        How::Pinyin { heard_as } => writeln!(
            out,
            "  by pinyin: heard as {heard_as:?}, phrase {} (confidence {:.2})",
            e.phrases.join(", "),
            e.confidence
        )?,
        How::Example { .. } | How::Nothing { .. } => {
            if let Some((intent, text, score)) = &e.example {
                let verdict = if how == "example" {
                    "counts"
                } else {
                    "below min_confidence"
                };
                if e.by_concepts {
                    writeln!(
                        out,
                        "  by concepts, as {intent}'s examples say them (score {score:.2}: {verdict}); nearest example: {text:?}"
                    )?;
                } else {
                    writeln!(
                        out,
                        "  nearest example: {text:?} ({intent}, score {score:.2}: {verdict})"
                    )?;
                }
            } else {
                writeln!(out, "  no phrase, and no example shares a word")?;
            }
        }
    }
    if !e.negated.is_empty() {
        writeln!(out, "  negated: {}", e.negated.join(", "))?;
    }
    if e.question {
        writeln!(out, "  question: yes (no yes or no is taken from it)")?;
    }
    Ok(())
}

fn write_report(r: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {} lines, accuracy {:.1}% ({}/{})",
        r.flow,
        r.lines,
        100.0 * r.accuracy,
        r.correct,
        r.lines
    )?;
    writeln!(out)?;
    let width = r.labels.iter().map(|l| l.len()).max().unwrap_or(4).max(6);
    writeln!(
        out,
        "{:width$}  precision  recall     f1  support",
        "intent"
    )?;
    for s in r
        .intents
        .iter()
        .filter(|s| s.support > 0 || s.precision < 1.0)
    {
        writeln!(
            out,
            "{:width$}  {:9.3}  {:6.3}  {:5.3}  {:7}",
            s.intent, s.precision, s.recall, s.f1, s.support
        )?;
    }
    writeln!(out)?;
    writeln!(out, "confusion (rows: expected, columns: understood)")?;
    let used: Vec<usize> = (0..r.labels.len())
        .filter(|&k| {
            r.confusion[k].iter().sum::<usize>() > 0 || r.confusion.iter().any(|row| row[k] > 0)
        })
        .collect();
    let short: BTreeMap<usize, String> = used
        .iter()
        .map(|&k| (k, r.labels[k].chars().take(6).collect()))
        .collect();
    write!(out, "{:width$}", "")?;
    for k in &used {
        write!(out, " {:>6}", short[k])?;
    }
    writeln!(out)?;
    for &row in &used {
        write!(out, "{:width$}", r.labels[row])?;
        for &col in &used {
            write!(out, " {:>6}", r.confusion[row][col])?;
        }
        writeln!(out)?;
    }
    if !r.misses.is_empty() {
        writeln!(out)?;
        writeln!(out, "misses")?;
        for m in &r.misses {
            writeln!(
                out,
                "  {} {} {:?}: expected {}, understood {}",
                m.locale, m.step, m.line, m.expected, m.understood
            )?;
        }
    }
    for e in &r.errors {
        writeln!(out, "error: {e}")?;
    }
    Ok(())
}
