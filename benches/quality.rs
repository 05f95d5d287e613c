//! Quality scoring (N18) measured against plain JSON parsing of the same
//! lines, both in the same run on the same machine:
//!
//! - reference: `serde_json::from_str::<serde_json::Value>` on every line of
//!   every transcript (reading the text, nothing more);
//! - scoring: `Scorer::score_text` on every transcript (parsing, every
//!   check, the score).
//!
//! 10,000 transcripts of 40 lines each (a header and 39 events: opening,
//! request, agent number, hold, record and ticket, closing), every fifth with
//! a violation, in zh-CN, zh-TW and en. `require` checks that every call got
//! the score it should, so a fast wrong answer cannot pass.
//!
//! `cargo bench --bench quality` for the full run; `cargo test --bench
//! quality` (and CI's `cargo test --benches`) for the smoke run.

mod support;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{hint::black_box, sync::Arc, time::Instant};

use callscript::{
    calendar::HolidayCalendar,
    quality::{Rules, Scorer},
};
use support::{Mode, Table, require};

const RULES: &str = include_str!("../flows/quality.toml");
const HOLIDAYS: &str = include_str!("../flows/holidays.toml");
const LINES: usize = 40;

struct Lang {
    locale: &'static str,
    opening: &'static str,
    request: &'static str,
    answer: &'static str,
    ask_number: &'static str,
    number: &'static str,
    hold_ask: &'static str,
    yes: &'static str,
    thanks: &'static str,
    resume: &'static str,
    filler_caller: &'static str,
    filler_agent: &'static str,
    recorded: &'static str,
    anything_else: &'static str,
    no_more: &'static str,
    goodbye: &'static str,
    forbidden: &'static str,
}

const LANGS: [Lang; 3] = [
    Lang {
        locale: "zh-CN",
        opening: "您好,XX欢迎您的来电,请问有什么可以帮您?",
        request: "我想办理一下套餐变更,顺便问一下账单",
        answer: "好的,您的账单已通过短信发送到您的手机,请注意查收。",
        ask_number: "你的工号是多少?",
        number: "我的工号是1024,很高兴为您服务。",
        hold_ask: "我需要为您查询一下,请您稍候,可以吗?",
        yes: "可以",
        thanks: "谢谢,请您稍候。",
        resume: "不好意思让您久等了。",
        filler_caller: "嗯,那这个套餐每个月多少钱?",
        filler_agent: "这个套餐每月五十八元,包含二十GB流量和三百分钟通话。",
        recorded: "好的,您的问题我已经记录下来,我们会在三天内给您一个满意的答复,请您保存好服务单号。",
        anything_else: "您还需要别的帮助吗?",
        no_more: "没有了,谢谢",
        goodbye: "谢谢您,祝您愉快!再见。",
        forbidden: "喂,有什么事快说!",
    },
    Lang {
        locale: "zh-TW",
        opening: "您好,XX歡迎您的來電,請問有什麼可以幫您?",
        request: "我想辦理一下套餐變更,順便問一下帳單",
        answer: "好的,您的賬單已通過簡訊發送到您的手機,請注意查收。",
        ask_number: "你的工號是多少?",
        number: "我的工號是1024,很高興為您服務。",
        hold_ask: "我需要為您查詢一下,請您稍候,可以嗎?",
        yes: "可以",
        thanks: "謝謝,請您稍候。",
        resume: "不好意思讓您久等了。",
        filler_caller: "嗯,那這個套餐每個月多少錢?",
        filler_agent: "這個套餐每月五十八元,包含二十GB流量和三百分鐘通話。",
        recorded: "好的,您的問題我已經記錄下來,我們會在三天內給您一個滿意的答覆,請您保存好服務單號。",
        anything_else: "您還需要別的幫助嗎?",
        no_more: "沒有了,謝謝",
        goodbye: "謝謝您,祝您愉快!再見。",
        forbidden: "這不是我負責的,是其他部門的問題。",
    },
    Lang {
        locale: "en",
        opening: "Hello, welcome to XX. How may I help you?",
        request: "I'd like to change my plan, and ask about my bill too.",
        answer: "Of course. We have sent your bill to your phone by text message.",
        ask_number: "What is your agent number?",
        number: "My agent number is 1024. I'm glad to help you.",
        hold_ask: "I need to look that up for you. May I put you on hold for a moment?",
        yes: "Yes, sure.",
        thanks: "Thank you, please hold.",
        resume: "Sorry to have kept you waiting.",
        filler_caller: "OK, and how much is that plan each month?",
        filler_agent: "That plan is 58 yuan a month, with 20 GB of data and 300 minutes of calls.",
        recorded: "Thank you, I have recorded your request. We will give you an answer within three days; please keep your service ticket number.",
        anything_else: "Is there anything else I can help you with?",
        no_more: "No, that's all, thanks.",
        goodbye: "Thank you, have a nice day! Goodbye.",
        forbidden: "Hurry up, I'm busy.",
    },
];

