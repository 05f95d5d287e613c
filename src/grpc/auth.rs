//! Who may call what: bearer tokens from `auth_tokens_file`, and roles.
//!
//! ```toml
//! [[client]]
//! name = "pbx-1"
//! token = "…"              # sent as `authorization: Bearer <token>`
//! roles = ["frontend"]     # frontend | operator | designer | admin | pii
//! ```
//!
//! `frontend`: the Calls RPCs, GetCall/EndCall/SendEvent only on calls it
//! started; `operator`: GetCall and EndCall on any call; `designer`:
//! ListFlows, GetFlow, CheckFlow; `admin`: everything; `pii`: GetCall and
//! EndCall show numbers and digit runs in full (otherwise masked, N16).
//! Health and reflection stay open. Without the file the service is open.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use arc_swap::ArcSwap;
use serde::Deserialize;
use tonic::Status;
use tracing::{info, warn};

/// One role a client may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Frontend,
    Operator,
    Designer,
    Admin,
    Pii,
}

impl Role {
    const ALL: [Role; 5] = [
        Role::Frontend,
        Role::Operator,
        Role::Designer,
        Role::Admin,
        Role::Pii,
    ];

    fn bit(self) -> u8 {
        1 << self as u8
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Frontend => "frontend",
            Role::Operator => "operator",
            Role::Designer => "designer",
            Role::Admin => "admin",
            Role::Pii => "pii",
        }
    }
}

/// A set of roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles(u8);

impl Roles {
    pub fn has(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    fn any(self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    fn names(self) -> String {
        let names: Vec<&str> = Role::ALL
            .iter()
            .filter(|r| self.has(**r))
            .map(|r| r.as_str())
            .collect();
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    }
}

/// An authenticated client, put in each request's extensions.
#[derive(Debug)]
pub struct Client {
    pub name: Arc<str>,
    pub roles: Roles,
}

impl Client {
    /// Whose calls this client may touch: `None` for any call, or only
    /// those it started.
    pub fn calls_scope(&self) -> Option<&str> {
        if self.roles.any(&[Role::Operator, Role::Admin]) {
            None
        } else {
            Some(&self.name)
        }
    }

    pub fn sees_pii(&self) -> bool {
        self.roles.has(Role::Pii)
    }
}

/// What an RPC requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Health checks and reflection: anyone.
    Open,
    /// Any of these roles (admin always).
    Roles(&'static [Role]),
}

/// The access rule of a gRPC method path.
pub fn access(path: &str) -> Access {
    const FRONTEND: &[Role] = &[Role::Frontend, Role::Admin];
    const CALL_READERS: &[Role] = &[Role::Frontend, Role::Operator, Role::Admin];
    const DESIGNERS: &[Role] = &[Role::Designer, Role::Admin];
    const ADMIN: &[Role] = &[Role::Admin];
    let (service, method) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""));
    match (service, method) {
        ("grpc.health.v1.Health", _)
        | ("grpc.reflection.v1.ServerReflection", _)
        | ("grpc.reflection.v1alpha.ServerReflection", _)
        // The benchmarks' bare reference handler, served only when asked
        // for (`reference_service`), measures the transport alone.
        | ("callscript.reference.v1.Reference", _) => Access::Open,
        ("callscript.v1.Calls", "StartCall" | "SendEvent" | "Converse") => Access::Roles(FRONTEND),
        ("callscript.v1.Calls", _) => Access::Roles(CALL_READERS),
        ("callscript.v1.Flows", "ReloadFlows") => Access::Roles(ADMIN),
        ("callscript.v1.Flows", _) => Access::Roles(DESIGNERS),
        // Scoring a transcript (N18): the front-ends and QA tools that read calls.
        ("callscript.v1.Quality", _) => Access::Roles(CALL_READERS),
        _ => Access::Roles(ADMIN),
    }
}

struct Entry {
    token: Box<[u8]>,
    client: Arc<Client>,
}

