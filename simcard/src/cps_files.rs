//! The file system of a simulated CPx card: what SELECT and READ BINARY see.
//!
//! Files (ids in [`passerelle_cards::layout::cps`]; all readable without PIN): `3F00/D003` card
//! data, `3F00/0001/D110` holder, `3F00/0001/D120..` one situation each (unused slots do
//! not exist: `6A 82`), `3F00/0001/C000` and `C001` the certificates (DER).

use super::fixtures::{CpxFixture, CpxKeys};
use super::read_slice;
use passerelle_cards::apdu::{Command, Response, StatusWord};
use passerelle_cards::layout::{cps, select, MF};
use passerelle_cards::tlv::{self, Tlv};

/// SELECT P1: path from the current DF (opensc probes `3F00/2F01` this way).
const BY_RELATIVE_PATH: u8 = 0x09;

/// What is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Current {
    /// After reset, SELECT MF or SELECT of the IAS application.
    Mf,
    /// `3F00/0001`.
    Df,
    /// An EF, index in `files`.
    Ef(usize),
}

/// The card's files and the current selection.
pub(super) struct FileSystem {
    files: Vec<(Vec<u8>, Vec<u8>)>,
    current: Current,
}

impl FileSystem {
    /// The files of `fixture`, with the certificates of `keys`.
    pub(super) fn new(fixture: &CpxFixture, keys: &CpxKeys) -> Self {
        FileSystem {
            files: files(fixture, keys),
            current: Current::Mf,
        }
    }

    /// Back to the MF (reset).
    pub(super) fn reset(&mut self) {
        self.current = Current::Mf;
    }

    /// SELECT: MF (`P1 00`, `3F00` or no data), the IAS application (`P1 04`), a file id
    /// under the current DF (`P1 00`/`02`), a path from the MF (`P1 08`) or from the
    /// current DF (`P1 09`; a path starting with `3F00` is taken from the MF).
    pub(super) fn select(&mut self, command: &Command) -> Response {
        if ![select::FCI, 0x04, select::NO_FCI].contains(&command.p2) {
            return Response::status_only(StatusWord::WrongP1P2);
        }
        let data = command.data.as_slice();
        let target = match command.p1 {
            select::BY_AID if data == cps::AID_IAS => Some(Current::Mf),
            select::BY_AID => None,
            select::BY_ID if data.is_empty() || data == MF => Some(Current::Mf),
            select::BY_ID | 0x02 if data.len() == 2 => {
                let mut path = match self.current {
                    Current::Df => cps::PATH_DF.to_vec(),
                    _ => Vec::new(),
                };
                path.extend_from_slice(data);
                self.lookup(&path)
            }
            select::BY_PATH | BY_RELATIVE_PATH if data.len() >= 2 && data.len() & 1 == 0 => {
                match data.strip_prefix(&MF[..]) {
                    Some(absolute) => self.lookup(absolute),
                    None if command.p1 == BY_RELATIVE_PATH && self.current == Current::Df => {
                        self.lookup(&[&cps::PATH_DF[..], data].concat())
                    }
                    None => self.lookup(data),
                }
            }
            select::BY_ID | 0x02 | select::BY_PATH | BY_RELATIVE_PATH => {
                return Response::status_only(StatusWord::WrongLength)
            }
            _ => return Response::status_only(StatusWord::WrongP1P2),
        };
        match target {
            Some(t) => {
                self.current = t;
                Response::status_only(StatusWord::Success)
            }
            None => Response::status_only(StatusWord::FileNotFound),
        }
    }

    fn lookup(&self, path: &[u8]) -> Option<Current> {
        if path.is_empty() {
            return Some(Current::Mf);
        }
        if path == cps::PATH_DF {
            return Some(Current::Df);
        }
        self.files
            .iter()
            .position(|(p, _)| p == path)
            .map(Current::Ef)
    }

