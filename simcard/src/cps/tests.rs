//! The simulated CPx card: PIN counter, signatures, files, garbage.

use super::*;
use crate::fixtures::{self, Fixture};
use passerelle_cards::commands as cmd;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use sha2::Digest;
use x509_cert::der::{Decode, Encode};

fn card(spec: &str) -> SimCps {
    let Ok(Fixture::Cpx(f)) = fixtures::fixture(spec) else {
        panic!("{spec}")
    };
    let keys = fixtures::keys(&f.id).unwrap();
    SimCps::new(f, keys).unwrap()
}

fn send(card: &mut SimCps, c: Command) -> Response {
    Response::parse(&card.process(&c.to_bytes())).unwrap()
}

fn tries(card: &mut SimCps) -> (u8, u8) {
    let r = send(card, cmd::get_pin_counters());
    let e = tlv::parse_all(r.data()).unwrap();
    (
        tlv::find(&e, 0x9A).unwrap().value[0],
        tlv::find(&e, 0x9B).unwrap().value[0],
    )
}

/// The public key in a DER certificate.
fn certificate_key(der: &[u8]) -> RsaPublicKey {
    let cert = x509_cert::Certificate::from_der(der).unwrap();
    let spki = cert
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap();
    RsaPublicKey::from_public_key_der(&spki).unwrap()
}

#[test]
fn pin_counter_blocks_at_zero_and_unblocks() {
    let mut c = card("cps:durand-sage-femme");
    assert_eq!(
        send(&mut c, cmd::verify_status()).status(),
        StatusWord::WrongPin { tries_left: 3 }
    );
    assert_eq!(
        send(&mut c, cmd::verify(b"0000")).status(),
        StatusWord::WrongPin { tries_left: 2 }
    );
    assert_eq!(
        send(&mut c, cmd::verify(b"4729")).status(),
        StatusWord::Success
    );
    assert_eq!(tries(&mut c), (3, 3), "the right PIN resets the counter");
    assert_eq!(
        send(&mut c, cmd::verify_status()).status(),
        StatusWord::Success
    );
    c.reset();
    assert_eq!(
        send(&mut c, cmd::verify_status()).status(),
        StatusWord::WrongPin { tries_left: 3 }
    );
    assert_eq!(
        send(&mut c, cmd::verify(b"0000")).status(),
        StatusWord::WrongPin { tries_left: 2 }
    );
    assert_eq!(
        send(&mut c, cmd::verify(b"0000")).status(),
        StatusWord::WrongPin { tries_left: 1 }
    );
    assert_eq!(
        send(&mut c, cmd::verify(b"0000")).status(),
        StatusWord::WrongPin { tries_left: 0 }
    );
    assert_eq!(
        send(&mut c, cmd::verify(b"4729")).status(),
        StatusWord::Blocked,
        "right PIN, blocked card"
    );
    assert_eq!(
        send(&mut c, cmd::verify_status()).status(),
        StatusWord::Blocked
    );
    c.reset();
    assert_eq!(
        send(&mut c, cmd::verify(b"4729")).status(),
        StatusWord::Blocked,
        "a reset does not unblock"
    );
    assert_eq!(tries(&mut c), (3, 0));
    let wrong = send(&mut c, cmd::reset_retry_counter(b"00000000", b"4321"));
    assert_eq!(wrong.status(), StatusWord::WrongPin { tries_left: 9 });
    assert!(send(&mut c, cmd::reset_retry_counter(b"20462913", b"4321")).is_success());
    assert_eq!(tries(&mut c), (3, 3));
    assert_eq!(
        send(&mut c, cmd::verify(b"4729")).status(),
        StatusWord::WrongPin { tries_left: 2 }
    );
    assert!(send(&mut c, cmd::verify(b"4321")).is_success());
    // Malformed PIN commands do not cost a try.
    let short = Command::new(0, 0x20, 0, cps::PIN_REF).data(b"4729".to_vec());
    assert_eq!(send(&mut c, short).status(), StatusWord::WrongLength);
    let other_ref = Command::new(0, 0x20, 0, 0x01).data(cps::pin_block(b"4321").to_vec());
    assert_eq!(send(&mut c, other_ref).status(), StatusWord::WrongP1P2);
    assert_eq!(tries(&mut c), (3, 3));
}

