//! How a placeholder says its value: as written (`{name}`), digit by
//! digit (`{phone:digits}`, so a number is read "1 3 8…", never "thirteen
//! billion…"), or as an amount of money (`{amount:money}`, two decimals).
//! In SSML a digit run is marked `<say-as interpret-as="digits">` for the
//! TTS engine instead.

/// The way a placeholder is said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The value as it is.
    Plain,
    /// Each digit on its own.
    Digits,
    /// An amount with two decimals.
    Money,
}

impl Format {
    /// `name` or `name:format` as a placeholder spells it; `Err` with the
    /// unknown format's name.
    pub fn split(placeholder: &str) -> Result<(&str, Format), &str> {
        match placeholder.split_once(':') {
            None => Ok((placeholder, Format::Plain)),
            Some((name, "digits")) => Ok((name, Format::Digits)),
            Some((name, "money")) => Ok((name, Format::Money)),
            Some((_, other)) => Err(other),
        }
    }

    /// Appends `value` said this way to a text (`ssml`: to SSML, escaped).
    pub fn fill(self, value: &str, ssml: bool, out: &mut String) {
        match (self, ssml) {
            (Format::Plain, false) => out.push_str(value),
            (Format::Plain, true) => escape(value, out),
            (Format::Digits, false) => {
                for (i, c) in value.chars().filter(|c| !c.is_whitespace()).enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push(c);
                }
            }
            (Format::Digits, true) => {
                out.push_str("<say-as interpret-as=\"digits\">");
                escape(value, out);
                out.push_str("</say-as>");
            }
            (Format::Money, ssml) => {
                let amount = value
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|a| a.is_finite())
                    .map(|a| format!("{a:.2}"));
                let said = amount.as_deref().unwrap_or(value);
                if ssml {
                    escape(said, out);
                } else {
                    out.push_str(said);
                }
            }
        }
    }
}

/// A caller's value inside SSML: markup characters as entities, so what a
/// caller keyed or said can never become markup.
fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Format;

    fn said(format: Format, value: &str, ssml: bool) -> String {
        let mut out = String::new();
        format.fill(value, ssml, &mut out);
        out
    }

    #[test]
    fn digits_are_said_one_by_one_and_marked_in_ssml() {
        assert_eq!(
            said(Format::Digits, "13800138000", false),
            "1 3 8 0 0 1 3 8 0 0 0"
        );
        assert_eq!(
            said(Format::Digits, "13800138000", true),
            "<say-as interpret-as=\"digits\">13800138000</say-as>"
        );
        assert_eq!(said(Format::Plain, "<b>&", true), "&lt;b&gt;&amp;");
    }

    #[test]
    fn money_has_two_decimals_and_other_text_stays() {
        assert_eq!(said(Format::Money, "58.5", false), "58.50");
        assert_eq!(said(Format::Money, "12", false), "12.00");
        assert_eq!(said(Format::Money, "about 5", false), "about 5");
    }

    #[test]
    fn placeholders_name_their_format() {
        assert_eq!(Format::split("phone"), Ok(("phone", Format::Plain)));
        assert_eq!(Format::split("phone:digits"), Ok(("phone", Format::Digits)));
        assert_eq!(Format::split("amount:money"), Ok(("amount", Format::Money)));
        assert_eq!(Format::split("x:words"), Err("words"));
    }
}
