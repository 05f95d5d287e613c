//! Size limits on what a client may send, so no request can make the
//! service hold more than a bounded amount for it. Each is a setting
//! (`config`); a request over one is refused with INVALID_ARGUMENT naming
//! the field and the setting. `convert` applies them field by field as it
//! converts a message, in the same pass.

use super::convert::InvalidRequest;

/// The limits on string fields and whole requests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Call ids, flow ids, locales, `at` timestamps, prompt ids.
    pub max_name_bytes: usize,
    /// Caller and callee numbers.
    pub max_number_bytes: usize,
    /// What the caller said (one speech event).
    pub max_speech_bytes: usize,
    /// Keys pressed in one DTMF event.
    pub max_dtmf_digits: usize,
    /// A transfer result's detail.
    pub max_detail_bytes: usize,
    /// A whole Calls request (one Converse message), encoded.
    pub max_message_bytes: usize,
    /// One per-call variable's value (a name, an amount, a ticket number).
    pub max_variable_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_name_bytes: 128,
            max_number_bytes: 64,
            max_speech_bytes: 4096,
            max_dtmf_digits: 64,
            max_detail_bytes: 1024,
            max_message_bytes: 64 << 10,
            max_variable_bytes: 256,
        }
    }
}

/// The largest event seq taken: 2^53, the largest integer a JSON number
/// (a JavaScript front-end) holds exactly. A seq near u64::MAX would leave
/// no room after it, and every later event would be refused as a retry.
pub const MAX_SEQ: u64 = 1 << 53;

/// The most intents one speech event may carry from the front-end's NLU.
const MAX_NLU_INTENTS: usize = 32;
/// The most variables one request may set (StartCall, data, an answer).
const MAX_VARIABLES: usize = 64;

fn within(
    field: &'static str,
    value: &str,
    limit: usize,
    setting: &'static str,
) -> Result<(), InvalidRequest> {
    if value.len() > limit {
        crate::metrics::request_refused(setting);
        return Err(InvalidRequest::Invalid {
            field,
            problem: format!("{} bytes is more than {setting} ({limit})", value.len()),
        });
    }
    Ok(())
}

// One check per kind of field, called by `convert` as it takes each
// message apart, so a request is walked once.
impl Limits {
    /// Ids and names: call ids, flow ids, locales, `at`, prompt, intent
    /// and lookup names, variable names.
    /// They are printed in logs and dashboards, so only printable text:
    /// no control, format (U+200B, the BOM) or direction-override
    /// (U+202E) characters, nor line separators, that could hide or
    /// disguise what a line says.
    pub(super) fn name(&self, field: &'static str, value: &str) -> Result<(), InvalidRequest> {
        within(field, value, self.max_name_bytes, "max_name_bytes")?;
        // Nearly every name is printable ASCII: checked a byte at a time,
        // where the scan by characters cost ~30 instructions a character
        // (0.85k for a StartCall's names). A fold, not `all`, so the
        // compiler can check many bytes at once.
        if value
            .bytes()
            .fold(true, |ok, b| ok & (b' '..=b'~').contains(&b))
        {
            return Ok(());
        }
        match value
            .char_indices()
            .find(|&(_, c)| crate::telemetry::unprintable(c))
        {
            Some((at, c)) => Err(InvalidRequest::Invalid {
                field,
                problem: format!(
                    "must be printable text: U+{:04X} at byte {at} is a control, format or separator character",
                    c as u32
                ),
            }),
            None => Ok(()),
        }
    }

    pub(super) fn number(&self, field: &'static str, value: &str) -> Result<(), InvalidRequest> {
        within(field, value, self.max_number_bytes, "max_number_bytes")
    }

    pub(super) fn speech(&self, field: &'static str, value: &str) -> Result<(), InvalidRequest> {
        within(field, value, self.max_speech_bytes, "max_speech_bytes")
    }

    pub(super) fn dtmf(&self, field: &'static str, value: &str) -> Result<(), InvalidRequest> {
        within(field, value, self.max_dtmf_digits, "max_dtmf_digits")
    }

    pub(super) fn detail(&self, field: &'static str, value: &str) -> Result<(), InvalidRequest> {
        within(field, value, self.max_detail_bytes, "max_detail_bytes")
    }

    /// An event's seq: within [`MAX_SEQ`].
    pub(super) fn seq(&self, field: &'static str, seq: u64) -> Result<(), InvalidRequest> {
        if seq > MAX_SEQ {
            crate::metrics::request_refused("max_seq");
            return Err(InvalidRequest::Invalid {
                field,
                problem: format!("{seq} is more than {MAX_SEQ} (2^53)"),
            });
        }
        Ok(())
    }

    /// The front-end's own understanding: a few intents (each name is
    /// checked with [`Limits::name`]).
    pub(super) fn intents(&self, field: &'static str, count: usize) -> Result<(), InvalidRequest> {
        if count > MAX_NLU_INTENTS {
            return Err(InvalidRequest::Invalid {
                field,
                problem: format!("{count} intents is more than {MAX_NLU_INTENTS}"),
            });
        }
        Ok(())
    }

    /// Per-call variables: a bounded number of them.
    pub(super) fn variable_count(
        &self,
        field: &'static str,
        count: usize,
    ) -> Result<(), InvalidRequest> {
        if count > MAX_VARIABLES {
            return Err(InvalidRequest::Invalid {
                field,
                problem: format!("{count} variables is more than {MAX_VARIABLES}"),
            });
        }
        Ok(())
    }

    /// One variable: its name like other names, its value within
    /// `max_variable_bytes`. The message names the variable, never its
    /// value (caller data).
    pub(super) fn variable(
        &self,
        field: &'static str,
        name: &str,
        value: &str,
    ) -> Result<(), InvalidRequest> {
        self.name(field, name)?;
        if value.len() > self.max_variable_bytes {
            crate::metrics::request_refused("max_variable_bytes");
            return Err(InvalidRequest::Invalid {
                field,
                problem: format!(
                    "{name:?}: {} bytes is more than max_variable_bytes ({})",
                    value.len(),
                    self.max_variable_bytes
                ),
            });
        }
        Ok(())
    }
}
