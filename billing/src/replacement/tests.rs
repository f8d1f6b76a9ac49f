//! The replacement rules at the billing level: the fixture GP (`lefevre-medecin`) replaced
//! by the fixture trainee (`moreau-remplacant`, CPF), on a clock stopped at 2026-03-02.

use passerelle_protocol::{
    Assistant, CardKind, ErrorCode, FseDraft, FseMode, FseStatus, InsuranceNature, PractitionerRef,
    ReplacedSituation, ReplacementState, Substitute,
};
use time::Duration;

use super::*;
use crate::samples::{draft, lefevre, ngap, SampleRights};
use crate::test_support::{billing_with, fixture_signer, midwife};
use crate::{FixedClock, KeySigner};

const MOREAU: &str = "75199001";

fn moreau_situation() -> PractitionerRef {
    PractitionerRef {
        billing_number: MOREAU.into(),
        situation: 0,
        tariff_zone: "22".into(),
        profession: "10".into(),
        speciality: "01".into(),
    }
}

fn gp() -> KeySigner {
    let id = SignerIdentity::of(CardKind::Cps, &lefevre(), true, true);
    fixture_signer("lefevre-medecin", id).unwrap()
}

fn trainee() -> KeySigner {
    let id = SignerIdentity::of(CardKind::Cpf, &moreau_situation(), true, true);
    fixture_signer("moreau-remplacant", id).unwrap()
}

fn opening(start: &str, end: &str) -> Opening {
    let p = lefevre();
    Opening {
        replaced: ReplacedSituation {
            billing_number: p.billing_number,
            billing_key: "8".into(),
            situation: 0,
            profession: p.profession,
            speciality: p.speciality,
            tariff_zone: p.tariff_zone,
            sector: "1".into(),
            mailbox: None,
            last_name: "LEFEVRE".into(),
            first_name: "JULIEN".into(),
            card_serial: "2500067890".into(),
        },
        substitute: Substitute {
            billing_number: MOREAU.into(),
            billing_key: "1".into(),
            holder_id: "810009998887".into(),
            last_name: "MOREAU".into(),
            first_name: "THOMAS".into(),
            card_kind: Some(CardKind::Cpf),
            card_serial: Some("2600044444".into()),
        },
        start: start.into(),
        end: end.into(),
        one_time: true,
    }
}

fn visit(by: PractitionerRef, day: &str) -> FseDraft {
    let mut d = draft(
        0,
        day,
        InsuranceNature::Maladie,
        FseMode::Degradee,
        vec![ngap("G", "1", &[])],
    );
    d.practitioner = by;
    d
}

fn code<T: std::fmt::Debug>(r: Result<T, BillingError>) -> ErrorCode {
    r.expect_err("refused").code()
}

fn one(b: &Billing, d: FseDraft) -> Result<passerelle_protocol::Fse, BillingError> {
    b.create_batch(&[d], &SampleRights, None).unwrap().remove(0)
}

/// Billing on the stopped clock with a session 2026-03-02..2026-03-06 opened by the GP.
fn with_session(dir: &std::path::Path) -> (Billing, std::sync::Arc<FixedClock>, i64) {
    let (b, clock) = billing_with(dir);
    let s = b
        .open_replacement(opening("2026-03-02", "2026-03-06"), &gp())
        .unwrap();
    (b, clock, s.id)
}

#[test]
fn opening_is_signed_by_the_replaced_card_and_overlaps_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _clock, id) = with_session(dir.path());
    let s = b.replacement(id).unwrap();
    assert_eq!(s.state, ReplacementState::Open);
    let b64 = base64::engine::general_purpose::STANDARD;
    let digest: [u8; 32] = hex::decode(&s.opening_sha256).unwrap().try_into().unwrap();
    crate::signer::verify(
        &b64.decode(&s.opening_certificate).unwrap(),
        &digest,
        &b64.decode(&s.opening_signature).unwrap(),
    )
    .unwrap();
    assert_eq!(digest, opening_digest(&opening("2026-03-02", "2026-03-06")));
    // The same situation, some days in common: refused; after them: fine.
    assert_eq!(
        code(b.open_replacement(opening("2026-03-05", "2026-03-09"), &gp())),
        ErrorCode::ReplacementOverlap
    );
    b.open_replacement(opening("2026-03-07", "2026-03-09"), &gp())
        .unwrap();
    // Another practitioner's card cannot open a session for this situation.
    assert_eq!(
        code(b.open_replacement(opening("2026-04-01", "2026-04-02"), &midwife())),
        ErrorCode::ReplacementNotReplacedPractitioner
    );
    // The replaced practitioner as their own substitute.
    let mut own = opening("2026-05-01", "2026-05-02");
    own.substitute.billing_number = lefevre().billing_number;
    assert_eq!(
        code(b.open_replacement(own, &gp())),
        ErrorCode::ReplacementOwnCard
    );
    // In the past, backwards, too long.
    for (s, e) in [
        ("2026-03-01", "2026-03-03"),
        ("2026-03-10", "2026-03-09"),
        ("2026-06-01", "2027-06-02"),
    ] {
        assert_eq!(
            code(b.open_replacement(opening(s, e), &gp())),
            ErrorCode::InvalidReplacement
        );
    }
}

