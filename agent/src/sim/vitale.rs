//! A simulated Carte Vitale 2: public free zones, a modelled protected zone.

use super::fixtures::VitaleFixture;
use super::{read_slice, SimCard};
use crate::apdu::{Command, Response, StatusWord};
use crate::cards::atr::VITALE2_ATR;
use crate::cards::layout::{ins, vitale, CLA};
use crate::cards::tlv::{encode_all, Tlv};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected {
    Nothing,
    Mf,
    Vitale,
    MfVitale,
}

/// The card.
pub struct SimVitale {
    fixture: VitaleFixture,
    selected: Selected,
    protected_unlocked: bool,
}

impl SimVitale {
    /// A powered-on card.
    pub fn new(fixture: VitaleFixture) -> Self {
        SimVitale {
            fixture,
            selected: Selected::Nothing,
            protected_unlocked: false,
        }
    }

    /// Opens the protected zone, as the real card does after authenticating a CPx card.
    /// That card-to-card authentication is restricted; it will be modelled later. Until
    /// then, nothing in the APDU path calls this, so the zone always answers 69 82.
    pub fn unlock_protected_zone(&mut self) {
        self.protected_unlocked = true;
    }

    fn beneficiaries(&self) -> Vec<u8> {
        let templates: Vec<Tlv> = self
            .fixture
            .beneficiaries
            .iter()
            .map(|b| {
                let mut fields = vec![
                    Tlv::new(vitale::TAG_NAME, b.last_name.as_bytes()),
                    Tlv::new(vitale::TAG_FIRST_NAME, b.first_name.as_bytes()),
                    Tlv::new(vitale::TAG_BIRTH_DATE, b.birth_date.as_bytes()),
                    Tlv::new(
                        vitale::TAG_BIRTH_RANK,
                        b.birth_rank.to_string().into_bytes(),
                    ),
                    Tlv::new(vitale::TAG_QUALITY, b.quality.as_bytes()),
                ];
                if let Some(nir) = &b.nir {
                    fields.push(Tlv::new(vitale::TAG_BENEFICIARY_NIR, nir.as_bytes()));
                }
                Tlv::constructed(vitale::TAG_TEMPLATE, &fields)
            })
            .collect();
        encode_all(&templates)
    }

    fn holder(&self) -> Vec<u8> {
        let card = Tlv::constructed(
            vitale::TAG_CARD,
            &[
                Tlv::new(vitale::TAG_SERIAL, self.fixture.serial.as_bytes()),
                Tlv::new(vitale::TAG_VALID_UNTIL, self.fixture.valid_until.as_bytes()),
            ],
        );
        let nir = Tlv::new(vitale::TAG_NIR, self.fixture.nir.as_bytes());
        Tlv::constructed(vitale::TAG_TEMPLATE, &[nir, card]).encode()
    }

    fn read(&self, command: &Command) -> Response {
        if command.p1 & 0x80 == 0 {
            return Response::status_only(StatusWord::WrongP1P2);
        }
        let sfi = command.p1 & 0x1F;
        let content = match (self.selected, sfi) {
            (Selected::Mf, vitale::SFI_FREE) => self.beneficiaries(),
            (Selected::Vitale, vitale::SFI_FREE) => self.holder(),
            (Selected::Vitale, vitale::SFI_RIGHTS) if !self.protected_unlocked => {
                return Response::status_only(StatusWord::SecurityNotSatisfied)
            }
            (Selected::Vitale, vitale::SFI_RIGHTS) => Tlv::new(
                vitale::TAG_RIGHTS,
                self.fixture.rights.to_string().into_bytes(),
            )
            .encode(),
            _ => return Response::status_only(StatusWord::FileNotFound),
        };
        read_slice(&content, command.p2 as usize, command.le)
    }
}

impl SimCard for SimVitale {
    fn atr(&self) -> Vec<u8> {
        VITALE2_ATR.to_vec()
    }

