//! The one place that defines the card file layout, shared by the card profiles and the
//! simulator.
//!
//! **Public facts** (public ATR lists, open-source readers, the ANS open-source card
//! drivers; see `shared/domain/DOMAIN.md`): the ATRs ([`super::atr`]), the Vitale AIDs, the
//! Vitale 2 free zones (`SELECT MF`, `READ BINARY SFI 2` → templates `65` with `80` name,
//! `81` first name, `82` birth date; after `SELECT VITALE`, `65` with `93` NIR and `90`), the
//! CPS3 IAS AID, the serial file `3F00/D003`, the situation files `3F00/0001/D120..D12F`,
//! and the ISO/IAS commands (VERIFY, MSE SET, PSO CDS, INTERNAL AUTHENTICATE, GET DATA with
//! tags `9A`/`9B`, `63 Cx`, `69 83`).
//!
//! **Modelled** (the SESAM-Vitale specification is restricted): the tags inside the Vitale
//! `90` template and the beneficiary templates beyond `80`/`81`/`82`, the whole Vitale
//! protected zone, the TLV inside the CPS files, the file ids of the holder identity and
//! of the certificates, the PIN and key references, and the GET DATA parameters. A licensed
//! implementation replaces this module and the profiles that use it, not what is above.

/// Class byte of every command.
pub const CLA: u8 = 0x00;

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
    /// GET DATA (odd instruction, IAS-ECC)
    pub const GET_DATA: u8 = 0xCB;
}

/// SELECT P1 values.
pub mod select {
    /// Select the MF by its id `3F00`.
    pub const BY_ID: u8 = 0x00;
    /// Select an application by AID.
    pub const BY_AID: u8 = 0x04;
    /// Select by path from the MF (path without `3F00`).
    pub const BY_PATH: u8 = 0x08;
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
    /// Rights template (protected zone). Modelled: JSON text of the rights.
    pub const TAG_RIGHTS: u16 = 0x70;
}

/// CPS3 / CPE / CPF (IAS-ECC).
pub mod cps {
    /// AID of the IAS application.
    pub const AID_IAS: [u8; 13] = [
        0xE8, 0x28, 0xBD, 0x08, 0x0F, 0x80, 0x25, 0x00, 0x00, 0x01, 0xFF, 0x00, 0x10,
    ];
    /// `3F00/D003`: card serial, card type, validity.
    pub const PATH_CARD: [u8; 2] = [0xD0, 0x03];
    /// `3F00/0001/D110`: holder identity. Modelled file id.
    pub const PATH_HOLDER: [u8; 4] = [0x00, 0x01, 0xD1, 0x10];
    /// `3F00/0001/D120` + n: practice situation n (0..16).
    pub const PATH_SITUATION_BASE: [u8; 4] = [0x00, 0x01, 0xD1, 0x20];
    /// Number of situation files.
    pub const SITUATIONS: u8 = 16;
    /// `3F00/0001/C001`: signature certificate (DER). Modelled file id.
    pub const PATH_CERT_SIG: [u8; 4] = [0x00, 0x01, 0xC0, 0x01];
    /// `3F00/0001/C000`: authentication certificate (DER). Modelled file id.
    pub const PATH_CERT_AUTH: [u8; 4] = [0x00, 0x01, 0xC0, 0x00];

    /// In `D003`: card serial number.
    pub const TAG_SERIAL: u16 = 0x80;
    /// In `D003`: card type, ASCII `CPS`, `CPE` or `CPF`.
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
    /// PIN length on the wire: ASCII digits padded with `FF`.
    pub const PIN_BLOCK_LEN: usize = 8;
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
    /// GET DATA P1-P2 for the PIN counters; answers `9A` (max) and `9B` (left). Modelled.
    pub const GET_DATA_PIN: [u8; 2] = [0x00, PIN_REF];
    /// GET DATA tag: maximum tries.
    pub const TAG_TRIES_MAX: u16 = 0x9A;
    /// GET DATA tag: tries left.
    pub const TAG_TRIES_LEFT: u16 = 0x9B;
}
