//! The one place that defines the modelled card layout: AIDs, file ids, SFIs, TLV tags, the
//! PIN and key references and the APDU parameters. The simulator ([`crate::sim`]) serves
//! exactly this; the card profiles ([`identify`](fn@super::identify), and the readers of later issues)
//! read exactly this, through the builders of [`super::commands`].
//!
//! ## Public facts
//!
//! Taken from public ATR lists, open-source readers and the ANS open-source card drivers
//! (see `shared/domain/DOMAIN.md`):
//! - the ATRs ([`super::atr`]);
//! - the Vitale AIDs `VITALE` and `MF_VITALE`; the Vitale 2 free zones: `SELECT MF`, then
//!   `READ BINARY SFI 2` gives one template `65` per beneficiary with `80` last name, `81`
//!   first name, `82` birth date `YYYYMMDD`; after `SELECT VITALE`, `READ BINARY SFI 2` gives
//!   `65` with `93` NIR (15 characters) and `90`;
//! - that the Vitale protected zone (rights) is readable only with a CPx card present;
//! - the CPS3 IAS application AID, the serial file `3F00/D003`, the situation files
//!   `3F00/0001/D120..D12F`;
//! - the ISO 7816 / IAS-ECC commands: VERIFY `00 20 00 ref`, MSE SET `41 B6` (signature) /
//!   `41 A4` (authentication), PSO COMPUTE DIGITAL SIGNATURE `2A 9E 9A`, INTERNAL
//!   AUTHENTICATE `88 00 00`, GET DATA answering tags `9A` (max tries) and `9B` (tries
//!   left), status words `63 Cx` and `69 83`; the PIN of 4 digits with 3 tries and an
//!   8-digit unblock code; RSA-2048 keys with SHA-256 PKCS#1 v1.5.
//!
//! ## Modelled
//!
//! The SESAM-Vitale specification and the card internals are licensed to approved vendors
//! only, so everything else here is **modelled** and marked so item by item: the content of
//! the Vitale `90` template, the beneficiary tags after `82`, the whole protected zone (its
//! SFI and TLV), the TLV inside the CPx files and the card-type field, the file ids of the
//! holder identity and of the certificates, the PIN and key references, the PIN block
//! format, and the GET DATA parameters. Nothing here claims to be the real layout: a
//! licensed implementation replaces this module and the profiles over it, behind the same
//! interfaces.

/// Class byte of every command.
pub const CLA: u8 = 0x00;

/// File id of the MF, `3F00` (both card families).
pub const MF: [u8; 2] = [0x3F, 0x00];

/// Instruction bytes.
pub mod ins {
    /// SELECT
    pub const SELECT: u8 = 0xA4;
    /// READ BINARY
    pub const READ_BINARY: u8 = 0xB0;
    /// VERIFY
    pub const VERIFY: u8 = 0x20;
    /// RESET RETRY COUNTER
    pub const RESET_RETRY_COUNTER: u8 = 0x2C;
    /// MANAGE SECURITY ENVIRONMENT
    pub const MSE: u8 = 0x22;
    /// PERFORM SECURITY OPERATION
    pub const PSO: u8 = 0x2A;
    /// INTERNAL AUTHENTICATE
    pub const INTERNAL_AUTHENTICATE: u8 = 0x88;
    /// GET DATA (odd instruction, as IAS-ECC). Modelled parameters, see
    /// [`super::cps::GET_DATA_PIN`].
    pub const GET_DATA: u8 = 0xCB;
    /// GET CHALLENGE
    pub const GET_CHALLENGE: u8 = 0x84;
    /// EXTERNAL AUTHENTICATE
    pub const EXTERNAL_AUTHENTICATE: u8 = 0x82;
    /// GET RESPONSE: fetches the data a T=0 card announced with `61 xx` (ISO 7816-4).
    pub const GET_RESPONSE: u8 = 0xC0;
}

/// SELECT P1 values.
pub mod select {
    /// Select by file id; with `3F00` (or no data), the MF.
    pub const BY_ID: u8 = 0x00;
    /// Select an application by AID.
    pub const BY_AID: u8 = 0x04;
    /// Select by path from the MF (path without `3F00`).
    pub const BY_PATH: u8 = 0x08;
    /// P2: return the FCI (the simulator returns none).
    pub const FCI: u8 = 0x00;
    /// P2: no response data.
    pub const NO_FCI: u8 = 0x0C;
}

