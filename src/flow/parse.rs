//! The strict parse of a flow file that keeps going after a bad entry.
//!
//! serde stops at the first unknown key or wrongly typed value, which would
//! hide every other problem in the file until that one is fixed. So the
//! text is first parsed into TOML's spanned document tree; then the strict
//! deserialization into [`RawFlow`] is tried, and each time it fails on an
//! entry, the problem is reported with its position and the entry is
//! mended in the tree before trying again:
//!
//! - a misspelt key with one close known name (`promts`, `nxet`) is read
//!   as that name, so what it holds is still checked and nothing that
//!   refers to it breaks in turn;
//! - a value of the wrong type where text is expected (`en = 42`) is read
//!   as its text;
//! - anything else (an unknown key with no near name, a number where a
//!   table belongs) is left out.
//!
//! The file then goes on to the compiler, which finds the rest. A file with
//! any of these problems never compiles: the first is already an error.

use std::ops::Range;

use serde::Deserialize;
use toml::{
    Spanned,
    de::{DeString, DeTable, DeValue},
};

use super::{compile::closest, raw::RawFlow};

/// A problem found while parsing: where, and what.
pub(super) type Problem = (Range<usize>, String);

/// How many entries one file may have mended before parsing gives up: a
/// file that is not a flow file at all should not be tried for ever.
const MAX_MENDS: usize = 50;

/// Parses `text` into a [`RawFlow`], reporting every bad entry. `None` when
/// the file cannot be read as a flow even after mending (a TOML syntax
/// error, a missing required key).
pub(super) fn parse(text: &str) -> (Option<RawFlow>, Vec<Problem>) {
    let mut doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            return (None, vec![(span, e.message().trim_end().to_owned())]);
        }
    };
    let mut problems = Vec::new();
    let mut left_out: Vec<String> = Vec::new();
    for _ in 0..=MAX_MENDS {
        let error = match RawFlow::deserialize(toml::de::Deserializer::from(doc.clone())) {
            Ok(raw) => return (Some(raw), problems),
            Err(e) => e,
        };
        let message = error.message().trim_end();
        // A required key we left out has been reported already.
        if let Some(field) = missing_field(message)
            && left_out.iter().any(|k| k == field)
        {
            return (None, problems);
        }
        let span = error.span().unwrap_or(0..0);
        let (text, rename) = describe(message);
        problems.push((span.clone(), text));
        if message.starts_with("missing field") {
            return (None, problems);
        }
        match mend(doc.get_mut(), span.start, rename, message) {
            Some(Mended::LeftOut(key)) => left_out.push(key),
            Some(Mended::Kept) => {}
            None => return (None, problems),
        }
    }
    (None, problems)
}

/// The TOML parser's message for a designer, and for a misspelt key the
/// known name it most likely means.
fn describe(message: &str) -> (String, Option<String>) {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return (message.to_owned(), None);
    };
    let Some((key, expected)) = rest.split_once('`') else {
        return (message.to_owned(), None);
    };
    // "…, expected one of `a`, `b`": the names are every other piece.
    let known = expected.split('`').skip(1).step_by(2);
    match closest(key, known) {
        Some(k) => (
            format!("unknown key `{key}` (did you mean `{k}`?)"),
            Some(k.to_owned()),
        ),
        None => (format!("unknown key `{key}`{expected}"), None),
    }
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")?
        .split_once('`')
        .map(|(f, _)| f)
}

enum Mended {
    /// The entry was left out; its key.
    LeftOut(String),
    /// The entry was renamed or its value repaired.
    Kept,
}

/// Mends the entry at byte `at`: renames its key to `rename` when given
/// and free, reads a misplaced scalar as text when text is expected, or
/// leaves the entry out. `None` when no entry is there.
fn mend(
    table: &mut DeTable<'_>,
    at: usize,
    rename: Option<String>,
    message: &str,
) -> Option<Mended> {
    let (parent, key) = find(table, at)?;
    if let Some(name) = rename
        && !parent.contains_key(name.as_str())
    {
        let (old, value) = parent.remove_entry(key.as_str())?;
        parent.insert(Spanned::new(old.span(), DeString::Owned(name)), value);
        return Some(Mended::Kept);
    }
    if message.contains("expected a string")
        && let Some(value) = parent.get_mut(key.as_str())
    {
        let text = match value.get_ref() {
            DeValue::Integer(i) => Some(i.as_str().to_owned()),
            DeValue::Float(f) => Some(f.as_str().to_owned()),
            DeValue::Boolean(b) => Some(b.to_string()),
            DeValue::Datetime(d) => Some(d.to_string()),
            _ => None,
        };
        if let Some(text) = text {
            *value.get_mut() = DeValue::String(DeString::Owned(text));
            return Some(Mended::Kept);
        }
    }
    parent.remove(key.as_str());
    Some(Mended::LeftOut(key))
}

/// The table holding the entry at byte `at`, and its key: the entry whose
/// key is there, else the innermost entry whose value spans it.
fn find<'t, 'i>(table: &'t mut DeTable<'i>, at: usize) -> Option<(&'t mut DeTable<'i>, String)> {
    let path = path_to(table, at)?;
    let (last, parents) = path.split_last()?;
    let mut here = table;
    for step in parents {
        here = match step {
            Step::Key(k) => match here.get_mut(k.as_str())?.get_mut() {
                DeValue::Table(t) => t,
                _ => return None,
            },
            Step::Item(k, i) => match here.get_mut(k.as_str())?.get_mut() {
                DeValue::Array(a) => match a.get_mut(*i)?.get_mut() {
                    DeValue::Table(t) => t,
                    _ => return None,
                },
                _ => return None,
            },
        };
    }
    match last {
        Step::Key(k) => Some((here, k.clone())),
        // An array element is left out with its array.
        Step::Item(k, _) => Some((here, k.clone())),
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// The entry with this key.
    Key(String),
    /// A table inside the array under this key.
    Item(String, usize),
}

fn contains(span: &Range<usize>, at: usize) -> bool {
    span.start <= at && at < span.end.max(span.start + 1)
}

/// The path to the entry at byte `at`. A key's own span wins over the
/// spans of values around it; tables are searched even when their own span
/// does not cover `at` (dotted keys and `[a.b]` headers scatter a table's
/// entries over the file).
fn path_to(table: &DeTable<'_>, at: usize) -> Option<Vec<Step>> {
    for (key, value) in table.iter() {
        let name = key.get_ref().to_string();
        if contains(&key.span(), at) {
            return Some(vec![Step::Key(name)]);
        }
        let inner =
            match value.get_ref() {
                DeValue::Table(t) => path_to(t, at).map(|mut p| {
                    p.insert(0, Step::Key(name.clone()));
                    p
                }),
                DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| match item
                    .get_ref()
                {
                    DeValue::Table(t) => path_to(t, at).map(|mut p| {
                        p.insert(0, Step::Item(name.clone(), i));
                        p
                    }),
                    _ => None,
                }),
                _ => None,
            };
        if inner.is_some() {
            return inner;
        }
        if contains(&value.span(), at) && !matches!(value.get_ref(), DeValue::Table(_)) {
            return Some(vec![Step::Key(name)]);
        }
    }
    // A value's span (an inline table written wrongly) as the last resort.
    table.iter().find_map(|(key, value)| {
        contains(&value.span(), at).then(|| vec![Step::Key(key.get_ref().to_string())])
    })
}
