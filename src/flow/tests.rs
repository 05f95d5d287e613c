//! Golden tests for the flow compiler: a flow text and the exact
//! diagnostics (`file:line:column: severity[norm]: message`) it must
//! produce, one test per check, plus the shipped flows and the schema.
//!
//! Each case edits `BASE`, a small flow that passes `--strict`, so every
//! expected line below is caused by the edit alone.

use std::path::PathBuf;

use super::{FlowKind, check_source, json_schema};

/// A small inbound flow with no problems at all (see `base_is_clean`).
const BASE: &str = r#"id = "mini"
locales = ["zh-CN", "en"]
start = "welcome"

[greeting]
holidays = false

[prompts]
opening = { zh-CN = "您好,欢迎您的来电,请问有什么可以帮您?", en = "Hello, how may I help you?" }
opening_morning = { zh-CN = "早上好!欢迎您的来电,请问有什么可以帮您?", en = "Good morning! How may I help you?" }
silence_reprompt = { zh-CN = "您好!请问有什么可以帮您?", en = "Hello! How may I help you?" }
silence_goodbye = { zh-CN = "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!", en = "Sorry, there is no sound. Goodbye!" }
unclear = { zh-CN = "非常抱歉,我这边听不清楚,请您大声一点,好吗?", en = "Could you speak louder, please?" }
switch_phone = { zh-CN = "对不起!您的电话声音太小,请您换一部电话再打过来,好吗?", en = "Could you call from another phone?" }
pick_up_handset = { zh-CN = "非常抱歉,请问您是否已拿起话筒?", en = "Have you picked up the handset?" }
speak_into_handset = { zh-CN = "请您拿起话筒说话,好吗?", en = "Please speak into the handset." }
mandarin = { zh-CN = "对不起,请您用普通话,好吗?", en = "Could you speak English, please?" }
recorded = { zh-CN = "好的,您的问题已经记录下来。", en = "I have recorded your request." }
consent = { zh-CN = "我为您转接人工客服,请问可以吗?", en = "May I transfer you to an agent?" }
declined = { zh-CN = "好的,我继续为您服务。", en = "All right, I will keep helping you." }
failed = { zh-CN = "非常抱歉,人工客服暂时无法接通。", en = "Sorry, no agent is free." }
anything_else = { zh-CN = "您还需要别的帮助吗?", en = "Anything else?" }
goodbye = { zh-CN = "谢谢,再见。", en = "Thank you, goodbye." }

[intents]
yes = { zh-CN = ["是", "好"], en = ["yes"] }
no = { zh-CN = ["不是", "不用"], en = ["no"] }
agent = { zh-CN = ["人工"], en = ["agent"] }

[steps.welcome]
ask = "@opening"
on.agent = "to_agent"
otherwise = "record"

[steps.record]
say = "recorded"
next = "close"

[steps.to_agent]
transfer = "queue"
consent = "consent"
reason = "caller asked for an agent"
declined = "declined"
failed = "failed"
fallback = "close"

[steps.close]
close = "anything_else"
goodbye = "goodbye"
more = "welcome"

[prompts.polite_close]
zh-CN = "非常抱歉给您带来不便,感谢您的来电,再见!"
en = "Sorry for the trouble. Goodbye!"
"#;

