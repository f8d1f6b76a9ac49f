//! The billing service over the store: grouped FSE creation with idempotency keys, history,
//! deletion, baskets, lots. Calls block on SQLite: async callers use `spawn_blocking`.

use std::path::Path;
use std::sync::Arc;

use passerelle_protocol::{Assistant, Basket, Fse, FseDraft, FseStatus, Lot};

use super::assistants::check_prepare;
use super::clock::{format_instant, parse_date, Clock};
use super::error::BillingError;
use super::fse::{draw_up, request_hash, MAX_ACTS};
use super::rights::RightsLookup;
use super::state::fse_from_name;
use super::tariffs::Tariffs;
use super::{acts, signer};
use crate::store::fse_rows::MAX_LISTED;
use crate::store::{baskets, fse_rows, lot_rows, savepoint, Store};

pub use crate::store::fse_rows::FseFilter;

/// Most FSE in one grouped creation.
pub const MAX_BATCH: usize = 1000;

/// Refuses an `Idempotency-Key` that is empty, longer than 128 bytes or not visible ASCII.
pub fn check_idempotency_key(key: &str) -> Result<(), BillingError> {
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(BillingError::invalid(
            "Idempotency-Key",
            "de 1 à 128 caractères ASCII visibles.",
        ));
    }
    Ok(())
}

/// An FSE of a grouped creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// The FSE.
    pub fse: Fse,
    /// Made by this call (not a retry answered with the FSE made before).
    pub new: bool,
}

/// Billing: the store, the tariff table and the clock.
pub struct Billing {
    pub(super) store: Store,
    pub(super) tariffs: Tariffs,
    pub(super) clock: Arc<dyn Clock>,
}

impl Billing {
    /// Billing over `store`, pricing with `tariffs`, reading time from `clock`.
    pub fn new(store: Store, tariffs: Tariffs, clock: Arc<dyn Clock>) -> Self {
        Billing {
            store,
            tariffs,
            clock,
        }
    }

