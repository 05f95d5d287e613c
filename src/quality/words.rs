//! What the checks listen for, in Simplified and Traditional Chinese and in
//! English, and how a line's words are compared. What the agent must
//! never say (N13) is not here but in `crate::norms`, which `check` reads
//! too.
//!
//! Every check listens in all three languages at once: a header's locale
//! may be missing or wrong, and the marker lists do not overlap. Words are
//! compared on a *compact* form (lower case, without spaces or punctuation),
//! so "喂,说话呀", "喂，说话呀" and "喂 说话呀" are the same words, and
//! "I don't know" matches "i dont know".

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

use super::tone_words as tone;

/// A line's words, prepared once for all checks.
#[derive(Debug, Clone)]
pub struct Words {
    /// ASCII lower case, punctuation kept: for questions and English word checks.
    pub lower: String,
    /// Lower case without whitespace or punctuation.
    pub compact: String,
    /// Which [`Family`]s of markers the line holds, one bit each.
    found: u32,
}

impl Words {
    pub fn new(text: &str) -> Words {
        // ASCII lower case is enough for the English word checks, and far
        // cheaper than Unicode's on Chinese text.
        let lower = text.to_ascii_lowercase();
        let compact = compact(text);
        // One pass over the line for every family's markers: the profile
        // showed a substring search per marker and check costing most of a
        // call's scoring (benches/quality.rs).
        let (automaton, family_of) = &*MARKERS;
        let found = automaton
            .find_overlapping_iter(compact.as_str())
            .fold(0, |bits, m| {
                bits | 1 << family_of[m.pattern().as_usize()] as u32
            });
        Words {
            lower,
            compact,
            found,
        }
    }

    /// Contains one of the family's markers.
    pub fn has(&self, family: Family) -> bool {
        self.found & (1 << family as u32) != 0
    }

    /// The family's first marker in the line, to quote in a finding; only
    /// called once a check has found something, so the extra search is
    /// paid on faults, not on every line.
    pub fn marker(&self, family: Family) -> Option<&'static str> {
        FAMILIES
            .iter()
            .find(|(f, _)| *f == family)
            .and_then(|(_, markers)| markers.iter().find(|m| self.compact.contains(**m)))
            .copied()
    }

    /// Has one of `words` as a whole English word.
    pub fn has_word(&self, words: &[&str]) -> bool {
        self.lower
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .any(|w| words.contains(&w))
    }

    /// Asks something: a question mark, or a Chinese question particle.
    pub fn is_question(&self) -> bool {
        self.lower.contains(['?', '？']) || self.has(QUESTION_WORD)
    }
}

/// The norms' compact form (crate::norms): the checks and the forbidden
/// phrases compare words the same way.
pub use crate::norms::compact;

/// A family of markers a check listens for; `Words::has` tests one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Greeting,
    Morning,
    NewYear,
    LabourDay,
    MidAutumn,
    NationalDay,
    Goodbye,
    CallAgain,
    AskAgentNumber,
    Transfer,
    Reason,
    Hold,
    Apology,
    Complaint,
    Callback,
    When,
    Recorded,
    Ticket,
    Yes,
    NoZh,
    QuestionWord,
    Nuisance,
    NuisanceReply,
    Imperative,
    BrushOff,
    DontKnow,
    GoYourself,
    Impatience,
}

pub const GREETING: Family = Family::Greeting;
pub const MORNING: Family = Family::Morning;
pub const NEW_YEAR: Family = Family::NewYear;
pub const LABOUR_DAY: Family = Family::LabourDay;
pub const MID_AUTUMN: Family = Family::MidAutumn;
pub const NATIONAL_DAY: Family = Family::NationalDay;
pub const GOODBYE: Family = Family::Goodbye;
pub const CALL_AGAIN: Family = Family::CallAgain;
pub const ASK_AGENT_NUMBER: Family = Family::AskAgentNumber;
pub const TRANSFER: Family = Family::Transfer;
pub const REASON: Family = Family::Reason;
pub const HOLD: Family = Family::Hold;
pub const APOLOGY: Family = Family::Apology;
pub const COMPLAINT: Family = Family::Complaint;
pub const CALLBACK: Family = Family::Callback;
pub const WHEN: Family = Family::When;
pub const RECORDED: Family = Family::Recorded;
pub const TICKET: Family = Family::Ticket;
pub const YES: Family = Family::Yes;
pub const NO_ZH: Family = Family::NoZh;
pub const NUISANCE: Family = Family::Nuisance;
pub const NUISANCE_REPLY: Family = Family::NuisanceReply;
pub const IMPERATIVE: Family = Family::Imperative;
pub const BRUSH_OFF: Family = Family::BrushOff;
pub const DONT_KNOW: Family = Family::DontKnow;
pub const GO_YOURSELF: Family = Family::GoYourself;
pub const IMPATIENCE: Family = Family::Impatience;
const QUESTION_WORD: Family = Family::QuestionWord;
const QUESTION_WORD_MARKERS: &[&str] = &["吗", "嗎", "是否"];