/// `BASE` with each `(from, to)` replaced once; a missing `from` is a bug
/// in the test, not a finding.
fn edit(edits: &[(&str, &str)]) -> String {
    let mut text = BASE.to_owned();
    for (from, to) in edits {
        assert_eq!(
            text.matches(from).count(),
            1,
            "the edit target {from:?} occurs exactly once in BASE"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

/// The diagnostics of a check, as the designer reads them.
fn check(text: &str) -> Vec<String> {
    check_source("t.toml", text)
        .1
        .0
        .iter()
        .map(|d| d.to_string())
        .collect()
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn base_is_clean() {
    let (flow, diags) = check_source("t.toml", BASE);
    assert_eq!(diags.0, vec![]);
    assert!(!diags.fails(true));
    let flow = flow.expect("BASE compiles");
    assert_eq!(&**flow.id(), "mini");
    assert_eq!(flow.steps().len(), 4);
}

// === Golden: many problems at once ===

#[test]
fn every_reference_and_timer_problem_is_reported_at_once() {
    let text = edit(&[
        ("start = \"welcome\"", "start = \"welcom\""),
        (
            "[greeting]",
            "[timing]\nno_input_ms = 500\ncaller_hangup_wait_ms = -1\n\n[greeting]",
        ),
        ("on.agent = \"to_agent\"", "on.agnet = \"to_agent\""),
        ("next = \"close\"", "next = \"closs\""),
        ("goodbye = \"goodbye\"\n", "goodbye = \"good_bye\"\n"),
        (
            "more = \"welcome\"\n",
            "more = \"welcome\"\n\n[steps.extra]\nask = \"zzz\"\notherwise = \"record\"\n",
        ),
    ]);
    let (flow, diags) = check_source("t.toml", &text);
    assert!(flow.is_none(), "a flow with errors does not compile");
    assert_eq!(
        diags.to_string(),
        "\
t.toml:3:9: error: unknown step \"welcom\" (did you mean \"welcome\"?)
t.toml:6:15: error: no_input_ms = 500 is not a usable timer: it must be from 1000 to 60000 ms
t.toml:7:25: error: caller_hangup_wait_ms = -1 is not a usable timer: it must be from 1000 to 300000 ms
t.toml:36:4: error: unknown intent \"agnet\" (did you mean \"agent\"?)
t.toml:41:8: error: unknown step \"closs\" (did you mean \"close\"?)
t.toml:53:11: error: unknown prompt \"good_bye\" (did you mean \"goodbye\"?)
t.toml:57:7: error: unknown prompt \"zzz\"
"
    );
}

// === Strict parsing ===

#[test]
fn an_unknown_key_is_an_error_with_a_suggestion() {
    let text = edit(&[("next = \"close\"", "nxet = \"close\"")]);
    assert_eq!(
        check(&text),
        ["t.toml:37:1: error: unknown key `nxet` (did you mean `next`?)"]
    );
    let text = edit(&[(
        "start = \"welcome\"",
        "start = \"welcome\"\ntitel = \"Mini\"",
    )]);
    assert_eq!(
        check(&text),
        ["t.toml:4:1: error: unknown key `titel` (did you mean `title`?)"]
    );
}

#[test]
fn an_unknown_key_with_no_near_name_lists_the_keys() {
    let text = edit(&[("[greeting]\n", "[greeting]\nsunrise = \"06:00\"\n")]);
    assert_eq!(
        check(&text),
        [
            "t.toml:6:1: error: unknown key `sunrise`, expected one of `morning_until`, `afternoon_until`, `holidays`, `special_days`"
        ]
    );
}

// === Norms ===

#[test]
fn n5_fewer_than_three_silence_prompts_and_a_missing_silence_prompt() {
    let text = edit(&[
        ("[greeting]", "[timing]\nsilence_prompts = 2\n\n[greeting]"),
        (
            "silence_goodbye = { zh-CN = \"非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!\", en = \"Sorry, there is no sound. Goodbye!\" }\n",
            "",
        ),
    ]);
    assert_eq!(
        check(&text),
        [
            "t.toml:1:6: error[N5]: missing prompt \"silence_goodbye\": a silent caller hears a third prompt before we hang up",
            "t.toml:6:19: error[N5]: silence_prompts = 2 must be from 3 to 10",
        ]
    );
}

#[test]
fn n10_a_transfer_needs_consent_and_a_reason() {
    let text = edit(&[
        ("consent = \"consent\"\n", ""),
        ("reason = \"caller asked for an agent\"\n", ""),
    ]);
    assert_eq!(
        check(&text),
        [
            "t.toml:39:1: error[N10]: transfer step \"to_agent\" needs `consent`: the caller is told why and asked before any transfer",
            "t.toml:39:1: error[N10]: transfer step \"to_agent\" needs `reason`: the reason for the transfer",
        ]
    );
}

#[test]
fn n10_consent_needs_yes_and_no_and_should_be_a_question() {
    let text = edit(&[
        ("yes = { zh-CN = [\"是\", \"好\"], en = [\"yes\"] }\n", ""),
        ("no = { zh-CN = [\"不是\", \"不用\"], en = [\"no\"] }\n", ""),
        (
            "close = \"anything_else\"\ngoodbye = \"goodbye\"\nmore = \"welcome\"",
            "say = \"goodbye\"\nnext = \"welcome\"",
        ),
        (
            "\"May I transfer you to an agent?\"",
            "\"I will transfer you to an agent.\"",
        ),
    ]);
    assert_eq!(
        check(&text),
        [
            "t.toml:37:8: error[N10]: a transfer asks consent, so the flow needs intents \"yes\" and \"no\"",
            "t.toml:37:8: warning[N10]: consent prompt \"consent\" should end with a question: the caller must be asked whether they agree",
        ]
    );
}

#[test]
fn n12_a_close_without_goodbye_is_an_error() {
    let text = edit(&[("goodbye = \"goodbye\"\n", "")]);
    assert_eq!(
        check(&text),
        [
            "t.toml:47:1: error[N12]: close step \"close\" needs `goodbye`: we thank the caller and say goodbye"
        ]
    );
}

#[test]
fn n12_a_hangup_step_is_a_warning_that_strict_fails() {
    let text = edit(&[("fallback = \"close\"", "fallback = \"bye\"")])
        + "\n[steps.bye]\nhangup = \"goodbye\"\n";
    let (flow, diags) = check_source("t.toml", &text);
    assert_eq!(
        diags.to_string(),
        "t.toml:56:8: warning[N12]: step \"bye\" hangs up without waiting for the caller; prefer a close step, which lets the caller hang up first\n"
    );
    let flow = flow.expect("warnings do not stop a flow from compiling");
    assert_eq!(
        flow.warnings(),
        &diags.0[..],
        "the flow carries its warnings"
    );
    assert!(!diags.fails(false));
    assert!(
        diags.fails(true),
        "--strict turns the warning into a failure"
    );
}

#[test]
fn n13_forbidden_wording_and_an_answer_ending_on_bu() {
    let text = edit(&[
        ("\"好的,我继续为您服务。\"", "\"喂,说话呀!\""),
        (
            "\"非常抱歉,人工客服暂时无法接通。\"",
            "\"人工客服现在接不通,这个办不了。\"",
        ),
    ]);
    assert_eq!(
        check(&text),
        [
            // Column 23 is 喂 itself, counted in characters.
            "t.toml:20:23: warning[N13]: prompt \"declined\" (zh-CN) says \"喂,说话呀\", which the norms forbid",
            "t.toml:21:20: warning[N13]: prompt \"failed\" (zh-CN) ends on a 不-word; say what can be done instead",
        ]
    );
}

#[test]
fn n13_question_tags_with_bu_are_fine() {
    let text = edit(&[("\"好的,我继续为您服务。\"", "\"我继续为您服务,好不好?\"")]);
    assert_eq!(check(&text), Vec::<String>::new());
}

#[test]
fn n2_and_n4_missing_openings_are_warnings() {
    let text = edit(&[
        ("holidays = false", "holidays = true"),
        (
            "opening_morning = { zh-CN = \"早上好!欢迎您的来电,请问有什么可以帮您?\", en = \"Good morning! How may I help you?\" }\n",
            "",
        ),
    ]);
    let (flow, diags) = check_source("t.toml", &text);
    assert!(flow.is_some());
    let holiday = |h: &str| {
        format!(
            "t.toml:1:6: warning[N4]: no prompt \"opening_{h}\": that holiday gets the normal opening (set greeting.holidays = false to mean it)"
        )
    };
    assert_eq!(
        diags.0.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        [
            "t.toml:1:6: warning[N2]: no prompt \"opening_morning\": morning callers will not hear 早上好".to_owned(),
            holiday("new_year"),
            holiday("spring_festival"),
            holiday("labour_day"),
            holiday("mid_autumn"),
            holiday("national_day"),
        ]
    );
}

#[test]
fn n3_an_inbound_flow_needs_the_standard_opening() {
    let text = edit(&[(
        "opening = { zh-CN = \"您好,欢迎您的来电,请问有什么可以帮您?\", en = \"Hello, how may I help you?\" }\n",
        "",
    )]);
    assert_eq!(
        check(&text),
        [
            "t.toml:1:6: error[N3]: an inbound flow needs prompt \"opening\", the standard opening line"
        ]
    );
}

#[test]
fn n6_and_n14_intents_need_their_replies() {
    let text = edit(&[(
        "agent = { zh-CN = [\"人工\"], en = [\"agent\"] }",
        "agent = { zh-CN = [\"人工\"], en = [\"agent\"] }\ngreeting = { zh-CN = [\"您好\"], en = [\"hello\"] }\nagent_number = { zh-CN = [\"工号\"], en = [\"agent number\"] }",
    )]);
    assert_eq!(
        check(&text),
        [
            "t.toml:1:6: error[N6]: intent \"greeting\" needs prompt \"greeting_reply\": a caller who greets us gets a polite answer",
            "t.toml:1:6: error[N14]: intent \"agent_number\" needs prompt \"agent_number\": a caller who asks for the agent number hears it",
        ]
    );
}

#[test]
fn everyday_intents_need_their_replies() {
    let text = edit(&[(
        "agent = { zh-CN = [\"人工\"], en = [\"agent\"] }",
        "agent = { zh-CN = [\"人工\"], en = [\"agent\"] }\nthanks = { zh-CN = [\"谢谢\"], en = [\"thanks\"] }\ncomplaint = { zh-CN = [\"投诉\"], en = [\"complaint\"] }\ncallback = { zh-CN = [\"回电话\"], en = [\"call me back\"] }\nnuisance = { zh-CN = [\"哈哈哈\"], en = [\"hahaha\"] }",
    )]);
    assert_eq!(
        check(&text),
        [
            "t.toml:1:6: error: intent \"thanks\" needs prompt \"thanks_reply\": a caller who thanks or praises us hears a modest thank-you",
            "t.toml:1:6: error[N17]: intent \"complaint\" needs prompt \"complaint_reply\": a complaint gets an apology, a record and a reply within three days",
            "t.toml:1:6: error[N17]: intent \"callback\" needs prompt \"callback_reply\": a caller who asks to be called back hears when",
            "t.toml:1:6: error[N15]: intent \"nuisance\" needs prompt \"nuisance_reply\": a nuisance caller is answered by the norm",
            "t.toml:1:6: error[N15]: intent \"nuisance\" needs prompt \"nuisance_goodbye\": a nuisance call ends with a goodbye before we hang up",
        ]
    );
}

#[test]
fn n12_a_flow_needs_a_polite_close() {
    let text = BASE.replace("\n[prompts.polite_close]\n", "\n[prompts.polite_closing]\n");
    assert_eq!(
        check(&text),
        [
            "t.toml:1:6: error[N12]: missing prompt \"polite_close\": a call that cannot go on (not understood, another language, too long) ends with an apology and thanks"
        ]
    );
}

#[test]
fn n17_a_promised_ticket_number_must_be_said() {
    let text = edit(&[(
        "recorded = { zh-CN = \"好的,您的问题已经记录下来。\", en = \"I have recorded your request.\" }",
        "recorded = { zh-CN = \"好的,您的问题已经记录下来,请您保存好服务单号。\", en = \"I have recorded your request; keep your ticket number {ticket}.\" }",
    )]);
    let text = text.replacen(
        "start = \"welcome\"",
        "start = \"welcome\"\n[variables]\nticket = \"A1\"",
        1,
    );
    assert_eq!(
        check(&text),
        [
            "t.toml:20:42: error[N17]: prompt \"recorded\" (zh-CN) promises a service ticket number but never says one: add the {ticket} placeholder, or promise only the reply"
        ]
    );
}

#[test]
fn understanding_words_and_bounds_are_checked() {
    let text = edit(&[(
        "[greeting]\nholidays = false",
        "[greeting]\nholidays = false\n\n[understanding]\nwords = { fr = [\"mot\"] }\nnlu_confidence = 1.5",
    )]);
    let text = text.replacen(
        "start = \"welcome\"",
        "start = \"welcome\"\n[timing]\nmax_step_visits = 1\nmax_call_ms = 1000",
        1,
    );
    assert_eq!(
        check(&text),
        [
            "t.toml:5:19: error: max_step_visits = 1 must be from 2 to 50",
            "t.toml:6:15: error: max_call_ms = 1000 is not a usable timer: it must be from 60000 to 86400000 ms",
            "t.toml:12:11: error: understanding.words: \"fr\" is not a declared locale (zh-CN, en)",
            "t.toml:13:18: error: nlu_confidence = 1.5 must be between 0 and 1",
        ]
    );
}

// === Structure ===

#[test]
fn an_unreachable_step_is_a_warning() {
    let text = BASE.to_owned() + "\n[steps.orphan]\nsay = \"recorded\"\nnext = \"close\"\n";
    assert_eq!(
        check(&text),
        ["t.toml:56:8: warning: step \"orphan\" is never reached from the start step \"welcome\""]
    );
}

#[test]
fn a_ring_of_say_steps_is_a_dead_end() {
    let text = edit(&[(
        "otherwise = \"record\"",
        "on.yes = \"record\"\notherwise = \"loop_a\"",
    )]) + "\n[steps.loop_a]\nsay = \"recorded\"\nnext = \"loop_b\"\n\n[steps.loop_b]\nsay = \"declined\"\nnext = \"loop_a\"\n";
    assert_eq!(
        check(&text),
        [
            "t.toml:57:8: error: dead end: steps loop_a → loop_b → loop_a loop without ever listening to the caller"
        ]
    );
}

#[test]
fn an_ask_with_nowhere_to_go_for_other_words_is_a_dead_end() {
    let text = edit(&[("otherwise = \"record\"\n", "on.yes = \"record\"\n")]);
    assert_eq!(
        check(&text),
        [
            "t.toml:30:1: error: dead end: ask step \"welcome\" has no `otherwise` and the flow has no prompt \"not_understood\", so words that match no answer lead nowhere"
        ]
    );
}

#[test]
fn a_prompt_missing_a_declared_locale_is_an_error() {
    let text = edit(&[(", en = \"Anything else?\"", "")]);
    assert_eq!(
        check(&text),
        ["t.toml:22:1: error: prompt \"anything_else\" has no text for locale \"en\""]
    );
}

#[test]
fn impossible_timers_are_errors() {
    let text = edit(&[
        (
            "[greeting]",
            "[timing]\nconsent_wait_ms = 999999\nlow_confidence = 1.5\n\n[greeting]",
        ),
        (
            "more = \"welcome\"\n",
            "more = \"welcome\"\n\n[steps.hold]\nhold = \"consent\"\nthanks = \"declined\"\nresume = \"declined\"\nhold_ms = 0\nnext = \"close\"\ndeclined = \"close\"\nfailed = \"close\"\noverdue = \"declined\"\nprogress = \"declined\"\ncallback = \"close\"\n",
        ),
    ]);
    assert_eq!(
        check(&text),
        [
            "t.toml:6:19: error: consent_wait_ms = 999999 is not a usable timer: it must be from 1000 to 60000 ms",
            "t.toml:7:18: error: low_confidence = 1.5 must be between 0 and 1",
            "t.toml:60:11: error: hold_ms = 0 is not a usable timer: it must be from 1000 to 600000 ms",
        ]
    );
}

// === Positions ===

#[test]
fn columns_count_characters_after_chinese_text() {
    // `recorded = { zh-CN = "` is 22 characters, the Chinese text 14 and
    // `", en = "Noted ` 14 more: the brace of {nmae} is column 52 (its byte
    // offset in the line is 80).
    let text = edit(&[(
        "en = \"I have recorded your request.\"",
        "en = \"Noted {nmae}.\"",
    )]);
    assert_eq!(
        check(&text),
        [
            "t.toml:18:52: error: unknown variable {nmae}: neither a flow default nor required at StartCall (declare it under [variables], or in required_variables when every StartCall gives it)"
        ]
    );

    // A parse error after Chinese text: 42 is the 36th character of the line.
    let text = edit(&[("en = \"Thank you, goodbye.\"", "en = 42")]);
    assert_eq!(
        check(&text),
        ["t.toml:23:36: error: invalid type: integer `42`, expected a string"]
    );
}

#[test]
fn a_position_inside_an_escaped_string_falls_back_to_its_start() {
    // With an escape, offsets in the value no longer match the file, so the
    // diagnostic points at the opening quote rather than a wrong column.
    let text = edit(&[(
        "en = \"I have recorded your request.\"",
        "en = \"\\u0041 {nmae}.\"",
    )]);
    assert_eq!(
        check(&text),
        [
            "t.toml:18:45: error: unknown variable {nmae}: neither a flow default nor required at StartCall (declare it under [variables], or in required_variables when every StartCall gives it)"
        ]
    );
}

// === Shipped flows ===

#[test]
fn every_shipped_flow_passes_strict() {
    let dir = manifest_dir().join("flows");
    let mut checked = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("flows/ is readable") {
        let path = entry.expect("flows/ entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !name.ends_with(".toml")
            || name == super::registry::HOLIDAYS_FILE
            || name == super::registry::QUALITY_FILE
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("flow file is readable");
        let (flow, diags) = check_source(&name, &text);
        assert_eq!(
            diags.to_string(),
            "",
            "{name} has no errors and no warnings"
        );
        assert!(flow.is_some(), "{name} compiles");
        checked.push(name);
    }
    checked.sort();
    assert_eq!(checked, ["hotline.toml", "menu.toml", "outbound.toml"]);
}

#[test]
fn the_outbound_flow_opens_with_the_n3b_verification_line() {
    let text =
        std::fs::read_to_string(manifest_dir().join("flows/outbound.toml")).expect("outbound.toml");
    let flow = super::compile_source("outbound.toml", &text).expect("outbound.toml compiles");
    assert_eq!(flow.kind(), FlowKind::Outbound);
    assert_eq!(
        flow.locales().iter().map(|l| &**l).collect::<Vec<_>>(),
        ["zh-CN", "zh-TW", "en"]
    );
    let start = flow.step(flow.start());
    let super::StepKind::Ask(super::AskStep {
        prompt: super::AskPrompt::Prompt(p),
        ..
    }) = start.kind
    else {
        panic!("the outbound flow starts by asking with its own prompt, not the calendar opening");
    };
    let texts: Vec<&str> = flow.prompt(p).texts.iter().map(|t| &**t).collect();
    assert_eq!(
        texts,
        [
            "您好,请问是{customer}吗?我姓X,是XX客服中心打来的,感谢您对我公司的支持和信任,来电与您核对您的资料。",
            "您好,請問是{customer}嗎?我姓X,是XX客服中心打來的,感謝您對我公司的支持和信任,來電與您核對您的資料。",
            "Hello, am I speaking with {customer}? My name is X, calling from the XX service centre. Thank you for your support and trust in our company; I am calling to check your details with you.",
        ]
    );
    assert!(
        flow.roles().yes.is_some() && flow.roles().no.is_some(),
        "the outbound flow understands yes and no"
    );
}

// === Schema ===

#[test]
fn the_shipped_schema_is_the_generated_one() {
    let shipped = std::fs::read_to_string(manifest_dir().join("flows/flow.schema.json"))
        .expect("flows/flow.schema.json");
    assert!(
        shipped == json_schema(),
        "flows/flow.schema.json is out of date: run `cargo run -- schema > flows/flow.schema.json`"
    );
}

#[test]
fn the_schema_describes_the_strict_format() {
    let schema: serde_json::Value =
        serde_json::from_str(&json_schema()).expect("the schema is JSON");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        schema["additionalProperties"], false,
        "unknown top-level keys are errors"
    );
    assert_eq!(
        schema["required"],
        serde_json::json!(["id", "locales", "start", "steps"])
    );
    assert_eq!(schema["properties"]["kind"]["$ref"], "#/definitions/Kind");
    assert_eq!(
        schema["definitions"]["Kind"]["enum"],
        serde_json::json!(["inbound", "outbound"])
    );
    assert_eq!(schema["definitions"]["Step"]["additionalProperties"], false);
    // One table for each kind of step.
    assert_eq!(
        schema["definitions"]["Step"]["oneOf"]
            .as_array()
            .map(Vec::len),
        Some(super::steps::STEP_KINDS.len())
    );
    assert_eq!(
        schema["definitions"]["Timing"]["properties"]["silence_prompts"]["minimum"],
        3
    );
}
