//! Settings: the flow's id, kind, locales and time zone, its intents and
//! their phrases, and the counts and timers of `[timing]`.

use std::{collections::HashMap, ops::Range, sync::Arc, time::Duration};

use chrono_tz::Tz;

use super::super::{
    FlowKind, Intent, IntentIx, LocaleIx, Timing,
    matcher::Phrases,
    raw::{RawFlow, RawPhrases, Sp},
};
use super::{
    Checked, Findings, Source,
    source::{Indexed, join},
};

const DEFAULT_ZONE: Tz = chrono_tz::Asia::Shanghai;

/// The flow's id as StartCall and ListFlows name it.
pub(super) fn check_id(source: &Source<'_>, raw: &RawFlow) -> Checked<String> {
    let mut found = Findings::new(source);
    let id = raw.id.get_ref().trim().to_owned();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        found.error(
            raw.id.span(),
            None,
            format!("flow id {id:?} must be non-empty letters, digits, '-' or '_'"),
        );
    }
    found.done(id)
}

pub(super) fn check_kind(source: &Source<'_>, raw: &RawFlow) -> Checked<FlowKind> {
    let mut found = Findings::new(source);
    let kind = match raw.kind.as_ref().map(|k| (k.get_ref().as_str(), k.span())) {
        None | Some(("inbound", _)) => FlowKind::Inbound,
        Some(("outbound", _)) => FlowKind::Outbound,
        Some((other, span)) => {
            found.error(
                span,
                None,
                format!("kind must be \"inbound\" or \"outbound\", not {other:?}"),
            );
            FlowKind::Inbound
        }
    };
    found.done(kind)
}

/// The locales every prompt must speak. The names `audio`, `ssml` and
/// `dtmf` are keys of prompts and intents, so they cannot be locales.
pub(super) fn check_locales(source: &Source<'_>, raw: &RawFlow) -> Checked<Vec<Arc<str>>> {
    let mut found = Findings::new(source);
    let mut out: Vec<Arc<str>> = Vec::new();
    for l in raw.locales.get_ref() {
        let name = l.get_ref().trim();
        if name.is_empty() || name == "audio" || name == "ssml" || name == "dtmf" {
            found.error(
                l.span(),
                None,
                format!("{name:?} is not a locale name (use e.g. \"zh-CN\")"),
            );
        } else if out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
            found.error(l.span(), None, format!("locale {name:?} is declared twice"));
        } else {
            out.push(name.into());
        }
    }
    if raw.locales.get_ref().is_empty() {
        found.error(
            raw.locales.span(),
            None,
            "a flow declares at least one locale".into(),
        );
    }
    if out.len() > usize::from(LocaleIx::MAX) {
        found.error(raw.locales.span(), None, "too many locales".into());
        out.truncate(usize::from(LocaleIx::MAX));
    }
    found.done(out)
}

pub(super) fn check_time_zone(source: &Source<'_>, raw: &RawFlow) -> Checked<Tz> {
    let mut found = Findings::new(source);
    let zone = match &raw.time_zone {
        None => DEFAULT_ZONE,
        Some(z) => z.get_ref().parse::<Tz>().unwrap_or_else(|_| {
            found.error(
                z.span(),
                None,
                format!(
                    "unknown time zone {:?} (use an IANA name such as \"Asia/Shanghai\")",
                    z.get_ref()
                ),
            );
            DEFAULT_ZONE
        }),
    };
    found.done(zone)
}

