//! Reading a CPS / CPE / CPF (IAS-ECC): card data, holder, practice situations, and the
//! certificates. Layout: [`super::layout::cps`]. Nothing here needs the PIN.

use passerelle_protocol::{CardKind, CpxCard, Holder, PracticeMode, Situation};

use super::atr::{family, CardFamily};
use super::commands;
use super::error::CardError;
use super::io::{self, date, flag, text};
use super::layout::cps;
use super::tlv::Tlv;
use crate::apdu::StatusWord;
use crate::transport::CardTransaction;

/// Which key a certificate belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// `CPS_PRIV_SIG`: signing invoices and lots.
    Signature,
    /// `CPS_PRIV_AUT`: authentication (TLS client, online services).
    Authentication,
}

/// Reads the CPx card in the reader: `SELECT` the IAS application, the card data
/// (`3F00/D003`: kind, serial, validity), the holder, then the situations `D120`, `D121`...
/// until one is absent (`6A 82`) or all 16 are read. A billing key that does not match its
/// number is reported (`billing_key_valid: false`), not refused. Any failure on the way is
/// an error: a partial read is never returned as a success.
pub fn read_cpx(tx: &mut dyn CardTransaction) -> Result<CpxCard, CardError> {
    select_ias(tx)?;
    let card = read_file(tx, &cps::PATH_CARD, "SELECT D003", "données de la carte")?;
    let kind = match card.iter().find(|e| e.tag == cps::TAG_CARD_TYPE) {
        Some(t) if t.value == b"CPS" => CardKind::Cps,
        Some(t) if t.value == b"CPE" => CardKind::Cpe,
        Some(t) if t.value == b"CPF" => CardKind::Cpf,
        _ => {
            return Err(CardError::Malformed {
                what: "type de carte",
            })
        }
    };
    let h = read_file(tx, &cps::PATH_HOLDER, "SELECT porteur", "porteur")?;
    let holder = Holder {
        id_type: text(&h, cps::TAG_ID_TYPE, "porteur")?,
        id: text(&h, cps::TAG_ID, "porteur")?,
        civility: text(&h, cps::TAG_CIVILITY, "porteur")?,
        last_name: text(&h, cps::TAG_LAST_NAME, "porteur")?,
        first_name: text(&h, cps::TAG_FIRST_NAME, "porteur")?,
        profession: text(&h, cps::TAG_PROFESSION, "porteur")?,
        speciality: text(&h, cps::TAG_SPECIALITY, "porteur")?,
    };
    let mut situations = Vec::new();
    for index in 0..cps::SITUATIONS {
        let Some(path) = cps::situation_path(index) else {
            break;
        };
        let response = io::send(tx, &commands::select_path(&path))?;
        match response.status() {
            StatusWord::Success => {}
            StatusWord::FileNotFound => break,
            sw => {
                return Err(CardError::Status {
                    command: "SELECT situation",
                    sw,
                })
            }
        }
        let data = io::read_current(tx)?;
        situations.push(situation(index, &io::parse(&data, "situation")?)?);
    }
    Ok(CpxCard {
        kind,
        serial: text(&card, cps::TAG_SERIAL, "numéro de série")?,
        valid_from: date(&card, cps::TAG_VALID_FROM, "date de début de validité")?,
        valid_until: date(&card, cps::TAG_VALID_UNTIL, "date de fin de validité")?,
        holder,
        situations,
    })
}

/// The DER certificate of the `which` key, read in 256-byte chunks (READ BINARY with
/// offsets). Needs no PIN. An empty file is [`CardError::Malformed`].
pub fn read_certificate(tx: &mut dyn CardTransaction, which: KeyUse) -> Result<Vec<u8>, CardError> {
    select_ias(tx)?;
    let path = match which {
        KeyUse::Signature => cps::PATH_CERT_SIG,
        KeyUse::Authentication => cps::PATH_CERT_AUTH,
    };
    io::expect_ok(tx, &commands::select_path(&path), "SELECT certificat")?;
    let der = io::read_current(tx)?;
    if der.is_empty() {
        return Err(CardError::Malformed { what: "certificat" });
    }
    Ok(der)
}

/// The key digit of an 8-digit billing number. Modelled as a Luhn check digit; `None` if
/// the number is not 8 digits.
pub fn billing_key(number: &str) -> Option<u8> {
    if number.len() != 8 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match i % 2 {
                0 if d * 2 > 9 => d * 2 - 9,
                0 => d * 2,
                _ => d,
            }
        })
        .sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// SELECT of the IAS application; a Vitale card (known from its ATR) is the wrong card.
pub(crate) fn select_ias(tx: &mut dyn CardTransaction) -> Result<(), CardError> {
    if family(tx.atr()) == CardFamily::Vitale {
        return Err(CardError::WrongCard {
            expected: CardKind::Cps,
            found: CardKind::Vitale,
        });
    }
    io::expect_ok(tx, &commands::select_aid(&cps::AID_IAS), "SELECT IAS")?;
    Ok(())
}

/// SELECT by path, then the whole file as TLV.
fn read_file(
    tx: &mut dyn CardTransaction,
    path: &[u8],
    select: &'static str,
    what: &'static str,
) -> Result<Vec<Tlv>, CardError> {
    io::expect_ok(tx, &commands::select_path(path), select)?;
    io::parse(&io::read_current(tx)?, what)
}

fn situation(index: u8, f: &[Tlv]) -> Result<Situation, CardError> {
    const WHAT: &str = "situation";
    let mode = match text(f, cps::TAG_MODE, WHAT)?.as_str() {
        "L" => PracticeMode::Liberal,
        "S" => PracticeMode::Salarie,
        "R" => PracticeMode::Remplacant,
        _ => {
            return Err(CardError::Malformed {
                what: "mode d'exercice",
            })
        }
    };
    let billing_number = text(f, cps::TAG_BILLING_NUMBER, WHAT)?;
    let billing_key = text(f, cps::TAG_BILLING_KEY, WHAT)?;
    let billing_key_valid =
        self::billing_key(&billing_number).map(|k| k.to_string()) == Some(billing_key.clone());
    Ok(Situation {
        index,
        mode,
        billing_number,
        billing_key,
        billing_key_valid,
        structure_id: text(f, cps::TAG_STRUCTURE_ID, WHAT)?,
        structure_name: text(f, cps::TAG_STRUCTURE_NAME, WHAT)?,
        tariff_zone: text(f, cps::TAG_TARIFF_ZONE, WHAT)?,
        agreement: text(f, cps::TAG_AGREEMENT, WHAT)?,
        may_sign_invoice: flag(f, cps::TAG_MAY_SIGN_INVOICE, WHAT)?,
        may_sign_lot: flag(f, cps::TAG_MAY_SIGN_LOT, WHAT)?,
        speciality: text(f, cps::TAG_SPECIALITY_CODE, WHAT)?,
    })
}

#[cfg(test)]
mod tests;
