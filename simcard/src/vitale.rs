//! A simulated Carte Vitale 2: the public free zones, a modelled protected zone.
//!
//! Answers `SELECT MF`, `SELECT` by AID (`VITALE`, `MF_VITALE`) and `READ BINARY` by SFI
//! (P1 = `80 | sfi`, P2 = offset): SFI 2 under the MF gives one `65` template per
//! beneficiary; SFI 2 under `VITALE` gives `65` with `93` (NIR) and `90` (card data);
//! SFI 3 under `VITALE` is the modelled protected zone (rights), `69 82` until
//! a CPx card authenticated ([`super::vitale_auth`]). A successful READ BINARY by SFI makes that EF the
//! current one (ISO 7816-4), so `READ BINARY` with a 15-bit offset (P1 bit 8 clear) reads
//! the rest of a zone longer than 256 bytes. Layout: [`passerelle_cards::layout::vitale`].

use super::fixtures::{Rights, VitaleFixture, TEST_CA_PEM};
use super::vitale_auth::ProtectedZoneLock;
use super::{read_slice, SimCard};
use passerelle_cards::apdu::{Command, Response, StatusWord};
use passerelle_cards::atr::VITALE2_ATR;
use passerelle_cards::layout::{ins, select, vitale, CLA, MF};
use passerelle_cards::tlv::{encode_all, Tlv};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected {
    Nothing,
    Mf,
    Vitale,
    MfVitale,
}

/// A simulated Carte Vitale 2 (T=0 ATR `3B 75 13 00 00 47 09 EA 90 00`).
pub struct SimVitale {
    fixture: VitaleFixture,
    selected: Selected,
    /// SFI of the current EF (set by a successful READ BINARY by SFI).
    current_ef: Option<u8>,
    lock: ProtectedZoneLock,
}

impl SimVitale {
    /// A powered-on card holding `fixture`.
    pub fn new(fixture: VitaleFixture) -> Self {
        SimVitale {
            fixture,
            selected: Selected::Nothing,
            current_ef: None,
            lock: ProtectedZoneLock::new(TEST_CA_PEM),
        }
    }

    /// Opens the protected zone until the next reset without the card-to-card
    /// authentication (for tests of the reading code only; over APDUs the zone opens only
    /// after a CPx card authenticated, see [`super::vitale_auth`]).
    pub fn unlock_protected_zone(&mut self) {
        self.lock.force_open();
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

    fn read(&mut self, command: &Command) -> Response {
        let (sfi, offset) = if command.p1 & 0x80 == 0 {
            match self.current_ef {
                Some(sfi) => (sfi, u16::from_be_bytes([command.p1, command.p2]) as usize),
                // No current EF yet: command not allowed.
                None => return Response::status_only(StatusWord::Other(0x6986)),
            }
        } else {
            (command.p1 & 0x1F, command.p2 as usize)
        };
        let content = match (self.selected, sfi) {
            (Selected::Mf, vitale::SFI_FREE) => self.beneficiaries(),
            (Selected::Vitale, vitale::SFI_FREE) => self.holder(),
            (Selected::Vitale, vitale::SFI_RIGHTS) if !self.lock.is_open() => {
                return Response::status_only(StatusWord::SecurityNotSatisfied)
            }
            (Selected::Vitale, vitale::SFI_RIGHTS) => rights(&self.fixture.rights),
            _ => return Response::status_only(StatusWord::FileNotFound),
        };
        let response = read_slice(&content, offset, command.le);
        if response.is_success() {
            self.current_ef = Some(sfi);
        }
        response
    }

    fn select(&mut self, command: &Command) -> Response {
        let target = match (command.p1, command.data.as_slice()) {
            (select::BY_ID, []) => Selected::Mf,
            (select::BY_ID, id) if id == MF => Selected::Mf,
            (select::BY_AID, aid) if aid == vitale::AID_VITALE => Selected::Vitale,
            (select::BY_AID, aid) if aid == vitale::AID_MF_VITALE => Selected::MfVitale,
            // Unknown ids, AIDs and paths (tools probe `3F00/2F01`): no such file.
            (select::BY_ID | 0x02 | select::BY_AID | select::BY_PATH | 0x09, _) => {
                return Response::status_only(StatusWord::FileNotFound)
            }
            _ => return Response::status_only(StatusWord::WrongP1P2),
        };
        self.selected = target;
        self.current_ef = None;
        Response::status_only(StatusWord::Success)
    }
}

/// The protected zone's content (modelled TLV, see [`passerelle_cards::layout::vitale`]).
fn rights(r: &Rights) -> Vec<u8> {
    let mut out = vec![Tlv::constructed(
        vitale::TAG_ORGANISM,
        &[
            Tlv::new(vitale::TAG_REGIME, r.regime.as_bytes()),
            Tlv::new(vitale::TAG_CAISSE, r.caisse.as_bytes()),
            Tlv::new(vitale::TAG_CENTRE, r.centre.as_bytes()),
        ],
    )];
    for p in &r.periods {
        let mut fields = vec![
            Tlv::new(vitale::PERIOD_FROM, p.from.as_bytes()),
            Tlv::new(vitale::PERIOD_UNTIL, p.until.as_bytes()),
            Tlv::new(vitale::PERIOD_COVERAGE, p.coverage.as_bytes()),
            Tlv::new(vitale::PERIOD_NATURE, p.nature.as_bytes()),
        ];
        if let Some(index) = p.beneficiary {
            fields.push(Tlv::new(vitale::PERIOD_BENEFICIARY, vec![index]));
        }
        out.push(Tlv::constructed(vitale::TAG_PERIOD, &fields));
    }
    for a in &r.ald {
        out.push(Tlv::constructed(
            vitale::TAG_ALD,
            &[
                Tlv::new(vitale::ALD_CODE, a.code.as_bytes()),
                Tlv::new(vitale::ALD_UNTIL, a.until.as_bytes()),
                Tlv::new(vitale::ALD_BENEFICIARY, vec![a.beneficiary]),
            ],
        ));
    }
    if let Some(amc) = &r.amc {
        out.push(Tlv::constructed(
            vitale::TAG_AMC,
            &[
                Tlv::new(vitale::AMC_NUMBER, amc.number.as_bytes()),
                Tlv::new(vitale::AMC_NAME, amc.name.as_bytes()),
                Tlv::new(vitale::AMC_UNTIL, amc.until.as_bytes()),
                Tlv::new(vitale::AMC_TIERS_PAYANT, vec![u8::from(amc.tiers_payant)]),
                Tlv::new(vitale::AMC_KIND, vec![u8::from(amc.c2s)]),
            ],
        ));
    }
    encode_all(&out)
}

impl SimCard for SimVitale {
    fn atr(&self) -> Vec<u8> {
        VITALE2_ATR.to_vec()
    }