/// Intents in file order with their phrases per locale and keys, and their
/// index by name.
pub(super) fn check_intents(
    source: &Source<'_>,
    raw: &RawFlow,
    locales: &[Arc<str>],
) -> Checked<Indexed<Intent, IntentIx>> {
    let mut found = Findings::new(source);
    let mut intents = Vec::new();
    let mut names = HashMap::new();
    let Some(table) = &raw.intents else {
        return found.done((intents, names));
    };
    // A key with two meanings at one step used to go to the first intent
    // alphabetically, silently; a menu's own keys are the way to reuse one.
    let mut key_owner: HashMap<&str, &str> = HashMap::new();
    for (name, fields) in table.get_ref() {
        let keys = fields
            .get_ref()
            .iter()
            .filter(|(k, _)| k.get_ref() == "dtmf")
            .flat_map(|(_, list)| list.get_ref());
        for key in keys {
            match key_owner.get(key.get_ref().as_str()) {
                Some(other) if *other != name.get_ref().as_str() => found.error(
                    key.span(),
                    None,
                    format!(
                        "key {:?} means both {other:?} and {:?}: a key has one meaning at a step (give a menu step its own `keys` instead)",
                        key.get_ref(),
                        name.get_ref()
                    ),
                ),
                Some(_) | None => {
                    key_owner.insert(key.get_ref(), name.get_ref());
                }
            }
        }
        let phrases = found.take(check_intent(source, name, fields, locales));
        names.insert(name.get_ref().clone(), IntentIx::new(intents.len()));
        intents.push(Intent {
            name: name.get_ref().as_str().into(),
            phrases,
        });
    }
    found.done((intents, names))
}

/// One intent's phrases per locale and its keys; a locale with no phrases
/// can only choose it by keys, which is worth a warning.
fn check_intent(
    source: &Source<'_>,
    name: &Sp<String>,
    fields: &Sp<RawPhrases>,
    locales: &[Arc<str>],
) -> Checked<Phrases> {
    let mut found = Findings::new(source);
    let mut phrases = Phrases {
        per_locale: vec![Vec::new(); locales.len()],
        dtmf: Vec::new(),
    };
    for (key, list) in fields.get_ref() {
        match key.get_ref().as_str() {
            "dtmf" => {
                for keys in list.get_ref() {
                    let k = keys.get_ref();
                    if k.is_empty()
                        || !k
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                    {
                        found.error(
                            keys.span(),
                            None,
                            format!("dtmf entry {k:?} may hold only 0-9, * and #"),
                        );
                    }
                    phrases.dtmf.push(k.clone());
                }
            }
            locale => match locales.iter().position(|l| &**l == locale) {
                Some(ix) => {
                    for p in list.get_ref() {
                        if p.get_ref().trim().is_empty() {
                            found.error(
                                p.span(),
                                None,
                                format!("intent {:?} has an empty phrase", name.get_ref()),
                            );
                        }
                        phrases.per_locale[ix].push(p.get_ref().trim().to_lowercase());
                    }
                }
                None => found.error(
                    key.span(),
                    None,
                    format!(
                        "intent {:?}: {locale:?} is neither a declared locale ({}) nor `dtmf`",
                        name.get_ref(),
                        join(locales)
                    ),
                ),
            },
        }
    }
    for (ix, l) in locales.iter().enumerate() {
        if phrases.per_locale[ix].is_empty() {
            found.warn(
                name.span(),
                None,
                format!(
                    "intent {:?} has no phrases for {l}: callers speaking {l} can only choose it by keys",
                    name.get_ref()
                ),
            );
        }
    }
    found.done(phrases)
}

/// A timer in milliseconds, within the range that makes it usable.
pub(in crate::flow) fn check_millis(
    source: &Source<'_>,
    value: &Option<Sp<i64>>,
    what: &str,
    range: Range<i64>,
    default: Duration,
) -> Checked<Duration> {
    let mut found = Findings::new(source);
    let millis = match value {
        None => default,
        Some(v) if range.contains(v.get_ref()) => Duration::from_millis(*v.get_ref() as u64),
        Some(v) => {
            found.error(
                v.span(),
                None,
                format!(
                    "{what} = {} is not a usable timer: it must be from {} to {} ms",
                    v.get_ref(),
                    range.start,
                    range.end - 1
                ),
            );
            default
        }
    };
    found.done(millis)
}

