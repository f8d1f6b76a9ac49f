use super::*;
use serde_json::json;

fn actor() -> AuditActor {
    AuditActor {
        origin: Some("https://app.example".into()),
        ..Default::default()
    }
}

#[test]
fn chain_verifies_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let log = AuditLog::open(&path).unwrap();
    let first = log.record(
        action::PAIRING_REQUESTED,
        actor(),
        json!({"code": "123-456"}),
    );
    assert_eq!(first.unwrap().prev, GENESIS);
    log.record(action::REFUSED, actor(), json!({"code": "unauthorized"}));
    drop(log);
    let log = AuditLog::open(&path).unwrap();
    let third = log
        .record(action::GRANT_REVOKED, actor(), json!({}))
        .unwrap();
    assert_eq!(third.seq, 3);
    assert_eq!(verify(&path).unwrap(), 3);
    let all = log.read_after(0, 10).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2], third);
    assert_eq!(log.read_after(2, 10).unwrap(), vec![third]);
}

#[test]
fn an_edited_line_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let log = AuditLog::open(&path).unwrap();
    for i in 0..4 {
        log.record(action::REFUSED, actor(), json!({"i": i}));
    }
    let text = std::fs::read_to_string(&path).unwrap();
    // Edit the last line: only its own hash can tell.
    let edited = text.replacen("{\"i\":3}", "{\"i\":9}", 1);
    std::fs::write(&path, edited).unwrap();
    match verify(&path) {
        Err(VerifyError::BadLine { line, .. }) => assert_eq!(line, 4),
        other => panic!("{other:?}"),
    }
    // Delete the second line: the third's `prev` no longer matches.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    match verify(&path) {
        Err(VerifyError::BadLine { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
}
