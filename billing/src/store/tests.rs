use std::sync::Arc;

use passerelle_protocol::{ErrorCode, FseMode, FseStatus, InsuranceNature};
use time::macros::datetime;

use crate::samples::{draft, ngap, varied};
use crate::{Billing, FixedClock, FseFilter};

fn open(dir: &std::path::Path) -> Billing {
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-02 10:00 UTC)));
    Billing::open(&dir.join(super::FILE_NAME), clock).unwrap()
}

#[test]
fn reopened_store_finds_everything_and_is_sound() {
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<i64> = {
        let b = open(dir.path());
        let drafts: Vec<_> = (0..5).map(|i| varied(i, "2026-03-01")).collect();
        let out = b
            .create_batch(&drafts, &crate::samples::SampleRights, None)
            .unwrap();
        b.delete(out[4].as_ref().unwrap().id).unwrap();
        out.into_iter().map(|r| r.unwrap().id).collect()
    };
    let b = open(dir.path());
    let all = b.list(&FseFilter::default()).unwrap();
    assert_eq!(all.iter().map(|f| f.id).collect::<Vec<_>>(), ids);
    assert_eq!(all[4].status, FseStatus::Deleted);
    assert_eq!(all[0].number, "000000001");
    assert_eq!(all[1], b.fse(ids[1]).unwrap());
    assert_eq!(b.store().integrity_check().unwrap(), "ok");
    let mode: String = b
        .store()
        .read(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = b
        .store()
        .read(|c| Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    // Numbers continue after reopening, never reusing the deleted one.
    let next = b
        .create_batch(
            &[varied(9, "2026-03-01")],
            &crate::samples::SampleRights,
            None,
        )
        .unwrap();
    assert_eq!(next[0].as_ref().unwrap().number, "000000006");
}

#[test]
fn same_idempotency_key_twice_gives_the_same_fse() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let drafts = vec![varied(0, "2026-03-01"), varied(1, "2026-03-01")];
    let first = b
        .create_batch(&drafts, &crate::samples::SampleRights, Some("req-42"))
        .unwrap();
    let again = b
        .create_batch(&drafts, &crate::samples::SampleRights, Some("req-42"))
        .unwrap();
    assert_eq!(first, again);
    assert_eq!(b.list(&FseFilter::default()).unwrap().len(), 2);
    // The same key for another request is refused, item by item.
    let other = b
        .create_batch(
            &[varied(2, "2026-03-01")],
            &crate::samples::SampleRights,
            Some("req-42"),
        )
        .unwrap();
    assert_eq!(
        other[0].as_ref().unwrap_err().code(),
        ErrorCode::IdempotencyKeyReused
    );
    // The unique constraint holds even if the check were skipped.
    let dup = b.store().write(|tx| {
        let f = b.fse(first[0].as_ref().unwrap().id)?;
        crate::store::fse_rows::create(tx, f, Some("req-42#0"), "x")
    });
    assert_eq!(dup.unwrap_err().code(), ErrorCode::StorageError);
    assert!(b
        .create_batch(&drafts, &crate::samples::SampleRights, Some("bad key"))
        .is_err());
}

#[test]
fn grouped_creation_accepts_and_refuses_each_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let mut bad = draft(
        0,
        "2026-03-01",
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("ZZ", "1", &[])],
    );
    bad.deferred_signature = true;
    let out = b
        .create_batch(
            &[varied(0, "2026-03-01"), bad, varied(1, "2026-03-01")],
            &crate::samples::SampleRights,
            None,
        )
        .unwrap();
    assert!(out[0].is_ok() && out[2].is_ok());
    assert_eq!(
        out[1].as_ref().unwrap_err().code(),
        ErrorCode::UnknownActCode
    );
    // Numbers stay consecutive: the refused one consumed none.
    assert_eq!(out[2].as_ref().unwrap().number, "000000002");
}

