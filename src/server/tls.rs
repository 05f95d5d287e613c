//! TLS on the listener, done here rather than by tonic so that a renewed
//! certificate takes effect on SIGHUP: each new connection's handshake
//! uses the configuration current when it arrives, while connections
//! already open keep the one they were made with.

use std::{io, sync::Arc, time::Duration};

use arc_swap::ArcSwap;
use futures_util::{Stream, StreamExt};
use tokio::task::JoinSet;
use tokio_rustls::{
    TlsAcceptor,
    rustls::{
        RootCertStore, ServerConfig,
        pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject},
        server::WebPkiClientVerifier,
    },
    server::TlsStream,
};
use tracing::debug;

use super::{StartError, TlsFiles};

mod check;
use crate::connections::Conn;

/// The TLS configuration read from [`TlsFiles`], re-read by [`reload`].
///
/// [`reload`]: ServerTls::reload
pub struct ServerTls {
    files: TlsFiles,
    current: ArcSwap<ServerConfig>,
    handshake_timeout: Duration,
}

impl ServerTls {
    /// Reads the certificate, its key and the client CA.
    pub fn load(files: &TlsFiles, handshake_timeout: Duration) -> Result<ServerTls, StartError> {
        Ok(ServerTls {
            current: ArcSwap::from_pointee(config(files).map_err(StartError::Tls)?),
            files: files.clone(),
            handshake_timeout,
        })
    }

    /// Re-reads the files; on an error the configuration in use stays and
    /// the error is returned for the caller to report.
    pub fn reload(&self) -> Result<(), String> {
        self.current.store(Arc::new(config(&self.files)?));
        Ok(())
    }

    /// `incoming` with each connection's TLS handshake done. Handshakes run
    /// side by side, so a slow client delays no one; one that fails or
    /// outlasts the handshake timeout is dropped, as tonic does.
    pub fn accept(
        self: Arc<Self>,
        incoming: impl Stream<Item = Result<Conn, io::Error>> + Send + 'static,
    ) -> impl Stream<Item = Result<TlsStream<Conn>, io::Error>> + Send + 'static {
        let state = (Box::pin(incoming), JoinSet::new(), self, false);
        futures_util::stream::unfold(
            state,
            |(mut incoming, mut handshakes, tls, mut done)| async move {
                loop {
                    if done && handshakes.is_empty() {
                        return None;
                    }
                    tokio::select! {
                        conn = incoming.next(), if !done => match conn {
                            Some(Ok(conn)) => {
                                let acceptor = TlsAcceptor::from(tls.current.load_full());
                                let timeout = tls.handshake_timeout;
                                handshakes.spawn(async move {
                                    tokio::time::timeout(timeout, acceptor.accept(conn)).await
                                });
                            }
                            Some(Err(e)) => return Some((Err(e), (incoming, handshakes, tls, done))),
                            None => done = true,
                        },
                        Some(joined) = handshakes.join_next(), if !handshakes.is_empty() => match joined {
                            Ok(Ok(Ok(stream))) => {
                                return Some((Ok(stream), (incoming, handshakes, tls, done)));
                            }
                            Ok(Ok(Err(e))) => debug!(error = %e, "TLS handshake failed"),
                            Ok(Err(_)) => debug!("TLS handshake timed out"),
                            Err(e) => debug!(error = %e, "TLS handshake task failed"),
                        },
                    }
                }
            },
        )
    }
}

/// A rustls server configuration from the PEM files, offering HTTP/2.
fn config(files: &TlsFiles) -> Result<ServerConfig, String> {
    let read = |p: &std::path::Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let certs = CertificateDer::pem_slice_iter(&read(&files.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it", files.cert.display()));
    }
    check::serving_certificate(&files.cert, &certs[0], chrono::Utc::now().timestamp())?;
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    check::private_key_mode(&files.key);
    let builder = ServerConfig::builder();
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            let cas = CertificateDer::pem_slice_iter(&read(ca)?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("{}: {e}", ca.display()))?;
            check::client_ca(ca, &cas)?;
            for cert in cas {
                roots
                    .add(cert)
                    .map_err(|e| format!("{}: {e}", ca.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder(roots.into())
                .build()
                .map_err(|e| format!("{}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| match e {
        tokio_rustls::rustls::Error::InconsistentKeys(_) => format!(
            "{}: the private key does not match the certificate in {}",
            files.key.display(),
            files.cert.display()
        ),
        e => format!("{}: {e}", files.cert.display()),
    })?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(config)
}