/// The clients of one tokens file.
pub struct Tokens {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    client: Vec<RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    name: String,
    token: String,
    roles: Vec<String>,
}

/// Short tokens can be guessed; 16 characters is the least accepted.
const MIN_TOKEN: usize = 16;

impl Tokens {
    /// Parses a tokens file; every problem is reported, naming the file.
    pub fn parse(file: &str, text: &str) -> Result<Tokens, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        let mut problems = Vec::new();
        let mut entries = Vec::new();
        for (i, c) in raw.client.into_iter().enumerate() {
            let at = format!("{file}: client {} ({:?})", i + 1, c.name);
            if c.name.trim().is_empty() {
                problems.push(format!("{at}: name must not be empty"));
            }
            if c.token.len() < MIN_TOKEN || c.token.chars().any(|ch| ch.is_whitespace()) {
                problems.push(format!(
                    "{at}: token must be at least {MIN_TOKEN} characters without spaces"
                ));
            }
            let mut roles = Roles::default();
            for r in &c.roles {
                match Role::ALL.iter().find(|role| role.as_str() == r) {
                    Some(role) => roles.0 |= role.bit(),
                    None => problems.push(format!(
                        "{at}: role {r:?} is not one of frontend, operator, designer, admin, pii"
                    )),
                }
            }
            if entries
                .iter()
                .any(|e: &Entry| ct_eq(&e.token, c.token.as_bytes()))
            {
                problems.push(format!("{at}: token is the same as an earlier client's"));
            }
            entries.push(Entry {
                token: c.token.into_bytes().into(),
                client: Arc::new(Client {
                    name: c.name.into(),
                    roles,
                }),
            });
        }
        if entries.is_empty() {
            problems.push(format!("{file}: no [[client]] is defined"));
        }
        if problems.is_empty() {
            Ok(Tokens { entries })
        } else {
            Err(problems.join("\n"))
        }
    }

    /// The client with this token. Every token is compared, each in
    /// constant time, so the answer's timing says nothing about how much
    /// of a guess was right.
    pub fn find(&self, token: &[u8]) -> Option<Arc<Client>> {
        let mut found = None;
        for e in &self.entries {
            if ct_eq(&e.token, token) {
                found = Some(e.client.clone());
            }
        }
        found
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Equal bytes, in time that depends only on the lengths.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u8 | u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// The tokens file and its current contents, reloaded when it changes.
pub struct Auth {
    path: PathBuf,
    /// Swapped whole on a reload: checking a token never waits for one.
    tokens: ArcSwap<Tokens>,
    /// Told of every tokens swapped in, so open streams can check that
    /// their token still stands ([`Standing`]).
    swapped: tokio::sync::watch::Sender<()>,
    /// Reads of the file after the first, taken or rejected.
    reloads: AtomicU64,
}

impl Auth {
    /// Reads the tokens file; a service must not start on a broken one.
    pub fn load(path: &Path) -> Result<Arc<Auth>, String> {
        let tokens = read(path)?;
        info!(file = %path.display(), clients = tokens.len(), "clients must authenticate");
        Ok(Arc::new(Auth::new(path.to_owned(), tokens)))
    }

    /// An in-memory set (tests).
    pub fn from_tokens(tokens: Tokens) -> Arc<Auth> {
        Arc::new(Auth::new(PathBuf::new(), tokens))
    }

    fn new(path: PathBuf, tokens: Tokens) -> Auth {
        Auth {
            path,
            tokens: ArcSwap::from_pointee(tokens),
            swapped: tokio::sync::watch::Sender::new(()),
            reloads: AtomicU64::new(0),
        }
    }

    /// How many times the file was read again since the start.
    pub fn reloads(&self) -> u64 {
        self.reloads.load(Ordering::Relaxed)
    }

    /// The standing of a request admitted now with `authorization`, for a
    /// stream to learn when a reload takes its token away.
    pub fn standing(self: &Arc<Self>, path: &str, authorization: &[u8]) -> Standing {
        Standing {
            auth: self.clone(),
            path: path.to_owned(),
            authorization: authorization.to_owned(),
            swapped: self.swapped.subscribe(),
        }
    }

    /// Re-reads the file; a broken file is reported and the tokens already
    /// in use stay (`false`).
    pub fn reload(&self) -> bool {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        match read(&self.path) {
            Ok(tokens) => {
                info!(file = %self.path.display(), clients = tokens.len(), "tokens reloaded");
                self.tokens.store(Arc::new(tokens));
                self.swapped.send_replace(());
                true
            }
            Err(e) => {
                warn!(error = %e, "tokens file rejected; the previous tokens stay in use");
                false
            }
        }
    }

    /// The tokens file (empty for an in-memory set), for the file watcher
    /// (`server::watch`).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Who is asking (from the `authorization` header) and whether they may
    /// call `path`.
    pub fn admit(&self, path: &str, authorization: Option<&[u8]>) -> Result<Arc<Client>, Status> {
        let Access::Roles(needed) = access(path) else {
            unreachable!("open methods are not checked");
        };
        let client = self.identify(authorization)?;
        if !client.roles.any(needed) {
            let method = path.rsplit('/').next().unwrap_or(path);
            let wanted: Vec<&str> = needed.iter().map(|r| r.as_str()).collect();
            return Err(Status::permission_denied(format!(
                "client {:?} (roles: {}) may not call {method}; it needs one of: {}",
                client.name,
                client.roles.names(),
                wanted.join(", ")
            )));
        }
        Ok(client)
    }

    /// Who is asking, from the `authorization` header, whatever they may
    /// call (the studio checks its own routes' roles).
    pub fn identify(&self, authorization: Option<&[u8]>) -> Result<Arc<Client>, Status> {
        let token = authorization
            .and_then(|h| {
                h.strip_prefix(b"Bearer ")
                    .or_else(|| h.strip_prefix(b"bearer "))
            })
            .map(|t| t.trim_ascii());
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            return Err(Status::unauthenticated(
                "authorization: required; send the header `authorization: Bearer <token>`",
            ));
        };
        self.tokens
            .load()
            .find(token)
            .ok_or_else(|| Status::unauthenticated("authorization: unknown token"))
    }
}

