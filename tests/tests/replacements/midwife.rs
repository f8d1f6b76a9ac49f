//! A substitute with a CPS: the midwife (`cps:durand-sage-femme`) replaced by another
//! midwife (`cps:roux-sage-femme-remplacante`, a CPS whose one situation is a replacement),
//! both cards behind pcscd: opened with the substitute's CPS read, a visit billed and
//! signed by that CPS under the midwife's number with her tariffs, a lot signed by it.

use super::*;
use passerelle_protocol::PractitionerRef;

const DURAND: &str = "69312233";
const ROUX: &str = "69199002";

#[tokio::test(flavor = "multi_thread")]
async fn a_substitute_midwife_with_a_cps_bills_for_the_midwife() {
    let dir = TestDir::new("a_substitute_midwife_with_a_cps_bills_for_the_midwife");
    let cards = TwoCards::start(
        &dir,
        "cps:roux-sage-femme-remplacante",
        "cps:durand-sage-femme",
    )
    .await
    .unwrap();
    let daemon = &cards.daemon;
    let today = day(0);
    verify_pin(daemon, READER_1, "4729").await;
    let card = json!({ "source": "card", "reader": READER_0 });
    let session: ReplacementSession = json_of(
        daemon
            .post(
                "/v1/replacements",
                &json!({ "reader": READER_1, "substitute": card, "start": today, "end": today }),
            )
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        session.substitute.card_kind,
        Some(passerelle_protocol::CardKind::Cps)
    );
    assert_eq!(
        (
            session.replaced.billing_number.as_str(),
            session.substitute.billing_number.as_str()
        ),
        (DURAND, ROUX)
    );
    assert_eq!(
        (
            session.replaced.profession.as_str(),
            session.replaced.tariff_zone.as_str()
        ),
        ("50", "24")
    );

    verify_pin(daemon, READER_0, "5274").await;
    let mut d = visit(
        PractitionerRef {
            billing_number: ROUX.into(),
            situation: 0,
            tariff_zone: "24".into(),
            profession: "50".into(),
            speciality: "21".into(),
        },
        &today,
    );
    d.acts = vec![passerelle_billing::samples::ngap("C", "1", &["MSF"])];
    let made = create(daemon, &[d]).await;
    let fse: Fse = made.results[0]
        .fse
        .clone()
        .unwrap_or_else(|| panic!("{made:?}"));
    assert_eq!(fse.practitioner.billing_number, DURAND);
    assert_eq!(
        fse.amounts.total_cents, 2650,
        "C + MSF, the midwife's tariff"
    );
    assert!(sign(daemon, READER_0, &[fse.id]).await.results[0]
        .error
        .is_none());
    let lots: LotList = daemon
        .post_json("/v1/lots", &json!({ "reader": READER_0 }))
        .await
        .unwrap();
    assert_eq!(lots.lots.len(), 1);
    assert_eq!(lots.lots[0].practitioner, DURAND);
    assert_eq!(lots.lots[0].signed_by, passerelle_protocol::CardKind::Cps);
    let b2 = daemon
        .client()
        .get(daemon.url(&format!("/v1/lots/{}/b2", lots.lots[0].id)))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (header, _, parts) = b2_identities(&b2);
    assert_eq!(header, DURAND);
    assert_eq!(
        parts[&fse.number],
        (DURAND.into(), ROUX.into(), "ROUX".into())
    );
}
