//! Sessions scripted line by line, their output compared in full.

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
        reply_after: Duration::from_secs(1),
        variables: Default::default(),
        rules: Arc::default(),
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
  0.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
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
  5.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
 10.000s server  silence (no-input timer)
 10.000s service say silence_goodbye \"非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!\"
 10.000s service listen 5000 ms
 10.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
 15.000s server  silence (no-input timer)
 15.000s service hang up (silence)
ended: silence
path:  welcome
score: 100 (no deductions)
"
        )
    );
}

#[test]
fn a_bill_request_is_looked_up_and_the_answer_said() {
    let (code, out) = session(
        "hotline",
        "/wait 2s\n我想查一下账单\n/lookup bill ok amount=58.50\n",
    );
    assert_eq!(code, 0);
    let bill = "\
\x20 3.000s caller  says \"我想查一下账单\"
  3.000s         (understood: bill)
  3.000s service look up bill (caller)
  3.000s service listen 2000 ms
  3.000s         (waiting for the lookup: /lookup bill ok name=value … or /lookup bill failed; /silence lets the wait run on)
  4.000s pbx     lookup bill answered (amount)
  4.000s service say bill_answer \"您本月话费58.50元。\"
";
    assert!(out.contains(bill), "{out}");
}

#[test]
fn dtmf_0_asks_consent_before_the_transfer() {
    let (code, out) = session("hotline", "/dtmf 0\n/dtmf 1\n/silence\n/transfer ok\n");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{BANNER}\
\x20 1.000s caller  presses 0
  1.000s         (understood: agent)
  1.000s service say transfer_consent \"为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?\"
  1.000s service listen 5000 ms
  1.000s         (understands: yes [1], no [2])
  2.000s caller  presses 1
  2.000s         (understood: yes)
  2.000s service transfer to agent_queue (caller asked for an agent)
  2.000s         (waiting for the transfer: /transfer ok or /transfer failed)
  2.000s         (no timer is running: the call waits for the front-end, transferring in to_agent; /transfer ok|failed reports the transfer's result)
  3.000s pbx     transfer connected
ended: transferred
path:  welcome → to_agent
score: 100 (no deductions)
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
error: /transfer \"maybe\": expected ok or failed (or busy, no_answer, rejected)
error: /silence takes no argument (got \"now\")
  1.000s caller  hangs up
ended: caller_hangup
path:  welcome
score: 100 (no deductions)
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
  5.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
  6.500s         (time passes; nothing happens)
 10.000s server  silence (no-input timer)
 10.000s service say silence_goodbye \"非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!\"
 10.000s service listen 5000 ms
 10.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
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
\x20 0.000s pbx     prompt played
  0.000s         (nothing to say: the call goes on as it was)
  1.000s caller  a language we do not understand
  1.000s service say mandarin \"对不起,请您用普通话,好吗?\"
  1.000s service listen 5000 ms
  1.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
  2.000s caller  no voice at all (speakerphone?)
  2.000s service say pick_up_handset \"非常抱歉,我听不到您的声音,请问您是否已拿起话筒?\"
  2.000s service listen 5000 ms
  2.000s         (understands: yes [1], no [2])
  3.000s caller  says \"拿起来了\"
  3.000s         (understood: yes)
  3.000s service say silence_reprompt \"您好!请问有什么可以帮您?\"
  3.000s service listen 5000 ms
  3.000s         (understands: bill [3], change_plan [4], agent [0], complaint, agent_number, other words → asked again)
end of input: the call is still live (listening in welcome)
"
        )
    );
}

#[test]
fn a_hold_outlasting_its_promise_apologises_and_ends_on_its_result() {
    let (_, out) = session("hotline", "/dtmf 4\n好的\n/silence\n/hold ok\n/quit\n");
    let hold = "\
\x20 2.000s caller  says \"好的\"
  2.000s         (understood: yes)
  2.000s service say hold_thanks \"谢谢,大约需要一分钟,请您稍候。\"
  2.000s service listen 60000 ms
  2.000s         (on hold (60 s promised): /hold ok or /hold failed ends it; /silence lets the promise pass; the caller may ask how long, for the agent number or a person)
 62.000s server  the promised hold time passed (hold timer)
 62.000s service say hold_overdue";
    assert!(out.contains(hold), "{out}");
    assert!(out.contains("63.000s pbx     hold work done ()\n 63.000s service say hold_resume \"不好意思让您久等了。\"\n 63.000s service say hold_result"), "{out}");
}

