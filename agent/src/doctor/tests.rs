use std::path::Path;

use super::*;

fn verdicts<'a>(findings: &'a [Finding], check: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.check == check).collect()
}

fn one<'a>(findings: &'a [Finding], check: &str) -> &'a Finding {
    let found = verdicts(findings, check);
    assert_eq!(found.len(), 1, "{check}: {findings:#?}");
    found[0]
}

fn policy_dir(dir: &Path, installed: bool) -> PolicyDir {
    PolicyDir {
        browser: "Chromium",
        dir: dir.to_owned(),
        installed,
    }
}

#[test]
fn lna_policy_names_the_missing_origins_and_accepts_any_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let origins = vec![
        "https://app.example".to_string(),
        "https://b.example".to_string(),
    ];
    let mut f = Vec::new();
    local::check_lna_policy(&origins, &[policy_dir(dir.path(), true)], &mut f);
    assert_eq!(f[0].verdict, Verdict::Problem);
    assert!(
        f[0].message
            .contains("https://app.example, https://b.example"),
        "{}",
        f[0].message
    );

    std::fs::write(
        dir.path().join("clinic.json"),
        r#"{"LoopbackNetworkAllowedForUrls": ["https://b.example"]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.json"), "{").unwrap();
    let mut f = Vec::new();
    local::check_lna_policy(&origins, &[policy_dir(dir.path(), true)], &mut f);
    assert_eq!(f[0].verdict, Verdict::Problem);
    assert!(
        f[0].message.contains("https://app.example vers"),
        "{}",
        f[0].message
    );
    assert!(!f[0].message.contains("b.example"), "{}", f[0].message);

    std::fs::write(
        dir.path().join("passerelle.json"),
        r#"{"LoopbackNetworkAllowedForUrls": ["https://app.example"]}"#,
    )
    .unwrap();
    let mut f = Vec::new();
    local::check_lna_policy(&origins, &[policy_dir(dir.path(), true)], &mut f);
    assert_eq!(f[0].verdict, Verdict::Ok, "{f:#?}");
}

#[test]
fn lna_policy_is_skipped_without_origins_or_browsers() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Vec::new();
    local::check_lna_policy(&[], &[policy_dir(dir.path(), true)], &mut f);
    local::check_lna_policy(
        &["https://app.example".into()],
        &[policy_dir(dir.path(), false)],
        &mut f,
    );
    assert!(f.iter().all(|f| f.verdict == Verdict::Skipped), "{f:#?}");
}

#[test]
fn store_check_tells_a_sound_base_from_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Vec::new();
    local::check_store(dir.path(), &mut f);
    assert_eq!(f[0].verdict, Verdict::Ok);
    assert!(f[0].message.contains("pas encore"), "{}", f[0].message);

    drop(
        passerelle_billing::store::Store::open(
            &dir.path().join(passerelle_billing::store::FILE_NAME),
        )
        .unwrap(),
    );
    let mut f = Vec::new();
    local::check_store(dir.path(), &mut f);
    assert_eq!(f[0].verdict, Verdict::Ok, "{f:#?}");
    assert!(f[0].message.contains("intacte"));

    std::fs::write(
        dir.path().join(passerelle_billing::store::FILE_NAME),
        vec![0x55; 8192],
    )
    .unwrap();
    let mut f = Vec::new();
    local::check_store(dir.path(), &mut f);
    assert_eq!(f[0].verdict, Verdict::Problem, "{f:#?}");
}

