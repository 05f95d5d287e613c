//! Calibration: does the scorer give what a QA lead gives? A corpus
//! directory holds transcripts (`*.jsonl`) and `verdicts.toml`, each call's
//! total and points per item as a QA lead scored it from the deduction
//! table, written independently of the scorer. `callscript score
//! --calibrate DIR` prints how often the two agree exactly.

use std::{
    collections::{BTreeMap, BTreeSet},
    io::Write,
    path::Path,
};

use serde::Deserialize;

use super::Scorer;

/// Exact agreement below this fails `--calibrate` and the test suite.
pub const AGREEMENT_FLOOR: f64 = 0.95;

/// The QA lead's verdict on one call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Verdict {
    total: u32,
    /// Points lost per item ("8" = 12 for item 8 doubled).
    #[serde(default)]
    items: BTreeMap<String, u32>,
    /// Why, shown beside a call where the scorer differs.
    why: String,
}

/// Where the scorer and the QA lead part.
#[derive(Debug, Clone, PartialEq)]
pub struct Disagreement {
    pub file: String,
    pub lead_total: u32,
    pub scorer_total: u32,
    /// Item → (the lead's points, the scorer's), items that differ only.
    pub items: BTreeMap<u32, (u32, u32)>,
    /// The lead's reason for the verdict.
    pub why: String,
}

/// How the scorer compares with the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    pub calls: usize,
    /// Calls whose total the scorer gives exactly.
    pub exact_totals: usize,
    /// Item → (calls where the lead or the scorer deducts under it, calls
    /// of those where both give the same points).
    pub items: BTreeMap<u32, (usize, usize)>,
    pub disagreements: Vec<Disagreement>,
}

impl Calibration {
    /// Exact agreement on totals, 0-1.
    pub fn total_agreement(&self) -> f64 {
        ratio(self.exact_totals, self.calls)
    }

    /// Exact agreement per item, over every (call, item) either side
    /// deducts under, 0-1.
    pub fn item_agreement(&self) -> f64 {
        let (judged, agreed) = self
            .items
            .values()
            .fold((0, 0), |(j, a), (jj, aa)| (j + jj, a + aa));
        ratio(agreed, judged)
    }

    pub fn passes(&self) -> bool {
        self.total_agreement() >= AGREEMENT_FLOOR && self.item_agreement() >= AGREEMENT_FLOOR
    }

    pub fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "{} calls: exact total {}/{} ({:.1} %), per item {:.1} % (floor {:.0} %)",
            self.calls,
            self.exact_totals,
            self.calls,
            100.0 * self.total_agreement(),
            100.0 * self.item_agreement(),
            100.0 * AGREEMENT_FLOOR
        )?;
        for (item, (judged, agreed)) in &self.items {
            writeln!(out, "  item {item:>2}  {agreed}/{judged} calls agree")?;
        }
        for d in &self.disagreements {
            let items: Vec<String> = d
                .items
                .iter()
                .map(|(i, (lead, scorer))| format!("item {i}: lead -{lead}, scorer -{scorer}"))
                .collect();
            writeln!(
                out,
                "  differs: {}: lead {}, scorer {}; {}\n    the lead: {}",
                d.file,
                d.lead_total,
                d.scorer_total,
                items.join("; "),
                d.why
            )?;
        }
        Ok(())
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Scores every transcript in `dir` and compares it with `verdicts.toml`.
/// A transcript without a verdict, or a verdict without its transcript, is
/// an error: the corpus must be whole to mean anything.
pub fn calibrate(scorer: &Scorer, dir: &Path) -> Result<Calibration, String> {
    let verdicts_path = dir.join("verdicts.toml");
    let text = std::fs::read_to_string(&verdicts_path)
        .map_err(|e| format!("{}: cannot read: {e}", verdicts_path.display()))?;
    let mut verdicts: BTreeMap<String, Verdict> = toml::from_str(&text)
        .map_err(|e| format!("{}: {}", verdicts_path.display(), e.message().trim()))?;
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: cannot read: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut cal = Calibration {
        calls: 0,
        exact_totals: 0,
        items: BTreeMap::new(),
        disagreements: Vec::new(),
    };
    for path in files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let verdict = verdicts
            .remove(&name)
            .ok_or_else(|| format!("{name}: no verdict in verdicts.toml"))?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let q = scorer.score_text(&text);
        let mut lead: BTreeMap<u32, u32> = BTreeMap::new();
        for (k, v) in &verdict.items {
            let item = k
                .parse::<u32>()
                .map_err(|_| format!("{name}: items.{k}: an item number"))?;
            lead.insert(item, *v);
        }
        let mut scored: BTreeMap<u32, u32> = BTreeMap::new();
        for d in q.deductions.iter().filter(|d| !d.centre) {
            if let Some(i) = d.item {
                *scored.entry(i).or_default() += d.points;
            }
        }
        cal.calls += 1;
        cal.exact_totals += usize::from(q.score == verdict.total);
        let mut differ = BTreeMap::new();
        let judged: BTreeSet<u32> = lead.keys().chain(scored.keys()).copied().collect();
        for item in &judged {
            let (l, s) = (
                lead.get(item).copied().unwrap_or(0),
                scored.get(item).copied().unwrap_or(0),
            );
            let entry = cal.items.entry(*item).or_default();
            entry.0 += 1;
            if l == s {
                entry.1 += 1;
            } else {
                differ.insert(*item, (l, s));
            }
        }
        if q.score != verdict.total || !differ.is_empty() {
            cal.disagreements.push(Disagreement {
                file: name,
                lead_total: verdict.total,
                scorer_total: q.score,
                items: differ,
                why: verdict.why,
            });
        }
    }
    if let Some(name) = verdicts.keys().next() {
        return Err(format!("{name}: a verdict without its transcript"));
    }
    Ok(cal)
}