#[test]
fn help_shows_what_the_current_step_understands() {
    let (_, out) = session("hotline", "/dtmf 0\n/help\n");
    assert!(
        out.contains(
            "now, confirming_transfer in to_agent: understands:
  yes: 好的, 好, 好吧, 可以, 行, 嗯, 是的, 是, 对, 没问题, 拿起来了, 拿起了; keys 1
  no: 不用, 不要, 算了, 不可以, 不行, 不是, 没有, 不好, 没拿, 没拿起, 没拿起来, 没有拿起, 不需要, 没了; keys 2
"
        ),
        "{out}"
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
        "/record",
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
        reply_after: Duration::from_secs(1),
        variables: Default::default(),
        rules: Arc::default(),
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
        reply_after: Duration::from_secs(1),
        variables: Default::default(),
        rules: Arc::default(),
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
        Ok(Input::Event(Event::transferred(false)))
    );
    assert_eq!(
        parse("/transfer busy"),
        Ok(Input::Event(Event::TransferResult {
            connected: false,
            cause: Some(crate::call::TransferCause::Busy),
        }))
    );
    assert_eq!(
        parse("/record ok vm/0001.wav"),
        Ok(Input::Event(Event::RecordingResult {
            ok: true,
            recording: "vm/0001.wav".into(),
            duration: Duration::from_secs(10),
        }))
    );
    assert_eq!(
        parse("/record failed"),
        Ok(Input::Event(Event::RecordingResult {
            ok: false,
            recording: String::new(),
            duration: Duration::from_secs(10),
        }))
    );
    assert!(parse("/record").is_err());
    assert!(parse("/record maybe").is_err());
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

/// Every command `parse` knows is in `/help` and in the README's table.
#[test]
fn help_and_readme_document_every_command() {
    let readme = include_str!("../../README.md");
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `callscript simulate --flow"))
        .expect("the README's commands table has simulate --flow");
    for name in [
        "silence", "wait", "dtmf", "weak", "noisy", "noaudio", "language", "played", "transfer",
        "lookup", "hold", "data", "hangup", "help", "quit",
    ] {
        let known =
            !matches!(parse(&format!("/{name}")), Err(e) if e.starts_with("unknown command"));
        assert!(known, "/{name} is a command");
        assert!(HELP.contains(&format!("/{name}")), "/help lists /{name}");
        assert!(
            row.contains(&format!("`/{name}")),
            "the README lists /{name}"
        );
    }
}

/// The end of a call lists each deduction the scorer makes, with its
/// points, item, rule, norm, moment and why: here a centre whose rules
/// forbid a phrase of its own that the hotline's closing question says.
#[test]
fn the_ending_shows_each_deduction() {
    let text = include_str!("../../flows/quality.toml")
        .replace("# phrases = [\"我很忙\"]", "phrases = [\"别的帮助\"]");
    let rules = crate::quality::Rules::from_toml("quality.toml", &text).expect("the rules load");
    let setup = Setup {
        flow: "hotline".into(),
        at: Some(
            DateTime::parse_from_rfc3339("2026-11-23T15:00:00+08:00")
                .expect("valid time")
                .with_timezone(&Utc),
        ),
        locale: Some("zh-CN".into()),
        prompt: false,
        reply_after: Duration::from_secs(1),
        variables: Default::default(),
        rules: Arc::new(rules),
    };
    let input = "/dtmf 0\n/dtmf 1\n/transfer failed\n不用了\n/silence\n/silence\n";
    let mut out = Vec::new();
    let code = run(flows(), &setup, input.as_bytes(), &mut out).expect("no I/O error");
    let out = String::from_utf8(out).expect("utf-8 output");
    assert_eq!(code, 0);
    let ending = &out[out.find("ended: ").expect("the call ends")..];
    let deductions: Vec<&str> = ending.lines().skip(3).collect();
    assert!(
        ending.starts_with(
            "ended: line_left_open\npath:  welcome → to_agent → anything_else\nscore: 90\n"
        ),
        "{ending}"
    );
    assert_eq!(deductions.len(), 1, "{ending}");
    assert!(
        deductions[0].starts_with("  -10 item 1 forbidden_wording (N13) at 3.000s: "),
        "{ending}"
    );
}