#[test]
fn filters_select_by_date_patient_status_and_organism() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let drafts: Vec<_> = (0..6)
        .map(|i| varied(i, if i < 3 { "2026-02-01" } else { "2026-03-01" }))
        .collect();
    let out = b
        .create_batch(&drafts, &crate::samples::SampleRights, None)
        .unwrap();
    b.delete(out[0].as_ref().unwrap().id).unwrap();
    let n = |f: FseFilter| b.list(&f).unwrap().len();
    assert_eq!(
        n(FseFilter {
            from: Some("2026-02-15".into()),
            ..Default::default()
        }),
        3
    );
    assert_eq!(
        n(FseFilter {
            to: Some("2026-02-01".into()),
            ..Default::default()
        }),
        3
    );
    assert_eq!(
        n(FseFilter {
            patient: Some("292016938801232".into()),
            ..Default::default()
        }),
        2
    );
    assert_eq!(
        n(FseFilter {
            status: Some("deleted".into()),
            ..Default::default()
        }),
        1
    );
    assert_eq!(
        n(FseFilter {
            organism: Some("016910002".into()),
            ..Default::default()
        }),
        3,
        "Nguyen twice and Bernard: the same caisse"
    );
    assert_eq!(
        n(FseFilter {
            lot: Some(1),
            ..Default::default()
        }),
        0
    );
    assert_eq!(
        n(FseFilter {
            limit: Some(4),
            ..Default::default()
        }),
        4
    );
    for bad in [
        FseFilter {
            from: Some("2026-13-01".into()),
            ..Default::default()
        },
        FseFilter {
            status: Some("lost".into()),
            ..Default::default()
        },
    ] {
        assert_eq!(b.list(&bad).unwrap_err().code(), ErrorCode::InvalidFseField);
    }
}

#[test]
fn certificates_move_out_of_the_fse_rows_and_stay_readable() {
    use super::migrations::MIGRATIONS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(super::FILE_NAME);
    // The migrations before the certificates one (later ones run at opening too).
    let before = MIGRATIONS
        .iter()
        .position(|m| m.contains("CREATE TABLE certificates"))
        .unwrap();
    {
        // A store as the version before the certificates migration left it: two FSE
        // signed with the same certificate, stored in each row.
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        let tx = conn.transaction().unwrap();
        for sql in &MIGRATIONS[..before] {
            tx.execute_batch(sql).unwrap();
        }
        for n in 1..=2 {
            tx.execute(
                "INSERT INTO fse (practitioner, number, status, patient_nir, care_date, organism,
                     drawn_up, body, signed_at, signed_by, signature, certificate)
                 VALUES ('69312233', ?1, 'signed', 'N', '2026-03-01', '017510001', 'D', '{}',
                     'S', 'B', x'0102', x'30820001')",
                [n],
            )
            .unwrap();
        }
        tx.pragma_update(None, "user_version", before as i64)
            .unwrap();
        tx.commit().unwrap();
    }
    let b = open(dir.path());
    let (kept, in_rows): (i64, i64) = b
        .store()
        .read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM certificates),
                        (SELECT count(*) FROM fse WHERE certificate IS NOT NULL)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    assert_eq!(
        (kept, in_rows),
        (1, 0),
        "one certificate, none left in the rows"
    );
    for id in 1..=2 {
        let signed = b
            .store()
            .read(|c| super::fse_rows::signature(c, id))
            .unwrap()
            .unwrap();
        assert_eq!(signed.certificate, vec![0x30, 0x82, 0x00, 0x01]);
        assert_eq!(signed.signature, vec![1, 2]);
    }
}