    /// Opens the store at `path` with the embedded tariff table.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, BillingError> {
        let tariffs = Tariffs::embedded().map_err(BillingError::Storage)?;
        Ok(Billing::new(Store::open(path)?, tariffs, clock))
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Creates FSE; each is accepted or refused on its own (one transaction, one savepoint
    /// per FSE). The rights a draft names are resolved through `rights` (the daemon's card
    /// memo and online answers). With `idempotency_key`, FSE `i` is bound to `{key}#{i}`:
    /// a retry returns the FSE created the first time instead of a second one (without
    /// resolving its rights again: the card may have left).
    pub fn create_batch(
        &self,
        drafts: &[FseDraft],
        rights: &dyn RightsLookup,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<Result<Fse, BillingError>>, BillingError> {
        let out = self.create_batch_reporting(drafts, rights, idempotency_key)?;
        Ok(out.into_iter().map(|r| r.map(|c| c.fse)).collect())
    }

    /// [`Billing::create_batch`], saying of each FSE whether it was made now or is the one
    /// a previous call under the same key made (what the audit log records).
    pub fn create_batch_reporting(
        &self,
        drafts: &[FseDraft],
        rights: &dyn RightsLookup,
        idempotency_key: Option<&str>,
    ) -> Result<Vec<Result<Created, BillingError>>, BillingError> {
        self.create_batch_as(drafts, rights, idempotency_key, None)
    }

    /// [`Billing::create_batch_reporting`] by `assistant` when given: each FSE then needs
    /// that assistant's grant for its practitioner, covering today
    /// ([`crate::assistants::check_prepare`]). An FSE whose practitioner is the substitute
    /// of a replacement session is drawn in it ([`Billing::in_session`]).
    pub fn create_batch_as(
        &self,
        drafts: &[FseDraft],
        rights: &dyn RightsLookup,
        idempotency_key: Option<&str>,
        assistant: Option<&Assistant>,
    ) -> Result<Vec<Result<Created, BillingError>>, BillingError> {
        if drafts.len() > MAX_BATCH {
            return Err(BillingError::invalid(
                "fse",
                format!("au plus {MAX_BATCH} feuilles par demande."),
            ));
        }
        if let Some(key) = idempotency_key {
            check_idempotency_key(key)?;
        }
        let now = self.clock.now();
        let (drawn_up, today) = (format_instant(now), super::clock::paris_date(now));
        self.store.write(|tx| {
            Ok(drafts
                .iter()
                .enumerate()
                .map(|(i, draft)| {
                    let key = idempotency_key.map(|k| format!("{k}#{i}"));
                    savepoint(tx, || {
                        let basket = match &draft.basket {
                            Some(name) => baskets::get(tx, name)?.acts,
                            None => Vec::new(),
                        };
                        let hash = request_hash(draft);
                        if let Some(k) = &key {
                            if let Some(existing) = fse_rows::by_key(tx, k, &hash)? {
                                return Ok(Created {
                                    fse: existing,
                                    new: false,
                                });
                            }
                        }
                        let session = Billing::in_session(tx, draft, today)?;
                        let mut in_session;
                        let draft = match &session {
                            Some((practitioner, _)) => {
                                in_session = draft.clone();
                                in_session.practitioner = practitioner.clone();
                                &in_session
                            }
                            None => draft,
                        };
                        if let Some(a) = assistant {
                            check_prepare(tx, a, &draft.practitioner.billing_number, today)?;
                        }
                        let resolved = match &draft.rights {
                            Some(r) => Some(rights.resolve(r)?),
                            None => None,
                        };
                        let mut fse = draw_up(&self.tariffs, draft, &basket, resolved, today)?;
                        fse.drawn_up = drawn_up.clone();
                        fse.replacement = session.map(|(_, part)| part);
                        let fse = fse_rows::create(tx, fse, key.as_deref(), &hash)?;
                        Ok(Created { fse, new: true })
                    })
                })
                .collect())
        })
    }

    /// One FSE.
    pub fn fse(&self, id: i64) -> Result<Fse, BillingError> {
        self.store.read(|c| fse_rows::load(c, id))
    }

    /// The history, filtered.
    pub fn list(&self, filter: &FseFilter) -> Result<Vec<Fse>, BillingError> {
        for (field, date) in [("from", &filter.from), ("to", &filter.to)] {
            if date.as_deref().is_some_and(|d| parse_date(d).is_none()) {
                return Err(BillingError::invalid(
                    field,
                    "date attendue au format AAAA-MM-JJ.",
                ));
            }
        }
        if filter
            .status
            .as_deref()
            .is_some_and(|s| fse_from_name(s).is_none())
        {
            return Err(BillingError::invalid("status", "état inconnu."));
        }
        if filter.limit.is_some_and(|l| !(1..=MAX_LISTED).contains(&l)) {
            return Err(BillingError::invalid(
                "limit",
                format!("entre 1 et {MAX_LISTED}."),
            ));
        }
        self.store.read(|c| fse_rows::list(c, filter))
    }

    /// Deletes an FSE that is not in a lot yet (draft or signed); its number is not reused.
    pub fn delete(&self, id: i64) -> Result<Fse, BillingError> {
        self.store
            .write(|tx| fse_rows::transition(tx, id, FseStatus::Deleted))
    }

    /// Moves an FSE (transmission, returns); the state machine decides.
    pub fn advance_fse(&self, id: i64, to: FseStatus) -> Result<Fse, BillingError> {
        self.store.write(|tx| fse_rows::transition(tx, id, to))
    }

    /// Creates or replaces a basket after checking its name and acts.
    pub fn put_basket(&self, basket: &Basket) -> Result<Basket, BillingError> {
        let n = &basket.name;
        if n.is_empty()
            || n.len() > 64
            || !n
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(BillingError::invalid(
                "name",
                "de 1 à 64 lettres, chiffres, « - » ou « _ ».",
            ));
        }
        if basket.acts.is_empty() || basket.acts.len() > MAX_ACTS {
            return Err(BillingError::invalid(
                "acts",
                format!("de 1 à {MAX_ACTS} actes par panier."),
            ));
        }
        for (i, act) in basket.acts.iter().enumerate() {
            acts::check_undated(&self.tariffs, act, &format!("acts[{i}]"))?;
        }
        let now = format_instant(self.clock.now());
        self.store.write(|tx| baskets::put(tx, basket, &now))?;
        Ok(basket.clone())
    }

    /// One basket.
    pub fn basket(&self, name: &str) -> Result<Basket, BillingError> {
        self.store.read(|c| baskets::get(c, name))
    }

    /// Every basket.
    pub fn baskets(&self) -> Result<Vec<Basket>, BillingError> {
        self.store.read(baskets::list)
    }

    /// Deletes a basket (FSE made from it keep their acts).
    pub fn delete_basket(&self, name: &str) -> Result<(), BillingError> {
        self.store.write(|tx| baskets::delete(tx, name))
    }

    /// Every lot, optionally of one practitioner.
    pub fn lots(&self, practitioner: Option<&str>) -> Result<Vec<Lot>, BillingError> {
        self.store.read(|c| lot_rows::list(c, practitioner))
    }

    /// The B2 file of a lot.
    pub fn lot_b2(&self, id: i64) -> Result<Vec<u8>, BillingError> {
        self.store.read(|c| lot_rows::b2(c, id)).map(|s| s.bytes)
    }

    /// Checks the stored signature of FSE `id` against its stored certificate.
    pub fn verify_fse_signature(&self, id: i64) -> Result<(), BillingError> {
        let fse = self.fse(id)?;
        let s = self
            .store
            .read(|c| fse_rows::signature(c, id))?
            .ok_or_else(|| BillingError::SigningFailed("feuille non signée".into()))?;
        signer::verify(
            &s.certificate,
            &super::fse::signature_digest(&fse),
            &s.signature,
        )
        .map_err(|e| BillingError::SigningFailed(e.0))
    }
}
