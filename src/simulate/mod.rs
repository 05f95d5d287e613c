//! `callscript simulate --flow`: play the caller of one call in the
//! terminal, against the real engine, on simulated time.
//!
//! The tester types what the caller says (a plain line is speech) or a
//! command (`/silence`, `/wait 5s`, `/dtmf 1`, `/weak`, `/hangup`…; `/help`
//! lists them) and sees every turn as the caller would hear it: the time
//! since the call started, the prompt id and its text, then the other
//! actions (listen, transfer, hang up). The lines are those of a scenario
//! run's transcript (`scenario::TranscriptReader`), so a session reads
//! like, and can be written down as, a scenario file. After each turn a
//! note says what the call now understands (the step's answers, with
//! their keys, and the `[anywhere]` requests) or what it waits for (a
//! transfer's result, the end of a hold); `/help` lists the phrases too.
//! When the call ends, the session prints the reason, the steps the call
//! went through and its quality score with each deduction (N18).
//!
//! Why simulated time: the norms are about time. Three silence prompts 5 s
//! apart (N5), 5 s to agree to a hang-up on bad audio (N7), 10 s for the
//! caller to hang up after goodbye (N12, N15), a 30 s hold (N11). On a real
//! clock a tester would sit through 15 s to see a silent call end, and the
//! time they spend typing would run the call's timers out under them. So
//! the call runs on tokio's paused clock ([`simulated_runtime`]): time
//! stands still while the tester types and moves only when asked to:
//! `/silence` jumps to the next deadline the engine armed, `/wait` by the
//! time given, and each thing the caller does comes `reply_after` (1 s by
//! default) after the last, as a caller takes a moment to answer: the
//! clock moves with the call. Offsets come out exact (5.000 s, not 5.003 s), as in the
//! scenario files. The engine is the real one, in streamed mode (the call
//! has a subscriber, as a `Converse` call does), so the silence prompts come
//! from the server's own timers, as in production.
//!
//! Input and output are any [`BufRead`] and [`Write`], so tests script a
//! session. Knows nothing of gRPC.

use std::{
    io::{self, BufRead, Write},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, SubsecRound, Utc};
use tokio::{sync::mpsc, time::Instant};

use crate::{
    call::{AudioKind, CallState, Event, TransferCause, Vars},
    engine::{Engine, EngineSettings, StartCall},
    flow::FlowRegistry,
    quality::{Rules, Scorer},
    scenario,
    transcript::{CallRecord, EntryKind, Line, TranscriptReader, TurnView},
};

mod ending;
mod understands;
use ending::write_ending;
pub use understands::understands;

/// The call id of the session's one call.
const CALL_ID: &str = "simulated";

const HELP: &str = "\
what the caller does:
  any other line       says it (as the recogniser heard it)
  /silence             says nothing until the service's next timer runs out
  /wait 5s             lets time pass (500ms, 5s, 1.5s, 2m)
  /dtmf 1              presses keys (0-9, * and #); /dtmf 13800138000# keys a
                       whole entry in one event, as a PBX that collected it sends
  /weak  /noisy        audio too weak or too noisy to understand (N7)
  /noaudio             no voice at all: on speakerphone? (N8)
  /language            a language the recogniser does not know (N9)
  /played              the front-end reports the prompt finished playing
  /started             the caller began speaking or keying (input_started)
  /transfer ok|failed|busy|no_answer|rejected
                       the result of a transfer (from the switch, not the caller)
  /lookup NAME ok|failed [name=value …]
                       the front-end's answer to a lookup, e.g. /lookup bill ok amount=58.50
  /hold ok|failed [name=value …]
                       the end of a hold, from the back office
  /record ok [reference]|failed
                       the front-end's recording, e.g. /record ok vm/0001.wav
  /data name=value …   the call's variables set or changed
  /hangup              hangs up
  /help  /quit
Each thing the caller does comes a moment (--reply-after, 1 s) after the last.
When the call ends: the reason, the steps it went through and its quality score (N18).";

/// How the session's call starts.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The flow id.
    pub flow: String,
    /// Chooses the opening (N2-N4); `None` is now.
    pub at: Option<DateTime<Utc>>,
    /// `None` is the flow's first locale.
    pub locale: Option<String>,
    /// Show a `> ` prompt before each line: for a terminal, not a pipe.
    pub prompt: bool,
    /// The call's own variables (StartCall's).
    pub variables: Vars,
    /// How long the caller takes before each thing they do.
    pub reply_after: Duration,
    /// The scoring rules the ended call is scored with (quality.toml).
    pub rules: Arc<Rules>,
}

