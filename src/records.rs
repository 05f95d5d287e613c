//! Call detail records: each ended call appended to `records_file` as one
//! JSON line, for a call centre's reporting to pick up.
//!
//! Written off the hot path: the engine hands the ended call's record to a
//! channel ([`RecordSink`]), and one writer thread formats and appends it.
//! The file rotates by size: at `records_max_bytes` it becomes `FILE.1`
//! (the older ones `FILE.2` …, `records_keep` in all) and a new one starts.
//! [`RecordsWriter::finish`] writes everything sent before it, so the calls
//! a shutdown ends are on disk before the process exits.
//!
//! The same thread scores each ended call against the norms (N18) when
//! scoring is wired in: the score goes into the record's `quality` and the
//! `callscript_call_quality_score` histogram, so neither costs the call's
//! own event any time.
//!
//! The record is masked as GetCall masks it for a reader without the `pii`
//! role (`CallRecord::masked`: the numbers, all but the last four digits,
//! and the flow's `pii` variables whole) unless `records_caller = "full"`;
//! the transcript (which holds the caller's words) is written only with
//! `records_transcript = true` (N16).

use std::{
    fs::{File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    thread,
    time::Duration,
};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use tracing::warn;

use crate::{
    metrics,
    quality::Quality,
    transcript::{CallRecord, EntryKind},
};

/// The `records_*` settings.
#[derive(Debug, Clone)]
pub struct RecordsSettings {
    /// Where records go; `None` writes none.
    pub file: Option<PathBuf>,
    /// The file rotates before it would pass this size.
    pub max_bytes: u64,
    /// Files kept: the current one and `keep - 1` rotated ones.
    pub keep: usize,
    /// Write the caller's number in full (`records_caller = "full"`).
    pub full_caller: bool,
    /// Include the transcript.
    pub transcript: bool,
}

impl Default for RecordsSettings {
    fn default() -> Self {
        RecordsSettings {
            file: None,
            max_bytes: 100 * 1024 * 1024,
            keep: 5,
            full_caller: false,
            transcript: false,
        }
    }
}

/// Where the engine sends ended calls. Cheap to clone; sending never blocks.
#[derive(Clone)]
pub struct RecordSink {
    tx: mpsc::Sender<Message>,
}

impl std::fmt::Debug for RecordSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordSink")
    }
}

impl RecordSink {
    /// Queues an ended call's record.
    pub fn ended(&self, record: CallRecord) {
        // Fails only after `finish`, when nothing more is written.
        let _ = self.tx.send(Message::Ended {
            record: Box::new(record),
            at: Utc::now(),
        });
    }
}

enum Message {
    Ended {
        record: Box<CallRecord>,
        at: DateTime<Utc>,
    },
    Finish,
}

/// Scores an ended call (the gRPC edge's quality rules, reloaded as they
/// change).
pub type CallScorer = Arc<dyn Fn(&CallRecord) -> Quality + Send + Sync>;

/// The writer thread.
pub struct RecordsWriter {
    tx: mpsc::Sender<Message>,
    thread: Option<thread::JoinHandle<()>>,
}