/// Carte Vitale 2.
pub mod vitale {
    /// AID of the VITALE application.
    pub const AID_VITALE: [u8; 11] = [
        0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45,
    ];
    /// AID of MF_VITALE.
    pub const AID_MF_VITALE: [u8; 14] = [
        0xD2, 0x50, 0x00, 0x00, 0x02, 0x4D, 0x46, 0x5F, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45,
    ];
    /// SFI of the free zones (beneficiaries under MF, NIR under VITALE).
    pub const SFI_FREE: u8 = 2;
    /// SFI of the protected zone (rights) under VITALE. Modelled.
    pub const SFI_RIGHTS: u8 = 3;
    /// Template of one beneficiary / of the card holder data.
    pub const TAG_TEMPLATE: u16 = 0x65;
    /// Last name.
    pub const TAG_NAME: u16 = 0x80;
    /// First name.
    pub const TAG_FIRST_NAME: u16 = 0x81;
    /// Birth date `YYYYMMDD`.
    pub const TAG_BIRTH_DATE: u16 = 0x82;
    /// Birth rank (1 digit). Modelled.
    pub const TAG_BIRTH_RANK: u16 = 0x83;
    /// Quality (`00` insured, `02` spouse, `06` child...). Modelled.
    pub const TAG_QUALITY: u16 = 0x84;
    /// Beneficiary's own NIR when not the insured's. Modelled.
    pub const TAG_BENEFICIARY_NIR: u16 = 0x85;
    /// NIR of the insured person, 15 characters.
    pub const TAG_NIR: u16 = 0x93;
    /// Card data template.
    pub const TAG_CARD: u16 = 0x90;
    /// Inside `90`: card serial number. Modelled.
    pub const TAG_SERIAL: u16 = 0x91;
    /// Inside `90`: validity end `YYYYMMDD`. Modelled.
    pub const TAG_VALID_UNTIL: u16 = 0x92;

    /// Protected zone, modelled: one `A0` organism, then `A1` rights periods, `A2` ALD,
    /// at most one `A3` complementary insurer (AMC); the tags inside follow.
    pub const TAG_ORGANISM: u16 = 0xA0;
    /// In `A0`: régime code (2 digits).
    pub const TAG_REGIME: u16 = 0x80;
    /// In `A0`: caisse code (3 digits).
    pub const TAG_CAISSE: u16 = 0x81;
    /// In `A0`: centre code (4 digits).
    pub const TAG_CENTRE: u16 = 0x82;
    /// A rights period (AMO).
    pub const TAG_PERIOD: u16 = 0xA1;
    /// An ALD (long-term illness) entry.
    pub const TAG_ALD: u16 = 0xA2;
    /// The complementary insurer (AMC).
    pub const TAG_AMC: u16 = 0xA3;
    /// In `A1`: start date `YYYYMMDD`.
    pub const PERIOD_FROM: u16 = 0x80;
    /// In `A1`: end date `YYYYMMDD`.
    pub const PERIOD_UNTIL: u16 = 0x81;
    /// In `A1`: coverage rate code (`70`, `100`...).
    pub const PERIOD_COVERAGE: u16 = 0x82;
    /// In `A1`: nature of the insurance (`maladie`, `maternite`, `at`...).
    pub const PERIOD_NATURE: u16 = 0x83;
    /// In `A1`: beneficiary index (one byte, order of the free zone); absent: everyone.
    pub const PERIOD_BENEFICIARY: u16 = 0x84;
    /// In `A2`: ALD code.
    pub const ALD_CODE: u16 = 0x80;
    /// In `A2`: end date `YYYYMMDD`.
    pub const ALD_UNTIL: u16 = 0x81;
    /// In `A2`: beneficiary index (one byte).
    pub const ALD_BENEFICIARY: u16 = 0x82;
    /// In `A3`: AMC number (8 digits).
    pub const AMC_NUMBER: u16 = 0x80;
    /// In `A3`: AMC name.
    pub const AMC_NAME: u16 = 0x81;
    /// In `A3`: end date `YYYYMMDD`.
    pub const AMC_UNTIL: u16 = 0x82;
    /// In `A3`: third-party payment agreed (`01`/`00`).
    pub const AMC_TIERS_PAYANT: u16 = 0x83;
    /// In `A3`, optional: kind of contract, one byte (`00` mutuelle, `01` Complémentaire
    /// santé solidaire); absent: mutuelle.
    pub const AMC_KIND: u16 = 0x84;

