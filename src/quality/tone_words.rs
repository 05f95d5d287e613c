//! The words of item 1 (命令语气, 不耐烦, 推诿) beyond the norms' fixed
//! phrases, and of item 9's nuisance call, in Simplified and Traditional
//! Chinese and in English, in compact form (see `words.rs`). They join the
//! one automaton every line goes through, so listening for them costs no
//! extra pass.

/// Orders aimed at the caller: 你先…, 你给我…, 你听好, 快点, 记住没有, 别说了.
/// A polite request says 您/请 and 稍等; these say 你 and leave the 请 out.
/// English is compared without spaces, so a marker must not hide inside a
/// polite phrase ("you wait" does, in "sorry to keep you waiting").
pub(super) const IMPERATIVE_MARKERS: &[&str] = &[
    // Simplified
    "你先别说",
    "别说了",
    "你给我",
    "你听好",
    "听好了",
    "快点",
    "记住没有",
    "记住了没有",
    "记住没",
    "你等一下",
    "你等着",
    "听我讲",
    "听我说完",
    // Traditional
    "你先別說",
    "別說了",
    "你給我",
    "你聽好",
    "聽好了",
    "快點",
    "記住沒有",
    "記住了沒有",
    "記住沒",
    "你等著",
    "聽我講",
    "聽我說完",
    // English
    "listenup",
    "listentome",
    "stoptalking",
    "justlisten",
    "letmefinish",
];

/// Refusals that leave the caller nowhere: not my business, nothing to be
/// done.
pub(super) const BRUSH_OFF_MARKERS: &[&str] = &[
    "不归我管",
    "不关我的事",
    "没办法",
    "管不了",
    "找别人",
    "不歸我管",
    "不關我的事",
    "沒辦法",
    "找別人",
    "notmyproblem",
    "notmyconcern",
    "nothingicando",
    "nothingwecando",
    "cantdoanythingaboutit",
];

/// "I don't know": with "go and ask yourself" it is 推诿.
pub(super) const DONT_KNOW_MARKERS: &[&str] =
    &["不知道", "不清楚", "idontknow", "idonotknow", "noidea"];

/// Sending the caller off to sort it out alone.
pub(super) const GO_YOURSELF_MARKERS: &[&str] = &[
    "你自己去",
    "您自己去",
    "你自己问",
    "你自己查",
    "你自己看",
    "你自己問",
    "你自己看看",
    "askthemyourself",
    "findoutyourself",
    "figureitoutyourself",
    "lookityourself",
    "goandask",
    "doityourself",
];

/// Impatience: one may slip out, a second in the same call is 不耐烦.
pub(super) const IMPATIENCE_MARKERS: &[&str] = &[
    "到底",
    "我都说了",
    "说了多少遍",
    "已经说过了",
    "跟你说了",
    "听不懂吗",
    "怎么还不",
    "我都說了",
    "說了多少遍",
    "已經說過了",
    "跟你說了",
    "聽不懂嗎",
    "怎麼還不",
    "ialreadytoldyou",
    "ivealreadytoldyou",
    "howmanytimes",
    "asisaid",
    "forthelasttime",
    "areyoulistening",
];

/// The norm's answer to a nuisance caller (N15): if you have business,
/// tell me directly.
pub(super) const NUISANCE_REPLY_MARKERS: &[&str] = &[
    "需要办理的业务",
    "需要辦理的業務",
    "somethingicanhelpyouwith",
    "anythingicanhelpyouwith",
];

/// The shipped hotline's words for its `nuisance` intent, every locale: the
/// scorer hears a nuisance caller by the words the service's own
/// understanding layer answers with N15.
const HOTLINE: &str = include_str!("../../flows/hotline.toml");

pub(super) fn nuisance_markers() -> Vec<String> {
    let Ok(flow) = HOTLINE.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(locales) = flow
        .get("intents")
        .and_then(|i| i.get("nuisance"))
        .and_then(|n| n.as_table())
    else {
        return Vec::new();
    };
    locales
        .values()
        .filter_map(|words| words.as_array())
        .flatten()
        .filter_map(|w| w.as_str())
        .map(super::words::compact)
        .filter(|w| !w.is_empty())
        .collect()
}
