//! Property tests of the return-mail reader (`returns::mail::read`, on mail-parser):
//! arbitrary bytes and mutated valid mails never panic, and a mail built by another
//! implementation (lettre's builder) reads back to what was put in. `PROPTEST_CASES` sets
//! the number of cases (`scripts/fuzz-returns` runs many more).

use lettre::message::header::{ContentDisposition, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{MultiPart, SinglePart};
use lettre::Message;
use passerelle_protocol::ReturnKind;
use passerelle_transmission::returns::mail::{read, ARL_DESCRIPTION, NOEMIE_DESCRIPTION};
use proptest::prelude::*;

fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

#[derive(Debug, Clone)]
struct ContentDescription(String);

impl Header for ContentDescription {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Description")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentDescription(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// A return mail as an organism would send it.
fn mail(sender: &str, subject: &str, description: &str, payload: &[u8]) -> Vec<u8> {
    let part = SinglePart::builder()
        .header(ContentType::parse("application/octet-stream").unwrap())
        .header(ContentDisposition::attachment("retour.bin"))
        .header(ContentDescription(description.to_owned()))
        .body(payload.to_vec());
    Message::builder()
        .from(sender.parse().unwrap())
        .to("durand@cabinet.test".parse().unwrap())
        .subject(subject)
        .message_id(Some("<retour-1@organisme.test>".into()))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain("Retour.".to_owned()))
                .singlepart(part),
        )
        .unwrap()
        .formatted()
}

fn description() -> impl Strategy<Value = (String, ReturnKind)> {
    prop_oneof![
        Just((ARL_DESCRIPTION.to_owned(), ReturnKind::Arl)),
        Just((NOEMIE_DESCRIPTION.to_owned(), ReturnKind::Noemie)),
        Just(("IRIS/AUTRE".to_owned(), ReturnKind::Other)),
    ]
}

/// One change to a byte string: flip, insert, delete, or cut.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Cut(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Cut),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match *m {
        Mutation::Flip(i, x) if !bytes.is_empty() => bytes[i % len] ^= x,
        Mutation::Insert(i, b) => bytes.insert(i % (bytes.len() + 1), b),
        Mutation::Delete(i) if !bytes.is_empty() => {
            bytes.remove(i % len);
        }
        Mutation::Cut(i) => bytes.truncate(i % (bytes.len() + 1)),
        _ => {}
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let envelope = read(&raw);
        prop_assert_eq!(envelope.kind == ReturnKind::Other, envelope.payload.is_none());
    }

    #[test]
    fn a_built_mail_reads_back(
        local in "[a-z][a-z0-9]{0,7}(\\.[a-z0-9]{1,7})?",
        subject in "[A-Za-z0-9À-ÿ]{1,12}( [A-Za-z0-9À-ÿ]{1,12}){0,4}",
        (desc, kind) in description(),
        payload in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let sender = format!("{local}@751.01.rss.fr");
        let raw = mail(&sender, &subject, &desc, &payload);
        let envelope = read(&raw);
        prop_assert_eq!(envelope.kind, kind);
        prop_assert_eq!(envelope.sender.as_deref(), Some(sender.as_str()));
        prop_assert_eq!(&envelope.subject, &subject);
        prop_assert_eq!(envelope.message_id.as_deref(), Some("<retour-1@organisme.test>"));
        if kind == ReturnKind::Other {
            prop_assert!(envelope.payload.is_none());
        } else {
            prop_assert_eq!(envelope.payload.as_deref(), Some(payload.as_slice()));
        }
    }

    #[test]
    fn mutated_mails_never_panic(
        (desc, _) in description(),
        payload in proptest::collection::vec(any::<u8>(), 0..512),
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        let mut raw = mail("01751@751.01.rss.fr", "Retour", &desc, &payload);
        for m in &mutations {
            mutate(&mut raw, m);
        }
        let envelope = read(&raw);
        prop_assert_eq!(envelope.kind == ReturnKind::Other, envelope.payload.is_none());
    }
}
