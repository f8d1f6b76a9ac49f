//! The PJ reader on lots written here by hand from the modelled layout and encrypted with
//! `openssl cms -encrypt`: no daemon, no IMAP. The declared checksums are computed with the
//! `sha2` crate, the reader's with `sha256sum`: two implementations that must agree.

use std::process::Command;

use base64::Engine;
use pdf_writer::{Pdf, Rect, Ref};
use sha2::{Digest, Sha256};

use super::*;
use crate::organism::{open_message, run, Opened, TestOrganism};

/// A one-page PDF of `w` × `h` points.
fn pdf(w: f32, h: f32) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, page) = (Ref::new(1), Ref::new(2), Ref::new(3));
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    pdf.page(page)
        .media_box(Rect::new(0.0, 0.0, w, h))
        .parent(tree);
    pdf.finish()
}

/// One attachment as the sender puts it in the lot.
struct Pj {
    fse: &'static str,
    nature: &'static str,
    /// What the index declares (size and SHA-256 are of these bytes).
    declared: Vec<u8>,
    /// What the PDF part carries.
    sent: Vec<u8>,
}

impl Pj {
    fn new(fse: &'static str, nature: &'static str, bytes: Vec<u8>) -> Pj {
        Pj {
            fse,
            nature,
            declared: bytes.clone(),
            sent: bytes,
        }
    }
}

/// The index text of `pjs` (`nombre` says `count`).
fn index(pjs: &[Pj], count: usize) -> String {
    let mut text =
        format!("{INDEX_MODEL}\nlot_pj=001\nregime=01\ncaisse=751\ncentre=0001\nps=12345678\n");
    text.push_str(&format!("nombre={count}\n"));
    for (i, pj) in pjs.iter().enumerate() {
        text.push_str(&format!(
            "pj={};fse={};lot=004;nature={};fichier=pj-{}.pdf;octets={};sha256={}\n",
            i + 1,
            pj.fse,
            pj.nature,
            i + 1,
            pj.declared.len(),
            hex::encode(Sha256::digest(&pj.declared)),
        ));
    }
    text
}

/// A base64 MIME part (CRLF, lines of 76).
fn part(headers: &str, body: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(body);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "--pj-lot\r\n{headers}Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        lines.join("\r\n")
    )
}

/// The decrypted entity: the index part (described `index_description`), then the PDF parts.
fn entity(index_description: &str, pj_description: &str, text: &str, pjs: &[Pj]) -> Vec<u8> {
    let mut out = String::from("Content-Type: multipart/mixed; boundary=\"pj-lot\"\r\n\r\n");
    out.push_str(&part(
        &format!(
            "Content-Type: text/plain; charset=utf-8\r\nContent-Description: {index_description}\r\n"
        ),
        text.as_bytes(),
    ));
    for (i, pj) in pjs.iter().enumerate() {
        out.push_str(&part(
            &format!(
                "Content-Type: application/pdf\r\nContent-Description: {pj_description}\r\n\
                 Content-Disposition: attachment; filename=\"pj-{}.pdf\"\r\n",
                i + 1
            ),
            &pj.sent,
        ));
    }
    out.push_str("--pj-lot--\r\n");
    out.into_bytes()
}

/// The whole mail: `entity` encrypted to `org` by `openssl cms`, with the lot's headers.
fn mail(org: &TestOrganism, entity: &[u8], count: usize) -> Vec<u8> {
    let smime = run(
        Command::new("openssl")
            .args(["cms", "-encrypt", "-aes256", "-binary", "-outform", "SMIME"])
            .arg("-recip")
            .arg(&org.certificate),
        entity,
    )
    .unwrap();
    let mut raw = format!(
        "From: <ps@praticien.test>\r\nTo: <{}>\r\nSubject: IR000100/00000012345678/20250101120000/{count:05}\r\n\
         Message-ID: <pj-12345678-001-7.1.ab12@praticien.test>\r\n",
        org.address
    )
    .into_bytes();
    raw.extend(smime);
    raw
}

/// Opens `raw` as `org`, in a scratch directory.
fn open(org: &TestOrganism, raw: &[u8]) -> crate::Result<Opened> {
    let work = tempfile::tempdir().unwrap();
    open_message(org, raw, work.path())
}

/// An organism and two attachments: a degraded FSE's copy and a prescription.
fn setup() -> (tempfile::TempDir, TestOrganism, Vec<Pj>) {
    let dir = tempfile::tempdir().unwrap();
    let org = TestOrganism::create(dir.path(), "01", "751").unwrap();
    let pjs = vec![
        Pj::new("000000123", "copie_degradee", pdf(420.0, 595.0)),
        Pj::new("000000124", "prescription", pdf(595.0, 842.0)),
    ];
    (dir, org, pjs)
}

/// Opens a lot of `pjs` with `text` as its index, expecting a failure naming `what`.
fn refused(org: &TestOrganism, text: &str, pjs: &[Pj], count: usize, what: &str) {
    let raw = mail(
        org,
        &entity(INDEX_DESCRIPTION, PJ_DESCRIPTION, text, pjs),
        count,
    );
    match open(org, &raw) {
        Err(e) => assert!(e.contains(what), "{what:?} not in {e:?}"),
        Ok(o) => panic!("opened, expected a refusal naming {what:?}: {o:?}"),
    }
}