/// A runtime whose clock only moves when every task waits on a timer, and
/// then jumps straight to the earliest: simulated time. Current-thread, so
/// nothing runs (and no time passes) while the session reads its input.
pub fn simulated_runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
}

/// Runs one session on a fresh [`simulated_runtime`]: starts the call,
/// then reads `input` line by line until the call ends, `/quit` or the end
/// of the input. Returns the exit code: 0, or 1 if the call cannot start.
pub fn run<R, W>(flows: Arc<FlowRegistry>, setup: &Setup, input: R, out: &mut W) -> io::Result<i32>
where
    R: BufRead,
    W: Write + ?Sized,
{
    simulated_runtime()?.block_on(session(flows, setup, input, out))
}

async fn session<R, W>(
    flows: Arc<FlowRegistry>,
    setup: &Setup,
    mut input: R,
    out: &mut W,
) -> io::Result<i32>
where
    R: BufRead,
    W: Write + ?Sized,
{
    let scorer = Scorer::new(setup.rules.clone(), flows.holidays());
    let engine = Engine::new(flows, EngineSettings::default());
    let (tx, turns) = mpsc::unbounded_channel();
    let started = Instant::now();
    let start = StartCall {
        call_id: CALL_ID.into(),
        flow: setup.flow.clone(),
        // Whole seconds: the banner shows the start as --at takes it, so
        // the tester can rerun the same call.
        at: Some(setup.at.unwrap_or_else(|| Utc::now().trunc_subsecs(0))),
        locale: setup.locale.clone(),
        variables: setup.variables.clone(),
        ..StartCall::default()
    };
    if let Err(e) = engine.start(start, Some(Box::new(tx))).await {
        writeln!(out, "the call did not start: {e}")?;
        return Ok(1);
    }
    let mut call = Call {
        engine,
        turns,
        started,
        printed: 0,
        seq: 0,
        reader: TranscriptReader::default(),
        reply_after: setup.reply_after,
    };
    let record = call.record();
    writeln!(out, "flow:   {} ({})", record.flow.id(), record.locale)?;
    writeln!(
        out,
        "start:  {} ({})",
        record.facts.local_start,
        record.flow.zone()
    )?;
    writeln!(out, "rule:   {}", record.facts.opening_rule)?;
    writeln!(
        out,
        "Type what the caller says, or a command (/help lists them)."
    )?;
    call.print_new(out)?;

    let mut line = Vec::new();
    loop {
        let record = call.record();
        if record.ended.is_some() {
            write_ending(&record, &scorer, out)?;
            return Ok(0);
        }
        if setup.prompt {
            write!(out, "> ")?;
            out.flush()?;
        }
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            writeln!(out, "end of input: {}", still_live(&record))?;
            return Ok(0);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match parse(text) {
            Err(message) => writeln!(out, "error: {message}")?,
            Ok(Input::Help) => {
                writeln!(out, "{HELP}")?;
                if let Some(text) = understands(&record, true) {
                    writeln!(out, "now, {}: {text}", where_is(&record))?;
                }
            }
            Ok(Input::Quit) => {
                writeln!(out, "quit: {}", still_live(&record))?;
                return Ok(0);
            }
            Ok(Input::Event(event)) => call.send(event, out).await?,
            Ok(Input::Silence) => call.silence(&record, out).await?,
            Ok(Input::Wait(time)) => call.wait(time, out).await?,
        }
    }
}