#[test]
fn the_substitute_bills_under_the_replaced_identity_within_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock, id) = with_session(dir.path());
    let fse = one(&b, visit(moreau_situation(), "2026-03-02")).unwrap();
    assert_eq!(fse.practitioner, lefevre());
    let part = fse.replacement.as_ref().unwrap();
    assert_eq!(
        (part.session_id, part.substitute_billing_number.as_str()),
        (id, MOREAU)
    );
    assert_eq!(part.substitute_last_name, "MOREAU");
    // The replaced practitioner's own card named as the substitute's.
    let mut own = visit(lefevre(), "2026-03-02");
    own.replacement_session = Some(id);
    assert_eq!(code(one(&b, own)), ErrorCode::ReplacementOwnCard);
    // Another situation named in the session.
    let mut other = visit(crate::samples::durand(), "2026-03-02");
    other.replacement_session = Some(id);
    assert_eq!(
        code(one(&b, other)),
        ErrorCode::ReplacementSubstituteMismatch
    );
    // Care before the first day.
    assert_eq!(
        code(one(&b, visit(moreau_situation(), "2026-03-01"))),
        ErrorCode::ReplacementOutsidePeriod
    );
    // The day after the last one.
    clock.advance(Duration::days(5));
    assert_eq!(
        code(one(&b, visit(moreau_situation(), "2026-03-07"))),
        ErrorCode::ReplacementOutsidePeriod
    );
    let ended = b.end_due_replacements().unwrap();
    assert_eq!(ended.len(), 1);
    let s = b.replacement(id).unwrap();
    assert_eq!(s.state, ReplacementState::Closed);
    assert_eq!(s.closed_because.as_deref(), Some("period_end"));
    // The GP bills as always once back.
    assert!(one(&b, visit(lefevre(), "2026-03-07"))
        .unwrap()
        .replacement
        .is_none());
}

#[test]
fn closed_early_by_the_replaced_practitioner_only() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _clock, id) = with_session(dir.path());
    assert_eq!(
        code(b.close_replacement(id, &trainee().identity())),
        ErrorCode::ReplacementNotReplacedPractitioner
    );
    let s = b.close_replacement(id, &gp().identity()).unwrap();
    assert_eq!(s.closed_because.as_deref(), Some("early"));
    assert_eq!(
        code(b.close_replacement(id, &gp().identity())),
        ErrorCode::ReplacementNotOpen
    );
    assert_eq!(
        code(one(&b, visit(moreau_situation(), "2026-03-02"))),
        ErrorCode::ReplacementOutsidePeriod
    );
    assert_eq!(code(b.replacement(99)), ErrorCode::ReplacementNotFound);
}