/// Call `n`: 40 lines; every fifth call has one forbidden line (-10).
fn transcript(n: usize) -> (String, u32) {
    let l = &LANGS[n % 3];
    let day = 2 + n % 20;
    let mut out = format!(
        "{{\"call\": \"bench-{n:05}\", \"start\": \"2026-11-{day:02}T15:{:02}:00+08:00\", \"agent_id\": \"1024\", \"locale\": \"{}\", \"kind\": \"inbound\"}}\n",
        n % 60,
        l.locale
    );
    let mut t = 0.4;
    let mut line = |out: &mut String, who: &str, field: &str, value: &str| {
        out.push_str(&format!(
            "{{\"t\": {t:.1}, \"who\": \"{who}\", \"{field}\": {value}}}\n"
        ));
        t += 2.5;
    };
    let say = |s: &str| serde_json::to_string(s).expect("a string");
    line(&mut out, "agent", "say", &say(l.opening));
    line(&mut out, "caller", "say", &say(l.request));
    line(&mut out, "agent", "say", &say(l.answer));
    line(&mut out, "caller", "say", &say(l.ask_number));
    line(&mut out, "agent", "say", &say(l.number));
    line(&mut out, "caller", "say", &say(l.filler_caller));
    line(&mut out, "agent", "say", &say(l.hold_ask));
    line(&mut out, "caller", "say", &say(l.yes));
    line(&mut out, "agent", "say", &say(l.thanks));
    line(&mut out, "agent", "hold", "\"start\"");
    line(&mut out, "agent", "hold", "\"end\"");
    line(&mut out, "agent", "say", &say(l.resume));
    // 13 lines so far; 20 more of conversation, one of them forbidden in
    // every fifth call; then 7 of closing.
    let bad = n.is_multiple_of(5);
    for i in 0..10 {
        line(&mut out, "caller", "say", &say(l.filler_caller));
        let agent = if bad && i == 3 {
            l.forbidden
        } else {
            l.filler_agent
        };
        line(&mut out, "agent", "say", &say(agent));
    }
    line(&mut out, "agent", "say", &say(l.recorded));
    line(&mut out, "agent", "say", &say(l.anything_else));
    line(&mut out, "caller", "say", &say(l.no_more));
    line(&mut out, "agent", "say", &say(l.goodbye));
    line(&mut out, "caller", "say", &say(l.no_more));
    line(&mut out, "agent", "say", &say(l.goodbye));
    line(&mut out, "caller", "hangup", "true");
    (out, if bad { 90 } else { 100 })
}

fn main() {
    let mode = Mode::from_args();
    let calls = mode.pick(10_000, 300);
    let rounds = mode.pick(5, 1);
    println!(
        "callscript {} quality benchmark, {} cores, mode {mode:?}",
        env!("CARGO_PKG_VERSION"),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let rules = Rules::from_toml("quality.toml", RULES).expect("shipped rules");
    let holidays = HolidayCalendar::from_toml("holidays.toml", HOLIDAYS).expect("shipped calendar");
    let scorer = Scorer::new(Arc::new(rules), Arc::new(holidays));
    let corpus: Vec<(String, u32)> = (0..calls).map(transcript).collect();
    for (text, _) in &corpus {
        require(text.lines().count() == LINES, || {
            format!(
                "a transcript has {} lines, not {LINES}",
                text.lines().count()
            )
        });
    }
    let bytes: usize = corpus.iter().map(|(t, _)| t.len()).sum();

    let table = Table::new(
        &format!(
            "Scoring {calls} transcripts of {LINES} lines ({:.1} MB)",
            bytes as f64 / 1e6
        ),
        &[
            "round",
            "serde_json::Value per line (reference)",
            "Scorer::score_text",
            "per call",
            "ratio to reference",
        ],
    );
    let mut ratios = Vec::new();
    let mut scoring_times = Vec::new();
    for round in 1..=rounds {
        let started = Instant::now();
        let mut values = 0usize;
        for (text, _) in &corpus {
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
                values += black_box(v).as_object().map_or(0, |o| o.len());
            }
        }
        let reference = started.elapsed();
        require(values > 0, || "parsed nothing".into());

        let started = Instant::now();
        let mut wrong = Vec::new();
        for (n, (text, want)) in corpus.iter().enumerate() {
            let q = black_box(scorer.score_text(text));
            if q.score != *want || !q.problems.is_empty() {
                wrong.push(format!(
                    "call {n}: {} (want {want}) {:?} {:?}",
                    q.score, q.deductions, q.problems
                ));
            }
        }
        let scoring = started.elapsed();
        require(wrong.is_empty(), || {
            format!("{} calls scored wrong, e.g. {}", wrong.len(), wrong[0])
        });
        let ratio = scoring.as_secs_f64() / reference.as_secs_f64();
        ratios.push(ratio);
        scoring_times.push(scoring);
        table.row(&[
            round.to_string(),
            format!("{:.0} ms", reference.as_secs_f64() * 1e3),
            format!("{:.0} ms", scoring.as_secs_f64() * 1e3),
            format!("{:.1} µs", scoring.as_secs_f64() * 1e6 / calls as f64),
            format!("{ratio:.2}"),
        ]);
    }
    ratios.sort_by(f64::total_cmp);
    scoring_times.sort();
    println!(
        "\nmedian: scoring {calls} calls took {:.0} ms, {:.2}x plain JSON parsing of the same lines",
        scoring_times[scoring_times.len() / 2].as_secs_f64() * 1e3,
        ratios[ratios.len() / 2]
    );
}
