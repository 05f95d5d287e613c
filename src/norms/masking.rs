//! N16: a caller's number as people without the right to see it in full
//! see it.
//!
//! One rule everywhere (GetCall and EndCall for a client without the `pii`
//! role, digit runs in what a caller said or keyed, and the call detail
//! records): **a number of eight characters or more shows only its last
//! four; a shorter one shows nothing**, and every hidden character becomes
//! one `*`, so the length stays visible. `13800005678` is `*******5678`,
//! `+8613812345678` is `**********5678`, `12345` is `*****`.
//!
//! Two rules existed before: the records kept the last four characters of
//! any number, and the gRPC edge the first three and last four
//! (`138****5678`). This one is never less strict than either, and it is
//! the stricter one where they differed:
//!
//! - the first three digits of a mobile number name its carrier and those
//!   of an ID card its region, so three more digits narrow down whose
//!   number it is; the last four alone are what a caller quotes to
//!   recognise their own number;
//! - a short run (a six-digit verification code keyed during a call, an
//!   extension) would keep four of its six digits under "the last four":
//!   under eight characters nothing of it shows.
//!
//! In free text (what a caller said or keyed, what a prompt said, a
//! variable's value) every run of six or more digits is such a number:
//! phone, ID-card and account numbers, verification codes. Shorter runs
//! (an amount, an extension, the agent's number) stay as they are.
//!
//! A variable the flow marks `pii` (a name, an address) is not a number
//! and has no tail worth showing: its value is [`HIDDEN`] whole.

/// Characters shorter than this are hidden in full: below it, four shown
/// characters would be half the number or more.
const SHOW_TAIL_FROM: usize = 8;

/// How many characters at the end stay visible.
const TAIL: usize = 4;

/// A number with all but its last four characters hidden, or all of them
/// when it is shorter than eight (module doc).
pub fn mask_number(number: &str) -> String {
    let n = number.chars().count();
    let shown_from = if n >= SHOW_TAIL_FROM { n - TAIL } else { n };
    number
        .chars()
        .enumerate()
        .map(|(i, c)| if i < shown_from { '*' } else { c })
        .collect()
}

/// Digit runs shorter than this in free text are not numbers to mask: an
/// amount (58.50), an extension, the agent's number (1024).
const DIGIT_RUN_FROM: usize = 6;

/// What a reader without the `pii` role sees of a `pii` variable's value.
pub const HIDDEN: &str = "***";

/// Free text with every run of six or more digits masked like a number
/// (ID-card and phone numbers said or keyed during a call).
pub fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= DIGIT_RUN_FROM {
            out.push_str(&mask_number(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