    /// Opening the protected zone, modelled on standard ISO 7816-4/-8 commands (the real
    /// card-to-card authentication is restricted): `GET CHALLENGE` gives
    /// [`CHALLENGE_LEN`] random bytes; the CPx card signs the SHA-256 of the challenge
    /// with its authentication key (`INTERNAL AUTHENTICATE`, PIN verified); the Vitale card
    /// is given the CPx authentication certificate (`PSO VERIFY CERTIFICATE`, checked
    /// against the health-professional CA it trusts) then the signature (`EXTERNAL
    /// AUTHENTICATE`); both chained. The zone stays open until the Vitale card is reset.
    pub const CHALLENGE_LEN: u8 = 8;
    /// PSO VERIFY CERTIFICATE P1-P2 (ISO 7816-8).
    pub const PSO_VERIFY_CERTIFICATE: [u8; 2] = [0x00, 0xBE];
}

/// CPS3 / CPE / CPF (IAS-ECC).
pub mod cps {
    /// AID of the IAS application.
    pub const AID_IAS: [u8; 13] = [
        0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10,
    ];
    /// `3F00/0001`: the DF of the health-professional files. Public (parent of D120..D12F).
    pub const PATH_DF: [u8; 2] = [0x00, 0x01];
    /// `3F00/D003`: card serial, card type, validity. Public id, modelled content.
    pub const PATH_CARD: [u8; 2] = [0xD0, 0x03];
    /// `3F00/0001/D110`: holder identity. Modelled file id.
    pub const PATH_HOLDER: [u8; 4] = [0x00, 0x01, 0xD1, 0x10];
    /// `3F00/0001/D120` + n: practice situation n (0..16). Public ids, modelled content.
    pub const PATH_SITUATION_BASE: [u8; 4] = [0x00, 0x01, 0xD1, 0x20];
    /// Number of situation files (`D120..D12F`).
    pub const SITUATIONS: u8 = 16;
    /// `3F00/0001/C001`: signature certificate (DER). Modelled file id.
    pub const PATH_CERT_SIG: [u8; 4] = [0x00, 0x01, 0xC0, 0x01];
    /// `3F00/0001/C000`: authentication certificate (DER). Modelled file id.
    pub const PATH_CERT_AUTH: [u8; 4] = [0x00, 0x01, 0xC0, 0x00];

    /// In `D003`: card serial number.
    pub const TAG_SERIAL: u16 = 0x80;
    /// In `D003`: card type, ASCII `CPS`, `CPE` or `CPF`. Modelled (the real card tells
    /// them apart in data this project cannot describe).
    pub const TAG_CARD_TYPE: u16 = 0x81;
    /// In `D003`: validity start `YYYYMMDD`.
    pub const TAG_VALID_FROM: u16 = 0x82;
    /// In `D003`: validity end `YYYYMMDD`.
    pub const TAG_VALID_UNTIL: u16 = 0x83;

    /// Holder: national id type (`8` RPPS, `0` ADELI...).
    pub const TAG_ID_TYPE: u16 = 0x80;
    /// Holder: national id.
    pub const TAG_ID: u16 = 0x81;
    /// Holder: civility code.
    pub const TAG_CIVILITY: u16 = 0x82;
    /// Holder: last name.
    pub const TAG_LAST_NAME: u16 = 0x83;
    /// Holder: first name.
    pub const TAG_FIRST_NAME: u16 = 0x84;
    /// Holder: profession code.
    pub const TAG_PROFESSION: u16 = 0x85;
    /// Holder: speciality code.
    pub const TAG_SPECIALITY: u16 = 0x86;

