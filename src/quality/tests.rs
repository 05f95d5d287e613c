//! Unit tests: the transcript format's edge cases, the rules file's errors,
//! and checks whose boundaries the shipped transcripts do not reach.

use super::*;

/// Scores with every centre extra switched on too: these tests reach each
/// check's boundaries, whether or not it is on by default.
fn score(lines: &[&str]) -> Quality {
    let text = include_str!("../../flows/quality.toml").replace("on = false", "on = true");
    let rules = Rules::from_toml("q.toml", &text).expect("the shipped rules with extras on");
    Scorer::new(Arc::new(rules), Arc::default()).score_text(&lines.join("\n"))
}

fn rules_of(q: &Quality) -> Vec<&'static str> {
    q.deductions.iter().map(|d| d.rule).collect()
}

const HEADER: &str = r#"{"start": "2026-11-23T15:00:00+08:00", "agent_id": "1024"}"#;
const OPENING: &str =
    r#"{"t": 0.5, "who": "agent", "say": "您好,XX欢迎您的来电,请问有什么可以帮您?"}"#;

#[test]
fn every_bad_line_is_named_and_the_rest_is_kept() {
    let t = Transcript::parse(
        &[
            HEADER,
            OPENING,
            r#"{"t": -1, "who": "agent", "say": "x"}"#,
            r#"{"t": 1, "who": "agent", "hangup": false}"#,
            r#"{"t": 1, "who": "robot", "say": "x"}"#,
            r#"{"t": 1, "who": "agent", "shout": "x"}"#,
            r#"{"t": 1, "who": "agent"}"#,
            r#"{"t": 1, "who": "agent", "say": "  "}"#,
            "",
            r#"{"t": 0.2, "who": "caller", "say": "你好"}"#,
        ]
        .join("\n"),
    );
    let problems: Vec<String> = t.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "line 3: t = -1: must be seconds since the start, 0 or more",
            "line 4: hangup must be true (leave it out when nobody hung up)",
            "line 5: unknown variant `robot`, expected one of `agent`, `caller`, `qa` (column 23)",
            "line 6: unknown field `shout`, expected one of `t`, `who`, `say`, `hangup`, `hold`, `transfer`, `item`, `note` (column 32)",
            "line 7: expected exactly one of say, hangup, hold, transfer; found 0",
            "line 8: say is empty",
            "line 10: t = 0.2 is earlier than the line before (0.5); lines must be in time order (kept in file order)",
        ]
    );
    assert_eq!(
        t.events.len(),
        2,
        "the opening and the out-of-order line are kept"
    );
    assert_eq!(t.events[1].line, 10);
}

