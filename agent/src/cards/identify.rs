//! What kind of card is this: the ATR for the family, the card-type file for CPx cards.

use passerelle_protocol::CardKind;

use super::atr::{family, CardFamily};
use super::layout::{self, cps, ins, select};
use super::tlv;
use crate::apdu::{Command, Response, StatusWord};
use crate::transport::CardTransaction;

/// The card's kind. For a CPx card: SELECT the IAS application, SELECT `D003`, READ
/// BINARY, read the card-type tag. Any failure gives [`CardKind::Unknown`]; never panics.
pub fn identify(tx: &mut dyn CardTransaction) -> CardKind {
    match family(tx.atr()) {
        CardFamily::Vitale => CardKind::Vitale,
        CardFamily::Unknown => CardKind::Unknown,
        CardFamily::Cpx => cpx_kind(tx).unwrap_or(CardKind::Unknown),
    }
}

fn cpx_kind(tx: &mut dyn CardTransaction) -> Option<CardKind> {
    ok(
        tx,
        Command::new(layout::CLA, ins::SELECT, select::BY_AID, select::NO_FCI)
            .data(cps::AID_IAS.to_vec()),
    )?;
    ok(
        tx,
        Command::new(layout::CLA, ins::SELECT, select::BY_PATH, select::NO_FCI)
            .data(cps::PATH_CARD.to_vec()),
    )?;
    let data = ok(tx, Command::new(layout::CLA, ins::READ_BINARY, 0, 0).le(0))?;
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
    let response = Response::parse(&tx.transmit(&command.to_bytes()).ok()?)?;
    (response.status() == StatusWord::Success).then(|| response.data().to_vec())
}