#[test]
fn a_pj_lot_is_read_with_its_checksums_computed_by_sha256sum() {
    let (_dir, org, pjs) = setup();
    let text = index(&pjs, 2);
    let raw = mail(
        &org,
        &entity(INDEX_DESCRIPTION_TEST, PJ_DESCRIPTION_TEST, &text, &pjs),
        2,
    );
    let Opened::Pj(lot) = open(&org, &raw).unwrap() else {
        panic!("not read as a PJ lot")
    };
    assert_eq!(lot.message_id, "pj-12345678-001-7.1.ab12@praticien.test");
    assert_eq!(lot.from, "ps@praticien.test");
    assert!(lot.mode_test);
    assert_eq!(lot.lot_pj, "001");
    assert_eq!(lot.organism, ("01".into(), "751".into(), "0001".into()));
    assert_eq!(lot.practitioner, "12345678");
    let summary: Vec<_> = lot
        .entries
        .iter()
        .map(|e| {
            (
                e.number,
                e.fse.as_str(),
                e.lot.as_str(),
                e.nature.as_str(),
                e.filename.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (1, "000000123", "004", "copie_degradee", "pj-1.pdf"),
            (2, "000000124", "004", "prescription", "pj-2.pdf")
        ]
    );
    for (entry, pj) in lot.entries.iter().zip(&pjs) {
        assert_eq!(entry.pdf, pj.sent);
        assert_eq!(entry.declared_bytes, pj.sent.len() as u64);
        assert_eq!(entry.sha256, hex::encode(Sha256::digest(&pj.sent)));
        assert_eq!(entry.sha256, entry.declared_sha256);
    }
}

#[test]
fn a_tampered_pdf_is_refused() {
    let (_dir, org, mut pjs) = setup();
    let last = pjs[1].sent.len() - 20;
    pjs[1].sent[last] ^= 0x01;
    refused(&org, &index(&pjs, 2), &pjs, 2, "pj-2.pdf is corrupted");
}

#[test]
fn a_lot_off_the_model_is_refused() {
    let (_dir, org, pjs) = setup();
    let text = index(&pjs, 2);
    refused(
        &org,
        &text.replace(INDEX_MODEL, "PJ-MODELE-2"),
        &pjs,
        2,
        "does not start",
    );
    refused(&org, &index(&pjs, 3), &pjs, 3, "nombre=3");
    refused(&org, &text, &pjs, 1, "subject count 1");
    refused(&org, &text, &pjs[..1], 2, "1 PDF parts");
    refused(
        &org,
        &text.replace("fichier=pj-2", "fichier=pj-9"),
        &pjs,
        2,
        "pj-9.pdf",
    );
    refused(
        &org,
        &text.replace("prescription", "ordonnance"),
        &pjs,
        2,
        "nature=",
    );
    let lying = text.replace(&format!("octets={}", pjs[0].sent.len()), "octets=7");
    refused(&org, &lying, &pjs, 2, "pj-1.pdf is corrupted");
}

#[test]
fn a_message_without_a_pj_index_is_read_as_an_fse_lot() {
    let (_dir, org, pjs) = setup();
    let raw = mail(
        &org,
        &entity("IRIS/B2", PJ_DESCRIPTION, &index(&pjs, 2), &pjs),
        2,
    );
    let err = open(&org, &raw).unwrap_err();
    assert!(err.contains("EDI-consent"), "{err}");
}

#[test]
fn the_arl_pj_of_a_lot_read_names_the_pj_lot_and_its_mail() {
    use crate::organism_answers::{ArlAnswer, ArlOf, ReturnMail, ARL_PJ_DESCRIPTION};
    use mail_parser::MessageParser;
    let (_dir, org, pjs) = setup();
    let raw = mail(
        &org,
        &entity(INDEX_DESCRIPTION, PJ_DESCRIPTION, &index(&pjs, 2), &pjs),
        2,
    );
    let Opened::Pj(lot) = open(&org, &raw).unwrap() else {
        panic!("not read as a PJ lot")
    };
    let (regime, caisse, centre) = lot.organism.clone();
    let answer = ArlAnswer {
        lot: lot.lot_pj.clone(),
        organism: (regime, caisse, centre),
        practitioner: lot.practitioner.clone(),
        reference: format!("<{}>", lot.message_id),
        date: "20250102".into(),
        refusal: None,
    };
    let built = ReturnMail::arl(&org, &lot.from, "arl-pj-1", ArlOf::PjLot, &answer)
        .build()
        .unwrap();
    let parsed = MessageParser::default().parse(&built).unwrap();
    let arl = parsed
        .attachments()
        .find(|p| p.content_description() == Some(ARL_PJ_DESCRIPTION))
        .expect("an IRIS/ARL-PJ attachment");
    let text = std::str::from_utf8(arl.contents()).unwrap();
    assert!(text.starts_with("ARL-MODELE-1\nlot=001\n"), "{text}");
    assert!(
        text.contains("reference=<pj-12345678-001-7.1.ab12@praticien.test>\n"),
        "{text}"
    );
    assert_eq!(parsed.message_id(), Some("arl-pj-1@751.01.rss.fr"));
}