#[test]
fn a_transcript_without_header_still_scores_but_not_the_time_of_day() {
    let q = score(&[r#"{"t": 0.5, "who": "agent", "say": "您好,请问有什么可以帮您!"}"#]);
    assert_eq!(q.score, 100);
    assert_eq!(q.problems[0].line, 1);
    assert!(
        q.problems[0].message.starts_with("no header"),
        "{:?}",
        q.problems
    );
    let bad_start = score(&[r#"{"start": "yesterday"}"#, OPENING]);
    assert!(
        bad_start.problems[0]
            .message
            .starts_with("header: start = \"yesterday\" is not RFC 3339")
    );
    assert_eq!(
        score(&[""]).problems[0].message,
        "empty transcript: expected a header line with `start`"
    );
}

#[test]
fn the_opening_follows_the_local_date_and_time() {
    let at = |start: &str, opening: &str| {
        score(&[
            &format!(r#"{{"start": "{start}"}}"#),
            &format!(r#"{{"t": 0.5, "who": "agent", "say": "{opening}"}}"#),
        ])
    };
    // 2026-02-17 is Spring Festival (notice period 02-15..02-23): 新年好 also in the morning.
    assert_eq!(
        at(
            "2026-02-17T09:00:00+08:00",
            "新年好!XX客服中心,请问有什么可以帮您!"
        )
        .score,
        100
    );
    assert_eq!(
        rules_of(&at("2026-02-17T09:00:00+08:00", "早上好!XX欢迎您的来电")),
        ["opening_wrong_time"]
    );
    // 23:30 UTC on 24 Sep is 07:30 on Mid-Autumn in Shanghai: the offset decides.
    assert_eq!(
        at(
            "2026-09-25T07:30:00+08:00",
            "中秋節快樂!XX客服中心,請問有什麼可以幫您!"
        )
        .score,
        100
    );
    assert_eq!(
        at("2026-11-23T11:59:00+08:00", "Good morning! Welcome to XX.").score,
        100
    );
    assert_eq!(
        rules_of(&at(
            "2026-11-23T12:00:00+08:00",
            "Good morning! Welcome to XX."
        )),
        ["opening_wrong_time"]
    );
    // Outbound calls open with the verification line at any hour (N3b).
    let outbound = score(&[
        r#"{"start": "2026-11-23T09:00:00+08:00", "kind": "outbound"}"#,
        r#"{"t": 0.5, "who": "agent", "say": "您好,请问是XX先生/小姐吗?"}"#,
    ]);
    assert_eq!(outbound.score, 100);
    let no_greeting = at("2026-11-23T15:00:00+08:00", "喂?");
    assert_eq!(rules_of(&no_greeting), ["opening_missing"]);
}

#[test]
fn a_silent_call_needs_three_prompts_about_five_seconds_apart() {
    let call = |times: [f64; 4]| {
        score(&[
            HEADER,
            &format!(
                r#"{{"t": {}, "who": "agent", "say": "您好,XX客服中心,欢迎您的来电。请问有什么可以帮您?"}}"#,
                times[0]
            ),
            &format!(
                r#"{{"t": {}, "who": "agent", "say": "您好!请问有什么可以帮您?"}}"#,
                times[1]
            ),
            &format!(
                r#"{{"t": {}, "who": "agent", "say": "非常抱歉,您的电话没有声音,请您换一部电话再打来,再见!"}}"#,
                times[2]
            ),
            &format!(r#"{{"t": {}, "who": "agent", "hangup": true}}"#, times[3]),
        ])
    };
    assert_eq!(call([0.5, 5.5, 10.5, 15.5]).score, 100);
    let quick = call([0.5, 5.5, 7.0, 12.0]);
    assert_eq!(rules_of(&quick), ["silent_call"]);
    assert_eq!(
        quick.deductions[0].note,
        "the caller never spoke; 1.5 s passed between prompt 2 and the next prompt, less than 4.0 s"
    );
    let early = call([0.5, 5.5, 10.5, 11.0]);
    assert_eq!(
        early.deductions[0].note,
        "the caller never spoke; 0.5 s passed between prompt 3 and the next the hang-up, less than 4.0 s"
    );
}

#[test]
fn agreeing_to_call_from_another_phone_lets_the_agent_hang_up_at_once() {
    let q = score(&[
        HEADER,
        OPENING,
        r#"{"t": 2, "who": "caller", "say": "[weak audio]"}"#,
        r#"{"t": 3, "who": "agent", "say": "对不起!您的电话声音太小,我这边听不清楚,请您换一部电话再打过来,好吗?"}"#,
        r#"{"t": 5, "who": "caller", "say": "好的"}"#,
        r#"{"t": 5.5, "who": "agent", "hangup": true}"#,
    ]);
    assert_eq!((q.score, rules_of(&q)), (100, vec![]));
    let refused = score(&[
        HEADER,
        OPENING,
        r#"{"t": 3, "who": "agent", "say": "请您换一部电话再打过来,好吗?"}"#,
        r#"{"t": 5, "who": "caller", "say": "不行,我就这一部电话"}"#,
        r#"{"t": 5.5, "who": "agent", "hangup": true}"#,
    ]);
    assert_eq!(rules_of(&refused), ["agent_hung_up_first"]);
    assert_eq!(refused.deductions[0].evidence, "不行,我就这一部电话");
}

#[test]
fn a_transfer_the_caller_refused_is_not_consent() {
    let q = score(&[
        HEADER,
        OPENING,
        r#"{"t": 3, "who": "agent", "say": "为了更好地解决您的问题,我为您转接到人工客服,请问可以吗?"}"#,
        r#"{"t": 5, "who": "caller", "say": "不可以"}"#,
        r#"{"t": 6, "who": "agent", "transfer": "agents"}"#,
    ]);
    assert_eq!(rules_of(&q), ["transfer_not_asked"]);
    assert_eq!(
        q.deductions[0].note,
        "the agent asked at 3.0 s but transferred without the caller's yes"
    );
}

#[test]
fn the_agent_number_read_in_chinese_numerals_is_checked() {
    let call = |reply: &str| {
        score(&[
            HEADER,
            OPENING,
            r#"{"t": 3, "who": "caller", "say": "你的工号多少"}"#,
            &format!(r#"{{"t": 4, "who": "agent", "say": "{reply}"}}"#),
        ])
    };
    assert_eq!(call("我的工号是幺零二四").score, 100);
    assert_eq!(call("我的工号是１０２４").score, 100);
    assert_eq!(rules_of(&call("请稍等一下")), ["agent_number_refused"]);
    assert_eq!(rules_of(&call("我是1025号")), ["agent_number_wrong"]);
}

#[test]
fn the_score_never_goes_below_zero() {
    let mut lines = vec![HEADER.to_owned(), OPENING.to_owned()];
    for i in 0..12 {
        lines.push(format!(
            r#"{{"t": {}, "who": "agent", "say": "喂,说话呀"}}"#,
            i + 1
        ));
    }
    let q = Scorer::default().score_text(&lines.join("\n"));
    assert_eq!(q.deductions.len(), 12);
    assert_eq!(q.score, 0);
}

#[test]
fn switched_off_rules_deduct_nothing() {
    let text = include_str!("../../flows/quality.toml").replace(
        "[rules.forbidden_wording]\nnorm = \"N13\"\nitem = 1\npoints = 10",
        "[rules.forbidden_wording]\nnorm = \"N13\"\nitem = 1\npoints = 0",
    );
    let rules = Rules::from_toml("q.toml", &text).expect("valid");
    let scorer = Scorer::new(Arc::new(rules), Arc::default());
    let q = scorer.score_text(
        &[
            HEADER,
            OPENING,
            r#"{"t": 2, "who": "agent", "say": "喂,说话呀"}"#,
        ]
        .join("\n"),
    );
    assert_eq!(q.score, 100);
}

#[test]
fn a_rules_file_names_every_problem_with_its_place() {
    let shipped = include_str!("../../flows/quality.toml");
    let unknown =
        format!("{shipped}\n[rules.be_nice]\nnorm = \"N1\"\npoints = 1\ndescription = \"x\"\n");
    let errors = Rules::from_toml("q.toml", &unknown).expect_err("unknown rule");
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .contains(": unknown rule `be_nice`; the checks are: opening_missing, "),
        "{}",
        errors[0]
    );

    let missing = shipped.replace("[rules.no_goodbye]", "[rules.no_goodbye_typo]");
    let errors = Rules::from_toml("q.toml", &missing).expect_err("missing rule");
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("unknown rule `no_goodbye_typo`"))
    );
    assert!(messages.contains(&"rule `no_goodbye` is missing: list every rule ([rules.no_goodbye]); points = 0 switches one off"));

    let syntax = shipped.replace("caller_wait_s = 5 ", "caller_wait_s = \"five\" ");
    let errors = Rules::from_toml("q.toml", &syntax).expect_err("wrong type");
    let line = shipped
        .lines()
        .position(|l| l.starts_with("caller_wait_s"))
        .expect("line")
        + 1;
    assert_eq!(
        (errors[0].line as usize, errors[0].column),
        (line, 17),
        "{}",
        errors[0]
    );

    let norm = shipped.replace("norm = \"N10\"", "norm = \"10\"");
    let errors = Rules::from_toml("q.toml", &norm).expect_err("bad norm");
    assert_eq!(
        errors[0].message,
        "rules.transfer_not_asked.norm = \"10\": expected a norm id such as \"N13\""
    );
}

#[test]
fn digits_are_read_from_chinese_numerals_and_full_width_forms() {
    assert_eq!(words::digit_runs("工号一零二四"), ["1024"]);
    assert_eq!(words::digit_runs("No. 10 24, ext 7"), ["1024", "7"]);
    assert_eq!(words::compact("喂，说话 呀!"), "喂说话呀");
    assert_eq!(words::compact("I don't know."), "idontknow");
}

#[test]
fn a_service_hold_maps_to_hold_lines_around_its_prompts() {
    use std::time::Duration;
    let header = TranscriptHeader {
        call: None,
        start: "2026-11-23T15:00:00+08:00".into(),
        agent_id: None,
        locale: None,
        kind: None,
    };
    let say = |s: u64, prompt: &str, text: &str| IvrLine {
        at: Duration::from_secs(s),
        what: IvrWhat::Say {
            prompt: prompt.into(),
            text: text.into(),
        },
    };
    let t = from_ivr(
        header,
        &[
            say(0, "opening", "您好,XX欢迎您的来电,请问有什么可以帮您?"),
            IvrLine {
                at: Duration::from_secs(2),
                what: IvrWhat::Caller("我想办理套餐".into()),
            },
            say(2, "hold_ask", "我需要为您查询一下,请您稍候,可以吗?"),
            IvrLine {
                at: Duration::from_secs(3),
                what: IvrWhat::Caller("可以".into()),
            },
            say(3, "hold_thanks", "谢谢,请您稍候。"),
            say(33, "hold_resume", "不好意思让您久等了。"),
            IvrLine {
                at: Duration::from_secs(40),
                what: IvrWhat::Hangup {
                    reason: "shutdown".into(),
                },
            },
        ],
    );
    let whats: Vec<&What> = t.events.iter().map(|e| &e.what).collect();
    assert_eq!(whats[5], &What::Hold(HoldEdge::Start));
    assert_eq!(whats[6], &What::Hold(HoldEdge::End));
    assert_eq!(t.events.len(), 8, "a shutdown is nobody's hang-up");
    assert_eq!(Scorer::default().score(&t).score, 100);
}

#[test]
fn the_shipped_rules_are_the_table_and_the_centre_extras_are_off() {
    let rules = Rules::default();
    let items: Vec<(u32, u32)> = rules.items().map(|i| (i.number, i.points)).collect();
    assert_eq!(
        items,
        [
            (1, 10),
            (2, 10),
            (3, 10),
            (4, 10),
            (5, 10),
            (6, 10),
            (7, 10),
            (8, 6),
            (9, 10),
            (10, 10),
            (11, 10),
            (12, 6),
            (13, 5),
            (14, 5),
            (15, 5),
            (16, 10),
            (17, 6),
        ]
    );
    for r in rules.all() {
        match r.item {
            Some(i) => {
                let item = rules.item(i).expect("a rule's item is in the table");
                assert_eq!(
                    (r.points, r.on, r.centre),
                    (item.points, true, false),
                    "{}",
                    r.id
                );
            }
            None => assert!(r.centre && !r.on, "{}: a centre extra, off", r.id),
        }
    }
    let doubled: Vec<(u32, Doubling)> = rules
        .items()
        .filter(|i| i.doubling != Doubling::Never)
        .map(|i| (i.number, i.doubling))
        .collect();
    assert_eq!(
        doubled,
        [
            (8, Doubling::Complaint),
            (9, Doubling::Serious),
            (10, Doubling::Serious),
            (17, Doubling::Complaint),
        ]
    );
}

#[test]
fn a_complaint_doubles_hanging_up_first_and_says_why() {
    let q = Scorer::default().score_text(
        &[
            HEADER,
            OPENING,
            r#"{"t": 3, "who": "caller", "say": "你们太慢了,我要投诉你"}"#,
            r#"{"t": 4, "who": "agent", "hangup": true}"#,
        ]
        .join("\n"),
    );
    assert_eq!(q.score, 88);
    let d = &q.deductions[0];
    assert_eq!(
        (d.rule, d.points, d.label()),
        ("agent_hung_up_first", 12, "item 8 ×2".to_owned())
    );
    assert_eq!(
        d.doubled.as_deref(),
        Some("the caller complained at 3.0 s (\"你们太慢了,我要投诉你\")")
    );
    // Without the complaint, the table's 6.
    let calm = Scorer::default().score_text(
        &[
            HEADER,
            OPENING,
            r#"{"t": 3, "who": "caller", "say": "你们太慢了"}"#,
            r#"{"t": 4, "who": "agent", "hangup": true}"#,
        ]
        .join("\n"),
    );
    assert_eq!(
        (calm.score, calm.deductions[0].label()),
        (94, "item 8".to_owned())
    );
}

#[test]
fn an_agent_line_hard_on_the_callers_interrupts_when_interrupt_ms_is_set() {
    let lines = [
        HEADER,
        OPENING,
        r#"{"t": 3, "who": "caller", "say": "我想问一下我的账单"}"#,
        r#"{"t": 3.2, "who": "agent", "say": "账单已经发到您的手机了。"}"#,
    ];
    assert_eq!(Scorer::default().score_text(&lines.join("\n")).score, 100);
    let text = include_str!("../../flows/quality.toml")
        .replace("interrupt_ms = 0 ", "interrupt_ms = 500 ");
    let rules = Rules::from_toml("q.toml", &text).expect("valid");
    let q = Scorer::new(Arc::new(rules), Arc::default()).score_text(&lines.join("\n"));
    assert_eq!(rules_of(&q), ["interrupting"]);
    assert_eq!(
        q.deductions[0].note,
        "started 0.2 s after the caller's \"我想问一下我的账单\" at 3.0 s, within 0.5 s"
    );
}

#[test]
fn qa_lines_carry_an_item_and_a_note_and_nothing_else() {
    let t = Transcript::parse(
        &[
            HEADER,
            r#"{"t": 1, "who": "qa", "item": 5, "note": "登记错误"}"#,
            r#"{"t": 1, "who": "qa", "item": 5}"#,
            r#"{"t": 1, "who": "qa", "item": 5, "note": "x", "say": "x"}"#,
            r#"{"t": 1, "who": "agent", "say": "x", "item": 5}"#,
            r#"{"t": 1, "who": "qa", "item": 0, "note": "x"}"#,
        ]
        .join("\n"),
    );
    let problems: Vec<String> = t.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        [
            "line 3: a qa line needs item and note",
            "line 4: a qa line gives only item and note",
            "line 5: item and note are for qa lines only",
            "line 6: item = 0: the deduction table's item number, 1-99",
        ]
    );
    assert_eq!(
        t.events[0].what,
        What::Annotation {
            item: 5,
            note: "登记错误".into()
        }
    );
    assert_eq!(Transcript::parse(&t.to_jsonl()).events, t.events);
}

/// The scorer hears a nuisance caller by the hotline's own intent words,
/// every locale's.
#[test]
fn every_nuisance_intent_word_of_the_hotline_makes_a_nuisance_call() {
    let flow: toml::Table = include_str!("../../flows/hotline.toml")
        .parse()
        .expect("the shipped hotline");
    let words: Vec<&str> = flow["intents"]["nuisance"]
        .as_table()
        .expect("a nuisance intent")
        .values()
        .flat_map(|w| w.as_array().expect("words").iter())
        .map(|w| w.as_str().expect("a word"))
        .collect();
    assert!(words.len() >= 10, "{words:?}");
    for said in words {
        let caller = format!(r#"{{"t": 3, "who": "caller", "say": "{said}"}}"#);
        let q = score(&[
            HEADER,
            OPENING,
            &caller,
            r#"{"t": 4, "who": "agent", "hangup": true}"#,
        ]);
        assert_eq!(rules_of(&q), ["nuisance_hung_up"], "{said}");
    }
}
