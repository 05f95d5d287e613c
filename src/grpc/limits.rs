//! Size limits on what a client may send, so no request can make the
//! service hold more than a bounded amount for it. Each is a setting
//! (`config`); a request over one is refused with INVALID_ARGUMENT naming
//! the field and the setting.

use super::{convert::InvalidRequest, pb};

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

/// The most intents one speech event may carry from the front-end's NLU.
const MAX_NLU_INTENTS: usize = 32;
/// The most variables one request may set (StartCall, data, an answer).
const MAX_VARIABLES: usize = 64;

fn within(
    field: &'static str,
    value: &str,
    limit: usize,
    setting: &str,
) -> Result<(), InvalidRequest> {
    if value.len() > limit {
        return Err(InvalidRequest::Invalid {
            field,
            problem: format!("{} bytes is more than {setting} ({limit})", value.len()),
        });
    }
    Ok(())
}

impl Limits {
    pub fn start(&self, req: &pb::StartCallRequest) -> Result<(), InvalidRequest> {
        let pb::StartCallRequest {
            call_id,
            flow,
            caller,
            callee,
            at,
            locale,
            reports_playback: _,
            variables,
        } = req;
        self.variables("variables", variables)?;
        let name = self.max_name_bytes;
        within("call_id", call_id, name, "max_name_bytes")?;
        within("flow", flow, name, "max_name_bytes")?;
        within("at", at, name, "max_name_bytes")?;
        within("locale", locale, name, "max_name_bytes")?;
        within("caller", caller, self.max_number_bytes, "max_number_bytes")?;
        within("callee", callee, self.max_number_bytes, "max_number_bytes")
    }

    /// Per-call variables: a bounded number, names like other names, and
    /// each value within `max_variable_bytes`. The message names the
    /// variable, never its value (caller data).
    pub fn variables(
        &self,
        field: &'static str,
        variables: &std::collections::HashMap<String, String>,
    ) -> Result<(), InvalidRequest> {
        if variables.len() > MAX_VARIABLES {
            return Err(InvalidRequest::Invalid {
                field,
                problem: format!("{} variables is more than {MAX_VARIABLES}", variables.len()),
            });
        }
        for (name, value) in variables {
            within(field, name, self.max_name_bytes, "max_name_bytes")?;
            if value.len() > self.max_variable_bytes {
                return Err(InvalidRequest::Invalid {
                    field,
                    problem: format!(
                        "{name:?}: {} bytes is more than max_variable_bytes ({})",
                        value.len(),
                        self.max_variable_bytes
                    ),
                });
            }
        }
        Ok(())
    }

    pub fn call_id(&self, call_id: &str) -> Result<(), InvalidRequest> {
        within("call_id", call_id, self.max_name_bytes, "max_name_bytes")
    }

    pub fn event(&self, ev: &pb::CallEvent) -> Result<(), InvalidRequest> {
        use pb::call_event::Kind;
        let pb::CallEvent {
            call_id,
            seq: _,
            kind,
        } = ev;
        self.call_id(call_id)?;
        match kind {
            Some(Kind::Start(start)) => self.start(start),
            Some(Kind::Speech(pb::Speech {
                text,
                confidence: _,
                intents,
            })) => {
                within(
                    "speech.text",
                    text,
                    self.max_speech_bytes,
                    "max_speech_bytes",
                )?;
                // The front-end's own understanding: a few intents, each
                // named like a flow's intent.
                if intents.len() > MAX_NLU_INTENTS {
                    return Err(InvalidRequest::Invalid {
                        field: "speech.intents",
                        problem: format!(
                            "{} intents is more than {MAX_NLU_INTENTS}",
                            intents.len()
                        ),
                    });
                }
                intents.iter().try_for_each(|i| {
                    within(
                        "speech.intents.name",
                        &i.name,
                        self.max_name_bytes,
                        "max_name_bytes",
                    )
                })
            }
            Some(Kind::Dtmf(pb::Dtmf { digits })) => within(
                "dtmf.digits",
                digits,
                self.max_dtmf_digits,
                "max_dtmf_digits",
            ),
            Some(Kind::PromptPlayed(pb::PromptPlayed { prompt_id })) => within(
                "prompt_played.prompt_id",
                prompt_id,
                self.max_name_bytes,
                "max_name_bytes",
            ),
            Some(Kind::TransferResult(pb::TransferResult {
                connected: _,
                detail,
            })) => within(
                "transfer_result.detail",
                detail,
                self.max_detail_bytes,
                "max_detail_bytes",
            ),
            Some(Kind::Resume(pb::Resume { call_id })) => self.call_id(call_id),
            Some(Kind::Data(pb::Data { variables })) => self.variables("data.variables", variables),
            Some(Kind::LookupResult(pb::LookupResult {
                name,
                ok: _,
                variables,
            })) => {
                within(
                    "lookup_result.name",
                    name,
                    self.max_name_bytes,
                    "max_name_bytes",
                )?;
                self.variables("lookup_result.variables", variables)
            }
            Some(Kind::HoldResult(pb::HoldResult { ok: _, variables })) => {
                self.variables("hold_result.variables", variables)
            }
            Some(Kind::NoInput(_) | Kind::Audio(_) | Kind::Hangup(_)) | None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_over_its_limit_is_named_with_its_setting() {
        let limits = Limits::default();
        let start = pb::StartCallRequest {
            caller: "1".repeat(65),
            ..Default::default()
        };
        assert_eq!(
            limits.start(&start).unwrap_err().to_string(),
            "caller: 65 bytes is more than max_number_bytes (64)"
        );
        let speech = pb::CallEvent {
            call_id: "c".into(),
            seq: 1,
            kind: Some(pb::call_event::Kind::Speech(pb::Speech {
                text: "话".repeat(2000),
                confidence: 0.9,
                intents: Vec::new(),
            })),
        };
        assert_eq!(
            limits.event(&speech).unwrap_err().to_string(),
            "speech.text: 6000 bytes is more than max_speech_bytes (4096)"
        );
        let detail = pb::CallEvent {
            call_id: "c".into(),
            seq: 1,
            kind: Some(pb::call_event::Kind::TransferResult(pb::TransferResult {
                connected: false,
                detail: "x".repeat(1025),
            })),
        };
        assert!(
            limits
                .event(&detail)
                .unwrap_err()
                .to_string()
                .starts_with("transfer_result.detail: 1025 bytes")
        );
        let fine = pb::CallEvent {
            call_id: "c".into(),
            seq: 1,
            kind: Some(pb::call_event::Kind::Dtmf(pb::Dtmf {
                digits: "123#".into(),
            })),
        };
        assert!(limits.event(&fine).is_ok());
    }
}
