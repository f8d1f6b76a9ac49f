//! The rights service: the insured person's rights asked online (ADRi) or from an
//! e-carte Vitale (ApCV), as distinct from reading the card. Both real services are
//! licensed to approved vendors; [`RightsService`] is the narrow interface a licensed
//! implementation plugs into. With the simulator, [`ModelledRightsService`] answers from
//! its fixtures, marked `modelled` in every answer; without it, [`NoRightsService`] says
//! there is none. Querying never updates the card nor what the daemon remembers of it;
//! each answer gets a reference and is kept a day ([`OnlineAnswers`]) for the FSE drawn up
//! with it.

mod answers;
#[cfg(feature = "simulator")]
mod modelled;

pub use answers::OnlineAnswers;

#[cfg(feature = "simulator")]
pub use modelled::ModelledRightsService;

use passerelle_protocol::{RightsAnswer, RightsRequest};

/// What can go wrong asking for rights.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RightsError {
    /// The request is not one of the two accepted shapes.
    #[error("{0}")]
    Invalid(&'static str),
    /// The service knows nobody with these identifiers.
    #[error("Aucun assuré ne correspond à ces identifiants auprès du service de droits en ligne.")]
    NotFound,
    /// No rights service in this build.
    #[error("Aucun service de droits en ligne (ADRi, ApCV) dans cette version de Passerelle : lisez la carte Vitale.")]
    Unavailable,
}

/// A source of rights other than the card.
pub trait RightsService: Send + Sync {
    /// The rights of the person identified by `request`.
    fn query(&self, request: &RightsRequest) -> Result<RightsAnswer, RightsError>;
}

/// The rights service of a build without the simulator: ADRi and ApCV are licensed to
/// approved vendors, so there is none to ask; a licensed one plugs in here.
pub struct NoRightsService;

impl RightsService for NoRightsService {
    fn query(&self, request: &RightsRequest) -> Result<RightsAnswer, RightsError> {
        Identifiers::of(request)?;
        Err(RightsError::Unavailable)
    }
}

/// Which identifiers a request carries, checked once for every implementation.
pub enum Identifiers<'a> {
    /// ADRi: NIR, birth date `YYYY-MM-DD`, birth rank.
    Adri {
        /// NIR, 15 characters.
        nir: &'a str,
        /// Birth date.
        birth_date: &'a str,
        /// Birth rank (1 by default).
        birth_rank: u8,
    },
    /// ApCV: the e-carte Vitale token.
    Apcv(&'a str),
}

impl<'a> Identifiers<'a> {
    /// The identifiers of `request`, or why it is refused.
    pub fn of(request: &'a RightsRequest) -> Result<Self, RightsError> {
        match request {
            RightsRequest {
                nir: Some(nir),
                birth_date: Some(birth_date),
                birth_rank,
                apcv_token: None,
            } => {
                if !passerelle_protocol::nir::nir_valid(nir) {
                    return Err(RightsError::Invalid(
                        "NIR invalide : 15 caractères dont une clé de contrôle juste.",
                    ));
                }
                if !iso_date_shape(birth_date) {
                    return Err(RightsError::Invalid(
                        "Date de naissance invalide : format AAAA-MM-JJ.",
                    ));
                }
                Ok(Identifiers::Adri {
                    nir,
                    birth_date,
                    birth_rank: birth_rank.unwrap_or(1),
                })
            }
            RightsRequest {
                nir: None,
                birth_date: None,
                birth_rank: None,
                apcv_token: Some(token),
            } if !token.trim().is_empty() && token.len() <= 512 => Ok(Identifiers::Apcv(token)),
            _ => Err(RightsError::Invalid(
                "Donnez soit « nir » et « birth_date » (droits en ligne), soit « apcv_token » (e-carte Vitale).",
            )),
        }
    }
}

/// `YYYY-MM-DD` made of digits (a "lunar" birth date may have `00` day or month).
fn iso_date_shape(date: &str) -> bool {
    let b = date.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}
