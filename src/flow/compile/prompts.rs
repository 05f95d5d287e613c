//! Variables and prompt texts: every placeholder resolved, every locale given.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use super::super::{
    Format, Piece, Prompt, PromptIx,
    raw::{RawFlow, RawVariable, Sp},
};
use super::{
    Checked, Findings, Source,
    source::{Indexed, closest, join},
};

/// `[variables]`: each default's value per locale index.
pub(super) fn check_variables(
    source: &Source<'_>,
    raw: &RawFlow,
    locales: &[Arc<str>],
) -> Checked<HashMap<String, Vec<String>>> {
    let mut found = Findings::new(source);
    let mut out = HashMap::new();
    for (name, value) in &raw.variables {
        let values = match value.get_ref() {
            RawVariable::Same(v) => vec![v.clone(); locales.len()],
            RawVariable::PerLocale(map) => {
                for key in map.keys() {
                    if !locales.iter().any(|l| &**l == key) {
                        found.error(
                            value.span(),
                            None,
                            format!(
                                "variable {:?} has a value for {key:?}, which is not in `locales`",
                                name.get_ref()
                            ),
                        );
                    }
                }
                locales
                    .iter()
                    .map(|l| match map.get(&**l) {
                        Some(v) => v.clone(),
                        None => {
                            found.error(
                                value.span(),
                                None,
                                format!(
                                    "variable {:?} has no value for locale {l:?}",
                                    name.get_ref()
                                ),
                            );
                            String::new()
                        }
                    })
                    .collect()
            }
        };
        out.insert(name.get_ref().clone(), values);
    }
    found.done(out)
}

/// `[prompts]` in file order, each with a text for every locale and its
/// placeholders resolved, and their index by name.
pub(super) fn check_prompts(
    source: &Source<'_>,
    raw: &RawFlow,
    locales: &[Arc<str>],
    variables: &HashMap<String, Vec<String>>,
    run_time: &HashMap<String, &'static str>,
) -> Checked<Indexed<Arc<Prompt>, PromptIx>> {
    let mut found = Findings::new(source);
    let mut prompts = Vec::new();
    let mut names = HashMap::new();
    let Some(table) = &raw.prompts else {
        return found.done((prompts, names));
    };
    for (id, fields) in table.get_ref() {
        let prompt = found.take(check_prompt(
            source, id, fields, locales, variables, run_time,
        ));
        names.insert(id.get_ref().clone(), PromptIx::new(prompts.len()));
        prompts.push(Arc::new(prompt));
    }
    found.done((prompts, names))
}

/// One prompt: a text for every locale, its placeholders resolved, and
/// its audio file and SSML filled per locale.
fn check_prompt(
    source: &Source<'_>,
    id: &Sp<String>,
    fields: &Sp<BTreeMap<Sp<String>, Sp<String>>>,
    locales: &[Arc<str>],
    variables: &HashMap<String, Vec<String>>,
    run_time: &HashMap<String, &'static str>,
) -> Checked<Prompt> {
    let mut found = Findings::new(source);
    let id_name = id.get_ref();
    let mut texts: Vec<Option<Arc<str>>> = vec![None; locales.len()];
    let mut pieces: Vec<Box<[Piece]>> = vec![Box::default(); locales.len()];
    let mut audio = None;
    let mut ssml = None;
    for (key, value) in fields.get_ref() {
        match key.get_ref().as_str() {
            "audio" => audio = Some(value),
            "ssml" => ssml = Some(value),
            locale => match locales.iter().position(|l| &**l == locale) {
                Some(ix) => {
                    let (text, parts) =
                        found.take(render(source, value, ix, variables, run_time));
                    pieces[ix] = parts.into();
                    if text.trim().is_empty() {
                        found.error(
                            value.span(),
                            None,
                            format!("prompt {id_name:?} has empty text for {locale}"),
                        );
                    }
                    texts[ix] = Some(text.into());
                }
                None => found.error(
                    key.span(),
                    None,
                    format!(
                        "prompt {id_name:?}: {locale:?} is neither a declared locale ({}) nor `audio` or `ssml`",
                        join(locales)
                    ),
                ),
            },
        }
    }
    let texts: Box<[Arc<str>]> = texts
        .into_iter()
        .enumerate()
        .map(|(ix, t)| {
            t.unwrap_or_else(|| {
                found.error(
                    id.span(),
                    None,
                    format!(
                        "prompt {id_name:?} has no text for locale {:?}",
                        locales[ix]
                    ),
                );
                Arc::from("")
            })
        })
        .collect();
    // `{locale}` in a file name and `{text}` in SSML are filled per
    // locale so one line serves every language.
    let per_locale = |template: &Sp<String>, texts: &[Arc<str>]| -> Box<[Arc<str>]> {
        locales
            .iter()
            .zip(texts)
            .map(|(l, t)| {
                Arc::from(
                    template
                        .get_ref()
                        .replace("{locale}", l)
                        .replace("{text}", t),
                )
            })
            .collect()
    };
    let has_vars = pieces
        .iter()
        .any(|p| p.iter().any(|p| matches!(p, Piece::Var { .. })));
    // A recording says one fixed text; a value only the call brings (an
    // entered number, a lookup's amount) would go unsaid.
    let run_time_only = pieces.iter().flat_map(|p| p.iter()).find_map(|p| match p {
        Piece::Var {
            name,
            default: None,
            ..
        } => Some(name.clone()),
        Piece::Var { .. } | Piece::Text(_) => None,
    });
    if let (Some(file), Some(name)) = (audio, run_time_only) {
        found.error(
            file.span(),
            None,
            format!(
                "prompt {id_name:?} has a fixed audio file but says {{{name}}}, which only the call knows: drop `audio` (TTS says it) or the placeholder"
            ),
        );
    }
    let ssml_template = ssml.filter(|_| has_vars).map(|s| {
        locales
            .iter()
            .map(|l| Arc::from(s.get_ref().replace("{locale}", l)))
            .collect()
    });
    let prompt = Prompt {
        id: id_name.as_str().into(),
        audio: audio.map(|a| per_locale(a, &texts)),
        ssml: ssml.map(|s| per_locale(s, &texts)),
        texts,
        template: has_vars.then(|| pieces.into()),
        ssml_template,
    };
    found.done(prompt)
}