    /// Situation: mode (`L` libéral, `S` salarié, `R` remplaçant).
    pub const TAG_MODE: u16 = 0x80;
    /// Situation: billing number, 8 digits.
    pub const TAG_BILLING_NUMBER: u16 = 0x81;
    /// Situation: billing number key, 1 digit.
    pub const TAG_BILLING_KEY: u16 = 0x82;
    /// Situation: structure id.
    pub const TAG_STRUCTURE_ID: u16 = 0x83;
    /// Situation: structure name.
    pub const TAG_STRUCTURE_NAME: u16 = 0x84;
    /// Situation: tariff zone code.
    pub const TAG_TARIFF_ZONE: u16 = 0x85;
    /// Situation: agreement (convention) code.
    pub const TAG_AGREEMENT: u16 = 0x86;
    /// Situation: may sign an invoice (`01`/`00`).
    pub const TAG_MAY_SIGN_INVOICE: u16 = 0x87;
    /// Situation: may sign a lot (`01`/`00`).
    pub const TAG_MAY_SIGN_LOT: u16 = 0x88;
    /// Situation: speciality code.
    pub const TAG_SPECIALITY_CODE: u16 = 0x89;

    /// PIN reference (local PIN). Modelled.
    pub const PIN_REF: u8 = 0x81;
    /// PIN length on the wire: ASCII digits padded with `FF`. Modelled.
    pub const PIN_BLOCK_LEN: usize = 8;
    /// PIN length (digits).
    pub const PIN_LEN: usize = 4;
    /// Maximum tries.
    pub const PIN_MAX_TRIES: u8 = 3;
    /// Unblock code length (digits).
    pub const PUK_LEN: usize = 8;
    /// Key reference of `CPS_PRIV_AUT`. Modelled.
    pub const KEY_AUTH: u8 = 0x81;
    /// Key reference of `CPS_PRIV_SIG`. Modelled.
    pub const KEY_SIG: u8 = 0x82;
    /// MSE SET P1-P2 for a signature.
    pub const MSE_SIGNATURE: [u8; 2] = [0x41, 0xB6];
    /// MSE SET P1-P2 for an authentication.
    pub const MSE_AUTHENTICATION: [u8; 2] = [0x41, 0xA4];
    /// Tag of the key reference in MSE SET data.
    pub const TAG_KEY_REF: u16 = 0x84;
    /// PSO COMPUTE DIGITAL SIGNATURE P1-P2.
    pub const PSO_CDS: [u8; 2] = [0x9E, 0x9A];
    /// GET DATA P1-P2 for the PIN counters (`00 CB 00 81 00`); answers `9A 01 03` (max)
    /// then `9B 01 0x` (left). Modelled.
    pub const GET_DATA_PIN: [u8; 2] = [0x00, PIN_REF];
    /// Length of the digest PSO COMPUTE DIGITAL SIGNATURE takes (SHA-256).
    pub const DIGEST_LEN: usize = 32;

    /// The PIN block of `digits`: ASCII digits padded with `FF` to [`PIN_BLOCK_LEN`] bytes
    /// (longer input is kept as is, and the card refuses it).
    pub fn pin_block(digits: &[u8]) -> zeroize::Zeroizing<Vec<u8>> {
        let mut block = zeroize::Zeroizing::new(digits.to_vec());
        if block.len() < PIN_BLOCK_LEN {
            block.resize(PIN_BLOCK_LEN, 0xFF);
        }
        block
    }

    /// Path of situation file `n` (0..16): `0001/D120` + n; `None` beyond the last.
    pub fn situation_path(n: u8) -> Option<[u8; 4]> {
        let mut path = PATH_SITUATION_BASE;
        path[3] = path[3].checked_add(n).filter(|_| n < SITUATIONS)?;
        Some(path)
    }

    /// GET DATA tag: maximum tries.
    pub const TAG_TRIES_MAX: u16 = 0x9A;
    /// GET DATA tag: tries left.
    pub const TAG_TRIES_LEFT: u16 = 0x9B;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn situation_paths_cover_d120_to_d12f() {
        assert_eq!(cps::situation_path(0), Some([0x00, 0x01, 0xD1, 0x20]));
        assert_eq!(cps::situation_path(15), Some([0x00, 0x01, 0xD1, 0x2F]));
        assert_eq!(cps::situation_path(16), None);
        assert_eq!(cps::situation_path(255), None);
    }

    #[test]
    fn pin_block_pads_with_ff() {
        assert_eq!(&cps::pin_block(b"1234")[..], b"1234\xFF\xFF\xFF\xFF");
        assert_eq!(cps::pin_block(b"123456789").len(), 9);
    }

    #[test]
    fn public_aids_spell_their_names() {
        assert_eq!(&vitale::AID_VITALE[5..], b"VITALE");
        assert_eq!(&vitale::AID_MF_VITALE[5..], b"MF_VITALE");
    }
}