/// The session's one call.
struct Call {
    engine: Engine,
    /// Every turn, as the engine pushes it: `/silence` waits on this.
    turns: mpsc::UnboundedReceiver<Arc<TurnView>>,
    started: Instant,
    /// Transcript entries printed so far, counting those the record has
    /// since dropped from its front.
    printed: u64,
    /// The seq of the caller's last event.
    seq: u64,
    /// Names each event for the state it came in.
    reader: TranscriptReader,
    /// How long the caller takes before each thing they do.
    reply_after: Duration,
}

// === impl Call ===

impl Call {
    fn record(&self) -> CallRecord {
        self.engine
            .record(None, CALL_ID)
            .now()
            .and_then(Result::ok)
            .expect(
                "the session's call stays in the engine (in memory): live, or retained once ended",
            )
    }

    /// Time since the call started.
    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.started)
    }

    /// Prints the transcript entries not printed yet, then (after a turn)
    /// what the call now understands; returns how many transcript lines
    /// that was.
    fn print_new<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<usize> {
        // The record carries every turn; the pushed copies are not needed.
        while self.turns.try_recv().is_ok() {}
        let record = self.record();
        let skip = self.printed.saturating_sub(record.transcript_dropped) as usize;
        let mut lines = 0;
        let mut turned = None;
        // Whether the entry before was the caller's words or keys, so the
        // turn answering them first says what the call understood.
        let mut heard = false;
        for entry in record.transcript.iter().skip(skip) {
            if let EntryKind::Turn(turn) = &entry.kind {
                turned = Some(entry.offset);
                if heard {
                    let text = match turn.understood.as_ref() {
                        [] => "(understood: nothing the call listens for)".to_owned(),
                        names => format!("(understood: {})", names.join(", ")),
                    };
                    writeln!(
                        out,
                        "{}",
                        Line {
                            at: entry.offset,
                            who: "",
                            text
                        }
                    )?;
                }
            }
            heard = matches!(
                &entry.kind,
                EntryKind::Event { event, .. }
                    if matches!(**event, Event::Speech { .. } | Event::Dtmf { .. })
            );
            for line in self.reader.lines(entry) {
                writeln!(out, "{line}")?;
                lines += 1;
            }
        }
        self.printed = record.transcript_dropped + record.transcript.len() as u64;
        if let Some(at) = turned
            && let Some(text) = understands(&record, false)
        {
            let text = format!("({text})");
            writeln!(out, "{}", Line { at, who: "", text })?;
        }
        Ok(lines)
    }

    /// A note in the transcript's columns, at the current time.
    fn note<W: Write + ?Sized>(&self, out: &mut W, text: String) -> io::Result<()> {
        let line = Line {
            at: self.now(),
            who: "",
            text,
        };
        writeln!(out, "{line}")
    }

    /// The caller does something, a moment after the last thing that
    /// happened (timers that run out meanwhile come first); the engine
    /// answers at once.
    async fn send<W: Write + ?Sized>(&mut self, event: Event, out: &mut W) -> io::Result<()> {
        if event != Event::PromptPlayed && !self.reply_after.is_zero() {
            tokio::time::sleep(self.reply_after).await;
            settle().await;
            self.print_new(out)?;
            if let Some(reason) = self.record().ended {
                return self.note(
                    out,
                    format!("(the call ended ({}) before that)", reason.as_str()),
                );
            }
        }
        self.seq += 1;
        match self.engine.send(None, CALL_ID, self.seq, event).await {
            Ok(view) => {
                self.print_new(out)?;
                let turn = &view.turn;
                if turn.actions.is_empty() && turn.ended.is_none() {
                    self.note(out, "(nothing to say: the call goes on as it was)".into())?;
                }
                Ok(())
            }
            Err(e) => writeln!(out, "error: {e}"),
        }
    }

    /// Let the call's timer run out: time jumps to the engine's next
    /// deadline and the turn it produces is printed.
    async fn silence<W: Write + ?Sized>(
        &mut self,
        record: &CallRecord,
        out: &mut W,
    ) -> io::Result<()> {
        if !timer_armed(record) {
            let hint = if record.state == CallState::Transferring {
                "; /transfer ok|failed reports the transfer's result"
            } else {
                ""
            };
            return self.note(
                out,
                format!(
                    "(no timer is running: the call waits for the front-end, {}{hint})",
                    where_is(record)
                ),
            );
        }
        while self.turns.try_recv().is_ok() {}
        match tokio::time::timeout(scenario::SILENCE_LIMIT, self.turns.recv()).await {
            Ok(Some(_)) => {
                settle().await;
                self.print_new(out)?;
                Ok(())
            }
            // Not expected: a listening call always has its timer armed.
            Ok(None) | Err(_) => self.note(out, "(no timer fired within an hour)".into()),
        }
    }

    /// Let `time` pass; print whatever the service did meanwhile.
    async fn wait<W: Write + ?Sized>(&mut self, time: Duration, out: &mut W) -> io::Result<()> {
        tokio::time::sleep(time).await;
        settle().await;
        if self.print_new(out)? == 0 {
            self.note(out, "(time passes; nothing happens)".into())?;
        }
        Ok(())
    }
}

