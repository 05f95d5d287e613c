//! Who uses the studio: the bearer tokens and roles of `auth_tokens_file`,
//! the same file (and the same reloads) as the gRPC service.
//!
//! `designer` edits and simulates, `operator` watches calls, `admin` does
//! both; a token without the role a route needs gets 403, no token or an
//! unknown one 401. Without a tokens file everyone is everything, as the
//! gRPC service is open then.

use std::sync::Arc;

use axum::http::{HeaderMap, header::AUTHORIZATION};

use super::error::ApiError;
use crate::grpc::auth::{Auth, Role};

/// What a route asks of its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any known token (`/api/whoami`).
    Anyone,
    /// Edits, checks and simulates flows.
    Designer,
    /// Watches live and recent calls.
    Operator,
}

/// Who is asking.
#[derive(Debug, Clone)]
pub struct User {
    /// The token's client name; `None` when the studio is open.
    pub name: Option<Arc<str>>,
    pub roles: Vec<Role>,
    /// Sees numbers and the flows' `pii` variables in full.
    pub pii: bool,
}

impl User {
    fn open() -> User {
        User {
            name: None,
            roles: vec![Role::Admin, Role::Designer, Role::Operator, Role::Pii],
            pii: true,
        }
    }
}

/// Every role, in the order `whoami` lists them.
const ROLES: [Role; 5] = [
    Role::Admin,
    Role::Designer,
    Role::Frontend,
    Role::Operator,
    Role::Pii,
];

/// The user behind `headers`, if they may do what `need` says.
pub fn admit(auth: Option<&Arc<Auth>>, headers: &HeaderMap, need: Need) -> Result<User, ApiError> {
    let Some(auth) = auth else {
        return Ok(User::open());
    };
    let client = auth
        .identify(headers.get(AUTHORIZATION).map(|v| v.as_bytes()))
        .map_err(|status| ApiError::unauthorized(status.message()))?;
    let has = |role| client.roles.has(role);
    let allowed = match need {
        Need::Anyone => true,
        Need::Designer => has(Role::Designer) || has(Role::Admin),
        Need::Operator => has(Role::Operator) || has(Role::Admin),
    };
    let roles: Vec<Role> = ROLES.into_iter().filter(|r| has(*r)).collect();
    if !allowed {
        let wanted = match need {
            Need::Anyone => "any role",
            Need::Designer => "designer or admin",
            Need::Operator => "operator or admin",
        };
        let held: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return Err(ApiError::forbidden(format!(
            "client {:?} (roles: {}) may not do this; it needs {wanted}",
            client.name,
            if held.is_empty() {
                "none".to_owned()
            } else {
                held.join(", ")
            }
        )));
    }
    Ok(User {
        name: Some(client.name.clone()),
        pii: client.sees_pii(),
        roles,
    })
}
