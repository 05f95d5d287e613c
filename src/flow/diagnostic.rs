//! Problems found in a flow file, each pinned to file, line and column.

use std::fmt;

/// How bad a problem is. Warnings become errors under `check --strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in a flow file, in the form `file:line:column: error[N5]: …`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters (a designer's editor counts 你 as one column).
    pub column: u32,
    /// The norm broken (e.g. "N5"), when the problem is a norm violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub norm: Option<&'static str>,
    pub message: String,
}

impl Diagnostic {
    /// An error about a file as a whole (it cannot be read, or clashes with
    /// another), reported at its first line.
    pub fn file_error(file: String, message: String) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file,
            line: 1,
            column: 1,
            norm: None,
            message,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}:{}: {sev}", self.file, self.line, self.column)?;
        if let Some(norm) = self.norm {
            write!(f, "[{norm}]")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem of one check, errors first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// Whether the file fails a check; `strict` counts warnings too.
    pub fn fails(&self, strict: bool) -> bool {
        self.has_errors() || (strict && !self.0.is_empty())
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.0 {
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// Turns byte offsets from the TOML parser into line and column.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn position(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        // Count characters, not bytes; an offset inside a character (never
        // produced by the parser) rounds down.
        let column = self.text[start..]
            .char_indices()
            .take_while(|(i, _)| start + i < offset)
            .count();
        (line as u32 + 1, column as u32 + 1)
    }
}