    fn reset(&mut self) {
        self.selected = Selected::Nothing;
        self.current_ef = None;
        self.lock.reset();
    }

    fn process(&mut self, bytes: &[u8]) -> Vec<u8> {
        let Some(command) = Command::parse(bytes) else {
            return Response::status_only(StatusWord::WrongLength).to_bytes();
        };
        if let Some(response) = self.lock.process(&command) {
            return response.to_bytes();
        }
        if command.cla != CLA {
            return Response::status_only(StatusWord::ClaNotSupported).to_bytes();
        }
        let response = match command.ins {
            ins::SELECT => self.select(&command),
            ins::READ_BINARY => self.read(&command),
            _ => Response::status_only(StatusWord::InsNotSupported),
        };
        response.to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{fixture, Fixture};
    use passerelle_cards::commands::{read_binary_sfi, select_aid, select_mf};
    use passerelle_cards::tlv::{find, find_nested, parse_all};

    fn card(spec: &str) -> SimVitale {
        match fixture(spec).unwrap() {
            Fixture::Vitale(v) => SimVitale::new(v),
            Fixture::Cpx(_) => unreachable!(),
        }
    }

    fn send(card: &mut SimVitale, c: Command) -> Response {
        Response::parse(&card.process(&c.to_bytes())).unwrap()
    }

    #[test]
    fn free_zones_follow_the_public_layout() {
        let mut c = card("vitale:martin-famille");
        assert_eq!(send(&mut c, select_mf()).status(), StatusWord::Success);
        let r = send(&mut c, read_binary_sfi(2, 0));
        let people = parse_all(r.data()).unwrap();
        assert_eq!(people.len(), 4);
        assert!(people.iter().all(|p| p.tag == 0x65));
        let first = people[0].children().unwrap();
        assert_eq!(find(&first, 0x80).unwrap().text(), "MARTIN");
        assert_eq!(find(&first, 0x81).unwrap().text(), "PIERRE");
        assert_eq!(find(&first, 0x82).unwrap().text(), "19780614");
        let spouse = people[1].children().unwrap();
        assert_eq!(find(&spouse, vitale::TAG_QUALITY).unwrap().text(), "02");

        assert_eq!(
            send(&mut c, select_aid(&vitale::AID_VITALE)).status(),
            StatusWord::Success
        );
        let r = send(&mut c, read_binary_sfi(2, 0));
        assert_eq!(
            find_nested(r.data(), &[0x65, 0x93]).unwrap().text(),
            "178067511223315"
        );
        assert_eq!(
            find_nested(r.data(), &[0x65, 0x90, vitale::TAG_SERIAL])
                .unwrap()
                .text(),
            "4012345678"
        );
        // Offsets in P2 read the rest of a zone.
        let tail = send(&mut c, read_binary_sfi(2, 4));
        assert_eq!(tail.data(), &r.data()[4..]);
        // ...and so does READ BINARY of the current EF, once read by SFI.
        let tail = send(&mut c, passerelle_cards::commands::read_binary(4));
        assert_eq!(tail.data(), &r.data()[4..]);
        send(&mut c, select_mf());
        assert_eq!(
            send(&mut c, passerelle_cards::commands::read_binary(0)).status(),
            StatusWord::Other(0x6986),
            "a SELECT clears the current EF"
        );
    }

    #[test]
    fn the_raw_public_apdus_work() {
        let mut c = card("vitale:nguyen");
        assert_eq!(
            c.process(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]),
            vec![0x90, 0x00]
        );
        let r = c.process(&[0x00, 0xB0, 0x82, 0x00, 0x00]);
        assert_eq!(&r[r.len() - 2..], &[0x90, 0x00]);
        assert_eq!(r[0], 0x65);
        let select_vitale = [
            0x00, 0xA4, 0x04, 0x00, 0x0B, 0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41,
            0x4C, 0x45,
        ];
        assert_eq!(c.process(&select_vitale), vec![0x90, 0x00]);
    }

