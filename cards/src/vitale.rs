//! Reading a Carte Vitale 2: the free zones (public layout) and the protected zone
//! (rights, modelled layout), see [`super::layout::vitale`].

use passerelle_protocol::{
    Ald, Amc, AmcKind, Beneficiary, CardKind, DataSource, Nir, Rights, RightsPeriod, VitaleCard,
};

use super::atr::{family, CardFamily};
use super::error::CardError;
use super::io::{self, byte, children, date, flag, text};
use super::layout::vitale;
use super::tlv::{self, Tlv};
use super::{commands, identify};
use crate::apdu::StatusWord;
use crate::transport::CardTransaction;
use passerelle_protocol::nir::nir_valid;

/// Reads the Carte Vitale in the reader: `SELECT MF`, `READ BINARY SFI 2` (the persons),
/// `SELECT VITALE`, `READ BINARY SFI 2` (NIR and card data), then tries the protected zone
/// `READ BINARY SFI 3` (rights).
///
/// The protected zone answers `69 82` (security status not satisfied) unless a CPx card
/// has authenticated to the Vitale card first, as the real system requires; that is not
/// an error: the result then has `rights: None` (a billing application gets the rights
/// from an online query instead). Every NIR on the card is checked (15 characters, key
/// 97 − NIR mod 97): a wrong key is [`CardError::InvalidNir`]. Any failure on the way is
/// an error: a partial read is never returned as a success.
pub fn read_vitale(tx: &mut dyn CardTransaction) -> Result<VitaleCard, CardError> {
    if family(tx.atr()) == CardFamily::Cpx {
        return Err(CardError::WrongCard {
            expected: CardKind::Vitale,
            found: identify(tx),
        });
    }
    io::expect_ok(tx, &commands::select_mf(), "SELECT MF")?;
    let persons = io::read_sfi(tx, vitale::SFI_FREE)?.map_err(|sw| CardError::Status {
        command: "READ BINARY (bénéficiaires)",
        sw,
    })?;
    let beneficiaries = beneficiaries(&persons)?;

    io::expect_ok(
        tx,
        &commands::select_aid(&vitale::AID_VITALE),
        "SELECT VITALE",
    )?;
    let holder = io::read_sfi(tx, vitale::SFI_FREE)?.map_err(|sw| CardError::Status {
        command: "READ BINARY (NIR)",
        sw,
    })?;
    let holder = tlv::find(&io::parse(&holder, "zone NIR")?, vitale::TAG_TEMPLATE)
        .map(|t| children(t, "zone NIR"))
        .ok_or(CardError::Malformed { what: "zone NIR" })??;
    let nir = text(&holder, vitale::TAG_NIR, "NIR")?;
    check_nir(&nir)?;
    let card = tlv::find(&holder, vitale::TAG_CARD)
        .map(|t| children(t, "données de la carte"))
        .ok_or(CardError::Malformed {
            what: "données de la carte",
        })??;
    let serial = text(&card, vitale::TAG_SERIAL, "numéro de série")?;
    let valid_until = date(&card, vitale::TAG_VALID_UNTIL, "date de fin de validité")?;

    let rights = match io::read_sfi(tx, vitale::SFI_RIGHTS)? {
        Ok(zone) => Some(rights(&zone)?),
        Err(StatusWord::SecurityNotSatisfied) => None,
        Err(sw) => {
            return Err(CardError::Status {
                command: "READ BINARY (droits)",
                sw,
            })
        }
    };

    Ok(VitaleCard {
        serial,
        valid_until,
        insured: beneficiaries[0].clone(),
        beneficiaries,
        nir: Nir {
            value: nir,
            key_valid: true,
        },
        rights,
        rights_unavailable: None,
        source: DataSource::Card,
    })
}

fn check_nir(nir: &str) -> Result<(), CardError> {
    match nir_valid(nir) {
        true => Ok(()),
        false => Err(CardError::InvalidNir { nir: nir.into() }),
    }
}