impl RecordsWriter {
    /// Opens (creates, or appends to) the file and starts the writer. With
    /// `scorer`, each ended call is scored too, and with `metrics_on` the
    /// score is recorded as a metric; the thread runs when there is a file
    /// to write or a score to record.
    pub fn start(
        settings: &RecordsSettings,
        scorer: Option<CallScorer>,
        metrics_on: bool,
    ) -> io::Result<Option<RecordsWriter>> {
        let scorer = scorer.filter(|_| settings.file.is_some() || metrics_on);
        let mut out = match settings.file.clone() {
            Some(path) => {
                let file = open(&path)?;
                Some(Output {
                    size: file.metadata()?.len(),
                    file,
                    path,
                    settings: settings.clone(),
                    failing: false,
                })
            }
            None if scorer.is_some() => None,
            None => return Ok(None),
        };
        let (tx, rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("callscript-records".into())
            .spawn(move || {
                for message in rx {
                    match message {
                        Message::Ended { record, at } => {
                            let quality = scorer.as_ref().map(|score| score(&record));
                            if let Some(q) = quality.as_ref().filter(|_| metrics_on) {
                                metrics::call_quality(record.flow.id(), f64::from(q.score));
                            }
                            if let Some(out) = out.as_mut() {
                                out.write(&record, quality.as_ref(), at);
                            }
                        }
                        Message::Finish => break,
                    }
                }
                if let Some(out) = out.as_mut() {
                    let _ = out.file.flush();
                }
            })?;
        Ok(Some(RecordsWriter {
            tx,
            thread: Some(thread),
        }))
    }

    pub fn sink(&self) -> RecordSink {
        RecordSink {
            tx: self.tx.clone(),
        }
    }

    /// Writes every record sent so far, then stops. Blocks until done.
    pub fn finish(mut self) {
        let _ = self.tx.send(Message::Finish);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

struct Output {
    file: File,
    path: PathBuf,
    size: u64,
    settings: RecordsSettings,
    /// Whether the last write failed (logged once until one succeeds).
    failing: bool,
}

impl Output {
    fn write(&mut self, record: &CallRecord, quality: Option<&Quality>, at: DateTime<Utc>) {
        let mut line = record_json(record, quality, at, &self.settings).to_string();
        line.push('\n');
        let result = self.rotate_for(line.len() as u64).and_then(|()| {
            self.file.write_all(line.as_bytes())?;
            self.size += line.len() as u64;
            Ok(())
        });
        match result {
            Ok(()) => self.failing = false,
            Err(e) => {
                crate::metrics::records_write_error();
                if !self.failing {
                    self.failing = true;
                    warn!(file = %self.path.display(), error = %e, "cannot write the call record; later records are tried again");
                }
            }
        }
    }

    /// Rotates first if `len` more bytes would pass the size limit.
    fn rotate_for(&mut self, len: u64) -> io::Result<()> {
        if self.size == 0 || self.size + len <= self.settings.max_bytes {
            return Ok(());
        }
        self.file.flush()?;
        let numbered = |n: usize| {
            let mut p = self.path.clone().into_os_string();
            p.push(format!(".{n}"));
            PathBuf::from(p)
        };
        let keep = self.settings.keep.max(1);
        if keep == 1 {
            std::fs::remove_file(&self.path)?;
        } else {
            let _ = std::fs::remove_file(numbered(keep - 1));
            for n in (1..keep - 1).rev() {
                let from = numbered(n);
                if from.exists() {
                    std::fs::rename(&from, numbered(n + 1))?;
                }
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.file = open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

/// One call's record as JSON.
pub fn record_json(
    record: &CallRecord,
    quality: Option<&Quality>,
    written: DateTime<Utc>,
    settings: &RecordsSettings,
) -> Value {
    let duration = record
        .transcript
        .last()
        .map_or(Duration::ZERO, |e| e.offset);
    let started = DateTime::parse_from_rfc3339(&record.facts.local_start).ok();
    let ended = started.and_then(|s| {
        chrono::Duration::from_std(duration)
            .ok()
            .map(|d| (s + d).to_rfc3339_opts(SecondsFormat::Millis, true))
    });
    // The steps the call went through, in order, each once per visit.
    let mut steps: Vec<&str> = Vec::new();
    for entry in &record.transcript {
        if let EntryKind::Turn(turn) = &entry.kind
            && let Some(step) = &turn.step
            && steps.last() != Some(&&**step)
        {
            steps.push(step);
        }
    }
    // N16: the record as a reader without `pii` sees it, its numbers and
    // the flow's `pii` variables masked, unless `records_caller = "full"`.
    let masked = (!settings.full_caller).then(|| record.masked());
    let (record, redactor) = match &masked {
        Some((masked, redactor)) => (masked, Some(redactor)),
        None => (record, None),
    };
    let deductions = quality.map(|q| {
        let mut deductions = q.deductions.clone();
        if let Some(redactor) = redactor {
            for d in &mut deductions {
                d.evidence = redactor.text(&d.evidence);
            }
        }
        deductions
    });
    let mut value = json!({
        "call_id": &*record.call_id,
        "flow": &**record.flow.id(),
        "flow_version": &**record.flow.version(),
        "locale": &*record.locale,
        "started_at": &*record.facts.local_start,
        "ended_at": ended,
        "duration_ms": duration.as_millis() as u64,
        "end_reason": record.ended.map(|r| r.as_str()),
        "opening_rule": &*record.facts.opening_rule,
        "step_path": steps,
        "caller": &*record.facts.caller,
        "callee": &*record.facts.callee,
        "transcript_dropped": record.transcript_dropped,
        // N18: the call scored with the service as the agent.
        "quality": quality.zip(deductions).map(|(q, deductions)| json!({
            "score": q.score,
            "deductions": deductions,
        })),
        "recorded_at": written.to_rfc3339_opts(SecondsFormat::Millis, true),
    });
    if settings.transcript
        && let Some(map) = value.as_object_mut()
    {
        let lines: Vec<Value> = crate::transcript::transcript_lines(&record.transcript)
            .into_iter()
            .map(|l| json!({"at_ms": l.at.as_millis() as u64, "who": l.who, "text": l.text}))
            .collect();
        map.insert("transcript".into(), Value::Array(lines));
    }
    value
}

/// The caller's number as the records show it unless `records_caller =
/// "full"`: the norms' one masking rule (N16, crate::norms), the one GetCall
/// uses for a client without `pii`.
pub fn mask(number: &str) -> String {
    crate::norms::mask_number(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_masked_but_the_last_four() {
        assert_eq!(mask("+8613812345678"), "**********5678");
        assert_eq!(mask("1234"), "****");
        assert_eq!(mask(""), "");
    }
}
