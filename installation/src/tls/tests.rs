use super::*;

fn certificate(path: &Path) -> CertificateDer<'static> {
    CertificateDer::from_pem_file(path).unwrap()
}

fn fits(cert: &Path, key: &Path) -> bool {
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let provider = rustls::crypto::ring::default_provider();
    rustls::sign::CertifiedKey::from_der(vec![certificate(cert)], key, &provider).is_ok()
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

#[test]
fn creates_once_and_serves() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles::in_dir(dir.path());
    assert_eq!(files.ensure().unwrap(), Ensured::NewAuthority);
    assert_eq!(
        files.ensure().unwrap(),
        Ensured::Kept,
        "a second start reuses it"
    );
    files.server_config().unwrap();
    let ca = std::fs::read_to_string(&files.ca).unwrap();
    assert!(ca.contains("BEGIN CERTIFICATE") && !ca.contains("PRIVATE KEY"));
    assert_eq!(files.pending().unwrap().len(), LEAVES - 1);
    // Every private key on disk is a daemon certificate's; none is the authority's.
    let mut pairs = vec![(files.chain.clone(), files.key.clone())];
    pairs.extend(
        files
            .pending()
            .unwrap()
            .into_iter()
            .map(|p| (p.cert, p.key)),
    );
    for (cert, key) in &pairs {
        assert!(fits(cert, key), "{} fits {}", key.display(), cert.display());
        assert!(
            !fits(&files.ca, key),
            "{} is not the authority's",
            key.display()
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let keys = walk(&dir.path().join("tls"))
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("PRIVATE KEY"))
        .count();
    assert_eq!(keys, LEAVES);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn moves_to_each_presigned_certificate_then_to_a_new_authority() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles::in_dir(dir.path());
    let t0 = OffsetDateTime::now_utc();
    assert_eq!(files.ensure_at(t0).unwrap(), Ensured::NewAuthority);
    let ca = std::fs::read(&files.ca).unwrap();
    let covered = files.covered_until().unwrap();
    let expected = t0 + days(LEAF_STEP_DAYS * (LEAVES as i64 - 1) + LEAF_DAYS);
    assert!(
        (covered - expected.unix_timestamp()).abs() < 2 * 3600,
        "{covered}"
    );
    assert_eq!(files.ensure_at(t0 + days(300)).unwrap(), Ensured::Kept);

    // Each year, the next certificate of the same authority, valid at that date.
    for year in 0..LEAVES as i64 - 1 {
        let switch = t0 + days(year * LEAF_STEP_DAYS + LEAF_DAYS - RENEW_BEFORE_DAYS + 1);
        let before = std::fs::read(&files.chain).unwrap();
        assert_eq!(
            files.ensure_at(switch).unwrap(),
            Ensured::NextCertificate,
            "year {year}"
        );
        assert_ne!(std::fs::read(&files.chain).unwrap(), before);
        assert_eq!(std::fs::read(&files.ca).unwrap(), ca, "the same authority");
        let ca_der = certificate(&files.ca);
        verify_for_loopback(&ca_der, &certificate(&files.chain), switch).unwrap();
        assert!(fits(&files.chain, &files.key));
        assert_eq!(files.ensure_at(switch).unwrap(), Ensured::Kept);
        assert_eq!(
            files.pending().unwrap().len(),
            (LEAVES as i64 - 2 - year) as usize
        );
    }
    files.server_config().unwrap();

    // None left: a new authority.
    let end = t0 + days((LEAVES as i64 - 1) * LEAF_STEP_DAYS + LEAF_DAYS - RENEW_BEFORE_DAYS + 1);
    assert_eq!(files.ensure_at(end).unwrap(), Ensured::NewAuthority);
    assert_ne!(std::fs::read(&files.ca).unwrap(), ca);
    assert_eq!(files.pending().unwrap().len(), LEAVES - 1);
}

#[test]
fn a_move_cut_short_is_mended_and_foreign_files_are_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles::in_dir(dir.path());
    let t0 = OffsetDateTime::now_utc();
    files.ensure_at(t0).unwrap();
    let first = files.pending().unwrap().remove(0);
    // Cut after the key was written, before the certificate.
    std::fs::copy(&first.key, &files.key).unwrap();
    let switch = t0 + days(LEAF_DAYS - RENEW_BEFORE_DAYS + 1);
    assert_eq!(files.ensure_at(switch).unwrap(), Ensured::NextCertificate);
    assert!(fits(&files.chain, &files.key));

    // A certificate of another authority is never served with this one's.
    let other = tempfile::tempdir().unwrap();
    let other_files = TlsFiles::in_dir(other.path());
    other_files.ensure_at(switch).unwrap();
    std::fs::copy(&other_files.chain, &files.chain).unwrap();
    std::fs::copy(&other_files.key, &files.key).unwrap();
    let next = files.pending().unwrap().remove(0);
    let next_year = switch + days(LEAF_STEP_DAYS);
    assert_eq!(
        files.ensure_at(next_year).unwrap(),
        Ensured::NextCertificate
    );
    let ours = certificate(&files.ca);
    verify_for_loopback(&ours, &certificate(&files.chain), next_year).unwrap();
    assert!(fits(&files.chain, &files.key));
    assert!(!next.cert.exists(), "the next one was promoted");
    assert_eq!(files.ensure_at(next_year).unwrap(), Ensured::Kept);
}