/// What an open stream was admitted with; [`Standing::revoked`] ends when
/// a reload no longer admits it (the token is gone, or its client lost the
/// role), so a revoked token stops working on streams opened before too.
#[derive(Clone)]
pub struct Standing {
    auth: Arc<Auth>,
    path: String,
    authorization: Vec<u8>,
    swapped: tokio::sync::watch::Receiver<()>,
}

impl Standing {
    /// Waits for a reload that refuses this stream, and says why. Cancel
    /// safe: a swap is marked seen only once it has been checked.
    pub async fn revoked(&mut self) -> Status {
        loop {
            if self.swapped.changed().await.is_err() {
                // The tokens can no longer change: the standing holds.
                return std::future::pending().await;
            }
            match self.auth.admit(&self.path, Some(&self.authorization)) {
                Ok(_) => continue,
                Err(status) if status.code() == tonic::Code::Unauthenticated => {
                    return Status::unauthenticated(
                        "authorization: the token was revoked (the tokens file no longer has it); the stream ends",
                    );
                }
                Err(status) => return status,
            }
        }
    }
}

fn read(path: &Path) -> Result<Tokens, String> {
    let name = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return Err(format!("{name}: must be a regular file of at most 1 MiB"));
    }
    private_to_owner(&name, &meta)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    Tokens::parse(&name, &text)
}

