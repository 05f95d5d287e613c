//! Every error a client can see becomes a `Status` here, in one place.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::convert::InvalidRequest;
use crate::engine::CallError;

/// The message names the field for a person reading it; the
/// `google.rpc.BadRequest` detail names it again for a program.
impl From<InvalidRequest> for Status {
    fn from(e: InvalidRequest) -> Status {
        let details = ErrorDetails::with_bad_request_violation(e.field(), e.description());
        Status::with_error_details(Code::InvalidArgument, e.to_string(), details)
    }
}

impl From<CallError> for Status {
    fn from(e: CallError) -> Status {
        let code = match &e {
            // Another client's call is answered as if it did not exist:
            // PERMISSION_DENIED would tell a client which ids are live.
            CallError::UnknownFlow(_) | CallError::UnknownCall(_) | CallError::NotOwner(_) => {
                Code::NotFound
            }
            CallError::AlreadyExists(_) => Code::AlreadyExists,
            CallError::Ended { .. } | CallError::SeqReused { .. } => Code::FailedPrecondition,
            CallError::UnknownLocale { .. }
            | CallError::StaleSeq { .. }
            | CallError::MissingVariable { .. } => Code::InvalidArgument,
            CallError::TooManyCalls { .. } => {
                crate::metrics::request_refused("max_live_calls");
                Code::ResourceExhausted
            }
            CallError::ShuttingDown => Code::Unavailable,
            CallError::StoreUnavailable(_) => Code::Unavailable,
            CallError::NotStored | CallError::NotStreamed(_) => Code::FailedPrecondition,
        };
        let message = match &e {
            CallError::UnknownLocale { .. } => format!("locale: {e}"),
            CallError::StaleSeq { .. } | CallError::SeqReused { .. } => format!("seq: {e}"),
            CallError::MissingVariable { .. } => format!("variables: {e}"),
            CallError::UnknownFlow(_) => format!("flow: {e}"),
            CallError::NotOwner(id) => {
                format!("call_id: {}", CallError::UnknownCall(id.clone()))
            }
            CallError::UnknownCall(_) | CallError::AlreadyExists(_) => format!("call_id: {e}"),
            CallError::Ended { .. }
            | CallError::TooManyCalls { .. }
            | CallError::ShuttingDown
            | CallError::StoreUnavailable(_)
            | CallError::NotStored => e.to_string(),
            CallError::NotStreamed(_) => format!("call_id: {e}"),
        };
        Status::new(code, message)
    }
}

/// What prost's decode error says before naming the field.
const DECODE_PREFIX: &str = "failed to decode Protobuf message: ";
/// tonic's own words for a message over the size limit.
const TOO_LARGE_PREFIX: &str = "Error, decoded message length too large: found ";

/// Errors tonic raises while reading a request, before a handler sees it,
/// as the status a client should get: a malformed message (e.g. invalid
/// UTF-8 in a string field) or one over `max_message_bytes` is the
/// client's mistake (INVALID_ARGUMENT naming the field or the limit), not
/// the server's (INTERNAL) nor a range problem (OUT_OF_RANGE). `None` for
/// every other status.
pub fn wire_error(status: &Status) -> Option<Status> {
    let message = status.message();
    match status.code() {
        Code::Internal => message.strip_prefix(DECODE_PREFIX).map(|detail| {
            // "StartCallRequest.caller: invalid string value: …"
            Status::invalid_argument(format!("{detail} (the request is not valid protobuf)"))
        }),
        Code::OutOfRange => message.strip_prefix(TOO_LARGE_PREFIX).map(|rest| {
            crate::metrics::request_refused("max_message_bytes");
            let found = rest.split(' ').next().unwrap_or("?");
            let limit = rest
                .rsplit("the limit is: ")
                .next()
                .and_then(|l| l.split(' ').next())
                .unwrap_or("?");
            Status::invalid_argument(format!(
                "request: {found} bytes is more than max_message_bytes ({limit})"
            ))
        }),
        _ => None,
    }
}

/// [`wire_error`], or the status as it was.
pub fn client_facing(status: Status) -> Status {
    wire_error(&status).unwrap_or(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_and_size_errors_become_invalid_argument_naming_the_field() {
        let s = wire_error(&Status::internal(
            "failed to decode Protobuf message: StartCallRequest.caller: invalid string value: data is not UTF-8 encoded",
        ))
        .expect("a decode error");
        assert_eq!(s.code(), Code::InvalidArgument);
        assert!(
            s.message()
                .starts_with("StartCallRequest.caller: invalid string value"),
            "{}",
            s.message()
        );

        let s = wire_error(&Status::out_of_range(
            "Error, decoded message length too large: found 70000 bytes, the limit is: 65536 bytes",
        ))
        .expect("a size error");
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(
            s.message(),
            "request: 70000 bytes is more than max_message_bytes (65536)"
        );

        assert!(wire_error(&Status::internal("something else")).is_none());
    }
}