    /// READ BINARY `00 B0 hi lo Le` of the current EF from offset `hi lo`.
    pub(super) fn read(&self, command: &Command) -> Response {
        if command.p1 & 0x80 != 0 {
            // Short EF identifiers: these files have none.
            return Response::status_only(StatusWord::FileNotFound);
        }
        let Current::Ef(i) = self.current else {
            // Command not allowed: no current EF.
            return Response::status_only(StatusWord::Other(0x6986));
        };
        let offset = u16::from_be_bytes([command.p1, command.p2]) as usize;
        read_slice(&self.files[i].1, offset, command.le)
    }
}

fn flag(b: bool) -> Vec<u8> {
    vec![u8::from(b)]
}

fn files(f: &CpxFixture, keys: &CpxKeys) -> Vec<(Vec<u8>, Vec<u8>)> {
    let card = tlv::encode_all(&[
        Tlv::new(cps::TAG_SERIAL, f.serial.as_bytes()),
        Tlv::new(cps::TAG_CARD_TYPE, f.card_type.as_bytes()),
        Tlv::new(cps::TAG_VALID_FROM, f.valid_from.as_bytes()),
        Tlv::new(cps::TAG_VALID_UNTIL, f.valid_until.as_bytes()),
    ]);
    let h = &f.holder;
    let holder = tlv::encode_all(&[
        Tlv::new(cps::TAG_ID_TYPE, h.id_type.as_bytes()),
        Tlv::new(cps::TAG_ID, h.id.as_bytes()),
        Tlv::new(cps::TAG_CIVILITY, h.civility.as_bytes()),
        Tlv::new(cps::TAG_LAST_NAME, h.last_name.as_bytes()),
        Tlv::new(cps::TAG_FIRST_NAME, h.first_name.as_bytes()),
        Tlv::new(cps::TAG_PROFESSION, h.profession.as_bytes()),
        Tlv::new(cps::TAG_SPECIALITY, h.speciality.as_bytes()),
    ]);
    let mut files = vec![
        (cps::PATH_CARD.to_vec(), card),
        (cps::PATH_HOLDER.to_vec(), holder),
        (cps::PATH_CERT_SIG.to_vec(), keys.sig_cert.to_vec()),
        (cps::PATH_CERT_AUTH.to_vec(), keys.auth_cert.to_vec()),
    ];
    for (n, s) in (0..cps::SITUATIONS).zip(&f.situations) {
        let Some(path) = cps::situation_path(n) else {
            break;
        };
        let data = tlv::encode_all(&[
            Tlv::new(cps::TAG_MODE, s.mode.as_bytes()),
            Tlv::new(cps::TAG_BILLING_NUMBER, s.billing_number.as_bytes()),
            Tlv::new(cps::TAG_BILLING_KEY, s.billing_key.as_bytes()),
            Tlv::new(cps::TAG_STRUCTURE_ID, s.structure_id.as_bytes()),
            Tlv::new(cps::TAG_STRUCTURE_NAME, s.structure_name.as_bytes()),
            Tlv::new(cps::TAG_TARIFF_ZONE, s.tariff_zone.as_bytes()),
            Tlv::new(cps::TAG_AGREEMENT, s.agreement.as_bytes()),
            Tlv::new(cps::TAG_MAY_SIGN_INVOICE, flag(s.may_sign_invoice)),
            Tlv::new(cps::TAG_MAY_SIGN_LOT, flag(s.may_sign_lot)),
            Tlv::new(cps::TAG_SPECIALITY_CODE, s.speciality.as_bytes()),
        ]);
        files.push((path.to_vec(), data));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{fixture, keys, Fixture};
    use passerelle_cards::commands::{read_binary, select_aid, select_mf, select_path};

    fn fs(spec: &str) -> FileSystem {
        let Ok(Fixture::Cpx(f)) = fixture(spec) else {
            panic!("{spec}")
        };
        FileSystem::new(&f, &keys(&f.id).unwrap())
    }

    #[test]
    fn situations_exist_only_where_the_fixture_has_them() {
        let mut fs = fs("cps:durand-sage-femme");
        for (n, expected) in [
            (0, StatusWord::Success),
            (1, StatusWord::Success),
            (2, StatusWord::FileNotFound),
        ] {
            let path = cps::situation_path(n).unwrap();
            assert_eq!(
                fs.select(&select_path(&path)).status(),
                expected,
                "D12{n:X}"
            );
        }
        let path = cps::situation_path(1).unwrap();
        fs.select(&select_path(&path));
        let e = tlv::parse_all(fs.read(&read_binary(0)).data()).unwrap();
        assert_eq!(
            tlv::find(&e, cps::TAG_BILLING_NUMBER).unwrap().text(),
            "69318877"
        );
        assert_eq!(tlv::find(&e, cps::TAG_MAY_SIGN_LOT).unwrap().value, [1]);
    }

    #[test]
    fn selection_forms() {
        let mut fs = fs("cps:lefevre-medecin");
        assert_eq!(
            fs.read(&read_binary(0)).status(),
            StatusWord::Other(0x6986),
            "no EF yet"
        );
        assert!(fs.select(&select_aid(&cps::AID_IAS)).is_success());
        assert!(
            fs.select(&select_path(&[0x3F, 0x00, 0xD0, 0x03]))
                .is_success(),
            "path with the MF"
        );
        assert!(fs.read(&read_binary(0)).is_success());
        assert!(fs.select(&select_path(&cps::PATH_DF)).is_success());
        assert_eq!(
            fs.read(&read_binary(0)).status(),
            StatusWord::Other(0x6986),
            "a DF has no content"
        );
        assert!(
            fs.select(&Command::new(0, 0xA4, 0x02, 0x0C).data(vec![0xD1, 0x10]))
                .is_success(),
            "fid under DF"
        );
        assert!(fs.select(&select_mf()).is_success());
        assert!(
            fs.select(&Command::new(0, 0xA4, 0x00, 0x0C).data(vec![0xD0, 0x03]))
                .is_success(),
            "fid under MF"
        );
        assert!(
            fs.select(&Command::new(0, 0xA4, 0x00, 0x0C)).is_success(),
            "MF without data"
        );
        assert_eq!(
            fs.select(&select_path(&[0xD0])).status(),
            StatusWord::WrongLength
        );
        assert_eq!(
            fs.select(&Command::new(0, 0xA4, 0x08, 0x55).data(vec![0xD0, 3]))
                .status(),
            StatusWord::WrongP1P2
        );
        assert_eq!(
            fs.select(&Command::new(0, 0xA4, 0x0A, 0x0C).data(vec![0xD0, 3]))
                .status(),
            StatusWord::WrongP1P2
        );
        assert_eq!(
            fs.select(&select_aid(&[0xA0, 0, 0, 0, 0x63])).status(),
            StatusWord::FileNotFound
        );
        // opensc's probe of EF.ATR, then relative paths.
        let probe = Command::new(0, 0xA4, 0x09, 0x04).data(vec![0x3F, 0x00, 0x2F, 0x01]);
        assert_eq!(fs.select(&probe).status(), StatusWord::FileNotFound);
        assert!(fs.select(&select_path(&cps::PATH_DF)).is_success());
        let relative = Command::new(0, 0xA4, 0x09, 0x0C).data(vec![0xD1, 0x10]);
        assert!(fs.select(&relative).is_success());
    }

    #[test]
    fn certificates_are_read_in_chunks_without_pin() {
        let mut fs = fs("cpf:moreau-remplacant");
        fs.select(&select_path(&cps::PATH_CERT_AUTH));
        let mut der = Vec::new();
        loop {
            let r = fs.read(&read_binary(der.len() as u16));
            if !r.is_success() {
                assert_eq!(r.status(), StatusWord::Other(0x6B00));
                break;
            }
            assert!(r.data().len() <= 256);
            der.extend_from_slice(r.data());
        }
        assert!(der.len() > 256);
        assert_eq!(der, keys("moreau-remplacant").unwrap().auth_cert);
    }
}
