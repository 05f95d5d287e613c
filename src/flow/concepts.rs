//! Concept classes: words that mean the same thing to a call centre, as
//! Rasa's synonyms and lookup tables do. A caller who says 扣了多少,
//! 账单 or "what do I owe" talks about money whichever word is in the
//! flow's examples; one who says 坑, 垃圾 or "rip-off" is unhappy though
//! no example has that word. Each class is one more feature of the
//! classifier (`k` and its name), seen wherever any of its words is, so
//! an example with one word of a class is near a line with another.
//!
//! The classes are built in, per script, rather than a table in each
//! flow: they say what words mean in the language, not what a flow does
//! with them (the flow's examples tie a class to its intents, and the
//! classifier weighs it by how many intents it is seen in). A class
//! nobody's examples use counts for nothing.
//!
//! Chinese words are written in both scripts (the classes are matched on
//! characters; pinyin already lets one script's examples meet the other's
//! lines). English words are matched by their stems, and a pair of words
//! ("fed up") by the stems of both.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use aho_corasick::AhoCorasick;

/// (class, Chinese words, English words or word pairs).
#[rustfmt::skip]
const CLASSES: &[(&str, &[&str], &[&str])] = &[
    ("money", &[
        "钱", "錢", "费", "費", "扣", "账", "帳", "余额", "餘額", "欠", "缴", "繳", "交费", "交費", "花了", "收费",
        "收費", "块", "塊", "元",
    ], &[
        "bill", "charge", "owe", "owing", "balance", "money", "pay", "payment", "cost", "spent",
        "statement", "fee", "invoice", "dollar", "credit",
    ]),
    ("person", &[
        "人工", "真人", "活人", "客服", "接线员", "接線員", "专员", "專員", "总机", "總機", "工作人员", "工作人員", "服务人员",
        "服務人員", "话务员", "話務員",
    ], &[
        "agent", "human", "person", "someone", "somebody", "anybody", "anyone", "operator",
        "representative", "rep", "real person",
    ]),
    ("displeasure", &[
        "坑", "垃圾", "骗", "騙", "气死", "氣死", "破", "受不了", "受够", "受夠", "烂", "爛", "过分", "過分", "离谱",
        "離譜", "不满", "不滿", "恶心", "噁心", "投诉", "投訴", "客诉", "客訴", "申诉", "申訴", "举报", "舉報", "差劲",
        "差勁", "态度", "態度", "生气", "生氣", "火大", "糟糕", "莫名其妙", "搞什么", "搞什麼", "凭什么", "憑什麼", "不像话",
        "不像話", "太差", "很差", "烦死", "煩死", "烦人", "煩人", "很烦", "很煩",
    ], &[
        "ridiculous", "terrible", "awful", "rip-off", "ripoff", "rip off", "scam", "useless",
        "worst", "joke", "unacceptable", "disgusting", "unhappy", "angry", "furious",
        "complain", "complaint", "escalate", "fed up", "rubbish", "pathetic", "outrageous",
        "disgrace", "horrible", "suck", "annoyed", "upset", "nonsense", "incompetent",
        "harassment", "sick of", "tired of",
    ]),
    ("plan", &[
        "套餐", "资费", "資費", "方案", "月租", "流量", "吃到饱", "吃到飽", "不限量", "无限", "無限", "漫游", "漫遊", "合约",
        "合約",
    ], &[
        "plan", "tariff", "package", "data", "unlimited", "roaming", "contract", "bundle",
    ]),
    ("change", &[
        "换", "換", "改", "变更", "變更", "升级", "升級", "降级", "降級", "调整", "調整", "开通", "開通", "取消",
    ], &[
        "switch", "change", "upgrade", "downgrade", "cancel", "activate", "update",
    ]),
    ("later", &[
        "晚点", "晚點", "晚一点", "晚一點", "回头", "回頭", "待会", "待會", "等会", "等會", "一会", "一會", "改天", "稍后",
        "稍後", "回电", "回電", "再打", "过会", "過會",
    ], &[
        "later", "call back", "ring back", "another time",
    ]),
    ("busy", &[
        "忙", "开会", "開會", "开车", "開車", "上班", "不方便", "没空", "沒空",
    ], &[
        "busy", "driving", "meeting", "bad time", "good time",
    ]),
    ("hearing", &[
        "没听清", "沒聽清", "听不清", "聽不清", "听不到", "聽不到", "没听到", "沒聽到", "重复", "重複", "没听懂", "沒聽懂",
    ], &[
        "again", "repeat", "pardon", "catch", "hear", "missed",
    ]),
    ("staff_id", &[
        "工号", "工號", "编号", "編號", "几号", "幾號", "员工", "員工",
    ], &[
        "badge", "id", "employee",
    ]),
    ("flirting", &[
        "单身", "單身", "男朋友", "女朋友", "对象", "對象", "约会", "約會", "美女", "帅哥", "帥哥", "漂亮", "聊天", "唱歌",
        "无聊", "無聊", "寂寞",
    ], &[
        "single", "date", "girlfriend", "boyfriend", "sexy", "cute", "chat", "bored", "lonely",
        "kiss", "marry", "beautiful",
    ]),
    ("details", &[
        "地址", "手机号", "手機號", "号码", "號碼", "搬家", "住址", "联系方式", "聯繫方式", "联系电话", "聯繫電話", "资料", "資料",
        "邮箱", "郵箱",
    ], &[
        "address", "phone", "number", "moved", "contact", "email", "details",
    ]),
    ("machine", &[
        "机器", "機器", "电脑", "電腦", "自动", "自動",
    ], &[
        "robot", "bot", "machine", "automated", "computer",
    ]),
];

