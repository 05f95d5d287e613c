//! A title for the caller, spoken: the norms write 先生/小姐 (N3b, N6)
//! where an agent says the one that fits, but a prompt is read by
//! text-to-speech, which says both and the slash between them ("张三先生
//! 斜杠小姐"). A prompt gives the title itself, from the caller's data (a
//! `{salutation}` variable: 先生, 女士, or nothing when unknown), or leaves
//! it out.

use std::ops::Range;

/// Both titles joined by a slash, as the norms write them. Fullwidth
/// slashes and the reversed order read as badly.
const BOTH_TITLES: &[&str] = &[
    "先生/小姐",
    "小姐/先生",
    "先生/女士",
    "女士/先生",
    "Mr/Ms",
    "Mr./Ms.",
    "Mr/Mrs",
    "Ms/Mr",
];

/// Where `text` names both titles with a slash between them, and the norm
/// whose wording it copies: N3b when it follows a name placeholder
/// (`{customer}先生/小姐`), N6 otherwise (the reply to a caller's greeting).
pub fn both_titles(text: &str) -> Option<(Range<usize>, &'static str)> {
    let normal = text.replace('／', "/");
    let (start, written) = BOTH_TITLES
        .iter()
        .filter_map(|t| normal.find(t).map(|at| (at, *t)))
        .min_by_key(|(at, _)| *at)?;
    // The fullwidth slash is 3 bytes to the ASCII one's 1: place the match
    // in `text` by counting the characters before it.
    let chars_before = normal[..start].chars().count();
    let at = text
        .char_indices()
        .nth(chars_before)
        .map_or(text.len(), |(i, _)| i);
    let len = written.chars().count();
    let end = text
        .char_indices()
        .nth(chars_before + len)
        .map_or(text.len(), |(i, _)| i);
    let norm = if normal[..start].ends_with('}') {
        "N3b"
    } else {
        "N6"
    };
    Some((at..end, norm))
}

/// What `check` tells the flow's author to write instead.
pub const BOTH_TITLES_FIX: &str = "text-to-speech reads both titles and the slash; give the caller's title from their data ({salutation}: 先生, 女士, or empty when unknown, as a [variables] default a call's own value replaces) or leave the title out";