/// A count of attempts or turns; `norm` when a count outside the range
/// breaks one.
fn check_count(
    source: &Source<'_>,
    value: &Option<Sp<i64>>,
    what: &str,
    range: Range<i64>,
    default: u8,
    norm: Option<&'static str>,
) -> Checked<u8> {
    let mut found = Findings::new(source);
    let count = match value {
        None => default,
        Some(v) if range.contains(v.get_ref()) => *v.get_ref() as u8,
        Some(v) => {
            found.error(
                v.span(),
                norm,
                format!(
                    "{what} = {} must be from {} to {}",
                    v.get_ref(),
                    range.start,
                    range.end - 1
                ),
            );
            default
        }
    };
    found.done(count)
}

/// `[timing]`, each value in its usable range; the defaults are the norms'.
pub(super) fn check_timing(source: &Source<'_>, raw: &RawFlow) -> Checked<Timing> {
    let mut found = Findings::new(source);
    let t = &raw.timing;
    let d = Timing::default();
    let low_confidence = match &t.low_confidence {
        None => d.low_confidence,
        Some(v) if (0.0..=1.0).contains(v.get_ref()) => *v.get_ref() as f32,
        Some(v) => {
            found.error(
                v.span(),
                None,
                format!("low_confidence = {} must be between 0 and 1", v.get_ref()),
            );
            d.low_confidence
        }
    };
    // Closures that only build the checks, so `found` can take each one.
    let ms = |value: &Option<Sp<i64>>, what: &str, range: Range<i64>, default| {
        check_millis(source, value, what, range, default)
    };
    let n = |value: &Option<Sp<i64>>, what: &str, range: Range<i64>, default, norm| {
        check_count(source, value, what, range, default, norm)
    };
    let timing = Timing {
        no_input: found.take(ms(&t.no_input_ms, "no_input_ms", 1000..60_001, d.no_input)),
        // Fewer than three silence prompts breaks N5 outright.
        silence_prompts: found.take(n(
            &t.silence_prompts,
            "silence_prompts",
            3..11,
            d.silence_prompts,
            Some("N5"),
        )),
        unclear_attempts: found.take(n(
            &t.unclear_attempts,
            "unclear_attempts",
            1..11,
            d.unclear_attempts,
            None,
        )),
        consent_wait: found.take(ms(
            &t.consent_wait_ms,
            "consent_wait_ms",
            1000..60_001,
            d.consent_wait,
        )),
        caller_hangup_wait: found.take(ms(
            &t.caller_hangup_wait_ms,
            "caller_hangup_wait_ms",
            1000..300_001,
            d.caller_hangup_wait,
        )),
        low_confidence,
        not_understood_attempts: found.take(n(
            &t.not_understood_attempts,
            "not_understood_attempts",
            1..11,
            d.not_understood_attempts,
            None,
        )),
        language_attempts: found.take(n(
            &t.language_attempts,
            "language_attempts",
            1..11,
            d.language_attempts,
            Some("N9"),
        )),
        consent_attempts: found.take(n(
            &t.consent_attempts,
            "consent_attempts",
            1..11,
            d.consent_attempts,
            Some("N10"),
        )),
        max_step_visits: found.take(n(
            &t.max_step_visits,
            "max_step_visits",
            2..51,
            d.max_step_visits,
            None,
        )),
        nuisance_turns: found.take(n(
            &t.nuisance_turns,
            "nuisance_turns",
            1..11,
            d.nuisance_turns,
            Some("N15"),
        )),
        max_call: found.take(ms(
            &t.max_call_ms,
            "max_call_ms",
            60_000..86_400_001,
            d.max_call,
        )),
        lookup_quiet: found.take(ms(
            &t.lookup_quiet_ms,
            "lookup_quiet_ms",
            0..10_001,
            d.lookup_quiet,
        )),
        lookup_timeout: found.take(ms(
            &t.lookup_timeout_ms,
            "lookup_timeout_ms",
            1000..120_001,
            d.lookup_timeout,
        )),
    };
    found.done(timing)
}
