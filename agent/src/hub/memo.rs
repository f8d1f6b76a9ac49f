//! What the daemon knows of the card in a reader, for as long as that card stays in.

use std::sync::Arc;

use passerelle_protocol::{CpxCard, VitaleCard};

/// Data read from a card and its session state, kept until the card leaves the reader
/// (then dropped whole): reading the same card twice costs no second round of APDUs.
#[derive(Debug, Clone, Default)]
pub struct CardMemo {
    /// The Carte Vitale as read (with its rights when the protected zone was open).
    pub vitale: Option<Arc<VitaleCard>>,
    /// The CPx card as read.
    pub cpx: Option<Arc<CpxCard>>,
    /// The CPx signature certificate (DER).
    pub signature_certificate: Option<Arc<Vec<u8>>>,
    /// The CPx authentication certificate (DER).
    pub authentication_certificate: Option<Arc<Vec<u8>>>,
    /// Who verified the CPx PIN on this insertion (the card keeps that state while it stays
    /// in: the daemon never resets it); only they may use it. Never the PIN itself.
    pub verified_by: Option<PinHolder>,
}

/// Who a verified PIN belongs to: the grant whose token verified it, or the OS user of a
/// local-socket caller without a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinHolder {
    /// A paired application, by grant id.
    Grant(String),
    /// A program on the local socket, by OS user.
    Local(passerelle_protocol::OsUser),
}
