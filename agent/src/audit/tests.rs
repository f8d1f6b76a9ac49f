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
    assert_eq!(verify(&path).unwrap().lines, 3);
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
    // (Refusals alone are not synced, so they move no checkpoint.)
    assert!(files::read_checkpoint(&path).is_none());
    // Delete the second line: the third's `prev` no longer matches.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.remove(1);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    match verify(&path) {
        Err(VerifyError::BadLine { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_log_rotates_and_the_chain_goes_on_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let log = AuditLog::open_rotating(&path, 600).unwrap();
    for i in 0..12 {
        log.record(action::PAIRING_REQUESTED, actor(), json!({"i": i}));
    }
    drop(log);
    let rotated = files::rotated(&path);
    assert!(rotated.len() >= 3, "{rotated:?}");
    let v = verify(&path).unwrap();
    assert_eq!((v.lines, v.files), (12, rotated.len() + 1));
    // Reopened, the chain continues where it stood, in the current file.
    let log = AuditLog::open_rotating(&path, 600).unwrap();
    let next = log
        .record(action::GRANT_REVOKED, actor(), json!({}))
        .unwrap();
    assert_eq!(next.seq, 13);
    assert_eq!(log.read_after(0, 100).unwrap().len(), 13);
    assert_eq!(log.read_after(11, 1).unwrap()[0].seq, 12);
    drop(log);
    assert_eq!(verify(&path).unwrap().lines, 13);
    // The oldest file gone: the set no longer starts at line 1.
    std::fs::remove_file(&rotated[0].1).unwrap();
    assert!(matches!(verify(&path), Err(VerifyError::BadLine { .. })));
}

#[test]
fn dropped_last_lines_are_detected_and_recorded_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let log = AuditLog::open(&path).unwrap();
    for i in 0..5 {
        log.record(action::PAIRING_APPROVED, actor(), json!({"i": i}));
    }
    drop(log);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&path, lines[..3].join("\n") + "\n").unwrap();
    match verify(&path) {
        Err(VerifyError::Truncated { reason }) => assert!(reason.contains("2 ligne"), "{reason}"),
        other => panic!("{other:?}"),
    }
    // The last line replaced by another (chained) one: not the line the checkpoint saw.
    let log = AuditLog::open(&path).unwrap();
    let entries = log.read_after(0, 10).unwrap();
    assert_eq!(entries[3].action, action::AUDIT_TRUNCATED);
    assert_eq!(entries[3].details["checkpoint_lines"], 5);
    drop(log);
    let v = verify(&path).unwrap();
    assert_eq!(v.truncations, vec![4]);
}
