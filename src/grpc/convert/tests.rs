use super::*;

fn event_with(kind: pb::call_event::Kind) -> pb::CallEvent {
    pb::CallEvent {
        call_id: "c".into(),
        seq: 1,
        kind: Some(kind),
    }
}

#[test]
fn each_field_over_its_limit_is_named_with_its_setting() {
    let limits = Limits::default();
    let start = pb::StartCallRequest {
        caller: "1".repeat(65),
        ..Default::default()
    };
    assert_eq!(
        start_call(&limits, start).unwrap_err().to_string(),
        "caller: 65 bytes is more than max_number_bytes (64)"
    );
    let speech = event_with(pb::call_event::Kind::Speech(pb::Speech {
        text: "话".repeat(2000),
        confidence: 0.9,
        intents: Vec::new(),
    }));
    assert_eq!(
        call_event(&limits, speech).unwrap_err().to_string(),
        "speech.text: 6000 bytes is more than max_speech_bytes (4096)"
    );
    let detail = event_with(pb::call_event::Kind::TransferResult(pb::TransferResult {
        connected: false,
        detail: "x".repeat(1025),
        ok: false,
        cause: 0,
    }));
    assert!(
        call_event(&limits, detail)
            .unwrap_err()
            .to_string()
            .starts_with("transfer_result.detail: 1025 bytes")
    );
    let fine = event_with(pb::call_event::Kind::Dtmf(pb::Dtmf {
        digits: "123#".into(),
    }));
    assert!(call_event(&limits, fine).is_ok());
}

/// The call id's bound is `max_name_bytes`, whatever it is set to (it was
/// once 128 bytes whatever the setting said).
#[test]
fn a_call_id_is_bounded_by_max_name_bytes() {
    let long = "c".repeat(200);
    let roomy = Limits {
        max_name_bytes: 256,
        ..Limits::default()
    };
    assert_eq!(call_id(&roomy, "call_id", long.clone()), Ok(long.clone()));
    let start = pb::StartCallRequest {
        call_id: long.clone(),
        ..Default::default()
    };
    assert_eq!(start_call(&roomy, start).map(|s| s.call_id), Ok(long));

    let tight = Limits {
        max_name_bytes: 16,
        ..Limits::default()
    };
    let refused = call_id(&tight, "call_id", "c".repeat(17)).unwrap_err();
    assert_eq!(refused.field(), "call_id");
    assert_eq!(
        refused.to_string(),
        "call_id: 17 bytes is more than max_name_bytes (16)"
    );
    let resume = pb::CallEvent {
        call_id: String::new(),
        seq: 0,
        kind: Some(pb::call_event::Kind::Resume(pb::Resume {
            call_id: "c".repeat(17),
        })),
    };
    let Err(refused) = opening(&tight, resume) else {
        panic!("a resume with an id over max_name_bytes is refused");
    };
    assert_eq!(refused.field(), "resume.call_id");
}

#[test]
fn a_call_id_must_be_printable_and_present() {
    let limits = Limits::default();
    assert_eq!(
        call_id(&limits, "call_id", " ".into()),
        Err(InvalidRequest::Missing("call_id"))
    );
    assert_eq!(
        call_id(&limits, "call_id", "a\u{7}b".into())
            .unwrap_err()
            .field(),
        "call_id"
    );
    assert!(call_id(&limits, "call_id", "呼叫 7".into()).is_ok());
}

#[test]
fn a_stream_event_for_another_call_is_refused() {
    let ev = event_with(pb::call_event::Kind::NoInput(pb::NoInput {}));
    let refused = stream_event(&Limits::default(), ev, "other").unwrap_err();
    assert_eq!(
        refused.to_string(),
        "call_id: \"c\" is not this stream's call \"other\""
    );
}

#[test]
fn variables_are_bounded_and_named_like_prompts_spell_them() {
    let limits = Limits::default();
    let data = |name: &str, value: &str| {
        event_with(pb::call_event::Kind::Data(pb::Data {
            variables: [(name.to_owned(), value.to_owned())].into(),
        }))
    };
    assert!(call_event(&limits, data("amount", "12.50")).is_ok());
    assert_eq!(
        call_event(&limits, data("amount", &"9".repeat(257)))
            .unwrap_err()
            .to_string(),
        "data.variables: \"amount\": 257 bytes is more than max_variable_bytes (256)"
    );
    assert_eq!(
        call_event(&limits, data("the amount", "1"))
            .unwrap_err()
            .description(),
        "\"the amount\" is not a variable name (letters, digits and '_')"
    );
}