    #[test]
    fn protected_zone_needs_unlocking_and_holds_the_rights() {
        let mut c = card("vitale:nguyen");
        send(&mut c, select_aid(&vitale::AID_VITALE));
        let read = read_binary_sfi(vitale::SFI_RIGHTS, 0);
        assert_eq!(
            send(&mut c, read.clone()).status(),
            StatusWord::SecurityNotSatisfied
        );
        c.unlock_protected_zone();
        let r = send(&mut c, read.clone());
        assert_eq!(r.status(), StatusWord::Success);
        let zone = parse_all(r.data()).unwrap();
        let organism = zone[0].children().unwrap();
        assert_eq!(find(&organism, vitale::TAG_CAISSE).unwrap().text(), "691");
        let natures: Vec<String> = zone
            .iter()
            .filter(|e| e.tag == vitale::TAG_PERIOD)
            .map(|p| {
                find(&p.children().unwrap(), vitale::PERIOD_NATURE)
                    .unwrap()
                    .text()
            })
            .collect();
        assert_eq!(natures, ["maladie", "maternite"]);
        let amc = find(&zone, vitale::TAG_AMC).unwrap().children().unwrap();
        assert_eq!(find(&amc, vitale::AMC_TIERS_PAYANT).unwrap().value, [1]);
        c.reset();
        send(&mut c, select_aid(&vitale::AID_VITALE));
        assert_eq!(
            send(&mut c, read).status(),
            StatusWord::SecurityNotSatisfied
        );
    }

    #[test]
    fn wrong_files_and_garbage_get_a_status_word() {
        let mut c = card("vitale:santoni-corse");
        assert_eq!(
            send(&mut c, read_binary_sfi(2, 0)).status(),
            StatusWord::FileNotFound,
            "nothing selected"
        );
        send(&mut c, select_aid(&vitale::AID_MF_VITALE));
        assert_eq!(
            send(&mut c, read_binary_sfi(2, 0)).status(),
            StatusWord::FileNotFound
        );
        assert_eq!(
            send(&mut c, select_aid(&[0xA0, 0, 0, 0, 3])).status(),
            StatusWord::FileNotFound
        );
        assert_eq!(
            send(
                &mut c,
                Command::new(0, 0xA4, 0x08, 0x0C).data(vec![0xD0, 3])
            )
            .status(),
            StatusWord::FileNotFound
        );
        let bad_p1 = Command::new(0, 0xA4, 0x03, 0x0C);
        assert_eq!(send(&mut c, bad_p1).status(), StatusWord::WrongP1P2);
        send(&mut c, select_mf());
        assert_eq!(
            send(&mut c, read_binary_sfi(2, 250)).status(),
            StatusWord::Other(0x6B00)
        );
        for bytes in [
            &[][..],
            &[0x00],
            &[0x80, 0xA4, 0, 0],
            &[0, 0xFF, 0, 0],
            &[0, 0xB0, 0x82, 0, 9, 9],
            &[0, 0xB0, 0, 0],
        ] {
            assert_eq!(c.process(bytes).len(), 2, "{bytes:02X?}");
        }
    }
}