/// The Chinese words of every class, and the class of each.
static CHINESE: LazyLock<(AhoCorasick, Vec<&'static str>)> = LazyLock::new(|| {
    let (words, classes): (Vec<&str>, Vec<&str>) = CLASSES
        .iter()
        .flat_map(|&(class, zh, _)| zh.iter().map(move |&w| (w, class)))
        .unzip();
    let search = AhoCorasick::new(words).expect("the classes' words build an automaton");
    (search, classes)
});

/// Each English word's or pair's stems, and its class.
static ENGLISH: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    CLASSES
        .iter()
        .flat_map(|&(class, _, en)| {
            en.iter().flat_map(move |&w| {
                // The stemmer cuts "charges" and "charged" to "charg" but
                // leaves "charge": a word is entered as each of its forms.
                let forms = if w.contains(' ') {
                    vec![w.to_owned()]
                } else {
                    ["", "s", "d", "ed", "ing"]
                        .map(|e| format!("{w}{e}"))
                        .to_vec()
                };
                forms.into_iter().map(move |f| {
                    let stems: Vec<&str> = f.split(' ').map(super::classifier::stem).collect();
                    (stems.join(" "), class)
                })
            })
        })
        .collect()
});

/// Hands `found` the class and the character index of each class word in
/// a run of Chinese characters, overlaps too (不满 and 满).
pub(crate) fn chinese(run: &str, found: &mut impl FnMut(&'static str, usize)) {
    let (search, classes) = &*CHINESE;
    for m in search.find_overlapping_iter(run) {
        found(
            classes[m.pattern().as_usize()],
            run[..m.start()].chars().count(),
        );
    }
}

/// The stems that begin a pair of some class: only these need the pair
/// looked up.
static PAIR_STARTS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    CLASSES
        .iter()
        .flat_map(|&(_, _, en)| en.iter().filter_map(|w| w.split_once(' ')))
        .map(|(first, _)| super::classifier::stem(first))
        .collect()
});

/// The class of an English stem, or of two stems ("fed up").
pub(crate) fn english(stem: &str, next: Option<&str>) -> [Option<&'static str>; 2] {
    let pair = next.filter(|_| PAIR_STARTS.contains(stem)).and_then(|n| {
        let mut key = String::with_capacity(stem.len() + n.len() + 1);
        key.push_str(stem);
        key.push(' ');
        key.push_str(n);
        ENGLISH.get(&key).copied()
    });
    [ENGLISH.get(stem).copied(), pair]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_words_find_their_class_where_they_stand() {
        let mut got = Vec::new();
        chinese("这什么破服务气死我了", &mut |c, at| {
            got.push((c, at))
        });
        assert_eq!(got, [("displeasure", 3), ("displeasure", 6)]);
    }

    #[test]
    fn english_words_and_pairs_find_theirs_by_stem() {
        assert_eq!(english("charg", None), [Some("money"), None]);
        assert_eq!(english("fed", Some("up")), [None, Some("displeasure")]);
        assert_eq!(english("pizza", Some("please")), [None, None]);
    }
}
