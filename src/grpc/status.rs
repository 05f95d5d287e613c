//! Every error a client can see becomes a `Status` here, in one place.

use tonic::{Code, Status};

use super::convert::InvalidRequest;
use crate::engine::CallError;

impl From<InvalidRequest> for Status {
    fn from(e: InvalidRequest) -> Status {
        Status::invalid_argument(e.to_string())
    }
}

impl From<CallError> for Status {
    fn from(e: CallError) -> Status {
        let code = match &e {
            CallError::UnknownFlow(_) | CallError::UnknownCall(_) => Code::NotFound,
            CallError::AlreadyExists(_) => Code::AlreadyExists,
            CallError::Ended { .. } => Code::FailedPrecondition,
            CallError::UnknownLocale { .. } | CallError::StaleSeq { .. } => Code::InvalidArgument,
        };
        let message = match &e {
            CallError::UnknownLocale { .. } => format!("locale: {e}"),
            CallError::StaleSeq { .. } => format!("seq: {e}"),
            CallError::UnknownFlow(_) => format!("flow: {e}"),
            CallError::UnknownCall(_) | CallError::AlreadyExists(_) => format!("call_id: {e}"),
            CallError::Ended { .. } => e.to_string(),
        };
        Status::new(code, message)
    }
}