    fn reset(&mut self) {
        self.selected = Selected::Nothing;
        self.protected_unlocked = false;
    }

    fn process(&mut self, bytes: &[u8]) -> Vec<u8> {
        let Some(command) = Command::parse(bytes) else {
            return Response::status_only(StatusWord::WrongLength).to_bytes();
        };
        if command.cla != CLA {
            return Response::status_only(StatusWord::ClaNotSupported).to_bytes();
        }
        let response = match command.ins {
            ins::SELECT => {
                let target = match (command.p1, command.data.as_slice()) {
                    (0x00, [0x3F, 0x00]) => Some(Selected::Mf),
                    (0x04, aid) if aid == vitale::AID_VITALE => Some(Selected::Vitale),
                    (0x04, aid) if aid == vitale::AID_MF_VITALE => Some(Selected::MfVitale),
                    _ => None,
                };
                match target {
                    Some(t) => {
                        self.selected = t;
                        Response::status_only(StatusWord::Success)
                    }
                    None => Response::status_only(StatusWord::FileNotFound),
                }
            }
            ins::READ_BINARY => self.read(&command),
            _ => Response::status_only(StatusWord::InsNotSupported),
        };
        response.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::tlv::{find, parse_all};
    use crate::sim::fixtures;

    fn card() -> SimVitale {
        SimVitale::new(fixtures::vitale("vitale:martin-famille").unwrap())
    }

    fn send(card: &mut SimVitale, c: Command) -> Response {
        Response::parse(&card.process(&c.to_bytes())).unwrap()
    }

    #[test]
    fn free_zones_follow_the_public_layout() {
        let mut c = card();
        assert_eq!(
            send(&mut c, Command::new(0, 0xA4, 0, 0).data(vec![0x3F, 0])).status(),
            StatusWord::Success
        );
        let r = send(&mut c, Command::new(0, 0xB0, 0x82, 0).le(0));
        let people = parse_all(r.data()).unwrap();
        assert_eq!(people.len(), 4);
        let first = parse_all(&people[0].value).unwrap();
        assert_eq!(find(&first, 0x80).unwrap().text(), "MARTIN");
        assert_eq!(find(&first, 0x82).unwrap().text(), "19780614");

        send(
            &mut c,
            Command::new(0, 0xA4, 4, 0).data(vitale::AID_VITALE.to_vec()),
        );
        let r = send(&mut c, Command::new(0, 0xB0, 0x82, 0).le(0));
        let holder = parse_all(r.data()).unwrap();
        let inner = parse_all(&holder[0].value).unwrap();
        assert_eq!(find(&inner, 0x93).unwrap().text(), "178067511223315");
    }

    #[test]
    fn protected_zone_needs_unlocking() {
        let mut c = card();
        send(
            &mut c,
            Command::new(0, 0xA4, 4, 0).data(vitale::AID_VITALE.to_vec()),
        );
        let read = Command::new(0, 0xB0, 0x83, 0).le(0);
        assert_eq!(
            send(&mut c, read.clone()).status(),
            StatusWord::SecurityNotSatisfied
        );
        c.unlock_protected_zone();
        assert_eq!(send(&mut c, read.clone()).status(), StatusWord::Success);
        c.reset();
        send(
            &mut c,
            Command::new(0, 0xA4, 4, 0).data(vitale::AID_VITALE.to_vec()),
        );
        assert_eq!(
            send(&mut c, read).status(),
            StatusWord::SecurityNotSatisfied
        );
    }

    #[test]
    fn garbage_gets_a_status_word() {
        let mut c = card();
        for bytes in [
            &[][..],
            &[0x00],
            &[0x80, 0xA4, 0, 0],
            &[0, 0xFF, 0, 0],
            &[0, 0xB0, 0x82, 0, 9, 9],
        ] {
            assert_eq!(c.process(bytes).len(), 2);
        }
    }
}
