//! `callscript simulate --flow`: play the caller of one call in the
//! terminal, against the real engine, on simulated time.
//!
//! The tester types what the caller says (a plain line is speech) or a
//! command (`/silence`, `/wait 5s`, `/dtmf 1`, `/weak`, `/hangup`…; `/help`
//! lists them) and sees every turn as the caller would hear it: the time
//! since the call started, the prompt id and its text, then the other
//! actions (listen, transfer, hang up). The lines are those of a scenario
//! run's transcript (`scenario::entry_lines`), so a session reads like, and
//! can be written down as, a scenario file.
//!
//! Why simulated time: the norms are about time. Three silence prompts 5 s
//! apart (N5), 5 s to agree to a hang-up on bad audio (N7), 10 s for the
//! caller to hang up after goodbye (N12, N15), a 30 s hold (N11). On a real
//! clock a tester would sit through 15 s to see a silent call end, and the
//! time they spend typing would run the call's timers out under them. So
//! the call runs on tokio's paused clock ([`simulated_runtime`]): time
//! stands still while the tester types and moves only when asked to:
//! `/silence` jumps to the next deadline the engine armed, `/wait` by the
//! time given. Offsets come out exact (5.000 s, not 5.003 s), as in the
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
    call::{Action, AudioKind, CallState, Event},
    engine::{CallRecord, Engine, EngineSettings, EntryKind, StartCall, TurnView},
    flow::FlowRegistry,
    scenario::{self, Line},
};

/// The call id of the session's one call.
const CALL_ID: &str = "simulated";

