//! What the unit tests of lots and the outbox share: a store on a stopped clock, the fixture
//! midwife's signer, FSE created and signed.

use std::sync::Arc;

use passerelle_protocol::{CardKind, FseDraft};
use time::macros::datetime;

use crate::{Billing, FixedClock, KeySigner, SignError, SignerIdentity};

/// A [`KeySigner`] over the signature key of simulated card `key_id`'s test keys.
pub(crate) fn fixture_signer(
    key_id: &str,
    identity: SignerIdentity,
) -> Result<KeySigner, SignError> {
    let keys = passerelle_simcard::fixtures::keys(key_id)
        .ok_or_else(|| SignError(format!("clé de test inconnue {key_id:?}")))?;
    KeySigner::new(identity, keys.sig_key_pem, keys.sig_cert)
}

/// The fixture midwife's situation, as `kind`, allowed to sign invoices and/or lots.
pub(crate) fn identity(kind: CardKind, invoice: bool, lot: bool) -> SignerIdentity {
    SignerIdentity::of(kind, &crate::samples::durand(), invoice, lot)
}

/// The midwife's CPS, allowed to sign everything.
pub(crate) fn midwife() -> KeySigner {
    fixture_signer("durand-sage-femme", identity(CardKind::Cps, true, true)).unwrap()
}

/// Billing in `dir` on a clock stopped at 2026-03-02 10:00 UTC.
pub(crate) fn billing(dir: &std::path::Path) -> Billing {
    billing_with(dir).0
}

/// [`billing`] and its clock, to move time.
pub(crate) fn billing_with(dir: &std::path::Path) -> (Billing, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-02 10:00 UTC)));
    let billing = Billing::open(&dir.join("b.sqlite3"), clock.clone()).unwrap();
    (billing, clock)
}

/// Creates `drafts` (all accepted); their ids.
pub(crate) fn created(b: &Billing, drafts: &[FseDraft]) -> Vec<i64> {
    b.create_batch(drafts, &crate::samples::SampleRights, None)
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap().id)
        .collect()
}
