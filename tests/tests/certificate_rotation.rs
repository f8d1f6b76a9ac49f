//! The daemon's certificates over time. Started on an authority made 380 days ago (so its
//! first certificate ends in 17 days), the daemon serves the next certificate that
//! authority signed back then: a client trusting only that authority, as the browsers do
//! after `passerelle-install install`, keeps connecting with nothing trusted again.

#[path = "installer/daemon.rs"]
mod daemon;

use daemon::InstalledDaemon;
use passerelle_installation::tls::{Ensured, TlsFiles};
use passerelle_tests::TestDir;
use rustls::pki_types::{pem::PemObject, CertificateDer};
use time::{Duration, OffsetDateTime};

#[test]
fn a_daemon_moves_to_its_next_certificate_under_the_same_authority() {
    let dir = TestDir::new("a_daemon_moves_to_its_next_certificate_under_the_same_authority");
    let data = tempfile::tempdir().unwrap();
    let files = TlsFiles::in_dir(data.path());
    let then = OffsetDateTime::now_utc() - Duration::days(380);
    assert_eq!(files.ensure_at(then).unwrap(), Ensured::NewAuthority);
    let authority = std::fs::read(&files.ca).unwrap();
    let first = CertificateDer::from_pem_file(&files.chain).unwrap();
    let next = files.pending().unwrap().remove(0);
    let second = CertificateDer::from_pem_file(&next.cert).unwrap();

    // It answers over TLS trusting only that authority (InstalledDaemon waits for that).
    let daemon = InstalledDaemon::start(&dir, data.path(), "");
    let client = passerelle_tests::daemon::builder_trusting(&files.ca)
        .unwrap()
        .tls_info(true)
        .build()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let served = rt.block_on(async {
        let resp = client.get(daemon.url("/v1/status")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate().map(<[u8]>::to_vec))
            .expect("the served certificate")
    });
    assert_eq!(served, second.as_ref(), "the next certificate is served");
    assert_ne!(served, first.as_ref());
    assert_eq!(
        std::fs::read(&files.ca).unwrap(),
        authority,
        "the same authority"
    );
    assert!(
        !next.cert.exists() && !next.key.exists(),
        "taken out of next/"
    );
    assert_eq!(
        files.pending().unwrap().len(),
        passerelle_installation::tls::LEAVES - 2
    );
    let log = std::fs::read_to_string(dir.file("daemon.log")).unwrap_or_default();
    assert!(log.contains("moved to the next certificate"), "{log}");
}
