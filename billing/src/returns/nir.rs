//! The NIR (numéro d'inscription au répertoire) as the paper duplicate holds it: shape and
//! key checked by [`passerelle_protocol::nir`] (the one place of the rule).

use std::fmt;

use crate::returns::types::{echo, ValueError};

/// A NIR whose shape and key were checked (15 characters, e.g. `2840375123456 42`
/// without the space).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nir(String);

impl Nir {
    /// Checks shape and key. Spaces are ignored (`2 84 03 75 123 456 42` is accepted).
    pub fn new(s: &str) -> Result<Self, ValueError> {
        let compact: String = s.chars().filter(|c| *c != ' ').collect();
        if !passerelle_protocol::nir::nir_valid(&compact) {
            return Err(ValueError::Nir {
                value: echo(s),
                reason: "15 caractères dont une clé de contrôle juste",
            });
        }
        Ok(Nir(compact))
    }

    /// The 15 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Nir {
    /// Grouped as on a card: `2 84 03 75 123 456 42`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        let parts = [0..1, 1..3, 3..5, 5..7, 7..10, 10..13, 13..15];
        let mut first = true;
        for r in parts {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(s.get(r).unwrap_or_default())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NIR body with its computed key.
    fn with_key(body: &str) -> String {
        let corsica = if body.get(5..7) == Some("2A") {
            1_000_000
        } else if body.get(5..7) == Some("2B") {
            2_000_000
        } else {
            0
        };
        let n: u64 = body.replace(['A', 'B'], "0").parse::<u64>().unwrap() - corsica;
        format!("{body}{:02}", 97 - n % 97)
    }

    #[test]
    fn keys_are_checked_including_corsica() {
        for body in [
            "1840375123456",
            "2991299001002",
            "184032A123456",
            "284032B001020",
        ] {
            let nir = with_key(body);
            assert_eq!(Nir::new(&nir).unwrap().as_str(), nir);
            let mut wrong = nir.clone().into_bytes();
            wrong[14] = if wrong[14] == b'0' { b'1' } else { b'0' };
            assert!(Nir::new(std::str::from_utf8(&wrong).unwrap()).is_err());
        }
        assert!(Nir::new("184037512345").is_err());
        assert!(Nir::new("1840375123456XX").is_err());
        assert!(Nir::new("é").is_err());
        let spaced = with_key("2840375123456");
        let display = Nir::new(&spaced).unwrap().to_string();
        assert_eq!(Nir::new(&display).unwrap().as_str(), spaced);
    }
}
