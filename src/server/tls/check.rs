//! The TLS files checked before they serve, each problem naming its file:
//! a certificate outside its validity dates, a key that is not the
//! certificate's, a client CA file holding something that is no CA, a
//! private key group or others may read. Clients would refuse the first
//! three at each handshake, with nothing in the server's log; a service
//! that starts with them only looks healthy.

use std::path::Path;

use tokio_rustls::rustls::pki_types::CertificateDer;
use tracing::warn;
use x509_parser::prelude::{FromDer, X509Certificate};

/// A certificate this close to its end is warned about.
const EXPIRES_SOON_SECS: i64 = 7 * 24 * 3600;

/// The serving certificate (the first of its file): within its validity
/// dates at `now` (unix seconds); a WARN when it ends within a week.
pub fn serving_certificate(file: &Path, cert: &CertificateDer<'_>, now: i64) -> Result<(), String> {
    let name = file.display();
    let (_, cert) = X509Certificate::from_der(cert)
        .map_err(|e| format!("{name}: the certificate cannot be read: {e}"))?;
    let validity = cert.validity();
    let (from, until) = (
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    );
    if now < from {
        return Err(format!(
            "{name}: the certificate is not valid yet (from {}); clients would refuse it",
            validity.not_before
        ));
    }
    if now > until {
        return Err(format!(
            "{name}: the certificate expired on {}; clients would refuse it",
            validity.not_after
        ));
    }
    if until - now < EXPIRES_SOON_SECS {
        warn!(file = %name, not_after = %validity.not_after, "the TLS certificate expires within a week");
    }
    Ok(())
}

/// Every certificate of the client CA file is a CA (basicConstraints
/// CA:TRUE): clients' certificates are checked against them.
pub fn client_ca(file: &Path, certs: &[CertificateDer<'_>]) -> Result<(), String> {
    let name = file.display();
    if certs.is_empty() {
        return Err(format!("{name}: no certificate in it"));
    }
    for (n, der) in certs.iter().enumerate() {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| format!("{name}: certificate {} cannot be read: {e}", n + 1))?;
        let ca = matches!(cert.basic_constraints(), Ok(Some(b)) if b.value.ca);
        if !ca {
            return Err(format!(
                "{name}: certificate {} ({}) is not a CA (no basicConstraints CA:TRUE), so no client certificate can be checked against it",
                n + 1,
                cert.subject()
            ));
        }
    }
    Ok(())
}

/// A private key group or others may read: a loud WARN, as ssh gives (not
/// a refusal: certificate tooling often leaves keys group-readable for a
/// service group).
pub fn private_key_mode(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(file) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        warn!(file = %file.display(), mode = %format!("{mode:04o}"), "the TLS private key is readable or writable by group or others; allow the owner only (chmod 600)");
    }
}

#[cfg(test)]
mod tests;