const HELP: &str = "\
what the caller does:
  any other line       says it (as the recogniser heard it)
  /silence             says nothing until the service's next timer runs out
  /wait 5s             lets time pass (500ms, 5s, 1.5s, 2m)
  /dtmf 1              presses keys (0-9, * and #)
  /weak  /noisy        audio too weak or too noisy to understand (N7)
  /noaudio             no voice at all: on speakerphone? (N8)
  /language            a language the recogniser does not know (N9)
  /played              the front-end reports the prompt finished playing
  /transfer ok|failed  the result of a transfer
  /hangup              hangs up
  /help  /quit";

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
        ..StartCall::default()
    };
    if let Err(e) = engine.start_call(start, Some(tx)) {
        writeln!(out, "the call did not start: {e}")?;
        return Ok(1);
    }
    let mut call = Call {
        engine,
        turns,
        started,
        printed: 0,
        seq: 0,
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
        if let Some(reason) = record.ended {
            writeln!(out, "ended: {}", reason.as_str())?;
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
            Ok(Input::Help) => writeln!(out, "{HELP}")?,
            Ok(Input::Quit) => {
                writeln!(out, "quit: {}", still_live(&record))?;
                return Ok(0);
            }
            Ok(Input::Event(event)) => call.send(event, out)?,
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
}

// === impl Call ===

impl Call {
    fn record(&self) -> CallRecord {
        self.engine
            .get_call(CALL_ID)
            .expect("the session's call stays in the engine: live, or retained once ended")
    }

    /// Time since the call started.
    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.started)
    }

    /// Prints the transcript entries not printed yet; returns how many
    /// lines that was.
    fn print_new<W: Write + ?Sized>(&mut self, out: &mut W) -> io::Result<usize> {
        // The record carries every turn; the pushed copies are not needed.
        while self.turns.try_recv().is_ok() {}
        let record = self.record();
        let skip = self.printed.saturating_sub(record.transcript_dropped) as usize;
        let mut lines = 0;
        for entry in record.transcript.iter().skip(skip) {
            for line in scenario::entry_lines(entry) {
                writeln!(out, "{line}")?;
                lines += 1;
            }
        }
        self.printed = record.transcript_dropped + record.transcript.len() as u64;
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

    /// The caller does something; the engine answers at once.
    fn send<W: Write + ?Sized>(&mut self, event: Event, out: &mut W) -> io::Result<()> {
        self.seq += 1;
        match self.engine.send_event(CALL_ID, self.seq, event) {
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
async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

/// Whether the engine has a deadline for the call: in streamed mode, it
/// arms one exactly when the last turn that did something listens (input
/// that changes nothing keeps it as it was).
fn timer_armed(record: &CallRecord) -> bool {
    record
        .transcript
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EntryKind::Turn(turn) => Some(
                turn.actions
                    .iter()
                    .any(|a| matches!(a, Action::Listen { .. })),
            ),
            EntryKind::Event { .. } => None,
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
        "transfer" => match arg {
            "ok" => Ok(Input::Event(Event::TransferResult { connected: true })),
            "failed" => Ok(Input::Event(Event::TransferResult { connected: false })),
            "" => Err("/transfer needs a result: /transfer ok or /transfer failed".into()),
            other => Err(format!("/transfer {other:?}: expected ok or failed")),
        },
        "hangup" => bare(Input::Event(Event::CallerHangup)),
        "help" => bare(Input::Help),
        "quit" => bare(Input::Quit),
        _ => Err(format!(
            "unknown command /{name} (/help lists the commands)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flows() -> Arc<FlowRegistry> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/flows");
        Arc::new(FlowRegistry::load_dir(dir, None).expect("shipped flows load"))
    }

    /// Runs a session on `flow` in zh-CN, on a Monday afternoon (the plain
    /// opening), with `input` as the tester's lines.
    fn session(flow: &str, input: &str) -> (i32, String) {
        let setup = Setup {
            flow: flow.into(),
            at: Some(
                DateTime::parse_from_rfc3339("2026-11-23T15:00:00+08:00")
                    .expect("valid time")
                    .with_timezone(&Utc),
            ),
            locale: Some("zh-CN".into()),
            prompt: false,
        };
        let mut out = Vec::new();
        let code = run(flows(), &setup, input.as_bytes(), &mut out).expect("no I/O error");
        (code, String::from_utf8(out).expect("utf-8 output"))
    }

    const BANNER: &str = "\
flow:   hotline (zh-CN)
start:  2026-11-23T15:00:00+08:00 (Asia/Shanghai)
rule:   normal opening (afternoon)
Type what the caller says, or a command (/help lists them).
  0.000s server  call answered
  0.000s service say opening \"您好,XX欢迎您的来电,请问有什么可以帮您?\"
  0.000s service listen 5000 ms
";

    #[test]
    fn silence_runs_the_n5_prompts_5_s_apart_then_hangs_up() {
        let (code, out) = session("hotline", "/silence\n/silence\n/silence\n");
        assert_eq!(code, 0);
        assert_eq!(
            out,
            format!(
                "{BANNER}\
\x20 5.000s server  silence (no-input timer)
  5.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"
  5.000s service listen 5000 ms
 10.000s server  silence (no-input timer)
 10.000s service say silence_goodbye \"非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!\"
 10.000s service listen 5000 ms
 15.000s server  silence (no-input timer)
 15.000s service hang up (silence)
ended: silence
"
            )
        );
    }

    #[test]
    fn a_bill_request_is_answered_then_the_closing_question() {
        let (code, out) = session("hotline", "/wait 2s\n我想查一下账单\n");
        assert_eq!(code, 0);
        assert_eq!(
            out,
            format!(
                "{BANNER}\
\x20 2.000s         (time passes; nothing happens)
  2.000s caller  says \"我想查一下账单\"
  2.000s service say bill_answer \"您的账单已通过短信发送到您的手机,请注意查收。\"
  2.000s service say anything_else \"您还需要别的帮助吗?\"
  2.000s service listen 5000 ms
end of input: the call is still live (closing in anything_else)
"
            )
        );
    }

    #[test]
    fn dtmf_0_asks_consent_before_the_transfer() {
        let (code, out) = session("hotline", "/dtmf 0\n/dtmf 1\n/silence\n/transfer ok\n");
        assert_eq!(code, 0);
        assert_eq!(
            out,
            format!(
                "{BANNER}\
\x20 0.000s caller  presses 0
  0.000s service say transfer_consent \"为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?\"
  0.000s service listen 5000 ms
  0.000s caller  presses 1
  0.000s service transfer to agent_queue (caller asked for an agent)
  0.000s         (no timer is running: the call waits for the front-end, transferring in to_agent; /transfer ok|failed reports the transfer's result)
  0.000s caller  transfer connected
ended: transferred
"
            )
        );
    }

    #[test]
    fn bad_commands_are_reported_and_the_session_goes_on() {
        let (code, out) = session(
            "hotline",
            "/shout\n/wait\n/wait 5\n/wait soon\n/dtmf\n/dtmf 1x\n/transfer\n/transfer maybe\n\
             /silence now\n/hangup\n",
        );
        assert_eq!(code, 0);
        assert_eq!(
            out,
            format!(
                "{BANNER}\
error: unknown command /shout (/help lists the commands)
error: /wait needs a duration, e.g. /wait 5s
error: /wait \"5\": expected a duration such as 500ms, 5s or 1.5s
error: /wait \"soon\": expected a duration such as 500ms, 5s or 1.5s
error: /dtmf needs keys, e.g. /dtmf 1
error: /dtmf \"1x\": keys are 0-9, * and #
error: /transfer needs a result: /transfer ok or /transfer failed
error: /transfer \"maybe\": expected ok or failed
error: /silence takes no argument (got \"now\")
  0.000s caller  hangs up
ended: caller_hangup
"
            )
        );
    }

    #[test]
    fn wait_shows_timer_turns_at_their_own_time() {
        // The deadline falls exactly at the end of the first wait, and
        // inside the second.
        let (_, out) = session("hotline", "/wait 5s\n/wait 1.5s\n/wait 4s\n/quit\n");
        assert_eq!(
            out,
            format!(
                "{BANNER}\
\x20 5.000s server  silence (no-input timer)
  5.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"
  5.000s service listen 5000 ms
  6.500s         (time passes; nothing happens)
 10.000s server  silence (no-input timer)
 10.000s service say silence_goodbye \"非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!\"
 10.000s service listen 5000 ms
quit: the call is still live (listening in welcome)
"
            )
        );
    }

    #[test]
    fn audio_trouble_and_playback_reports() {
        let (_, out) = session("hotline", "/played\n/language\n/noaudio\n拿起来了\n");
        assert_eq!(
            out,
            format!(
                "{BANNER}\
\x20 0.000s caller  prompt played
  0.000s         (nothing to say: the call goes on as it was)
  0.000s caller  audio: UnknownLanguage
  0.000s service say mandarin \"对不起,请您用普通话,好吗?\"
  0.000s service listen 5000 ms
  0.000s caller  audio: NoAudio
  0.000s service say pick_up_handset \"非常抱歉,我听不到您的声音,请问您是否已拿起话筒?\"
  0.000s service listen 5000 ms
  0.000s caller  says \"拿起来了\"
  0.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"
  0.000s service listen 5000 ms
end of input: the call is still live (listening in welcome)
"
            )
        );
    }

    #[test]
    fn help_lists_every_command() {
        let (_, out) = session("hotline", "/help\n");
        for command in [
            "/silence",
            "/wait",
            "/dtmf",
            "/weak",
            "/noisy",
            "/noaudio",
            "/language",
            "/played",
            "/transfer",
            "/hangup",
            "/help",
            "/quit",
        ] {
            assert!(out.contains(command), "{command} missing from\n{out}");
        }
    }

    #[test]
    fn a_locale_the_flow_does_not_offer_fails_to_start() {
        let setup = Setup {
            flow: "hotline".into(),
            at: None,
            locale: Some("fr".into()),
            prompt: false,
        };
        let mut out = Vec::new();
        let code = run(flows(), &setup, &b""[..], &mut out).expect("no I/O error");
        assert_eq!(code, 1);
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "the call did not start: locale \"fr\" is not offered by flow \"hotline\" \
             (it offers zh-CN, zh-TW, en)\n"
        );
    }

    #[test]
    fn a_terminal_gets_a_prompt() {
        let setup = Setup {
            flow: "hotline".into(),
            at: None,
            locale: None,
            prompt: true,
        };
        let mut out = Vec::new();
        run(flows(), &setup, &b"/quit\n"[..], &mut out).expect("no I/O error");
        let out = String::from_utf8(out).expect("utf-8");
        assert!(out.contains("\n> quit: "), "{out}");
    }

    #[test]
    fn lines_parse_as_speech_or_commands() {
        assert_eq!(
            parse("/wait 1.5s"),
            Ok(Input::Wait(Duration::from_millis(1500)))
        );
        assert_eq!(
            parse("/wait 500ms"),
            Ok(Input::Wait(Duration::from_millis(500)))
        );
        assert_eq!(
            parse("/dtmf *12#"),
            Ok(Input::Event(Event::Dtmf {
                digits: "*12#".into()
            }))
        );
        assert_eq!(
            parse("/weak"),
            Ok(Input::Event(Event::Audio(AudioKind::Weak)))
        );
        assert_eq!(
            parse("/transfer failed"),
            Ok(Input::Event(Event::TransferResult { connected: false }))
        );
        assert_eq!(
            parse("我要转人工"),
            Ok(Input::Event(Event::Speech {
                text: "我要转人工".into(),
                confidence: None,
                intents: Vec::new(),
            }))
        );
        assert!(parse("/").is_err());
        assert!(parse("/dtmf 1 2").is_err());
    }
}
