//! The Python client example (`examples/pbx_client.py`) against the real
//! binary, on the real clock: the example is documentation, and this test
//! keeps it true. Its whole output is compared with the transcript below,
//! after replacing what changes from run to run (the call ids' run prefix
//! and the transcript's millisecond offsets).
//!
//! Needs python3 with grpcio and grpcio-tools
//! (`python3 -m pip install -r examples/requirements.txt`; `.ci/run`
//! installs them). Without them the test fails rather than skips.

use std::{
    process::{Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

#[path = "common/binary.rs"]
mod binary;

use binary::ServerProcess as Server;

fn start_server() -> Server {
    Server::start(&[], Stdio::null())
}

const PIP_HINT: &str = "python3 -m pip install -r examples/requirements.txt";

/// Fails (never skips) when the example's dependencies are missing: CI
/// installs them, so a missing module is a broken setup, not a reason to
/// pass.
fn require_grpcio() {
    let check = Command::new("python3")
        .args(["-c", "import grpc, grpc_tools"])
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed for this test ({e}); then run `{PIP_HINT}`"));
    assert!(
        check.status.success(),
        "grpcio / grpcio-tools are not importable by python3; run `{PIP_HINT}`\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

/// Runs the example to its end (at most `limit`) and returns its stdout.
fn run_example(addr: &str, limit: Duration) -> String {
    let child = Command::new("python3")
        .arg("examples/pbx_client.py")
        .args(["--target", addr])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    // Wait on another thread, so the limit is a channel timeout rather
    // than a polling loop; on time-out the example is killed by pid, which
    // ends that wait.
    let pid = child.id();
    let (done, finished) = mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let out = match finished.recv_timeout(limit) {
        Ok(out) => out.expect("collect the output"),
        Err(_) => {
            let _ = Command::new("kill").arg(pid.to_string()).status();
            let out = finished
                .recv()
                .expect("the waiting thread reports")
                .expect("collect the output");
            panic!(
                "pbx_client.py still running after {limit:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    let stdout = String::from_utf8(out.stdout).expect("the example prints UTF-8");
    assert!(
        out.status.success(),
        "pbx_client.py failed ({}):\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Replaces what changes between runs: the run prefix of the call ids
/// (`pbx-1a2b3c4d-unary` → `pbx-RUN-unary`) and the transcript's offsets
/// (`[+   12 ms]` → `[+N ms]`).
fn normalise(output: &str) -> String {
    let first = output.lines().next().unwrap_or_default();
    let run_id = first
        .split_once("call pbx-")
        .and_then(|(_, rest)| rest.split_once("-unary"))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("no call id on the first line {first:?}"));
    assert_eq!(run_id.len(), 8, "run id {run_id:?}");
    output
        .replace(&format!("pbx-{run_id}-"), "pbx-RUN-")
        .lines()
        .map(|line| match (line.find("[+"), line.find(" ms] ")) {
            (Some(open), Some(close)) if open < close => {
                format!("{}[+N ms]{}", &line[..open], &line[close + 4..])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a tester reads, with the norms' wording (N4 National Day opening,
/// N5 silence prompts 5 s apart, N12 closing, N14 agent number), and a
/// record action answered.
const EXPECTED: &str = r#"== (a) unary call, step by step: call pbx-RUN-unary ==
> StartCall at=2026-10-01T09:30:00+08:00 locale=zh-CN
< turn 1  phase=CALL_STATE_LISTENING  step=welcome
    say opening_national_day: 国庆节快乐!XX客服中心,请问有什么可以帮您!
    listen 5000 ms
> SendEvent seq=1 speech "请问你的工号是多少?"
< turn 2  phase=CALL_STATE_LISTENING  step=welcome
    say agent_number: 我的工号是1024,很高兴为您服务。
    listen 5000 ms
> SendEvent seq=2 speech "我想查一下账单"
< turn 3  phase=CALL_STATE_LOOKING_UP  step=bill
    lookup bill (params: caller)
    listen 2000 ms
> SendEvent seq=2 speech "我想查一下账单"  (retry: the first answer was lost)
< turn 3  phase=CALL_STATE_LOOKING_UP  step=bill
    lookup bill (params: caller)
    listen 2000 ms
  retry returned the same turn: yes
> SendEvent seq=3 lookup_result bill ok
< turn 4  phase=CALL_STATE_CLOSING  step=anything_else
    say bill_answer: 您本月话费58.50元。
    say anything_else: 您还需要别的帮助吗?
    listen 5000 ms
> SendEvent seq=4 speech "我想办理套餐"
< turn 5  phase=CALL_STATE_CONFIRMING_HOLD  step=change_plan
    say hold_ask: 我需要为您查询一下,请您稍候,可以吗?
    listen 5000 ms
> SendEvent seq=5 speech "好的"
< turn 6  phase=CALL_STATE_ON_HOLD  step=change_plan
    say hold_thanks: 谢谢,大约需要一分钟,请您稍候。
    listen 60000 ms
> SendEvent seq=6 hold_result ok
< turn 7  phase=CALL_STATE_CLOSING  step=anything_else
    say hold_resume: 不好意思让您久等了。
    say hold_result: 您的业务已办理成功。
    say anything_else: 您还需要别的帮助吗?
    listen 5000 ms
> SendEvent seq=7 speech "没有了,谢谢"
< turn 8  phase=CALL_STATE_AWAITING_HANGUP  step=anything_else
    say goodbye: 谢谢您,祝您愉快!再见。
    listen 10000 ms
> SendEvent seq=8 hangup
< turn 9  phase=CALL_STATE_ENDED  ENDED
    (no actions)
> GetCall
< record  state=ended  end_reason=END_REASON_CALLER_HANGUP
    flow hotline, locale zh-CN, local start 2026-10-01T09:30:00+08:00
    opening rule: holiday: National Day: 2026 notice period 2026-10-01..2026-10-07
    transcript (18 entries):
      [+N ms] event (call started: flow hotline, at 2026-10-01T09:30:00+08:00)
      [+N ms] turn 1  phase=CALL_STATE_LISTENING
          say opening_national_day: 国庆节快乐!XX客服中心,请问有什么可以帮您!
          listen 5000 ms
      [+N ms] event seq=1 speech "请问你的工号是多少?"
      [+N ms] turn 2  phase=CALL_STATE_LISTENING
          say agent_number: 我的工号是1024,很高兴为您服务。
          listen 5000 ms
      [+N ms] event seq=2 speech "我想查一下账单"
      [+N ms] turn 3  phase=CALL_STATE_LOOKING_UP
          lookup bill (params: caller)
          listen 2000 ms
      [+N ms] event seq=3 lookup_result bill ok (amount)
      [+N ms] turn 4  phase=CALL_STATE_CLOSING
          say bill_answer: 您本月话费58.50元。
          say anything_else: 您还需要别的帮助吗?
          listen 5000 ms
      [+N ms] event seq=4 speech "我想办理套餐"
      [+N ms] turn 5  phase=CALL_STATE_CONFIRMING_HOLD
          say hold_ask: 我需要为您查询一下,请您稍候,可以吗?
          listen 5000 ms
      [+N ms] event seq=5 speech "好的"
      [+N ms] turn 6  phase=CALL_STATE_ON_HOLD
          say hold_thanks: 谢谢,大约需要一分钟,请您稍候。
          listen 60000 ms
      [+N ms] event seq=6 hold_result ok
      [+N ms] turn 7  phase=CALL_STATE_CLOSING
          say hold_resume: 不好意思让您久等了。
          say hold_result: 您的业务已办理成功。
          say anything_else: 您还需要别的帮助吗?
          listen 5000 ms
      [+N ms] event seq=7 speech "没有了,谢谢"
      [+N ms] turn 8  phase=CALL_STATE_AWAITING_HANGUP
          say goodbye: 谢谢您,祝您愉快!再见。
          listen 10000 ms
      [+N ms] event seq=8 hangup
      [+N ms] turn 9  phase=CALL_STATE_ENDED
          (no actions)
== (b) silent caller over Converse: call pbx-RUN-silent ==
> Converse start at=2026-10-01T09:30:00+08:00 locale=zh-CN, then silence
< [+0 s] turn 1  phase=CALL_STATE_LISTENING  step=welcome
    say opening_national_day: 国庆节快乐!XX客服中心,请问有什么可以帮您!
    listen 5000 ms
< [+5 s] turn 2  phase=CALL_STATE_LISTENING  step=welcome
    say silence_reprompt: 您好!请问有什么可以帮您?
    listen 5000 ms
< [+10 s] turn 3  phase=CALL_STATE_LISTENING  step=welcome
    say silence_goodbye: 非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!
    listen 5000 ms
< [+15 s] turn 4  phase=CALL_STATE_ENDED  ENDED
    hangup END_REASON_SILENCE
  the server closed the stream after 15 s
== (c) errors: the gRPC status of a bad request ==
> SendEvent call_id="" seq=1 no_input
< INVALID_ARGUMENT: call_id: required and must not be empty
> StartCall at=not-a-time
< INVALID_ARGUMENT: at: "not-a-time" is not an RFC 3339 timestamp (premature end of input), e.g. "2026-10-01T09:30:00+08:00"
> GetCall call_id=pbx-RUN-never-started
< NOT_FOUND: call_id: call "pbx-RUN-never-started" is not known (never started, or its record has expired)
> StartCall flow=outbound without variables
< INVALID_ARGUMENT: variables: flow "outbound" requires variable "customer" (its prompts say it and it has no default)
> SendEvent seq=9 on the ended call pbx-RUN-unary
< FAILED_PRECONDITION: call "pbx-RUN-unary" has ended (caller_hangup)
== (d) voicemail after hours: call pbx-RUN-voicemail ==
> StartCall flow=menu at=2026-11-23T22:00:00+08:00 locale=zh-CN
< turn 1  phase=CALL_STATE_LISTENING  step=closed
    say after_hours: 您好,XX通信欢迎您的来电。现在是非服务时间,我们的服务时间是周一至周五8:00至21:00,周六、周日及节假日9:00至18:00。请问您需要留言吗?需要请按1,不需要请按2。
    listen 5000 ms
> SendEvent seq=1 dtmf 1
< turn 2  phase=CALL_STATE_RECORDING  step=voicemail
    say voicemail_instructions: 请在提示音后留言,留言完毕请按#号键。
    record into voicemail (at most 60000 ms, beep, ends on #)
    listen 75000 ms
> SendEvent seq=2 recording_result ok (into voicemail)
< turn 3  phase=CALL_STATE_CLOSING  step=closed_goodbye
    say voicemail_saved: 您的留言已保存,我们会在服务时间尽快回复您。
    say anything_else: 您还需要别的帮助吗?
    listen 5000 ms
> SendEvent seq=3 hangup
< turn 4  phase=CALL_STATE_ENDED  ENDED
    (no actions)
== (e) number entry on the operator IVR: call pbx-RUN-number ==
> StartCall flow=menu at=2026-11-23T15:00:00+08:00 locale=zh-CN
< turn 1  phase=CALL_STATE_IN_MENU  step=main_menu
    say main_menu: 您好,XX通信欢迎您的来电。查询话费请按1,办理业务请按2,投诉建议请按3,人工服务请按0,重听请按9。
    listen 5000 ms
> SendEvent seq=1 dtmf 1
< turn 2  phase=CALL_STATE_COLLECTING  step=bill_number
    say ask_number: 请输入您要查询的手机号码,以#号键结束。
    listen 5000 ms (collect 11-11 digits, ends on #, 3000 ms between keys)
> SendEvent seq=2 dtmf 13800138000#
< turn 3  phase=CALL_STATE_IN_MENU  step=confirm_number.read_back
    say read_back: 您输入的号码是1 3 8 0 0 1 3 8 0 0 0,确认请按1,重新输入请按2。
    listen 5000 ms
> SendEvent seq=3 dtmf 1 (confirm)
< turn 4  phase=CALL_STATE_LOOKING_UP  step=bill_lookup
    lookup bill (params: phone)
    listen 2000 ms
> SendEvent seq=4 lookup_result bill ok amount=58.50 vip=false
< turn 5  phase=CALL_STATE_CLOSING  step=anything_else
    say bill_answer: 您查询的号码本月话费58.50元。
    say anything_else: 您还需要别的帮助吗?
    listen 5000 ms
> SendEvent seq=5 hangup
< turn 6  phase=CALL_STATE_ENDED  ENDED
    (no actions)"#;

#[test]
fn python_pbx_client_prints_the_norms_transcript() {
    require_grpcio();
    let server = start_server();

    // 15 s of it is the silent call (N5) on the real clock.
    let started = Instant::now();
    let output = run_example(&server.addr.to_string(), Duration::from_secs(60));
    let elapsed = started.elapsed().as_secs_f64();

    let got = normalise(&output);
    // Line by line, so a failure names the first line that differs.
    for (i, (got_line, want_line)) in got.lines().zip(EXPECTED.lines()).enumerate() {
        assert_eq!(
            got_line,
            want_line,
            "line {} of the example's output differs; whole output:\n{output}",
            i + 1
        );
    }
    assert_eq!(
        got.lines().count(),
        EXPECTED.lines().count(),
        "the example printed a different number of lines; whole output:\n{output}"
    );
    assert!(
        (14.5..25.0).contains(&elapsed),
        "the example took {elapsed:.1} s (the silent call alone takes 15 s)"
    );
}