/// Fills `{variable}` placeholders with the flow's defaults, and cuts
/// the text into pieces a call fills with its own values; `{{` and `}}`
/// are literal braces. A placeholder must name a default under
/// `[variables]`, a `required_variables` entry, or a variable a lookup
/// or hold step `gives`.
fn render(
    source: &Source<'_>,
    text: &Sp<String>,
    locale: usize,
    variables: &HashMap<String, Vec<String>>,
    run_time: &HashMap<String, &'static str>,
) -> Checked<(String, Vec<Piece>)> {
    let mut found = Findings::new(source);
    let src = text.get_ref();
    let mut out = String::with_capacity(src.len());
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut rest = src.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        // Point at the brace itself, not just the start of the string.
        let at = source.within(text, src.len() - rest.len() + open);
        out.push_str(&rest[..open]);
        literal.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        if rest[open..].starts_with("{{") || rest[open..].starts_with("}}") {
            out.push_str(&rest[open..open + 1]);
            literal.push_str(&rest[open..open + 1]);
            rest = &rest[open + 2..];
            continue;
        }
        match (rest.as_bytes()[open], after.find('}')) {
            (b'{', Some(close)) => {
                let (name, format) = match Format::split(&after[..close]) {
                    Ok(split) => split,
                    Err(other) => {
                        found.error(
                            at.clone(),
                            None,
                            format!("unknown format {other:?} (write {{name}}, {{name:digits}} or {{name:money}})"),
                        );
                        let written = &after[..close];
                        (written.split(':').next().unwrap_or(written), Format::Plain)
                    }
                };
                let default = variables.get(name).map(|v| {
                    let mut said = String::new();
                    format.fill(&v[locale], false, &mut said);
                    Arc::from(said)
                });
                match &default {
                    Some(d) => out.push_str(d),
                    // The flow's own text shows what a call fills in.
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                if default.is_none() && !run_time.contains_key(name) {
                    let known = variables
                        .keys()
                        .map(String::as_str)
                        .chain(run_time.keys().map(String::as_str));
                    let hint = match closest(name, known) {
                            Some(near) => format!(
                                "did you mean {{{near}}}? or declare it under [variables] or in required_variables"
                            ),
                            None => "declare it under [variables], or in required_variables when every StartCall gives it".to_owned(),
                        };
                    found.error(
                            at,
                            None,
                            format!("unknown variable {{{name}}}: neither a flow default nor required at StartCall ({hint})"),
                        );
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut literal).into()));
                }
                pieces.push(Piece::Var {
                    name: name.into(),
                    default,
                    format,
                });
                rest = &after[close + 1..];
            }
            _ => {
                found.error(
                    at,
                    None,
                    "unmatched brace in prompt text (write {{ or }} for a literal brace)".into(),
                );
                out.push_str(&rest[open..]);
                literal.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    literal.push_str(rest);
    if !literal.is_empty() {
        pieces.push(Piece::Text(literal.into()));
    }
    found.done((out, pieces))
}

/// The variables a call brings itself: `required_variables` (StartCall
/// must give them) and what lookup and hold steps' answers `give`,
/// each with where it comes from.
pub(super) fn check_run_time_variables(
    source: &Source<'_>,
    raw: &RawFlow,
) -> Checked<HashMap<String, &'static str>> {
    let mut found = Findings::new(source);
    let mut out = HashMap::new();
    let mut named = |name: &Sp<String>| {
        let n = name.get_ref();
        if !valid_variable_name(n) {
            found.error(
                name.span(),
                None,
                format!("{n:?} is not a variable name (letters, digits and '_')"),
            );
        }
        n.clone()
    };
    for name in &raw.required_variables {
        out.insert(named(name), "required");
    }
    for (_, step) in raw.all_steps() {
        for name in step.get_ref().gives() {
            out.entry(named(name)).or_insert("given");
        }
    }
    found.done(out)
}

/// Variable names as placeholders spell them.
pub fn valid_variable_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
}
