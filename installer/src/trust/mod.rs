//! Trusting the local authority: the system store (Debian), the NSS databases of Chromium
//! and Firefox, the macOS system keychain and the Windows `Root` store. Each entry added is
//! a [`TrustEntry`] of the record, so it can be checked and removed later.

pub mod macos;
pub mod nss;
pub mod system;
pub mod windows;

use passerelle_installation::TrustEntry;
use rustls::pki_types::{pem::PemObject, CertificateDer};

use crate::error::InstallError;

/// The SHA-1 (uppercase hex) of the first certificate of a PEM text: how the macOS and
/// Windows tools name a certificate.
pub fn sha1_hex(pem: &str) -> Option<String> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der.as_ref());
    Some(digest.as_ref().iter().map(|b| format!("{b:02X}")).collect())
}

/// Removes one trust entry from its store.
pub fn remove(entry: &TrustEntry) -> Result<(), InstallError> {
    match entry {
        TrustEntry::System { anchor } => system::remove(anchor),
        TrustEntry::Nss { db, nickname, .. } => nss::remove(db, nickname),
        TrustEntry::MacosKeychain { keychain, sha1 } => macos::remove(keychain, sha1),
        TrustEntry::WindowsRoot { thumbprint } => windows::remove(thumbprint),
    }
}

/// Whether the entry is still in its store; `None` when it cannot be checked on this OS.
pub fn present(entry: &TrustEntry, ca_pem: Option<&str>) -> Result<Option<bool>, InstallError> {
    match entry {
        TrustEntry::System { anchor } => Ok(Some(system::present(anchor, ca_pem))),
        TrustEntry::Nss { db, nickname, .. } => nss::present(db, nickname).map(Some),
        TrustEntry::MacosKeychain { sha1, .. } => macos::present(sha1),
        TrustEntry::WindowsRoot { thumbprint } => windows::present(thumbprint),
    }
}

/// A line for people describing the entry.
pub fn describe(entry: &TrustEntry) -> String {
    match entry {
        TrustEntry::System { anchor } => format!("magasin du système ({})", anchor.display()),
        TrustEntry::Nss {
            browser,
            db,
            nickname,
        } => format!("{browser} ({}, « {nickname} »)", db.display()),
        TrustEntry::MacosKeychain { keychain, .. } => {
            format!("trousseau macOS ({})", keychain.display())
        }
        TrustEntry::WindowsRoot { thumbprint } => {
            format!("magasin Windows Root (empreinte {thumbprint})")
        }
    }
}
