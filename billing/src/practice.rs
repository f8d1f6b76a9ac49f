//! What the CPS situation says about the tariffs: the profession (which tariff grid) and
//! the tariff zone (métropole or one of the five DROM).
//!
//! **Modelled**: the tariff zone codes of a CPS situation are in the restricted
//! SESAM-Vitale specification. Passerelle reads a two-digit code: `71` Guadeloupe, `72`
//! Martinique, `73` Guyane, `74` La Réunion, `76` Mayotte (after the INSEE department
//! numbers 971 to 976), any other code from `01` to `69` métropole; anything else is
//! refused. Professions are the public RPPS codes (`10` médecin, `50` sage-femme) and the
//! Assurance Maladie speciality `01` (médecine générale).

use passerelle_protocol::PractitionerRef;

use super::error::BillingError;

/// A tariff zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Zone {
    /// Métropole (Corsica included).
    Metropole,
    /// Guadeloupe.
    Guadeloupe,
    /// Martinique.
    Martinique,
    /// Guyane.
    Guyane,
    /// La Réunion.
    Reunion,
    /// Mayotte.
    Mayotte,
}

impl Zone {
    /// Every zone.
    pub const ALL: [Zone; 6] = [
        Zone::Metropole,
        Zone::Guadeloupe,
        Zone::Martinique,
        Zone::Guyane,
        Zone::Reunion,
        Zone::Mayotte,
    ];

    /// The zone's name in the tariff table (`metropole`, `guadeloupe`...).
    pub fn name(self) -> &'static str {
        match self {
            Zone::Metropole => "metropole",
            Zone::Guadeloupe => "guadeloupe",
            Zone::Martinique => "martinique",
            Zone::Guyane => "guyane",
            Zone::Reunion => "reunion",
            Zone::Mayotte => "mayotte",
        }
    }

    /// The zone in French, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Zone::Metropole => "métropole",
            Zone::Guadeloupe => "Guadeloupe",
            Zone::Martinique => "Martinique",
            Zone::Guyane => "Guyane",
            Zone::Reunion => "La Réunion",
            Zone::Mayotte => "Mayotte",
        }
    }

    /// One of the five overseas departments.
    pub fn is_drom(self) -> bool {
        self != Zone::Metropole
    }

    /// The zone of a CPS situation's tariff zone code (modelled, see the module).
    pub fn from_code(code: &str) -> Option<Zone> {
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match code {
            "71" => Some(Zone::Guadeloupe),
            "72" => Some(Zone::Martinique),
            "73" => Some(Zone::Guyane),
            "74" => Some(Zone::Reunion),
            "76" => Some(Zone::Mayotte),
            "00" => None,
            c if c < "70" => Some(Zone::Metropole),
            _ => None,
        }
    }
}

/// The tariff grid a practitioner bills from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profession {
    /// Sage-femme (RPPS profession `50`).
    SageFemme,
    /// Médecin généraliste (profession `10`, speciality `01`).
    MedecinGeneraliste,
    /// Another médecin (profession `10`).
    Medecin,
}

impl Profession {
    /// The profession of a CPS holder's profession code and situation speciality.
    pub fn from_codes(profession: &str, speciality: &str) -> Option<Profession> {
        match (profession, speciality) {
            ("50", _) => Some(Profession::SageFemme),
            ("10", "01" | "SM54") => Some(Profession::MedecinGeneraliste),
            ("10", _) => Some(Profession::Medecin),
            _ => None,
        }
    }

    /// True when a tariff row for `name` (`sage-femme`, `medecin-generaliste`, `medecin`:
    /// every médecin) applies to this profession.
    pub fn matches(self, name: &str) -> bool {
        matches!(
            (self, name),
            (Profession::SageFemme, "sage-femme")
                | (
                    Profession::MedecinGeneraliste,
                    "medecin-generaliste" | "medecin"
                )
                | (Profession::Medecin, "medecin")
        )
    }
}

/// The practice an FSE is billed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Practice {
    /// Tariff zone.
    pub zone: Zone,
    /// Tariff grid.
    pub profession: Profession,
}

impl Practice {
    /// The practice of `p` as read from the CPS, or why not.
    pub fn of(p: &PractitionerRef) -> Result<Practice, BillingError> {
        let zone = Zone::from_code(&p.tariff_zone).ok_or_else(|| {
            BillingError::invalid(
                "practitioner.tariff_zone",
                format!(
                    "zone tarifaire « {} » inconnue (codes modélisés : 01 à 69 métropole, \
                     71 Guadeloupe, 72 Martinique, 73 Guyane, 74 La Réunion, 76 Mayotte).",
                    p.tariff_zone
                ),
            )
        })?;
        let profession = Profession::from_codes(&p.profession, &p.speciality).ok_or_else(|| {
            BillingError::invalid(
                "practitioner.profession",
                format!(
                    "profession « {} » sans grille tarifaire dans Passerelle (50 sage-femme, \
                     10 médecin).",
                    p.profession
                ),
            )
        })?;
        Ok(Practice { zone, profession })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_codes_are_modelled_on_the_department_numbers() {
        assert_eq!(Zone::from_code("24"), Some(Zone::Metropole));
        assert_eq!(Zone::from_code("22"), Some(Zone::Metropole));
        assert_eq!(Zone::from_code("72"), Some(Zone::Martinique));
        assert_eq!(Zone::from_code("76"), Some(Zone::Mayotte));
        for bad in ["", "7", "75", "99", "ab", "00", "123"] {
            assert_eq!(Zone::from_code(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn professions_from_the_card_codes() {
        let gp = Profession::from_codes("10", "01").unwrap();
        assert!(gp.matches("medecin") && gp.matches("medecin-generaliste"));
        assert!(!gp.matches("sage-femme"));
        let sf = Profession::from_codes("50", "").unwrap();
        assert!(sf.matches("sage-femme") && !sf.matches("medecin"));
        assert!(!Profession::from_codes("10", "07")
            .unwrap()
            .matches("medecin-generaliste"));
        assert_eq!(Profession::from_codes("60", ""), None);
    }
}
