//! Values a step fills from the call's variables at run time: a `set`
//! step's values and a transfer's target (`sip:{queue}@pbx`). `{name}` is
//! a variable; `{{` and `}}` are literal braces, as in prompt texts.

use std::sync::Arc;

use super::super::compile::{Findings, steps::StepContext};
use super::super::raw::Sp;

/// Text with `{variable}` placeholders, cut into the pieces a call fills.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template(Arc<[Part]>);

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum Part {
    Text(Arc<str>),
    Var(Arc<str>),
}

/// What a placeholder naming no variable the flow knows is.
#[derive(Debug, Clone, Copy)]
pub(in crate::flow) enum Unknown {
    /// A mistake: the value would be wrong.
    Error,
    /// Likely a mistake, but the front-end may bring the variable (a
    /// `data` event): a transfer target.
    Warn,
}

impl Template {
    /// Cuts `text` into pieces; a placeholder naming no variable the flow
    /// knows is reported at its brace (`what` says whose value it is).
    pub(in crate::flow) fn parse(
        cx: &StepContext<'_>,
        text: &Sp<String>,
        what: &str,
        unknown: Unknown,
        found: &mut Findings<'_>,
    ) -> Template {
        let src = text.get_ref();
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = src.as_str();
        while let Some(open) = rest.find(['{', '}']) {
            let at = cx.source().within(text, src.len() - rest.len() + open);
            literal.push_str(&rest[..open]);
            if rest[open..].starts_with("{{") || rest[open..].starts_with("}}") {
                literal.push_str(&rest[open..=open]);
                rest = &rest[open + 2..];
                continue;
            }
            let after = &rest[open + 1..];
            match (rest.as_bytes()[open], after.find('}')) {
                (b'{', Some(close)) => {
                    let name = &after[..close];
                    if !known(cx, name) {
                        let message = format!(
                            "{what} uses {{{name}}}, which nothing supplies (no default, required variable, `set`, lookup or hold `gives`, or `into`)"
                        );
                        match unknown {
                            Unknown::Error => found.error(at, None, message),
                            Unknown::Warn => found.warn(at, None, message),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal).into()));
                    }
                    parts.push(Part::Var(name.into()));
                    rest = &after[close + 1..];
                }
                _ => {
                    found.error(
                        at,
                        None,
                        format!(
                            "unmatched brace in {what} (write {{{{ or }}}} for a literal brace)"
                        ),
                    );
                    literal.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal.into()));
        }
        Template(parts.into())
    }

    /// The text with each variable's value (`value_of`; none is empty).
    pub fn fill(&self, value_of: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::new();
        for part in self.0.iter() {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var(name) => out.push_str(&value_of(name).unwrap_or_default()),
            }
        }
        out
    }

    /// The text as written when it has no placeholder: a value `check`
    /// can know.
    pub fn literal(&self) -> Option<&str> {
        match &*self.0 {
            [] => Some(""),
            [Part::Text(t)] => Some(t),
            _ => None,
        }
    }

    /// The variables it uses.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Part::Var(name) => Some(&**name),
            Part::Text(_) => None,
        })
    }
}

impl std::fmt::Display for Template {
    /// As written, placeholders and all.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in self.0.iter() {
            match part {
                Part::Text(t) => f.write_str(&t.replace('{', "{{").replace('}', "}}"))?,
                Part::Var(name) => write!(f, "{{{name}}}")?,
            }
        }
        Ok(())
    }
}

/// Whether the call can have a value for `name` at run time: a flow
/// default, a required variable, one a step gives, or its numbers.
pub(super) fn known(cx: &StepContext<'_>, name: &str) -> bool {
    matches!(name, "caller" | "callee") || cx.knows_variable(name)
}