#[test]
fn signature_needs_pin_and_mse_and_verifies_with_the_certificate_key() {
    let mut c = card("cps:durand-sage-femme");
    let digest = Sha256::digest(b"FSE 000000001").to_vec();
    let pso = cmd::pso_compute_signature(&digest);
    assert_eq!(
        send(&mut c, pso.clone()).status(),
        StatusWord::SecurityNotSatisfied
    );
    assert!(send(&mut c, cmd::verify(b"4729")).is_success());
    assert_eq!(
        send(&mut c, pso.clone()).status(),
        StatusWord::ConditionsNotSatisfied
    );
    assert!(send(&mut c, cmd::mse_set_signature()).is_success());
    let r = send(&mut c, pso.clone());
    assert!(r.is_success());
    assert_eq!(r.data().len(), 256);
    let signature = Signature::try_from(r.data()).unwrap();

    let keys = fixtures::keys("durand-sage-femme").unwrap();
    let from_pem = RsaPublicKey::from_public_key_pem(keys.sig_public_pem).unwrap();
    let from_cert = certificate_key(keys.sig_cert);
    assert_eq!(from_pem, from_cert);
    VerifyingKey::<Sha256>::new(from_cert)
        .verify(b"FSE 000000001", &signature)
        .unwrap();
    let other = certificate_key(keys.auth_cert);
    assert!(VerifyingKey::<Sha256>::new(other)
        .verify(b"FSE 000000001", &signature)
        .is_err());

    let bad_digest = cmd::pso_compute_signature(&digest[..20]);
    assert_eq!(send(&mut c, bad_digest).status(), StatusWord::WrongLength);
    c.reset();
    assert_eq!(
        send(&mut c, pso).status(),
        StatusWord::SecurityNotSatisfied,
        "reset clears the PIN"
    );
}

#[test]
fn internal_authenticate_signs_the_given_digest_info() {
    let mut c = card("cps:lefevre-medecin");
    let digest = Sha256::digest(b"challenge");
    let mut digest_info = vec![
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    digest_info.extend_from_slice(&digest);
    let auth = cmd::internal_authenticate(&digest_info);
    assert!(send(&mut c, cmd::verify(b"8153")).is_success());
    assert!(send(&mut c, cmd::mse_set_signature()).is_success());
    assert_eq!(
        send(&mut c, auth.clone()).status(),
        StatusWord::ConditionsNotSatisfied,
        "wrong key chosen"
    );
    assert!(send(&mut c, cmd::mse_set_authentication()).is_success());
    let r = send(&mut c, auth);
    assert!(r.is_success());
    let key = certificate_key(fixtures::keys("lefevre-medecin").unwrap().auth_cert);
    let signature = Signature::try_from(r.data()).unwrap();
    VerifyingKey::<Sha256>::new(key)
        .verify(b"challenge", &signature)
        .unwrap();
    let too_long = cmd::internal_authenticate(&[0; 246]);
    assert_eq!(send(&mut c, too_long).status(), StatusWord::WrongLength);
}

#[test]
fn mse_refuses_the_wrong_key_reference() {
    let mut c = card("cps:lefevre-medecin");
    let wrong = Command::new(0, 0x22, 0x41, 0xB6).data(vec![0x84, 0x01, cps::KEY_AUTH]);
    assert_eq!(send(&mut c, wrong).status(), StatusWord::Other(0x6A88));
    let garbage = Command::new(0, 0x22, 0x41, 0xB6).data(vec![0x84, 0x05]);
    assert_eq!(send(&mut c, garbage).status(), StatusWord::IncorrectData);
    let restore = Command::new(0, 0x22, 0xF3, 0x01);
    assert_eq!(send(&mut c, restore).status(), StatusWord::WrongP1P2);
}

#[test]
fn a_cpe_says_so_and_may_not_sign_lots() {
    let mut c = card("cpe:petit-secretaire");
    assert!(send(&mut c, cmd::select_aid(&cps::AID_IAS)).is_success());
    assert!(send(&mut c, cmd::select_path(&cps::PATH_CARD)).is_success());
    let r = send(&mut c, cmd::read_binary(0));
    let e = tlv::parse_all(r.data()).unwrap();
    assert_eq!(tlv::find(&e, cps::TAG_CARD_TYPE).unwrap().value, b"CPE");
    assert!(send(&mut c, cmd::select_path(&cps::situation_path(0).unwrap())).is_success());
    let e = tlv::parse_all(send(&mut c, cmd::read_binary(0)).data()).unwrap();
    assert_eq!(tlv::find(&e, cps::TAG_MAY_SIGN_LOT).unwrap().value, [0]);
}

#[test]
fn any_bytes_get_a_status_word() {
    let mut c = card("cps:lefevre-medecin");
    assert!(send(&mut c, cmd::verify(b"8153")).is_success());
    assert_eq!(c.process(&[0x80, 0xA4, 0, 0]), vec![0x6E, 0x00]);
    assert_eq!(c.process(&[0x00, 0x12, 0, 0]), vec![0x6D, 0x00]);
    assert_eq!(
        c.process(&[0x00, 0x2A, 0x9E, 0x9B, 0x01, 0x00]),
        vec![0x6A, 0x86]
    );
    // A deterministic pseudo-random walk over short inputs, mostly valid headers.
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 40) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|i| (seed >> (i % 8 * 8)) as u8).collect();
        if let Some(b) = bytes.get_mut(0) {
            *b &= 0x01;
        }
        if let Some(b) = bytes.get_mut(1) {
            *b = [0xA4, 0xB0, 0x20, 0x2C, 0x22, 0x2A, 0x88, 0xCB][(seed >> 40) as usize % 8];
        }
        let answer = c.process(&bytes);
        assert!(answer.len() >= 2, "{bytes:02X?}");
    }
}
