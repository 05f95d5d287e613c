//! A record masked for a reader without `pii`: numbers (N16) and the
//! flow's `pii` variables, wherever they show.

use std::sync::Arc;

use crate::{
    call::{Action, Event},
    engine::{Engine, EngineSettings, StartCall},
    flow::FlowRegistry,
    transcript::{CallRecord, EntryKind},
};

/// The shipped outbound flow with the customer's name (as shipped) and
/// account marked `pii`, in a directory of its own.
fn outbound_with_pii() -> (tempfile::TempDir, Arc<FlowRegistry>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = include_str!("../../../flows/outbound.toml");
    let text = shipped.replacen(
        "pii = [\"customer\"]\n",
        "pii = [\"customer\", \"account\"]\n",
        1,
    );
    assert_ne!(text, shipped, "the shipped flow marks the customer pii");
    std::fs::write(dir.path().join("outbound.toml"), text).expect("write the flow");
    let flows = FlowRegistry::load_dir(dir.path(), None).expect("the flow loads");
    (dir, Arc::new(flows))
}

async fn record() -> CallRecord {
    let (_dir, flows) = outbound_with_pii();
    let engine = Engine::new(flows, EngineSettings::default());
    let start = StartCall {
        call_id: "m".into(),
        flow: "outbound".into(),
        caller: "4008001234".into(),
        callee: "13912345678".into(),
        at: Some("2026-11-23T07:00:00Z".parse().expect("a time")),
        variables: [
            ("customer".to_owned(), "张三丰".to_owned()),
            ("salutation".to_owned(), "先生".to_owned()),
        ]
        .into(),
        ..StartCall::default()
    };
    engine
        .start(start, None)
        .now()
        .expect("ready")
        .expect("starts");
    let events = [
        Event::speech("李四是我,我的号码是13912345678"),
        Event::Data {
            variables: [
                ("customer".to_owned(), "李四".to_owned()),
                ("account".to_owned(), "A-6222".to_owned()),
                ("phone".to_owned(), "13800005678".to_owned()),
            ]
            .into(),
        },
        Event::NoInput,
    ];
    for (seq, event) in (1..).zip(events) {
        engine
            .send(None, "m", seq, event)
            .now()
            .expect("ready")
            .expect("the event is taken");
    }
    engine
        .record(None, "m")
        .now()
        .expect("ready")
        .expect("a record")
}

fn said(record: &CallRecord) -> Vec<String> {
    record
        .transcript
        .iter()
        .filter_map(|e| match &e.kind {
            EntryKind::Turn(turn) => Some(turn),
            EntryKind::Event { .. } | EntryKind::Fault(_) => None,
        })
        .flat_map(|turn| turn.actions.iter())
        .filter_map(|a| match a {
            Action::Say(say) => Some(say.text().to_string()),
            Action::Listen { .. }
            | Action::Transfer { .. }
            | Action::Hangup(_)
            | Action::Lookup { .. }
            | Action::Record { .. } => None,
        })
        .collect()
}

#[tokio::test]
async fn pii_variables_are_hidden_whole_and_numbers_masked() {
    let record = record().await;
    let full = format!("{:?}", record.transcript);
    assert!(
        full.contains("张三丰") && full.contains("13912345678"),
        "{full}"
    );

    let (masked, redactor) = record.masked();
    let shown = format!("{:?} {:?}", masked.facts, masked.transcript);
    for secret in ["张三丰", "李四", "A-6222", "13912345678", "13800005678"] {
        assert!(!shown.contains(secret), "{secret} shows: {shown}");
    }
    assert_eq!(
        (&*masked.facts.caller, &*masked.facts.callee),
        ("******1234", "*******5678")
    );
    // The name StartCall gave is found in the prompt by its template, with
    // the title beside it (side by side, they are hidden together).
    assert_eq!(
        said(&masked)[0],
        "您好,请问是***吗?我姓X,是XX客服中心打来的,感谢您对我公司的支持和信任,来电与您核对您的资料。"
    );
    assert_eq!(
        said(&masked).last().map(String::as_str),
        Some("您好!请问是***吗?")
    );
    // Met alone (the data event's value), a value is hidden where the
    // caller says it too.
    assert!(
        shown.contains("text: \"***是我,我的号码是*******5678\""),
        "{shown}"
    );
    // A pii variable's value is hidden whole, another's numbers masked.
    assert!(shown.contains("\"customer\": \"***\""), "{shown}");
    assert!(shown.contains("\"phone\": \"*******5678\""), "{shown}");
    assert_eq!(redactor.text("李四说 A-6222"), "***说 ***");
}

#[tokio::test]
async fn without_pii_variables_only_numbers_are_masked() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/flows");
    let flows = Arc::new(FlowRegistry::load_dir(dir, None).expect("the shipped flows"));
    let engine = Engine::new(flows, EngineSettings::default());
    let start = StartCall {
        call_id: "n".into(),
        flow: "hotline".into(),
        variables: [("company".to_owned(), "畅联通信".to_owned())].into(),
        at: Some("2026-11-23T07:00:00Z".parse().expect("a time")),
        ..StartCall::default()
    };
    engine
        .start(start, None)
        .now()
        .expect("ready")
        .expect("starts");
    let record = engine
        .record(None, "n")
        .now()
        .expect("ready")
        .expect("a record");
    let (masked, _) = record.masked();
    assert_eq!(
        said(&masked),
        ["您好,畅联通信欢迎您的来电,请问有什么可以帮您?"]
    );
}

/// The records file masks as GetCall does: the same record, the same rule,
/// unless `records_caller = "full"`.
#[tokio::test]
async fn the_records_file_masks_as_get_call_does() {
    use crate::records::{RecordsSettings, record_json};
    let record = record().await;
    let settings = RecordsSettings {
        transcript: true,
        ..RecordsSettings::default()
    };
    let written = chrono::Utc::now();
    let line = record_json(&record, None, written, &settings).to_string();
    for secret in [
        "张三丰",
        "李四",
        "A-6222",
        "13912345678",
        "13800005678",
        "4008001234",
    ] {
        assert!(!line.contains(secret), "{secret} shows: {line}");
    }
    let (masked, _) = record.masked();
    let transcript = |r: &CallRecord| {
        crate::transcript::transcript_lines(&r.transcript)
            .into_iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
    };
    let json: serde_json::Value = serde_json::from_str(&line).expect("json");
    let texts: Vec<&str> = json["transcript"]
        .as_array()
        .expect("the transcript is written")
        .iter()
        .filter_map(|l| l["text"].as_str())
        .collect();
    assert_eq!(texts, transcript(&masked));
    assert_eq!(json["caller"], "******1234");
    assert_eq!(json["callee"], "*******5678");

    let full = RecordsSettings {
        full_caller: true,
        ..settings
    };
    let line = record_json(&record, None, written, &full).to_string();
    assert!(
        line.contains("张三丰") && line.contains("4008001234"),
        "{line}"
    );
}