/// Every family with its markers (in compact form).
const FAMILIES: &[(Family, &[&str])] = &[
    (GREETING, GREETING_MARKERS),
    (MORNING, MORNING_MARKERS),
    (NEW_YEAR, NEW_YEAR_MARKERS),
    (LABOUR_DAY, LABOUR_DAY_MARKERS),
    (MID_AUTUMN, MID_AUTUMN_MARKERS),
    (NATIONAL_DAY, NATIONAL_DAY_MARKERS),
    (GOODBYE, GOODBYE_MARKERS),
    (CALL_AGAIN, CALL_AGAIN_MARKERS),
    (ASK_AGENT_NUMBER, ASK_AGENT_NUMBER_MARKERS),
    (TRANSFER, TRANSFER_MARKERS),
    (REASON, REASON_MARKERS),
    (HOLD, HOLD_MARKERS),
    (APOLOGY, APOLOGY_MARKERS),
    (COMPLAINT, COMPLAINT_MARKERS),
    (CALLBACK, CALLBACK_MARKERS),
    (WHEN, WHEN_MARKERS),
    (RECORDED, RECORDED_MARKERS),
    (TICKET, TICKET_MARKERS),
    (YES, YES_MARKERS),
    (NO_ZH, NO_ZH_MARKERS),
    (QUESTION_WORD, QUESTION_WORD_MARKERS),
    (NUISANCE_REPLY, tone::NUISANCE_REPLY_MARKERS),
    (IMPERATIVE, tone::IMPERATIVE_MARKERS),
    (BRUSH_OFF, tone::BRUSH_OFF_MARKERS),
    (DONT_KNOW, tone::DONT_KNOW_MARKERS),
    (GO_YOURSELF, tone::GO_YOURSELF_MARKERS),
    (IMPATIENCE, tone::IMPATIENCE_MARKERS),
];

/// One automaton over every family's markers, and each pattern's family.
static MARKERS: LazyLock<(AhoCorasick, Vec<Family>)> = LazyLock::new(|| {
    let (families, patterns): (Vec<Family>, Vec<String>) = FAMILIES
        .iter()
        .flat_map(|(f, markers)| markers.iter().map(move |m| (*f, (*m).to_owned())))
        .chain(tone::nuisance_markers().into_iter().map(|m| (NUISANCE, m)))
        .unzip();
    // A DFA: a few hundred short markers make a small one, and it searches
    // fastest.
    let automaton = AhoCorasick::builder()
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(patterns)
        .expect("the marker lists are plain strings");
    (automaton, families)
});

/// Any greeting that can open a call (N3, N3b, N4).
const GREETING_MARKERS: &[&str] = &[
    "您好",
    "你好",
    "早上好",
    "上午好",
    "下午好",
    "晚上好",
    "新年好",
    "快乐",
    "快樂",
    "欢迎",
    "歡迎",
    "hello",
    "goodmorning",
    "goodafternoon",
    "goodevening",
    "welcome",
    "happy",
];

/// The morning opening (N2).
const MORNING_MARKERS: &[&str] = &["早上好", "goodmorning"];

/// Holiday openings (N4), by holiday: New Year's Day and Spring Festival
/// share 新年好.
const NEW_YEAR_MARKERS: &[&str] = &["新年好", "新年快乐", "新年快樂", "happynewyear"];
const LABOUR_DAY_MARKERS: &[&str] = &[
    "劳动节快乐",
    "勞動節快樂",
    "五一快乐",
    "五一快樂",
    "happylabourday",
    "happylaborday",
    "happymayday",
];
const MID_AUTUMN_MARKERS: &[&str] = &[
    "中秋节快乐",
    "中秋節快樂",
    "中秋快乐",
    "中秋快樂",
    "happymidautumn",
];
const NATIONAL_DAY_MARKERS: &[&str] = &[
    "国庆节快乐",
    "國慶節快樂",
    "国庆快乐",
    "國慶快樂",
    "happynationalday",
];

/// Goodbyes (N12).
const GOODBYE_MARKERS: &[&str] = &["再见", "再見", "goodbye", "bye"];

/// Ending a call the caller cannot be heard on: call again from another
/// phone, or (outbound) we call back another time (N5, N7).
const CALL_AGAIN_MARKERS: &[&str] = &[
    "换一部电话",
    "換一部電話",
    "换个电话",
    "換個電話",
    "换一个时间",
    "換一個時間",
    "anotherphone",
    "differentphone",
    "anothertime",
];

/// The caller asks for the agent's number (N14).
const ASK_AGENT_NUMBER_MARKERS: &[&str] = &[
    "工号",
    "工號",
    "你是几号",
    "你是幾號",
    "您是几号",
    "您是幾號",
    "你几号",
    "你幾號",
    "agentnumber",
    "yournumber",
    "yourid",
    "staffnumber",
    "employeenumber",
    "operatornumber",
    "badgenumber",
];

/// Transfers (N10).
const TRANSFER_MARKERS: &[&str] = &[
    "转接",
    "轉接",
    "转到",
    "轉到",
    "转给",
    "轉給",
    "转人工",
    "轉人工",
    "transfer",
    "putyouthrough",
    "connectyou",
];