/// Lets tasks woken at this very instant run before the transcript is read:
/// a deadline that falls exactly at the end of a `/wait` has its turn in the
/// same instant, and the engine's timer task must run to produce it. A
/// yield puts this task behind the ones already woken; one is enough for
/// the timer task (a test fails without it), the others are a margin in
/// case tokio's cooperative budget makes that task yield midway.
pub async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

/// Whether the engine has a deadline for the call: in streamed mode, it
/// arms one exactly when the last turn that did something listens (input
/// that changes nothing keeps it as it was).
pub fn timer_armed(record: &CallRecord) -> bool {
    record
        .transcript
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EntryKind::Turn(turn) => Some(turn.listen().is_some()),
            EntryKind::Event { .. } | EntryKind::Fault(_) => None,
        })
        .unwrap_or(false)
}

/// "listening in welcome".
fn where_is(record: &CallRecord) -> String {
    match &record.step {
        Some(step) => format!("{} in {step}", record.state),
        None => record.state.to_string(),
    }
}

fn still_live(record: &CallRecord) -> String {
    format!("the call is still live ({})", where_is(record))
}

/// One line of the tester's input.
#[derive(Debug, Clone, PartialEq)]
enum Input {
    /// Something the caller does, sent to the engine as it is.
    Event(Event),
    /// Say nothing until the next timer runs out.
    Silence,
    /// Let this much time pass.
    Wait(Duration),
    Help,
    Quit,
}

