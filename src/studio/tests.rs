use std::collections::BTreeMap;

use super::{
    RawStudio,
    check::{fix, step_line},
    parse_settings,
    sim::input_for_tests,
};

#[test]
fn the_suggestion_is_taken_from_the_message() {
    assert_eq!(
        fix("unknown step \"closs\" (did you mean \"close\"?)"),
        Some("close")
    );
    assert_eq!(
        fix("unknown key `nxet` (did you mean `next`?)"),
        Some("next")
    );
    assert_eq!(fix("a prompt is missing"), None);
}

#[test]
fn a_step_is_found_by_its_table() {
    let text = "start = \"a\"\n[steps.a]\nsay = \"x\"\n[subflows.s.steps.b] # b\n";
    assert_eq!(step_line(text, "a"), Some(2));
    assert_eq!(step_line(text, "s.b"), Some(4));
    assert_eq!(step_line(text, "c"), None);
}

#[test]
fn the_studio_is_off_by_default_and_loopback_unless_public() {
    let mut errors = Vec::new();
    assert_eq!(parse_settings(RawStudio::default(), &mut errors), None);
    let on = parse_settings(
        RawStudio {
            listen: Some("127.0.0.1:8080".into()),
            ..RawStudio::default()
        },
        &mut errors,
    )
    .expect("a loopback studio");
    assert_eq!(
        on.scenarios_dir,
        std::path::PathBuf::from("tests/scenarios")
    );
    assert!(errors.is_empty(), "{errors:?}");

    let wide = RawStudio {
        listen: Some("0.0.0.0:8080".into()),
        ..RawStudio::default()
    };
    assert_eq!(parse_settings(wide, &mut errors), None);
    assert!(errors[0].contains("studio_public"), "{errors:?}");
    let meant = RawStudio {
        listen: Some("0.0.0.0:8080".into()),
        public: Some(true),
        ..RawStudio::default()
    };
    assert!(parse_settings(meant, &mut errors).is_some());
    let mut errors = Vec::new();
    let typo = RawStudio {
        listen: Some("localhost".into()),
        ..RawStudio::default()
    };
    assert_eq!(parse_settings(typo, &mut errors), None);
    assert!(errors[0].starts_with("studio_listen:"), "{errors:?}");
}

#[test]
fn an_event_is_exactly_one_thing_checked() {
    let one = |json: &str| input_for_tests(json);
    assert!(one(r#"{"keys": "3"}"#).is_ok());
    assert!(one(r#"{"advance_ms": 5000}"#).is_ok());
    assert!(one(r#"{"silence": true}"#).is_ok());
    assert!(one(r#"{}"#).is_err(), "nothing happens");
    assert!(one(r#"{"silence": false}"#).is_err(), "false is nothing");
    assert!(
        one(r#"{"keys": "3", "speech": "好"}"#).is_err(),
        "two things"
    );
    assert!(one(r#"{"keys": "3a"}"#).is_err());
    assert!(one(r#"{"advance_ms": 0}"#).is_err());
    assert!(one(r#"{"advance_ms": 99999999999}"#).is_err());
    assert!(one(r#"{"speech": "   "}"#).is_err());
    assert!(one(r#"{"transfer_result": {"ok": false, "cause": "busy"}}"#).is_ok());
    assert!(one(r#"{"transfer_result": {"ok": false, "cause": "lunch"}}"#).is_err());
    assert!(one(r#"{"data": {"bad name": "x"}}"#).is_err());
    let many: BTreeMap<String, String> = (0..65).map(|i| (format!("v{i}"), "x".into())).collect();
    let json = serde_json::json!({ "data": many }).to_string();
    assert!(one(&json).is_err(), "too many variables");
}