/// A reason for the transfer (N10).
const REASON_MARKERS: &[&str] = &[
    "为了",
    "為了",
    "因为",
    "因為",
    "由于",
    "由於",
    "以便",
    "专门",
    "專門",
    "专业",
    "專業",
    "负责",
    "負責",
    "because",
    "sothat",
    "inorderto",
    "tosolve",
    "tohelp",
    "tobetter",
    "whocan",
    "specialist",
    "department",
    "team",
];

/// Putting a caller on hold (N11).
const HOLD_MARKERS: &[&str] = &[
    "稍候",
    "稍等",
    "等一下",
    "等一等",
    "等候",
    "hold",
    "amoment",
    "wait",
];

/// Apologies (N11 on resuming, N17 for a complaint).
const APOLOGY_MARKERS: &[&str] = &[
    "抱歉",
    "对不起",
    "對不起",
    "不好意思",
    "道歉",
    "久等",
    "sorry",
    "apologi",
    "thankyouforwaiting",
    "thanksforwaiting",
];

/// A complaint (N17).
const COMPLAINT_MARKERS: &[&str] = &[
    "投诉",
    "投訴",
    "不满意",
    "不滿意",
    "complain",
    "complaint",
    "dissatisfied",
    "unacceptable",
];

/// A promised reply or callback (N17).
const CALLBACK_MARKERS: &[&str] = &[
    "回电",
    "回電",
    "回复您",
    "回覆您",
    "给您回复",
    "給您回覆",
    "给您答复",
    "給您答覆",
    "给您一个满意的答复",
    "給您一個滿意的答覆",
    "答复您",
    "答覆您",
    "给您一个答复",
    "給您一個答覆",
    "callyouback",
    "getbacktoyou",
    "replytoyou",
    "giveyouananswer",
    "giveyouareply",
    "answerwithin",
];

/// When: a time the promised reply comes by (N17).
const WHEN_MARKERS: &[&str] = &[
    "分钟",
    "分鐘",
    "小时",
    "小時",
    "天内",
    "天內",
    "日内",
    "日內",
    "工作日",
    "今天",
    "明天",
    "今日",
    "明日",
    "今晚",
    "上午",
    "下午",
    "点前",
    "點前",
    "点之前",
    "點之前",
    "号前",
    "號前",
    "周内",
    "週內",
    "minute",
    "hour",
    "today",
    "tomorrow",
    "tonight",
    "oclock",
    "day",
    "week",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A recorded request (N17).
const RECORDED_MARKERS: &[&str] = &[
    "记录下来",
    "記錄下來",
    "已经记录",
    "已經記錄",
    "已记录",
    "已記錄",
    "为您登记",
    "為您登記",
    "已经登记",
    "已經登記",
    "为您受理",
    "為您受理",
    "已经受理",
    "已經受理",
    "提交了工单",
    "提交了工單",
    "recordedyour",
    "haverecorded",
    "loggedyour",
    "havelogged",
    "registeredyour",
    "raisedaticket",
    "openedaticket",
];

/// The service ticket number reminder (N17).
const TICKET_MARKERS: &[&str] = &[
    "服务单号",
    "服務單號",
    "工单号",
    "工單號",
    "受理单号",
    "受理單號",
    "单号",
    "單號",
    "ticketnumber",
    "referencenumber",
    "casenumber",
];

/// Consent and refusal (N7, N10, N11): the caller's answer to a question.
const YES_MARKERS: &[&str] = &[
    "好的",
    "好",
    "可以",
    "行",
    "嗯",
    "是的",
    "没问题",
    "沒問題",
    "ok",
];
const NO_ZH_MARKERS: &[&str] = &["不可以", "不用", "不要", "不行", "不好", "算了", "别", "別"];
pub const NO_EN: &[&str] = &["no", "nope", "don't", "dont", "not"];

impl Words {
    /// The caller refused.
    pub fn is_refusal(&self) -> bool {
        self.has(NO_ZH) || self.has_word(NO_EN)
    }
}

/// Digits said in a line, with Chinese numerals read one by one (一零二四 is
/// 1024, as agent numbers are read out) and full-width digits folded.
pub fn digit_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        let d = match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_digit(c as u32 - '０' as u32, 10),
            '零' | '〇' | '洞' => Some('0'),
            '一' | '幺' | '壹' => Some('1'),
            '二' | '两' | '兩' | '贰' | '貳' => Some('2'),
            '三' | '叁' => Some('3'),
            '四' | '肆' => Some('4'),
            '五' | '伍' => Some('5'),
            '六' | '陆' | '陸' => Some('6'),
            '七' | '柒' => Some('7'),
            '八' | '捌' => Some('8'),
            '九' | '玖' => Some('9'),
            _ => None,
        };
        match d {
            Some(d) => cur.push(d),
            None if c == ' ' && !cur.is_empty() => {}
            None => {
                if !cur.is_empty() {
                    runs.push(std::mem::take(&mut cur));
                }
            }
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs
}