/// Reads one non-empty, trimmed line: a command, or else speech.
fn parse(line: &str) -> Result<Input, String> {
    let Some(command) = line.strip_prefix('/') else {
        return Ok(Input::Event(Event::speech(line)));
    };
    let (name, arg) = match command.split_once(char::is_whitespace) {
        Some((name, arg)) => (name, arg.trim()),
        None => (command, ""),
    };
    let bare = |input: Input| {
        if arg.is_empty() {
            Ok(input)
        } else {
            Err(format!("/{name} takes no argument (got {arg:?})"))
        }
    };
    let audio = |kind| bare(Input::Event(Event::Audio(kind)));
    match name {
        "silence" => bare(Input::Silence),
        "wait" if arg.is_empty() => Err("/wait needs a duration, e.g. /wait 5s".into()),
        "wait" => scenario::parse_duration(arg)
            .map(Input::Wait)
            .map_err(|_| format!("/wait {arg:?}: expected a duration such as 500ms, 5s or 1.5s")),
        "weak" => audio(AudioKind::Weak),
        "noisy" => audio(AudioKind::Noisy),
        "noaudio" => audio(AudioKind::NoAudio),
        "language" => audio(AudioKind::UnknownLanguage),
        "dtmf" if arg.is_empty() => Err("/dtmf needs keys, e.g. /dtmf 1".into()),
        "dtmf"
            if arg
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#') =>
        {
            Ok(Input::Event(Event::Dtmf {
                digits: arg.to_owned(),
            }))
        }
        "dtmf" => Err(format!("/dtmf {arg:?}: keys are 0-9, * and #")),
        "played" => bare(Input::Event(Event::PromptPlayed)),
        "started" => bare(Input::Event(Event::InputStarted)),
        "transfer" => match arg {
            "ok" => Ok(Input::Event(Event::transferred(true))),
            "failed" => Ok(Input::Event(Event::transferred(false))),
            "" => Err("/transfer needs a result: /transfer ok or /transfer failed".into()),
            other => match other.parse::<TransferCause>() {
                Ok(cause) => Ok(Input::Event(Event::TransferResult {
                    connected: false,
                    cause: Some(cause),
                })),
                Err(_) => Err(format!(
                    "/transfer {other:?}: expected ok or failed (or busy, no_answer, rejected)"
                )),
            },
        },
        "record" => {
            let mut words = arg.split_whitespace();
            let Some(result) = words.next() else {
                return Err(
                    "/record needs a result: /record ok [reference] or /record failed".into(),
                );
            };
            let ok = ok_or_failed("record", result)?;
            // A simulated recording needs no file: its name will do.
            let recording = words.next().unwrap_or(if ok { "recording-1" } else { "" });
            Ok(Input::Event(Event::RecordingResult {
                ok,
                recording: recording.to_owned(),
                duration: Duration::from_secs(10),
            }))
        }
        "lookup" => {
            let mut words = arg.split_whitespace();
            let (Some(name), Some(result)) = (words.next(), words.next()) else {
                return Err(
                    "/lookup needs a name and a result, e.g. /lookup bill ok amount=58.50".into(),
                );
            };
            Ok(Input::Event(Event::LookupResult {
                name: name.to_owned(),
                ok: ok_or_failed("lookup", result)?,
                variables: parse_variables(words)?,
            }))
        }
        "hold" => {
            let mut words = arg.split_whitespace();
            let Some(result) = words.next() else {
                return Err("/hold needs a result: /hold ok or /hold failed".into());
            };
            Ok(Input::Event(Event::HoldResult {
                ok: ok_or_failed("hold", result)?,
                variables: parse_variables(words)?,
            }))
        }
        "data" if arg.is_empty() => {
            Err("/data needs name=value pairs, e.g. /data customer=张三".into())
        }
        "data" => Ok(Input::Event(Event::Data {
            variables: parse_variables(arg.split_whitespace())?,
        })),
        "hangup" => bare(Input::Event(Event::CallerHangup)),
        "help" => bare(Input::Help),
        "quit" => bare(Input::Quit),
        _ => Err(format!(
            "unknown command /{name} (/help lists the commands)"
        )),
    }
}

fn ok_or_failed(command: &str, word: &str) -> Result<bool, String> {
    match word {
        "ok" => Ok(true),
        "failed" => Ok(false),
        other => Err(format!("/{command} {other:?}: expected ok or failed")),
    }
}

/// `name=value` pairs, as `--var` and `/data` take them.
pub fn parse_variables<'a>(pairs: impl Iterator<Item = &'a str>) -> Result<Vars, String> {
    pairs
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if crate::flow::valid_variable_name(name) => {
                Ok((name.to_owned(), value.to_owned()))
            }
            _ => Err(format!("{pair:?}: expected name=value")),
        })
        .collect()
}

#[cfg(test)]
mod tests;