/// The `65` templates of the MF free zone; at least one (the insured person).
fn beneficiaries(zone: &[u8]) -> Result<Vec<Beneficiary>, CardError> {
    const WHAT: &str = "bénéficiaires";
    let mut out = Vec::new();
    for template in io::parse(zone, WHAT)? {
        if template.tag != vitale::TAG_TEMPLATE {
            return Err(CardError::Malformed { what: WHAT });
        }
        let f = children(&template, WHAT)?;
        let rank = text(&f, vitale::TAG_BIRTH_RANK, "rang de naissance")?;
        let nir = match tlv::find(&f, vitale::TAG_BENEFICIARY_NIR) {
            Some(_) => Some(text(&f, vitale::TAG_BENEFICIARY_NIR, "NIR")?),
            None => None,
        };
        if let Some(nir) = &nir {
            check_nir(nir)?;
        }
        out.push(Beneficiary {
            last_name: text(&f, vitale::TAG_NAME, "nom")?,
            first_name: text(&f, vitale::TAG_FIRST_NAME, "prénom")?,
            birth_date: date(&f, vitale::TAG_BIRTH_DATE, "date de naissance")?,
            birth_rank: rank.parse().map_err(|_| CardError::Malformed {
                what: "rang de naissance",
            })?,
            quality: text(&f, vitale::TAG_QUALITY, "qualité")?,
            nir,
        });
    }
    if out.is_empty() {
        return Err(CardError::Malformed { what: WHAT });
    }
    Ok(out)
}

/// The protected zone: one `A0` organism, `A1` periods, `A2` ALD, at most one `A3` AMC.
fn rights(zone: &[u8]) -> Result<Rights, CardError> {
    const WHAT: &str = "droits";
    let elements = io::parse(zone, WHAT)?;
    let organism = tlv::find(&elements, vitale::TAG_ORGANISM)
        .ok_or(CardError::Malformed { what: WHAT })
        .and_then(|o| children(o, WHAT))?;
    let mut rights = Rights {
        regime: text(&organism, vitale::TAG_REGIME, "régime")?,
        caisse: text(&organism, vitale::TAG_CAISSE, "caisse")?,
        centre: text(&organism, vitale::TAG_CENTRE, "centre")?,
        periods: Vec::new(),
        ald: Vec::new(),
        amc: None,
    };
    for element in &elements {
        match element.tag {
            vitale::TAG_ORGANISM => {}
            vitale::TAG_PERIOD => rights.periods.push(period(element)?),
            vitale::TAG_ALD => {
                let f = children(element, "ALD")?;
                rights.ald.push(Ald {
                    code: text(&f, vitale::ALD_CODE, "ALD")?,
                    until: date(&f, vitale::ALD_UNTIL, "ALD")?,
                    beneficiary: byte(&f, vitale::ALD_BENEFICIARY, "ALD")?,
                });
            }
            vitale::TAG_AMC if rights.amc.is_none() => {
                let f = children(element, "complémentaire")?;
                rights.amc = Some(Amc {
                    number: text(&f, vitale::AMC_NUMBER, "complémentaire")?,
                    name: text(&f, vitale::AMC_NAME, "complémentaire")?,
                    until: date(&f, vitale::AMC_UNTIL, "complémentaire")?,
                    tiers_payant: flag(&f, vitale::AMC_TIERS_PAYANT, "complémentaire")?,
                    kind: match tlv::find(&f, vitale::AMC_KIND) {
                        None => AmcKind::Mutuelle,
                        Some(_) => match byte(&f, vitale::AMC_KIND, "complémentaire")? {
                            0 => AmcKind::Mutuelle,
                            1 => AmcKind::C2s,
                            _ => {
                                return Err(CardError::Malformed {
                                    what: "complémentaire",
                                })
                            }
                        },
                    },
                });
            }
            _ => return Err(CardError::Malformed { what: WHAT }),
        }
    }
    Ok(rights)
}

fn period(element: &Tlv) -> Result<RightsPeriod, CardError> {
    const WHAT: &str = "période de droits";
    let f = children(element, WHAT)?;
    Ok(RightsPeriod {
        from: date(&f, vitale::PERIOD_FROM, WHAT)?,
        until: date(&f, vitale::PERIOD_UNTIL, WHAT)?,
        coverage: text(&f, vitale::PERIOD_COVERAGE, WHAT)?,
        nature: text(&f, vitale::PERIOD_NATURE, WHAT)?,
        beneficiary: match tlv::find(&f, vitale::PERIOD_BENEFICIARY) {
            Some(_) => Some(byte(&f, vitale::PERIOD_BENEFICIARY, WHAT)?),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests;
