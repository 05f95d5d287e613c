//! What the simulator prints when the call ends: the reason, the path the
//! call took through the flow, and the score a QA lead's scorer gives it
//! (N18), so a tester sees at once whether the call they played was a good
//! one and where it went.

use std::io::{self, Write};

use crate::{
    quality::{self, Scorer},
    transcript::{CallRecord, EntryKind},
};

/// The lines after an ended call's transcript.
pub(super) fn write_ending<W: Write + ?Sized>(
    record: &CallRecord,
    scorer: &Scorer,
    out: &mut W,
) -> io::Result<()> {
    if let Some(reason) = record.ended {
        writeln!(out, "ended: {}", reason.as_str())?;
    }
    writeln!(out, "path:  {}", path(record).join(" → "))?;
    let scored = scorer.score(&quality::from_record(record));
    match scored.deductions.as_slice() {
        [] => writeln!(out, "score: {} (no deductions)", scored.score)?,
        deductions => {
            writeln!(out, "score: {}", scored.score)?;
            for d in deductions {
                writeln!(
                    out,
                    "  -{} {} {} ({}) at {:.3}s: {}",
                    d.points,
                    d.label(),
                    d.rule,
                    d.norm,
                    d.t,
                    d.note
                )?;
            }
        }
    }
    Ok(())
}

/// The steps the call was at, turn by turn, a step repeated only when the
/// call left it and came back (a silence reprompt stays at its step): the
/// records file's `step_path`, so the two read alike. A `say` step passed
/// within a turn shows in the transcript above, not here.
fn path(record: &CallRecord) -> Vec<&str> {
    let mut steps: Vec<&str> = Vec::new();
    for entry in &record.transcript {
        let step = match &entry.kind {
            EntryKind::Turn(turn) => turn.step.as_deref(),
            EntryKind::Event { .. } | EntryKind::Fault(_) => None,
        };
        if let Some(step) = step
            && steps.last() != Some(&step)
        {
            steps.push(step);
        }
    }
    steps
}
