//! Billing in a session: an FSE drawn in it takes the replaced practitioner's billing
//! identity and a replacement part; only the substitute signs it, and the substitute signs
//! the replaced practitioner's lots while the session is open.

use passerelle_protocol::{
    ErrorCode, FseDraft, PractitionerRef, ReplacementPart, ReplacementSession,
};
use rusqlite::Connection;
use time::Date;

use super::{covers, outside, state_in_french};
use crate::clock::parse_date;
use crate::error::BillingError;
use crate::signer::SignerIdentity;
use crate::store::replacement_rows as rows;
use crate::Billing;

impl Billing {
    /// The session `draft` is drawn in, if any, and the draft as billed in it: the
    /// replaced practitioner's billing identity and its replacement part. Refuses the
    /// replaced practitioner's own card, another substitute, and days outside the period.
    pub(crate) fn in_session(
        conn: &Connection,
        draft: &FseDraft,
        today: Date,
    ) -> Result<Option<(PractitionerRef, ReplacementPart)>, BillingError> {
        let number = &draft.practitioner.billing_number;
        let session = match draft.replacement_session {
            Some(id) => {
                let s = rows::session(conn, id)?;
                if &s.replaced.billing_number == number {
                    return Err(BillingError::rule(
                        ErrorCode::ReplacementOwnCard,
                        "practitioner.billing_number",
                        "le praticien remplacé ne facture pas comme son remplaçant : c'est la \
                         carte du remplaçant qui facture dans la session.",
                    ));
                }
                if &s.substitute.billing_number != number {
                    return Err(mismatch(&s));
                }
                s
            }
            None => {
                let mine = rows::for_substitute(conn, number)?;
                if mine.is_empty() {
                    return Ok(None);
                }
                match mine.iter().find(|s| covers(s, today)) {
                    Some(s) => s.clone(),
                    None => {
                        return Err(outside(
                            "care_date",
                            "aucune session de remplacement ouverte pour ce remplaçant \
                             aujourd'hui : hors de sa période, ou close.",
                        ))
                    }
                }
            }
        };
        if !covers(&session, today) {
            return Err(outside(
                "care_date",
                format!(
                    "la session de remplacement {} n'est pas ouverte aujourd'hui (du {} au {}, {}).",
                    session.id,
                    session.start,
                    session.end,
                    state_in_french(session.state)
                ),
            ));
        }
        let care = parse_date(&draft.care_date);
        if care.is_some_and(|d| !covers(&session, d)) {
            return Err(outside(
                "care_date",
                format!(
                    "les soins du {} sont hors de la période du remplacement (du {} au {}).",
                    draft.care_date, session.start, session.end
                ),
            ));
        }
        let r = &session.replaced;
        let practitioner = PractitionerRef {
            billing_number: r.billing_number.clone(),
            situation: r.situation,
            tariff_zone: r.tariff_zone.clone(),
            profession: r.profession.clone(),
            speciality: r.speciality.clone(),
        };
        let s = &session.substitute;
        Ok(Some((
            practitioner,
            ReplacementPart {
                session_id: session.id,
                substitute_billing_number: s.billing_number.clone(),
                substitute_holder_id: s.holder_id.clone(),
                substitute_last_name: s.last_name.clone(),
                substitute_first_name: s.first_name.clone(),
            },
        )))
    }

    /// Who may sign FSE drawn in a session: the session's substitute, while it is open.
    pub(crate) fn check_substitute_signer(
        &self,
        part: &ReplacementPart,
        replaced: &str,
        id: &SignerIdentity,
    ) -> Result<(), BillingError> {
        let s = self.replacement(part.session_id)?;
        if id.billing_number == replaced {
            return Err(BillingError::rule(
                ErrorCode::ReplacementOwnCard,
                "situation",
                "une feuille du remplacement se signe avec la carte du remplaçant, pas celle du \
                 praticien remplacé.",
            ));
        }
        if id.billing_number != part.substitute_billing_number {
            return Err(mismatch(&s));
        }
        if !covers(&s, self.clock.today()) {
            return Err(outside(
                "fse",
                format!(
                    "la session de remplacement {} n'est plus ouverte : le remplaçant ne signe \
                     plus.",
                    s.id
                ),
            ));
        }
        Ok(())
    }

    /// The billing number whose lots `id` signs: the replaced practitioner's when `id` is
    /// the substitute of a session open today, else its own.
    pub(crate) fn lot_practitioner(&self, id: &SignerIdentity) -> Result<String, BillingError> {
        let today = self.clock.today();
        let mine = self
            .store
            .read(|c| rows::for_substitute(c, &id.billing_number))?;
        Ok(mine
            .iter()
            .find(|s| covers(s, today))
            .map(|s| s.replaced.billing_number.clone())
            .unwrap_or_else(|| id.billing_number.clone()))
    }
}

fn mismatch(s: &ReplacementSession) -> BillingError {
    BillingError::rule(
        ErrorCode::ReplacementSubstituteMismatch,
        "practitioner.billing_number",
        format!(
            "cette carte ou cette situation n'est pas celle du remplaçant de la session {} \
             (numéro {}).",
            s.id, s.substitute.billing_number
        ),
    )
}
