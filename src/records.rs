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
//! A record is one `write` of its whole line. A full disk (or any failed
//! or short write) never leaves half a line behind: the file is cut back
//! to its last whole line, and the records not written are kept in order
//! (up to [`MAX_KEPT_BYTES`]) and tried again each second and with each
//! new record, so space freed later brings them all back
//! (`callscript_records_kept` shows how many wait, and
//! `callscript_records_lost_total` the few a full buffer had to drop).
//!
//! The record is masked as GetCall masks it for a reader without the `pii`
//! role (`CallRecord::masked`: the numbers, all but the last four digits,
//! and the flow's `pii` variables whole) unless `records_caller = "full"`;
//! the transcript (which holds the caller's words) is written only with
//! `records_transcript = true` (N16).

use std::{
    collections::VecDeque,
    fs::{File, OpenOptions},
    io::{self, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    thread,
    time::Duration,
};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use tracing::{info, warn};

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
                let mut file = open(&path)?;
                Some(Output {
                    size: whole_lines(&mut file, &path)?,
                    file,
                    path,
                    settings: settings.clone(),
                    kept: Kept::default(),
                    warned: None,
                })
            }
            None if scorer.is_some() => None,
            None => return Ok(None),
        };
        let (tx, rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("callscript-records".into())
            .spawn(move || {
                loop {
                    // Kept records are tried again each second even when no
                    // call ends.
                    let waiting = out.as_ref().is_some_and(|o| !o.kept.lines.is_empty());
                    let message = if waiting {
                        match rx.recv_timeout(RETRY) {
                            Ok(message) => Some(message),
                            Err(mpsc::RecvTimeoutError::Timeout) => None,
                            Err(mpsc::RecvTimeoutError::Disconnected) => break,
                        }
                    } else {
                        match rx.recv() {
                            Ok(message) => Some(message),
                            Err(mpsc::RecvError) => break,
                        }
                    };
                    match message {
                        Some(Message::Ended { record, at }) => {
                            let quality = scorer.as_ref().map(|score| score(&record));
                            if let Some(q) = quality.as_ref().filter(|_| metrics_on) {
                                metrics::call_quality(record.flow.id(), f64::from(q.score));
                            }
                            if let Some(out) = out.as_mut() {
                                out.write(&record, quality.as_ref(), at);
                            }
                        }
                        Some(Message::Finish) => break,
                        None => {
                            if let Some(out) = out.as_mut() {
                                out.write_kept();
                            }
                        }
                    }
                }
                if let Some(out) = out.as_mut() {
                    out.write_kept();
                    out.lost_at_exit();
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
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
}

/// One `write` of a whole line at the end of a file of `size` bytes of
/// whole lines. A short or failed write is undone (the file cut back to
/// `size`), so the next line never lands on half of this one.
fn write_whole_line(file: &mut File, size: u64, line: &[u8]) -> io::Result<()> {
    let result = match file.write(line) {
        Ok(n) if n == line.len() => return Ok(()),
        Ok(n) => Err(io::Error::new(
            io::ErrorKind::StorageFull,
            format!("only {n} of {} bytes written", line.len()),
        )),
        Err(e) => Err(e),
    };
    // Cutting back frees what the partial line took; if even that fails,
    // the next attempt cuts again from the same size.
    let _ = file.set_len(size);
    result
}

/// The file's length up to its last whole line: a line a crash (or a
/// version before this one) left half written is cut off, so the next
/// record starts a line of its own.
fn whole_lines(file: &mut File, path: &Path) -> io::Result<u64> {
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 64 << 10];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(i) = part.iter().rposition(|&b| b == b'\n') {
            end = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    if end < len {
        warn!(file = %path.display(), cut = len - end, "the records file ended in half a line; cut back to its last whole line");
        file.set_len(end)?;
    }
    Ok(end)
}

/// How often kept records are tried again while none arrive.
const RETRY: Duration = Duration::from_secs(1);
/// The most record bytes kept while the file takes none (a few thousand
/// records); past it the oldest are dropped, and counted.
pub const MAX_KEPT_BYTES: usize = 8 << 20;
/// At most one WARN a minute while records cannot be written.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Records not yet written, oldest first.
#[derive(Default)]
struct Kept {
    lines: VecDeque<String>,
    bytes: usize,
    /// Dropped since the last WARN, for its message.
    lost: u64,
}

struct Output {
    file: File,
    path: PathBuf,
    /// Bytes of whole lines in the file: where a failed write cuts back to.
    size: u64,
    settings: RecordsSettings,
    kept: Kept,
    /// When the last WARN about failing writes went out, while they fail.
    warned: Option<std::time::Instant>,
}

impl Output {
    /// Keeps the record's line behind any kept before it, then writes
    /// what it can, in order.
    fn write(&mut self, record: &CallRecord, quality: Option<&Quality>, at: DateTime<Utc>) {
        let mut line = record_json(record, quality, at, &self.settings).to_string();
        line.push('\n');
        self.kept.bytes += line.len();
        self.kept.lines.push_back(line);
        while self.kept.bytes > MAX_KEPT_BYTES {
            let Some(oldest) = self.kept.lines.pop_front() else {
                break;
            };
            self.kept.bytes -= oldest.len();
            self.kept.lost += 1;
            crate::metrics::records_lost(1);
        }
        self.write_kept();
    }

    /// Writes the kept records, oldest first, until one fails.
    fn write_kept(&mut self) {
        let before = self.kept.lines.len();
        while let Some(line) = self.kept.lines.pop_front() {
            let len = line.len();
            let result = self
                .rotate_for(len as u64)
                .and_then(|()| write_whole_line(&mut self.file, self.size, line.as_bytes()));
            if let Err(e) = result {
                self.kept.lines.push_front(line);
                crate::metrics::records_write_error();
                crate::metrics::records_kept(self.kept.lines.len());
                self.warn_failing(&e);
                return;
            }
            self.size += len as u64;
            self.kept.bytes -= len;
        }
        crate::metrics::records_kept(0);
        if self.warned.take().is_some() {
            info!(file = %self.path.display(), written = before, lost = self.kept.lost, "call records are written again; the records kept meanwhile are in the file");
            self.kept.lost = 0;
        }
    }

    /// Once when writes start failing, then once a minute while they do.
    fn warn_failing(&mut self, e: &io::Error) {
        if self.warned.is_some_and(|at| at.elapsed() < WARN_EVERY) {
            return;
        }
        self.warned = Some(std::time::Instant::now());
        warn!(file = %self.path.display(), error = %e, kept = self.kept.lines.len(), lost = self.kept.lost, "cannot write call records; they are kept and tried again each second");
    }

    /// What the process leaves unwritten as it exits.
    fn lost_at_exit(&mut self) {
        let lost = self.kept.lines.len();
        if lost > 0 {
            crate::metrics::records_lost(lost as u64);
            warn!(file = %self.path.display(), lost, "call records could not be written before the exit and are lost");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_a_line_left_by_a_crash_is_cut_off_at_open() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("calls.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"b\":2}\n{\"du").expect("write");
        let mut file = open(&path).expect("open");
        assert_eq!(whole_lines(&mut file, &path).expect("read"), 16);
        write_whole_line(&mut file, 16, b"{\"c\":3}\n").expect("append");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"
        );
        std::fs::write(&path, "no line end at all").expect("write");
        let mut file = open(&path).expect("open");
        assert_eq!(whole_lines(&mut file, &path).expect("read"), 0);
    }
}
