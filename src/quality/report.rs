//! `callscript score` output: one row per call, then a summary (calls,
//! mean, 10-point bands, the most frequent rules).

use std::{collections::BTreeMap, io::Write};

use serde::Serialize;

use super::{Quality, checks::secs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
}

/// One scored file.
#[derive(Debug, Clone, Serialize)]
pub struct Scored {
    pub file: String,
    #[serde(flatten)]
    pub quality: Quality,
}

/// What a batch of calls looks like.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub calls: usize,
    /// Mean score, 0 with no calls.
    pub mean: f64,
    /// Calls per band: "100", "90-99", …, "0-9".
    pub bands: Vec<Band>,
    /// Rules by how many calls they hit, most first.
    pub rules: Vec<RuleCount>,
    /// Calls scored from only part of their lines.
    pub partial: usize,
}

/// How many calls scored in a 10-point band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band {
    /// "100", "90-99", …, "0-9".
    pub band: String,
    pub calls: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    pub rule: &'static str,
    pub norm: String,
    /// The table's item, or none for a centre extra.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u32>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub centre: bool,
    /// Calls with at least one deduction under the rule.
    pub calls: usize,
    pub deductions: usize,
    pub points: u32,
}

impl Summary {
    pub fn of<'a>(calls: impl IntoIterator<Item = &'a Quality>) -> Summary {
        let mut n = 0;
        let mut total = 0u64;
        let mut partial = 0;
        let mut bands = [0usize; 11];
        // By rule and item: QA annotations share one rule across items.
        let mut rules: BTreeMap<(&'static str, Option<u32>), RuleCount> = BTreeMap::new();
        for q in calls {
            n += 1;
            total += u64::from(q.score);
            partial += usize::from(q.is_partial());
            bands[(q.score.min(100) / 10) as usize] += 1;
            let mut seen = Vec::new();
            for d in &q.deductions {
                let r = rules.entry((d.rule, d.item)).or_insert_with(|| RuleCount {
                    rule: d.rule,
                    norm: d.norm.to_string(),
                    item: d.item,
                    centre: d.centre,
                    calls: 0,
                    deductions: 0,
                    points: 0,
                });
                r.deductions += 1;
                r.points += d.points;
                if !seen.contains(&(d.rule, d.item)) {
                    seen.push((d.rule, d.item));
                    r.calls += 1;
                }
            }
        }
        let mut rules: Vec<RuleCount> = rules.into_values().collect();
        rules.sort_by(|a, b| {
            b.calls
                .cmp(&a.calls)
                .then(b.points.cmp(&a.points))
                .then(a.rule.cmp(b.rule))
        });
        Summary {
            calls: n,
            mean: if n == 0 { 0.0 } else { total as f64 / n as f64 },
            bands: (0..=10)
                .rev()
                .map(|b| Band {
                    band: if b == 10 {
                        "100".to_owned()
                    } else {
                        format!("{}-{}", b * 10, b * 10 + 9)
                    },
                    calls: bands[b],
                })
                .collect(),
            rules,
            partial,
        }
    }
}

/// Writes the per-call rows and (text, JSON) the summary.
pub fn write_report(scored: &[Scored], format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    let summary = Summary::of(scored.iter().map(|s| &s.quality));
    match format {
        Format::Text => text(scored, &summary, out),
        Format::Json => {
            let doc = serde_json::json!({ "calls": scored, "summary": summary });
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            )
        }
        Format::Csv => csv(scored, out),
    }
}

fn text(scored: &[Scored], summary: &Summary, out: &mut dyn Write) -> std::io::Result<()> {
    for s in scored {
        let q = &s.quality;
        writeln!(
            out,
            "{:>3}  {}{}{}",
            q.score,
            s.file,
            q.call
                .as_deref()
                .map(|c| format!("  call {c}"))
                .unwrap_or_default(),
            if q.is_partial() {
                "  (partial: some lines could not be read)"
            } else {
                ""
            }
        )?;
        for d in &q.deductions {
            writeln!(
                out,
                "     -{:<2} {} {} {} at {}: {:?}  ({}{})",
                d.points,
                d.label(),
                d.rule,
                d.norm,
                secs(d.t),
                d.evidence,
                d.note,
                d.doubled
                    .as_deref()
                    .map(|why| format!("; doubled: {why}"))
                    .unwrap_or_default()
            )?;
        }
        for p in &q.problems {
            writeln!(out, "     ! {p}")?;
        }
    }
    writeln!(out)?;
    writeln!(
        out,
        "{} call{}, mean score {:.1}{}",
        summary.calls,
        if summary.calls == 1 { "" } else { "s" },
        summary.mean,
        if summary.partial > 0 {
            format!(", {} scored from part of their lines", summary.partial)
        } else {
            String::new()
        }
    )?;
    let widest = summary
        .bands
        .iter()
        .map(|b| b.calls)
        .max()
        .unwrap_or(0)
        .max(1);
    for Band { band, calls: n } in &summary.bands {
        let bar = "#".repeat((n * 40).div_ceil(widest));
        writeln!(out, "{}", format!("  {band:>6}  {n:>5}  {bar}").trim_end())?;
    }
    if summary.rules.is_empty() {
        writeln!(out, "no deductions")?;
    } else {
        writeln!(out, "most frequent rules:")?;
        for r in summary.rules.iter().take(10) {
            let label = match (r.item, r.centre) {
                (_, true) => "centre".to_owned(),
                (Some(i), false) => format!("item {i}"),
                (None, false) => String::new(),
            };
            writeln!(
                out,
                "  {:<24} {:<7} {:<4} {} call{}, {} deduction{}, -{} points",
                r.rule,
                label,
                r.norm,
                r.calls,
                if r.calls == 1 { "" } else { "s" },
                r.deductions,
                if r.deductions == 1 { "" } else { "s" },
                r.points
            )?;
        }
    }
    Ok(())
}

/// One row per call: file, call, score, the deductions as `rule/label@t`
/// (label `item8`, `item9x2` or `centre`, spaces being the list's
/// separator) and the number of unreadable lines. A spreadsheet makes its
/// own summary.
fn csv(scored: &[Scored], out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "file,call,score,points_lost,deductions,unreadable_lines"
    )?;
    for s in scored {
        let q = &s.quality;
        let lost: u32 = q.deductions.iter().map(|d| d.points).sum();
        let deductions: Vec<String> = q
            .deductions
            .iter()
            .map(|d| {
                let label = d.label().replace(' ', "").replace('×', "x");
                format!("{}/{label}@{:.1}", d.rule, d.t)
            })
            .collect();
        writeln!(
            out,
            "{},{},{},{},{},{}",
            field(&s.file),
            field(q.call.as_deref().unwrap_or_default()),
            q.score,
            lost,
            field(&deductions.join(" ")),
            q.problems.len()
        )?;
    }
    Ok(())
}

/// A CSV field, quoted when it needs to be (RFC 4180).
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
