//! Items that need business context (3-7, 10-17: a request not entered, a
//! misleading answer, a faked compliment …) are no check's to find: a QA
//! reviewer or the front-end writes them into the transcript as `qa` lines,
//! and they score like any other deduction, doubling included, so a review
//! is finished in the same file.

use super::{Call, Deduction};
use crate::quality::transcript::What;

/// The rule name annotated deductions carry in reports.
pub(super) const QA_RULE: &str = "qa_annotation";

pub(super) fn check(call: &Call, out: &mut Vec<Deduction>) {
    for e in call.events {
        let What::Annotation { item, note } = &e.what else {
            continue;
        };
        // An item the table does not have is reported by Scorer::score as
        // a problem with its line; it deducts nothing.
        let Some(it) = call.rules.item(*item) else {
            continue;
        };
        out.push(Deduction {
            rule: QA_RULE,
            norm: "N18".into(),
            item: Some(it.number),
            points: it.points,
            centre: false,
            doubled: None,
            t: e.t,
            evidence: note.clone(),
            note: format!("a QA reviewer's finding, item {}: {}", it.number, it.title),
        });
    }
}
