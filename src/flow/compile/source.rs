//! What every check shares: the file it points into ([`Source`]), and how
//! it hands back what it built together with what was wrong ([`Checked`]).

use std::{collections::HashMap, ops::Range, sync::Arc};

use super::super::{Diagnostic, Severity, diagnostic::LineIndex, raw::Sp};

/// The file being compiled: its name and text, to turn the parser's byte
/// spans into line and column. Checks only read it, so each one can be
/// run, and tested, on its own.
pub(in crate::flow) struct Source<'a> {
    file: &'a str,
    index: LineIndex<'a>,
}

impl<'a> Source<'a> {
    pub(in crate::flow) fn new(file: &'a str, text: &'a str) -> Self {
        Source {
            file,
            index: LineIndex::new(text),
        }
    }

    pub(in crate::flow) fn file(&self) -> &'a str {
        self.file
    }

    pub(in crate::flow) fn text(&self) -> &'a str {
        self.index.text()
    }

    fn diagnostic(
        &self,
        severity: Severity,
        span: Range<usize>,
        norm: Option<&'static str>,
        message: String,
    ) -> Diagnostic {
        let (line, column) = self.index.position(span.start);
        Diagnostic {
            severity,
            file: self.file.to_owned(),
            line,
            column,
            norm,
            message,
        }
    }

    /// The position `offset` bytes into a string value, when the file spells
    /// the value literally (no escapes, one line); otherwise the value's start.
    pub(in crate::flow) fn within(&self, value: &Sp<String>, offset: usize) -> Range<usize> {
        let span = value.span();
        let written = self.text().get(span.clone()).unwrap_or_default();
        let inner = written
            .strip_prefix(['"', '\''])
            .and_then(|w| w.strip_suffix(['"', '\'']));
        match inner {
            Some(inner) if inner == value.get_ref() && offset <= inner.len() => {
                let at = span.start + 1 + offset;
                at..at
            }
            _ => span,
        }
    }
}

/// Entries in file order, and each one's index by name.
pub(in crate::flow) type Indexed<T, Ix> = (Vec<T>, HashMap<String, Ix>);

/// A check's result: what it built (with a stand-in wherever the file was
/// wrong, so later checks still run) and every problem it found.
pub(in crate::flow) struct Checked<T> {
    pub(in crate::flow) value: T,
    pub(in crate::flow) diagnostics: Vec<Diagnostic>,
}

impl<T> Checked<T> {
    pub(in crate::flow) fn map<U>(self, f: impl FnOnce(T) -> U) -> Checked<U> {
        Checked {
            value: f(self.value),
            diagnostics: self.diagnostics,
        }
    }
}

/// The diagnostics one check gathers: its own, and those of the smaller
/// checks it runs (`take`), in the order they ran. The order matters only
/// for problems at the same position, which keep it after sorting.
pub struct Findings<'s> {
    source: &'s Source<'s>,
    diagnostics: Vec<Diagnostic>,
}

impl<'s> Findings<'s> {
    pub(in crate::flow) fn new(source: &'s Source<'s>) -> Self {
        Findings {
            source,
            diagnostics: Vec::new(),
        }
    }

    pub(in crate::flow) fn error(
        &mut self,
        span: Range<usize>,
        norm: Option<&'static str>,
        message: String,
    ) {
        let d = self.source.diagnostic(Severity::Error, span, norm, message);
        self.diagnostics.push(d);
    }

    pub(in crate::flow) fn warn(
        &mut self,
        span: Range<usize>,
        norm: Option<&'static str>,
        message: String,
    ) {
        let d = self
            .source
            .diagnostic(Severity::Warning, span, norm, message);
        self.diagnostics.push(d);
    }

    /// Keeps a smaller check's problems and hands back its value.
    pub(in crate::flow) fn take<T>(&mut self, checked: Checked<T>) -> T {
        self.diagnostics.extend(checked.diagnostics);
        checked.value
    }

    pub(in crate::flow) fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    pub(in crate::flow) fn done<T>(self, value: T) -> Checked<T> {
        Checked {
            value,
            diagnostics: self.diagnostics,
        }
    }
}

/// A name used somewhere in the file, looked up among those it may mean;
/// an unknown one is reported with the closest known name.
pub(in crate::flow) fn check_reference<T: Copy>(
    source: &Source<'_>,
    name: &Sp<String>,
    table: &HashMap<String, T>,
    what: &str,
) -> Checked<Option<T>> {
    let mut found = Findings::new(source);
    let value = table.get(name.get_ref().as_str()).copied();
    if value.is_none() {
        let mut known: Vec<&String> = table.keys().collect();
        known.sort();
        let hint = closest(name.get_ref(), known.iter().map(|s| s.as_str()))
            .map(|c| format!(" (did you mean {c:?}?)"))
            .unwrap_or_default();
        found.error(
            name.span(),
            None,
            format!("unknown {what} {:?}{hint}", name.get_ref()),
        );
    }
    found.done(value)
}

pub(in crate::flow) fn join(locales: &[Arc<str>]) -> String {
    locales.iter().map(|l| &**l).collect::<Vec<_>>().join(", ")
}

/// The known name closest to a misspelt one, if any is close enough to help.
pub(in crate::flow) fn closest<'a>(
    name: &str,
    known: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    known
        .map(|k| (edit_distance(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.chars().count() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
