//! The checks: each family in its own file, all reading one [`Call`], a
//! transcript with every line's words prepared once.

mod annotations;
mod closing;
mod doubling;
mod handling;
mod nuisance;
mod opening;
mod wording;

use super::{
    Deduction, Rules,
    rules::RuleId,
    transcript::{Event, Transcript, What, Who},
    words::Words,
};
use crate::calendar::HolidayCalendar;

/// A transcript ready for the checks.
pub(super) struct Call<'a> {
    pub transcript: &'a Transcript,
    pub rules: &'a Rules,
    pub events: &'a [Event],
    /// For each event, its words (`None` for anything but `say`).
    pub words: Vec<Option<Words>>,
}

impl<'a> Call<'a> {
    fn new(transcript: &'a Transcript, rules: &'a Rules) -> Call<'a> {
        let words = transcript
            .events
            .iter()
            .map(|e| e.say().map(Words::new))
            .collect();
        Call {
            transcript,
            rules,
            events: &transcript.events,
            words,
        }
    }

    /// A deduction under `id` for event `ix`, with its words as evidence.
    pub fn deduct(&self, id: RuleId, ix: usize, note: String) -> Deduction {
        let e = &self.events[ix];
        self.deduct_at(id, e.t, evidence(e), note)
    }

    pub fn deduct_at(&self, id: RuleId, t: f64, evidence: String, note: String) -> Deduction {
        let rule = self.rules.rule(id);
        Deduction {
            rule: id.key(),
            norm: rule.norm.to_string(),
            item: rule.item,
            // A rule that is off finds nothing: `run` drops 0-point findings.
            points: if rule.on { rule.points } else { 0 },
            centre: rule.centre,
            doubled: None,
            t,
            evidence,
            note,
        }
    }

    /// Indices of `who`'s say lines, with their words.
    pub fn says(&self, who: Who) -> impl Iterator<Item = (usize, &Words)> + '_ {
        self.events
            .iter()
            .zip(&self.words)
            .enumerate()
            .filter(move |(_, (e, _))| e.who == who)
            .filter_map(|(i, (_, w))| w.as_ref().map(|w| (i, w)))
    }

    pub fn is_say(&self, ix: usize, who: Who) -> bool {
        self.events[ix].who == who && self.words[ix].is_some()
    }

    /// The caller's first line, when it is the hotline's nuisance words
    /// (item 9): a nuisance call, not a consultation.
    pub fn nuisance(&self) -> Option<usize> {
        self.says(Who::Caller)
            .next()
            .filter(|(_, w)| w.has(super::words::NUISANCE))
            .map(|(i, _)| i)
    }

    pub fn caller_spoke(&self) -> bool {
        self.says(Who::Caller).next().is_some()
    }
}

/// The words of a line, or what happened when it has none.
pub(super) fn evidence(e: &Event) -> String {
    match &e.what {
        What::Say(s) => s.clone(),
        What::Hangup => "hangup".into(),
        What::Hold(h) => format!(
            "hold {}",
            if *h == super::HoldEdge::Start {
                "start"
            } else {
                "end"
            }
        ),
        What::Transfer(t) => format!("transfer to {t}"),
        What::Annotation { note, .. } => note.clone(),
    }
}

/// Every deduction the rules give a transcript (rules with 0 points are
/// switched off and give none).
pub(super) fn run(
    transcript: &Transcript,
    rules: &Rules,
    holidays: &HolidayCalendar,
) -> Vec<Deduction> {
    let call = Call::new(transcript, rules);
    let mut out = Vec::new();
    opening::check(&call, holidays, &mut out);
    wording::check(&call, &mut out);
    closing::check(&call, &mut out);
    nuisance::check(&call, &mut out);
    handling::check(&call, &mut out);
    annotations::check(&call, &mut out);
    out.retain(|d| d.points > 0);
    doubling::apply(&call, &mut out);
    out
}

/// Seconds as a report shows them.
pub(super) fn secs(t: f64) -> String {
    let s = format!("{t:.1}");
    format!("{s} s")
}
