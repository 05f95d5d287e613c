//! Reading a step's table. Its keys arrive sorted, not as written, so the
//! kind is not known before all are read: each value is read as its key
//! holds it in every kind (the kinds' field tables say how), with its
//! position, and then the kind key chooses the kind's struct, which takes
//! its own keys; the rest belong to other kinds and `compile` reports
//! them. Unknown keys and wrongly typed values are serde's errors, at
//! their own positions, as `parse` expects.

use std::{collections::BTreeMap, ops::Range};

use serde::{
    Deserialize, Deserializer,
    de::{self, MapAccess, Visitor},
};

use super::super::raw::Sp;
use super::{Holds, NoKind, RETURN_PREFIX, RawStep, STEP_KINDS, collect::RawDigits};

/// The key every kind has.
const BARGE_IN: &str = "barge_in";

/// The keys of the kinds that came first, in the order an unknown key's
/// message has always listed them ("did you mean" takes the first of
/// equally near keys); later kinds' keys follow them (`all_keys`).
const FIRST_KEYS: &[&str] = &[
    "ask",
    "say",
    "transfer",
    "hold",
    "close",
    "hangup",
    "lookup",
    "menu",
    "keys",
    "invalid",
    "attempts",
    "exhausted",
    "collect",
    "into",
    "digits",
    "pattern",
    "params",
    "gives",
    "wait",
    "overdue",
    "progress",
    "callback",
    "reprompt",
    "on",
    "otherwise",
    "next",
    "consent",
    "reason",
    "declined",
    "failed",
    "fallback",
    "thanks",
    "resume",
    "hold_ms",
    "goodbye",
    "more",
    // Keys of the IVR kinds come late: a misspelt key of the older kinds
    // (`nxet`) is as near to `set` as to `next`, and the first wins.
    "branch",
    "set",
    "record",
    "call",
    "cases",
    "default",
    "max_ms",
    "beep",
    "terminator",
    "returns",
    "target_type",
    "timeout_ms",
    "attach",
    "busy",
    "no_answer",
    "barge_in",
];

/// Every key a step may have: the kind keys, every kind's fields and
/// `barge_in` (a unit test holds it to [`STEP_KINDS`]). Built once, so a
/// new kind's keys need no list of their own.
pub(in crate::flow) fn all_keys() -> &'static [&'static str] {
    static KEYS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        let mut keys = FIRST_KEYS.to_vec();
        let of_kinds = STEP_KINDS
            .iter()
            .flat_map(|k| std::iter::once(k.key).chain(k.fields.iter().map(|f| f.key)));
        for key in of_kinds {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    });
    &KEYS
}

impl<'de> Deserialize<'de> for RawStep {
    /// The keys arrive in any order (sorted, in fact), so each value is
    /// read by what its key holds, which is the same in every kind, with
    /// its position; once every key is read, the kind key says which
    /// kind's struct takes them. Keys left over belong to other kinds.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(Dispatch)
    }
}

struct Dispatch;

impl<'de> Visitor<'de> for Dispatch {
    type Value = RawStep;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a step table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStep, A::Error> {
        let mut entries = Entries::default();
        while let Some(key) = map.next_key_seed(StepKey)? {
            let value = map.next_value_seed(ValueOf(key))?;
            entries.0.push((key, value));
        }
        let returns = entries.return_labels();
        let mut kinds = STEP_KINDS
            .iter()
            .filter_map(|k| entries.kind_value(k.key).map(|v| (k, v)));
        let first = kinds.next();
        let second = kinds.next();
        drop(kinds);
        let kind = match (first, second) {
            (None, _) => Err(NoKind::Kindless),
            (Some(_), Some((also, v))) => Err(NoKind::Mixed(also.key, v.span())),
            (Some((spec, value)), None) => Ok((spec, (spec.take)(value, &mut entries))),
        };
        // A step of no one kind is reported as such, and nothing else.
        let foreign = match kind {
            Ok(_) => entries.foreign(),
            Err(_) => Vec::new(),
        };
        Ok(RawStep {
            kind,
            foreign,
            returns,
        })
    }
}
/// A step's key, refused (at its own position) unless some kind has it.
struct StepKey;

impl<'de> de::DeserializeSeed<'de> for StepKey {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl Visitor<'_> for StepKey {
    type Value = &'static str;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a step key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<&'static str, E> {
        let keys = all_keys();
        keys.iter()
            .find(|k| **k == key)
            .copied()
            .ok_or_else(|| E::unknown_field(key, keys))
    }
}

