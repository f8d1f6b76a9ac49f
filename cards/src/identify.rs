//! What kind of card is this: the ATR for the family, the card-type field for CPx cards.

use passerelle_protocol::CardKind;

use super::atr::{family, CardFamily};
use super::commands;
use super::io;
use super::layout::cps;
use super::tlv;
use crate::apdu::{Command, Response};
use crate::transport::CardTransaction;

/// The card's kind. A Vitale card is known from its ATR alone. A CPx card (same ATR for
/// CPS, CPE and CPF) takes three APDUs: SELECT the IAS application, SELECT `3F00/D003`,
/// READ BINARY, then the modelled card-type tag tells which. Any failure (transport error,
/// status word, malformed data, unknown type) gives [`CardKind::Unknown`]; never panics.
pub fn identify(tx: &mut dyn CardTransaction) -> CardKind {
    match family(tx.atr()) {
        CardFamily::Vitale => CardKind::Vitale,
        CardFamily::Unknown => CardKind::Unknown,
        CardFamily::Cpx => cpx_kind(tx).unwrap_or(CardKind::Unknown),
    }
}

fn cpx_kind(tx: &mut dyn CardTransaction) -> Option<CardKind> {
    ok(tx, commands::select_aid(&cps::AID_IAS))?;
    ok(tx, commands::select_path(&cps::PATH_CARD))?;
    let data = ok(tx, commands::read_binary(0))?;
    let elements = tlv::parse_all(&data).ok()?;
    match tlv::find(&elements, cps::TAG_CARD_TYPE)?.value.as_slice() {
        b"CPS" => Some(CardKind::Cps),
        b"CPE" => Some(CardKind::Cpe),
        b"CPF" => Some(CardKind::Cpf),
        _ => None,
    }
}

/// Sends `command`; the data when the card answers 90 00.
fn ok(tx: &mut dyn CardTransaction, command: Command) -> Option<Vec<u8>> {
    let response = Response::parse(&io::transmit(tx, &command.to_bytes()).ok()?)?;
    response.is_success().then(|| response.data().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atr::CPS3_ATR;
    use crate::test_support::DirectTransaction;
    use crate::transport::TransportError;
    use passerelle_simcard::fixtures;

    fn kind_of(spec: &str) -> CardKind {
        let mut tx = DirectTransaction::new(fixtures::card_from_spec(spec).unwrap());
        identify(&mut tx)
    }

    #[test]
    fn every_fixture_is_identified() {
        assert_eq!(kind_of("vitale:martin-famille"), CardKind::Vitale);
        assert_eq!(kind_of("vitale:santoni-corse"), CardKind::Vitale);
        assert_eq!(kind_of("cps:durand-sage-femme"), CardKind::Cps);
        assert_eq!(kind_of("cps:lefevre-medecin"), CardKind::Cps);
        assert_eq!(kind_of("cpe:petit-secretaire"), CardKind::Cpe);
        assert_eq!(kind_of("cpf:moreau-remplacant"), CardKind::Cpf);
    }

    /// A CPx ATR on a card that answers `answer` to everything.
    struct Scripted {
        answer: Result<Vec<u8>, TransportError>,
        sent: usize,
    }

    impl CardTransaction for Scripted {
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent += 1;
            self.answer.clone()
        }
        fn atr(&self) -> &[u8] {
            &CPS3_ATR
        }
    }

    #[test]
    fn failures_give_unknown_after_few_apdus() {
        let answers = [
            Err(TransportError::CardRemoved),
            Ok(vec![]),
            Ok(vec![0x6A]),
            Ok(vec![0x6A, 0x82]),
            Ok(vec![0x81, 0x05, b'C', 0x90, 0x00]),
            Ok(vec![0x81, 0x03, b'X', b'Y', b'Z', 0x90, 0x00]),
        ];
        for answer in answers {
            let mut tx = Scripted {
                answer: answer.clone(),
                sent: 0,
            };
            assert_eq!(identify(&mut tx), CardKind::Unknown, "{answer:?}");
            assert!(tx.sent <= 3);
        }
    }
}
