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
    /// Wrong PIN: one try used.
    #[error("Code PIN incorrect : {tries_left} essai(s) restant(s) avant le blocage de la carte.")]
    PinIncorrect {
        /// Tries left before this attempt.
        tries_before: u8,
        /// Tries left now.
        tries_left: u8,
    },
    /// No try left.
    #[error("La carte est bloquée (code PIN saisi trois fois de suite de façon incorrecte). Débloquez-la avec le code de déblocage reçu avec la carte, ou demandez une nouvelle carte à l'Agence du numérique en santé.")]
    PinBlocked,
    /// The operation needs the PIN verified.
    #[error("Saisissez d'abord le code PIN de la carte.")]
    PinRequired,
    /// A PIN or unblock code of the wrong shape; nothing sent to the card.
    #[error("Le {what} doit comporter {expected_digits} chiffres ; rien n'a été envoyé à la carte, aucun essai n'a été utilisé.")]
    InvalidPinFormat {
        /// Which code.
        what: &'static str,
        /// Its length.
        expected_digits: u8,
    },
    /// Secure PIN entry asked on a reader without a pad.
    #[error(
        "Ce lecteur n'a pas de clavier pour saisir le code PIN : saisissez-le dans l'application."
    )]
    SecurePinEntryUnavailable,
    /// The PIN pad entry was cancelled or timed out.
    #[error("La saisie du code PIN sur le lecteur a été annulée ou n'a pas été faite à temps ; aucun essai n'a été utilisé.")]
    PinEntryCancelled,
    /// Wrong unblock code.
    #[error("Code de déblocage incorrect : {tries_left} essai(s) restant(s).")]
    UnblockCodeIncorrect {
        /// Tries left of the unblock code.
        tries_left: u8,
    },
    /// The card's signature does not verify against its certificate.
    #[error("La signature produite par la carte ne correspond pas à son certificat : la carte est peut-être défectueuse ; rien n'a été signé.")]
    SignatureNotVerified,
    /// This card kind may not sign.
    #[error("Une carte {} ne peut pas signer : la signature se fait avec la carte du professionnel de santé (CPS).", kind_name(*.kind))]
    SigningNotAllowed {
        /// The kind of the card.
        kind: CardKind,
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
        TransportError::Cancelled => "L'opération a été annulée avant d'utiliser la carte.".into(),
        TransportError::Interrupted => {
            "L'opération a été annulée pendant qu'elle utilisait la carte ; la connexion à la carte a été réinitialisée.".into()
        }
        TransportError::Timeout => {
            "La carte ne répond pas dans le délai prévu : retirez-la, réinsérez-la et recommencez ; si cela se reproduit, la carte est peut-être défectueuse.".into()
        }
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