/// A step value, read as its key says.
#[derive(Debug)]
pub(in crate::flow) enum Value {
    /// A kind key's value, a prompt or step name, a reason.
    Text(Sp<String>),
    /// `on`: intent → step; `cases`: value → step; `returns`: label →
    /// step.
    Answers(BTreeMap<Sp<String>, Sp<String>>),
    /// A kind key whose value is a table: `set`'s variable → value.
    Assignments(Sp<BTreeMap<Sp<String>, Sp<String>>>),
    /// `params`, `gives`: variable names.
    Names(Vec<Sp<String>>),
    /// `hold_ms`.
    Millis(Sp<i64>),
    /// `barge_in`, `beep`.
    Flag(Sp<bool>),
    /// A collect step's `digits` table.
    Digits(Sp<RawDigits>),
}

/// Reads the value of one key as that key holds it in every kind.
struct ValueOf(&'static str);

impl<'de> de::DeserializeSeed<'de> for ValueOf {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        // What a key holds is the same in every kind that has it; kind
        // keys and `barge_in` are in no kind's table of fields.
        let holds = STEP_KINDS
            .iter()
            .flat_map(|k| k.fields)
            .find(|f| f.key == self.0)
            .map(|f| f.holds);
        Ok(match holds {
            Some(Holds::Answers) => Value::Answers(Deserialize::deserialize(d)?),
            Some(Holds::Variables) => Value::Names(Deserialize::deserialize(d)?),
            Some(Holds::Millis | Holds::Count) => Value::Millis(Deserialize::deserialize(d)?),
            Some(Holds::Digits) => Value::Digits(Deserialize::deserialize(d)?),
            Some(Holds::Flag) => Value::Flag(Deserialize::deserialize(d)?),
            Some(Holds::PromptRef | Holds::StepRef | Holds::Text) => {
                Value::Text(Deserialize::deserialize(d)?)
            }
            None if self.0 == BARGE_IN => Value::Flag(Deserialize::deserialize(d)?),
            // A kind key: text (`say = "…"`), or a table (`set = { … }`).
            None => {
                let value: Sp<KindValue> = Deserialize::deserialize(d)?;
                let span = value.span();
                match value.into_inner() {
                    KindValue::Text(t) => Value::Text(Sp::new(span, t)),
                    KindValue::Table(t) => Value::Assignments(Sp::new(span, t)),
                }
            }
        })
    }
}

/// A kind key's value as written: text, or (`set`) a table.
enum KindValue {
    Text(String),
    Table(BTreeMap<Sp<String>, Sp<String>>),
}

impl<'de> Deserialize<'de> for KindValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindValueVisitor)
    }
}

struct KindValueVisitor;