#[test]
fn certificate_and_system_trust_follow_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = Vec::new();
    assert!(certificate::check(dir.path(), &mut f).is_none());
    assert_eq!(one(&f, "certificate").verdict, Verdict::Warning);
    assert!(
        one(&f, "certificate").message.contains("pas encore"),
        "{f:#?}"
    );

    let files = passerelle_installation::tls::TlsFiles::in_dir(dir.path());
    files.ensure().unwrap();
    let mut f = Vec::new();
    let ca = certificate::check(dir.path(), &mut f).unwrap();
    assert_eq!(one(&f, "certificate").verdict, Verdict::Ok, "{f:#?}");

    // A bundle without our authority, then with it among others.
    let bundle = dir.path().join("bundle.crt");
    let other = tempfile::tempdir().unwrap();
    let other_files = passerelle_installation::tls::TlsFiles::in_dir(other.path());
    other_files.ensure().unwrap();
    let other_pem = std::fs::read_to_string(&other_files.ca).unwrap();
    std::fs::write(&bundle, &other_pem).unwrap();
    let mut f = Vec::new();
    trust::check_system(&ca, &bundle, true, &mut f);
    assert_eq!(f[0].verdict, Verdict::Problem);
    let mut f = Vec::new();
    trust::check_system(&ca, &bundle, false, &mut f);
    assert_eq!(f[0].verdict, Verdict::Warning);
    let ours = std::fs::read_to_string(&files.ca).unwrap();
    std::fs::write(&bundle, other_pem + &ours).unwrap();
    let mut f = Vec::new();
    trust::check_system(&ca, &bundle, true, &mut f);
    assert_eq!(f[0].verdict, Verdict::Ok, "{f:#?}");

    // A leaf from another authority is refused.
    std::fs::copy(&other_files.chain, &files.chain).unwrap();
    let mut f = Vec::new();
    certificate::check(dir.path(), &mut f);
    assert_eq!(one(&f, "certificate").verdict, Verdict::Problem, "{f:#?}");
}

#[test]
fn certificate_near_its_end_is_fine_while_a_next_one_is_signed() {
    // An authority made 380 days ago: its first certificate ends in 17 days.
    let dir = tempfile::tempdir().unwrap();
    let files = passerelle_installation::tls::TlsFiles::in_dir(dir.path());
    let then = time::OffsetDateTime::now_utc() - time::Duration::days(380);
    files.ensure_at(then).unwrap();
    let mut f = Vec::new();
    certificate::check(dir.path(), &mut f).unwrap();
    let finding = one(&f, "certificate");
    assert_eq!(finding.verdict, Verdict::Ok, "{f:#?}");
    assert!(
        finding.message.contains("(16 jours restants")
            || finding.message.contains("(17 jours restants"),
        "{f:#?}"
    );

    // The last one signed: a new authority is coming, to be trusted again.
    std::fs::remove_dir_all(&files.next).unwrap();
    let mut f = Vec::new();
    certificate::check(dir.path(), &mut f).unwrap();
    let finding = one(&f, "certificate");
    assert_eq!(finding.verdict, Verdict::Warning, "{f:#?}");
    assert!(finding.message.contains("le dernier"), "{f:#?}");
    assert!(finding
        .advice
        .as_deref()
        .unwrap_or("")
        .contains("passerelle-install install"));

    // The last one, still far from its end: fine, and the date of the next authority said.
    let dir = tempfile::tempdir().unwrap();
    let files = passerelle_installation::tls::TlsFiles::in_dir(dir.path());
    files
        .ensure_at(time::OffsetDateTime::now_utc() - time::Duration::days(300))
        .unwrap();
    std::fs::remove_dir_all(&files.next).unwrap();
    let mut f = Vec::new();
    certificate::check(dir.path(), &mut f).unwrap();
    let finding = one(&f, "certificate");
    assert_eq!(finding.verdict, Verdict::Ok, "{f:#?}");
    assert!(finding.message.contains("c'est le dernier"), "{f:#?}");
}

#[test]
fn render_counts_the_problems_and_shows_advice() {
    let findings = vec![
        Finding::new("pcscd", Verdict::Problem, "pcscd ne répond pas").advise("démarrez-le"),
        Finding::new("store", Verdict::Ok, "base intacte"),
    ];
    let text = render(&findings);
    assert!(text.contains("PROBLÈME  pcscd"), "{text}");
    assert!(text.contains("→ démarrez-le"), "{text}");
    assert!(
        text.ends_with("1 problème à corriger (voir ci-dessus).\n"),
        "{text}"
    );
    assert!(!all_well(&findings));
    assert!(all_well(&findings[1..]));
}