#[test]
fn an_fse_stored_before_the_rights_were_recorded_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let b = open(dir.path());
    let out = b
        .create_batch(
            &[varied(2, "2026-03-01")],
            &crate::samples::SampleRights,
            None,
        )
        .unwrap();
    let id = out[0].as_ref().unwrap().id;
    // The body as the previous version wrote it: no rights, basis, tiers payant flag, AMC
    // part nor per-act AMO.
    b.store()
        .write(|tx| {
            let body: String =
                tx.query_row("SELECT body FROM fse WHERE id = ?1", [id], |r| r.get(0))?;
            let mut v: serde_json::Value = serde_json::from_str(&body).unwrap();
            let o = v.as_object_mut().unwrap();
            for key in ["rights", "rate_basis", "tiers_payant", "amc", "pregnancy"] {
                o.remove(key);
            }
            o["amounts"].as_object_mut().unwrap().remove("amc_cents");
            for act in o["acts"].as_array_mut().unwrap() {
                let act = act.as_object_mut().unwrap();
                for key in [
                    "amo_rate",
                    "amo_cents",
                    "association_percent",
                    "to_check",
                    "time",
                ] {
                    act.remove(key);
                }
            }
            tx.execute(
                "UPDATE fse SET body = ?1 WHERE id = ?2",
                rusqlite::params![v.to_string(), id],
            )?;
            Ok(())
        })
        .unwrap();
    let f = b.fse(id).unwrap();
    assert_eq!(f.rights.origin, passerelle_protocol::RightsOrigin::Declared);
    assert_eq!(f.acts[0].association_percent, 100);
    assert_eq!(f.amounts.amc_cents, 0);
}

#[test]
fn the_outbox_rebuilt_for_pj_lots_keeps_its_rows_and_the_arl_pointing_at_them() {
    use super::migrations::MIGRATIONS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(super::FILE_NAME);
    let before = MIGRATIONS
        .iter()
        .position(|m| m.contains("CREATE TABLE pj_lots"))
        .unwrap();
    {
        // A store as the version before PJ lots left it: a lot sent, its ARL quoting the
        // attempt (a foreign key into the table being rebuilt).
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        let tx = conn.transaction().unwrap();
        for sql in &MIGRATIONS[..before] {
            tx.execute_batch(sql).unwrap();
        }
        tx.execute_batch(
            "INSERT INTO lots (id, practitioner, seq, number, organism, status, created,
                 invoice_count, total_cents, amo_cents, signed_by, b2, b2_sha256, signature,
                 certificate)
             VALUES (7, '69312233', 1, 1, '017510001', 'acknowledged', 'C', 1, 100, 70, 'cps',
                 x'00', 'h', x'00', x'00');
             INSERT INTO outbox (id, lot_id, practitioner, attempt, reason, message_id, state,
                 created, next_try, tries, message, sent_at)
             VALUES (3, 7, '69312233', 1, 'first', '<lot-1@x>', 'sent', 'C', 'C', 1, x'6d',
                 'S');
             INSERT INTO return_mails (id, practitioner, sha256, subject, raw, received, kind,
                 state)
             VALUES (1, '69312233', 'h', 'ARL', x'00', 'R', 'arl', 'applied');
             INSERT INTO arl (lot_id, attempt_id, return_mail_id, positive, received)
             VALUES (7, 3, 1, 1, 'R');",
        )
        .unwrap();
        tx.pragma_update(None, "user_version", before as i64)
            .unwrap();
        tx.commit().unwrap();
    }
    let b = open(dir.path());
    let attempts = b
        .store()
        .read(|c| super::outbox_rows::of_lot(c, 7))
        .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(
        (
            attempts[0].id,
            attempts[0].message_id.as_str(),
            attempts[0].kind
        ),
        (3, "<lot-1@x>", passerelle_protocol::LotKind::Fse)
    );
    let (orphans, enforced): (i64, bool) = b
        .store()
        .read(|c| {
            let orphans = c
                .prepare("PRAGMA foreign_key_check")?
                .query_map([], |_| Ok(()))?
                .count() as i64;
            Ok((
                orphans,
                c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(
        (orphans, enforced),
        (0, true),
        "no dangling ARL, keys enforced again"
    );
    // An attempt naming both a lot and a PJ lot (or neither) is refused.
    let both = b.store().write(|tx| {
        Ok(tx.execute(
            "INSERT INTO outbox (lot_id, pj_lot_id, practitioner, attempt, reason, message_id,
                 state, created, next_try) VALUES (7, 7, 'p', 2, 'first', '<b@x>', 'queued',
                 'C', 'C')",
            [],
        )?)
    });
    assert!(both.is_err());
}