impl<'de> Visitor<'de> for KindValueVisitor {
    type Value = KindValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, or for `set` a table of variable = \"value\"")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<KindValue, E> {
        Ok(KindValue::Text(v.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KindValue, A::Error> {
        Deserialize::deserialize(de::value::MapAccessDeserializer::new(map)).map(KindValue::Table)
    }
}

/// A step's keys and values as read, for its kind to take its own from.
#[derive(Debug, Default)]
pub(in crate::flow) struct Entries(Vec<(&'static str, Value)>);

impl Entries {
    fn take(&mut self, key: &str) -> Option<Value> {
        let at = self.0.iter().position(|(k, _)| *k == key)?;
        Some(self.0.remove(at).1)
    }

    /// A text field (a name, a reason).
    pub(super) fn text(&mut self, key: &str) -> Option<Sp<String>> {
        match self.take(key)? {
            Value::Text(v) => Some(v),
            Value::Answers(_)
            | Value::Assignments(_)
            | Value::Names(_)
            | Value::Millis(_)
            | Value::Flag(_)
            | Value::Digits(_) => None,
        }
    }

    /// A kind key's value: its text, taken; a table is left for its kind
    /// to take (`assignments`), and stands as empty text at its place.
    fn kind_value(&mut self, key: &str) -> Option<Sp<String>> {
        let at = self.0.iter().position(|(k, _)| *k == key)?;
        match &self.0[at].1 {
            Value::Text(_) => self.text(key),
            Value::Assignments(t) => Some(Sp::new(t.span(), String::new())),
            Value::Answers(_)
            | Value::Names(_)
            | Value::Millis(_)
            | Value::Flag(_)
            | Value::Digits(_) => None,
        }
    }

    /// A collect step's `digits` table.
    pub(super) fn digits(&mut self, key: &str) -> Option<Sp<RawDigits>> {
        match self.take(key)? {
            Value::Digits(v) => Some(v),
            Value::Text(_)
            | Value::Answers(_)
            | Value::Assignments(_)
            | Value::Names(_)
            | Value::Millis(_)
            | Value::Flag(_) => None,
        }
    }

    /// `set`'s table of variable → value; none written is an empty one.
    pub(super) fn assignments(&mut self, key: &str) -> BTreeMap<Sp<String>, Sp<String>> {
        match self.take(key) {
            Some(Value::Assignments(v)) => v.into_inner(),
            Some(
                Value::Text(_)
                | Value::Answers(_)
                | Value::Names(_)
                | Value::Millis(_)
                | Value::Flag(_)
                | Value::Digits(_),
            )
            | None => BTreeMap::new(),
        }
    }

    /// A list of variable names; none written is an empty list.
    pub(super) fn names(&mut self, key: &str) -> Vec<Sp<String>> {
        match self.take(key) {
            Some(Value::Names(v)) => v,
            Some(
                Value::Text(_)
                | Value::Answers(_)
                | Value::Assignments(_)
                | Value::Millis(_)
                | Value::Flag(_)
                | Value::Digits(_),
            )
            | None => Vec::new(),
        }
    }

    /// `on`'s table; none written is an empty one.
    pub(super) fn answers(&mut self, key: &str) -> BTreeMap<Sp<String>, Sp<String>> {
        match self.take(key) {
            Some(Value::Answers(v)) => v,
            Some(
                Value::Text(_)
                | Value::Assignments(_)
                | Value::Names(_)
                | Value::Millis(_)
                | Value::Flag(_)
                | Value::Digits(_),
            )
            | None => BTreeMap::new(),
        }
    }

    pub(super) fn millis(&mut self, key: &str) -> Option<Sp<i64>> {
        match self.take(key)? {
            Value::Millis(v) => Some(v),
            Value::Text(_)
            | Value::Answers(_)
            | Value::Assignments(_)
            | Value::Names(_)
            | Value::Flag(_)
            | Value::Digits(_) => None,
        }
    }

    pub(super) fn flag(&mut self, key: &str) -> Option<bool> {
        match self.take(key)? {
            Value::Flag(v) => Some(*v.get_ref()),
            Value::Text(_)
            | Value::Answers(_)
            | Value::Assignments(_)
            | Value::Names(_)
            | Value::Millis(_)
            | Value::Digits(_) => None,
        }
    }

    /// The labels of every `"@return:LABEL"` a step name or a table of
    /// them holds (read before any kind takes its own).
    fn return_labels(&self) -> Vec<String> {
        let label = |v: &Sp<String>| v.get_ref().strip_prefix(RETURN_PREFIX).map(str::to_owned);
        self.0
            .iter()
            .flat_map(|(_, value)| match value {
                Value::Text(v) => label(v).into_iter().collect::<Vec<_>>(),
                Value::Answers(v) => v.values().filter_map(label).collect(),
                Value::Assignments(_)
                | Value::Names(_)
                | Value::Millis(_)
                | Value::Flag(_)
                | Value::Digits(_) => Vec::new(),
            })
            .collect()
    }

    /// What is left: keys of other kinds, with where each is written (an
    /// empty list or table writes nothing, and is let be).
    fn foreign(self) -> Vec<(&'static str, Range<usize>)> {
        self.0
            .into_iter()
            .filter_map(|(key, value)| {
                let span = match value {
                    Value::Text(v) => Some(v.span()),
                    Value::Answers(v) => v.keys().next().map(|k| k.span()),
                    Value::Assignments(v) => Some(v.span()),
                    Value::Names(v) => v.first().map(|n| n.span()),
                    Value::Millis(v) => Some(v.span()),
                    Value::Digits(v) => Some(v.span()),
                    // Every kind has `barge_in`.
                    Value::Flag(v) => (key != BARGE_IN).then(|| v.span()),
                };
                span.map(|span| (key, span))
            })
            .collect()
    }
}
