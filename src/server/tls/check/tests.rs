use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
    date_time_ymd,
};

use crate::server::{TlsFiles, tls::config};

/// A date as rcgen takes it: year, month, day.
type Ymd = (i32, u8, u8);

/// A CA, and a server certificate signed by it with `dates` (not before,
/// not after) when given; written to `dir`.
fn files(dir: &Path, dates: Option<(Ymd, Ymd)>) -> TlsFiles {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    ca.distinguished_name.push(DnType::CommonName, "test CA");
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("key")).expect("CA");
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    params.distinguished_name.push(DnType::CommonName, "server");
    if let Some(((y0, m0, d0), (y1, m1, d1))) = dates {
        params.not_before = date_time_ymd(y0, m0, d0);
        params.not_after = date_time_ymd(y1, m1, d1);
    }
    let cert = params.signed_by(&key, &ca).expect("signed");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("server.pem"), cert.pem()).expect("write");
    std::fs::write(dir.join("server.key"), key.serialize_pem()).expect("write");
    TlsFiles {
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
        client_ca: Some(dir.join("ca.pem")),
    }
}

fn error(files: &TlsFiles) -> String {
    config(files).map(|_| ()).unwrap_err()
}

#[test]
fn good_files_serve() {
    let dir = tempfile::tempdir().expect("temp dir");
    assert!(config(&files(dir.path(), None)).is_ok());
}

#[test]
fn an_expired_or_not_yet_valid_certificate_is_refused_naming_its_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let expired = files(dir.path(), Some(((2020, 1, 1), (2021, 1, 1))));
    assert_eq!(
        error(&expired),
        format!(
            "{}: the certificate expired on Jan  1 00:00:00 2021 +00:00; clients would refuse it",
            expired.cert.display()
        )
    );
    let early = files(dir.path(), Some(((2099, 1, 1), (2100, 1, 1))));
    assert_eq!(
        error(&early),
        format!(
            "{}: the certificate is not valid yet (from Jan  1 00:00:00 2099 +00:00); clients would refuse it",
            early.cert.display()
        )
    );
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused_naming_both_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = files(dir.path(), None);
    let other = KeyPair::generate().expect("key");
    std::fs::write(&files.key, other.serialize_pem()).expect("write");
    assert_eq!(
        error(&files),
        format!(
            "{}: the private key does not match the certificate in {}",
            files.key.display(),
            files.cert.display()
        )
    );
}

#[test]
fn a_client_ca_file_that_holds_no_ca_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = files(dir.path(), None);
    // The server's own certificate given as the client CA.
    files.client_ca = Some(files.cert.clone());
    let e = error(&files);
    assert!(
        e.starts_with(&format!(
            "{}: certificate 1 (CN=server) is not a CA",
            files.cert.display()
        )),
        "{e}"
    );
}