#[test]
fn the_substitute_signs_a_lot_of_both_and_the_purge_waits_for_the_arl() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _clock, id) = with_session(dir.path());
    // The GP's own FSE, signed before leaving.
    let own = one(&b, visit(lefevre(), "2026-03-02")).unwrap();
    b.sign_fse_batch(&gp(), &[own.id]).unwrap()[0]
        .as_ref()
        .unwrap();
    let sub = one(&b, visit(moreau_situation(), "2026-03-02")).unwrap();
    // Only the substitute signs the session's FSE.
    let refused = b.sign_fse_batch(&gp(), &[sub.id]).unwrap().remove(0);
    assert_eq!(code(refused), ErrorCode::ReplacementOwnCard);
    let refused = b.sign_fse_batch(&midwife(), &[sub.id]).unwrap().remove(0);
    assert_eq!(code(refused), ErrorCode::ReplacementSubstituteMismatch);
    b.sign_fse_batch(&trainee(), &[sub.id]).unwrap()[0]
        .as_ref()
        .unwrap();
    b.verify_fse_signature(sub.id).unwrap();
    let lots = b.build_and_sign_lots(&trainee()).unwrap();
    assert_eq!(lots.len(), 1);
    let lot = &lots[0];
    assert_eq!(
        (lot.practitioner.as_str(), lot.invoice_count),
        ("75123456", 2)
    );
    assert_eq!(lot.signed_by, CardKind::Cpf);
    b.verify_lot_signature(lot.id).unwrap();
    let bytes = b.lot_b2(lot.id).unwrap();
    let summary = crate::b2::check(&bytes).unwrap();
    assert_eq!((summary.invoices, summary.replacements), (2, 1));
    let text = String::from_utf8(bytes).unwrap();
    let four: Vec<&str> = text
        .as_bytes()
        .chunks(128)
        .map(|r| std::str::from_utf8(r).unwrap())
        .filter(|r| r.starts_with('4'))
        .collect();
    assert_eq!(four.len(), 1);
    assert!(
        four[0].contains("7512345675199001810009998887MOREAU"),
        "{}",
        four[0]
    );
    // Purge: not while open, not before the positive ARL.
    assert_eq!(
        code(b.purge_replacement(id, &gp().identity())),
        ErrorCode::ReplacementNotPurgeable
    );
    b.close_replacement(id, &gp().identity()).unwrap();
    assert_eq!(
        code(b.purge_replacement(id, &gp().identity())),
        ErrorCode::ReplacementNotPurgeable
    );
    for to in [FseStatus::Sent, FseStatus::Acknowledged] {
        b.advance_fse(sub.id, to).unwrap();
    }
    assert_eq!(
        code(b.purge_replacement(id, &trainee().identity())),
        ErrorCode::ReplacementNotReplacedPractitioner
    );
    let purged = b.purge_replacement(id, &gp().identity()).unwrap();
    assert_eq!(purged.state, ReplacementState::Purged);
    assert_eq!(purged.substitute.last_name, "");
    assert_eq!(purged.substitute.billing_number, MOREAU);
    let part = b.fse(sub.id).unwrap().replacement.unwrap();
    assert_eq!(
        (
            part.substitute_last_name.as_str(),
            part.substitute_holder_id.as_str()
        ),
        ("", "")
    );
}

#[test]
fn a_session_survives_reopening_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let id = with_session(dir.path()).2;
    let (b, _) = billing_with(dir.path());
    assert_eq!(b.replacement(id).unwrap().state, ReplacementState::Open);
    assert!(one(&b, visit(moreau_situation(), "2026-03-02"))
        .unwrap()
        .replacement
        .is_some());
}

#[test]
fn assistants_prepare_within_their_dates_only() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let app = Assistant::Application {
        grant_id: "g1".into(),
        name: "Alice Martin".into(),
    };
    let by = gp().identity();
    let g = b
        .grant_assistant(&by, app.clone(), "2026-03-02", "2026-03-03")
        .unwrap();
    let as_app = |b: &Billing, d: FseDraft| {
        b.create_batch_as(&[d], &SampleRights, None, Some(&app))
            .unwrap()
            .remove(0)
    };
    let mut d = visit(lefevre(), "2026-03-02");
    d.deferred_signature = true;
    let prepared = as_app(&b, d.clone()).unwrap().fse;
    assert_eq!(prepared.status, FseStatus::Draft);
    // Signed later by the practitioner.
    b.sign_fse_batch(&gp(), &[prepared.id]).unwrap()[0]
        .as_ref()
        .unwrap();
    // Not for another practitioner.
    let other = visit(crate::samples::durand(), "2026-03-02");
    assert_eq!(code(as_app(&b, other)), ErrorCode::AssistantNotGranted);
    // Not the day after the last day.
    clock.advance(Duration::days(2));
    assert_eq!(
        code(as_app(&b, d.clone())),
        ErrorCode::AssistantOutsideDates
    );
    clock.advance(Duration::days(-1));
    as_app(&b, d.clone()).unwrap();
    // Revoked: refused; only by the one who granted it.
    assert_eq!(
        code(b.revoke_assistant(g.id, &midwife().identity())),
        ErrorCode::AssistantGrantNotYours
    );
    b.revoke_assistant(g.id, &by).unwrap();
    assert_eq!(code(as_app(&b, d)), ErrorCode::AssistantOutsideDates);
    assert!(b.is_assistant(&app).unwrap());
    assert_eq!(b.assistant_grants().unwrap().len(), 1);
}

#[test]
fn the_b2_check_refuses_a_replacement_part_out_of_place() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _clock, _) = with_session(dir.path());
    let sub = one(&b, visit(moreau_situation(), "2026-03-02")).unwrap();
    b.sign_fse_batch(&trainee(), &[sub.id]).unwrap()[0]
        .as_ref()
        .unwrap();
    let lot = &b.build_and_sign_lots(&trainee()).unwrap()[0];
    let bytes = b.lot_b2(lot.id).unwrap();
    let mut records: Vec<&[u8]> = bytes.chunks(128).collect();
    // `4` right after its `2`; moved after the first act, the file is malformed.
    let four = records.iter().position(|r| r[0] == b'4').unwrap();
    assert_eq!(records[four - 1][0], b'2');
    records.swap(four, four + 1);
    assert!(crate::b2::check(&records.concat()).is_err());
}
