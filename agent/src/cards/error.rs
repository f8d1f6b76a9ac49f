//! What can go wrong reading a card, in sentences a practitioner understands.

use passerelle_protocol::CardKind;

use crate::apdu::StatusWord;
use crate::transport::TransportError;

/// A card could not be read. Never holds a PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The reader or the connection failed (card removed, reader gone...).
    #[error("{}", transport_sentence(.0))]
    Transport(#[from] TransportError),
    /// The card refused a command.
    #[error("La carte a refusé la commande {command} (code {sw}) : retirez-la, réinsérez-la et recommencez.")]
    Status {
        /// Name of the command (`SELECT MF`, `READ BINARY`...).
        command: &'static str,
        /// The status word the card answered.
        sw: StatusWord,
    },
    /// The card answered data that does not follow the expected layout.
    #[error("La carte a renvoyé des données illisibles ({what}) : retirez-la, réinsérez-la ; si cela se reproduit, la carte est peut-être défectueuse.")]
    Malformed {
        /// What could not be read.
        what: &'static str,
    },
    /// The NIR read on a Carte Vitale is malformed or its key is wrong. The message does
    /// not repeat the NIR (messages end up in logs).
    #[error("Le numéro de sécurité sociale lu sur la carte Vitale est invalide (clé de contrôle incorrecte) : la carte est peut-être défectueuse, le patient doit s'adresser à sa caisse.")]
    InvalidNir {
        /// The NIR as read.
        nir: String,
    },
    /// Not the card this operation needs.
    #[error("Cette opération attend une carte {}, mais la carte insérée est une carte {}.", kind_name(*.expected), kind_name(*.found))]
    WrongCard {
        /// The kind expected (`Cps` for any CPx card).
        expected: CardKind,
        /// The kind found.
        found: CardKind,
    },
}

fn transport_sentence(e: &TransportError) -> String {
    match e {
        TransportError::NoCard => "Aucune carte dans le lecteur : insérez la carte.".into(),
        TransportError::CardRemoved => {
            "La carte a été retirée pendant la lecture : réinsérez-la et recommencez.".into()
        }
        TransportError::ReaderNotFound => {
            "Le lecteur de cartes n'est plus disponible : vérifiez qu'il est branché.".into()
        }
        TransportError::ServiceUnavailable(d) => {
            format!("Le service des lecteurs de cartes ne répond pas ({d}).")
        }
        TransportError::Busy(d) => {
            format!("La carte est utilisée par une autre application ({d}) : réessayez.")
        }
        TransportError::Failure(d) => format!("Le lecteur de cartes a échoué ({d})."),
    }
}

/// The French name of a card kind, as written after « une carte ».
pub fn kind_name(kind: CardKind) -> &'static str {
    match kind {
        CardKind::Vitale => "Vitale",
        CardKind::Cps => "de professionnel de santé (CPS)",
        CardKind::Cpe => "d'établissement (CPE)",
        CardKind::Cpf => "de professionnel en formation (CPF)",
        CardKind::Unknown => "inconnue",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_french_sentences() {
        let all = [
            CardError::Transport(TransportError::CardRemoved),
            CardError::Status {
                command: "SELECT MF",
                sw: StatusWord::FileNotFound,
            },
            CardError::Malformed { what: "NIR" },
            CardError::InvalidNir {
                nir: "178067511223399".into(),
            },
            CardError::WrongCard {
                expected: CardKind::Vitale,
                found: CardKind::Cps,
            },
        ];
        for e in &all {
            let m = e.to_string();
            assert!(m.starts_with(char::is_uppercase) && m.ends_with('.'), "{m}");
            assert!(!m.contains("178067511223399"), "{m}");
        }
        assert!(all[1].to_string().contains("6A 82"));
        assert!(all[4].to_string().contains("carte Vitale"));
    }
}