/// The tokens are secrets: like ssh with a private key, a file group or
/// others may read or write is refused, so a careless `cp` or a shared
/// directory cannot hand them out unnoticed.
fn private_to_owner(name: &str, meta: &std::fs::Metadata) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(format!(
            "{name}: mode {mode:04o} lets group or others read or change the tokens; allow the owner only (chmod 600 {name})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[client]]
name = "pbx-1"
token = "frontend-token-0123456789"
roles = ["frontend"]

[[client]]
name = "ops"
token = "operator-token-0123456789"
roles = ["operator", "pii"]
"#;

    #[test]
    fn tokens_map_to_clients_and_roles_to_methods() {
        let auth = Auth::from_tokens(Tokens::parse("tokens.toml", FILE).expect("parses"));
        let bearer = |t: &str| format!("Bearer {t}");
        let pbx = auth
            .admit(
                "/callscript.v1.Calls/StartCall",
                Some(bearer("frontend-token-0123456789").as_bytes()),
            )
            .expect("a frontend starts calls");
        assert_eq!(&*pbx.name, "pbx-1");
        assert_eq!(pbx.calls_scope(), Some("pbx-1"));
        let denied = auth
            .admit(
                "/callscript.v1.Flows/ReloadFlows",
                Some(bearer("frontend-token-0123456789").as_bytes()),
            )
            .unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert_eq!(
            denied.message(),
            "client \"pbx-1\" (roles: frontend) may not call ReloadFlows; it needs one of: admin"
        );
        let ops = auth
            .admit(
                "/callscript.v1.Calls/GetCall",
                Some(bearer("operator-token-0123456789").as_bytes()),
            )
            .expect("an operator reads calls");
        assert!(ops.sees_pii());
        assert_eq!(ops.calls_scope(), None);
        for header in [None, Some("Bearer wrong-token-0123456789"), Some("Basic x")] {
            let e = auth
                .admit("/callscript.v1.Calls/GetCall", header.map(str::as_bytes))
                .unwrap_err();
            assert_eq!(e.code(), tonic::Code::Unauthenticated, "{header:?}");
        }
        assert_eq!(access("/grpc.health.v1.Health/Check"), Access::Open);
    }

    #[test]
    fn the_tokens_file_reloads_and_a_broken_one_keeps_the_tokens_in_use() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tokens.toml");
        std::fs::write(&path, FILE).expect("write");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("chmod 600");
        let auth = Auth::load(&path).expect("loads");
        let call = "/callscript.v1.Calls/GetCall";
        let old = b"Bearer operator-token-0123456789".as_slice();
        assert!(auth.admit(call, Some(old)).is_ok());

        std::fs::write(
            &path,
            "[[client]]\nname = \"ops\"\ntoken = \"rotated-token-0123456789\"\nroles = [\"operator\"]\n",
        )
        .expect("rewrite");
        auth.reload();
        assert!(
            auth.admit(call, Some(b"Bearer rotated-token-0123456789"))
                .is_ok()
        );
        assert_eq!(
            auth.admit(call, Some(old)).unwrap_err().code(),
            tonic::Code::Unauthenticated,
            "the old token no longer works"
        );

        std::fs::write(&path, "[[client]]\nname = ").expect("break it");
        auth.reload();
        assert!(
            auth.admit(call, Some(b"Bearer rotated-token-0123456789"))
                .is_ok(),
            "a broken file keeps the tokens in use"
        );
    }

    #[test]
    fn a_tokens_file_others_may_read_is_refused_naming_file_and_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("tokens.toml");
        std::fs::write(&path, FILE).expect("write");
        for mode in [0o644, 0o640, 0o777, 0o604] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            let e = Auth::load(&path).map(|_| ()).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "{0}: mode {mode:04o} lets group or others read or change the tokens; allow the owner only (chmod 600 {0})",
                    path.display()
                )
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        assert!(Auth::load(&path).is_ok(), "owner-only modes load");
    }

    #[test]
    fn a_bad_tokens_file_names_each_problem() {
        let e = Tokens::parse(
            "t.toml",
            "[[client]]\nname = \"x\"\ntoken = \"short\"\nroles = [\"root\"]\n",
        )
        .map(|_| ())
        .unwrap_err();
        assert!(e.contains("token must be at least 16"), "{e}");
        assert!(e.contains("role \"root\" is not one of"), "{e}");
    }

    #[test]
    fn tokens_compare_in_constant_time() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"abcd"));
    }
}
