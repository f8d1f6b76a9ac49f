//! Lot transmission: each situation's mail servers reachable, their TLS valid and the login
//! accepted (without sending anything), the organism certificates present and not expired,
//! the lots near or past their send-by date, needing attention or a paper duplicate, the
//! return mails of the last 30 days that could not be applied, the degraded FSE without
//! their scanned copy and the attachments to post (their PJ lot went on paper).

use std::time::Duration;

use passerelle_billing::calendar::deadline_state;
use passerelle_billing::clock::{paris_date, parse_date};
use passerelle_billing::store::{attachment_rows, lot_rows, pj_lot_rows, returns_rows};
use passerelle_installation::config::Config;
use passerelle_protocol::{LotStatus, MailSettings, PjLotStatus, ReturnMail, ReturnState};
use passerelle_transmission::iris::OrganismCertificate;
use passerelle_transmission::organisms::Directory;
use passerelle_transmission::settings::{self, Passwords};
use passerelle_transmission::{imap, smtp};

use super::{Finding, Verdict};

/// Days before an organism certificate's end from which the doctor warns.
const CERTIFICATE_WARNING_DAYS: i64 = 30;

/// The mail and lot checks.
pub(super) fn check(config: &Config, findings: &mut Vec<Finding>) {
    let data_dir = config.data_dir();
    let store = data_dir.join(passerelle_billing::store::FILE_NAME);
    let (settings, lots, returns, missing, on_paper) =
        match passerelle_billing::store::open_read_only(&store) {
            Ok(None) => Default::default(),
            Ok(Some(conn)) => (
                passerelle_billing::mail::read_all_settings(&conn).unwrap_or_default(),
                lot_rows::list(&conn, None).unwrap_or_default(),
                returns_rows::latest(&conn, 1000).unwrap_or_default(),
                attachment_rows::missing_copies(&conn, None, None).unwrap_or_default(),
                pj_lot_rows::latest(&conn, Some(PjLotStatus::Paper), 1000).unwrap_or_default(),
            ),
            Err(e) => {
                findings.push(Finding::new(
                    "mail",
                    Verdict::Skipped,
                    format!("base illisible, réglages de messagerie non vérifiés : {e}"),
                ));
                return;
            }
        };
    if settings.is_empty() {
        findings.push(
            Finding::new(
                "mail",
                Verdict::Warning,
                "aucune messagerie réglée : les lots ne peuvent pas partir",
            )
            .advise("`passerelle mail set --practitioner N ...` (ou PUT /v1/mail/N)"),
        );
    }
    let ca = read_ca(config, findings);
    let passwords = Passwords::in_dir(&data_dir);
    for s in &settings {
        check_servers(s, &passwords, ca.as_deref(), findings);
    }
    check_organisms(config, &settings, findings);
    check_lots(config, &lots, findings);
    check_returns(&returns, findings);
    check_missing_copies(
        &missing,
        paris_date(time::OffsetDateTime::now_utc()),
        findings,
    );
    check_pj_paper(&on_paper, findings);
}

/// PJ lots not delivered within their 5 working days: their attachments go by post.
fn check_pj_paper(on_paper: &[passerelle_protocol::PjLot], findings: &mut Vec<Finding>) {
    let ids: Vec<String> = on_paper
        .iter()
        .flat_map(|l| l.attachments.iter().map(|a| a.attachment_id.to_string()))
        .collect();
    if let Some(first) = ids.first() {
        findings.push(
            Finding::new(
                "attachments_paper",
                Verdict::Problem,
                format!(
                    "{} pièce(s) jointe(s) de {} lot(s) PJ sans ARL PJ en 5 jours ouvrés : à \
                     imprimer et poster à la caisse (pièces {})",
                    ids.len(),
                    on_paper.len(),
                    ids.join(", ")
                ),
            )
            .advise(format!(
                "imprimez chaque copie tamponnée (GET /v1/attachments/{first}/paper, etc.)"
            )),
        );
    }
}

/// Degraded FSE without their scanned copy: one finding, a warning while they can still be
/// attached, a problem once the 30 days are past for one of them (the paper goes then).
fn check_missing_copies(
    missing: &[passerelle_protocol::MissingAttachment],
    today: time::Date,
    findings: &mut Vec<Finding>,
) {
    let Some(first) = missing.first() else {
        return;
    };
    let by = |m: &passerelle_protocol::MissingAttachment| {
        passerelle_billing::attachments::attach_by(&m.care_date).unwrap_or_default()
    };
    let today = passerelle_billing::clock::format_date(today);
    let late = missing.iter().filter(|m| by(m) < today).count();
    let what = format!(
        "{} FSE dégradée(s) sans la copie numérisée de leur feuille (la plus ancienne : FSE {} du {})",
        missing.len(),
        first.number,
        first.care_date
    );
    findings.push(if late > 0 {
        Finding::new("attachments", Verdict::Problem, format!("{what} ; {late} hors du délai de 30 jours"))
            .advise("envoyez à la caisse la feuille papier des FSE hors délai (GET /v1/attachments/missing)")
    } else {
        Finding::new("attachments", Verdict::Warning, format!("{what}, à joindre avant le {}", by(first)))
            .advise("numérisez les feuilles signées et joignez-les (POST /v1/fse/{id}/attachments)")
    });
}

/// Days back the doctor reports return mails it could not apply.
const RETURNS_LOOKBACK_DAYS: i64 = 30;

/// Return mails of the last days that were kept but not applied.
fn check_returns(returns: &[ReturnMail], findings: &mut Vec<Finding>) {
    let since = passerelle_billing::clock::format_instant(
        time::OffsetDateTime::now_utc() - time::Duration::days(RETURNS_LOOKBACK_DAYS),
    );
    for m in returns.iter().filter(|m| m.received >= since) {
        let why = match m.state {
            ReturnState::Refused => "retour reçu mais pas appliqué",
            ReturnState::UnknownSender => "mail d'un expéditeur qui n'est pas un organisme connu",
            ReturnState::Stored | ReturnState::Applied => continue,
        };
        let outcome = m.outcome.as_deref().unwrap_or("");
        findings.push(
            Finding::new(
                format!("returns.{}:{}", m.practitioner, m.id),
                Verdict::Warning,
                format!(
                    "{why} (« {} », reçu le {}) : {outcome}",
                    m.subject, m.received
                ),
            )
            .advise("lisez-le (`passerelle returns`) ; la caisse peut renvoyer un retour corrigé"),
        );
    }
}

fn read_ca(config: &Config, findings: &mut Vec<Finding>) -> Option<Vec<u8>> {
    let file = &config.transmission.ca_file;
    if file.as_os_str().is_empty() {
        return None;
    }
    match std::fs::read(file) {
        Ok(pem) => Some(pem),
        Err(e) => {
            findings.push(
                Finding::new(
                    "mail.ca_file",
                    Verdict::Problem,
                    format!(
                        "autorité de la messagerie {} illisible : {e}",
                        file.display()
                    ),
                )
                .advise("corrigez transmission.ca_file"),
            );
            None
        }
    }
}

/// SMTP and IMAP of one situation: connect, TLS, login, nothing sent.
fn check_servers(
    s: &MailSettings,
    passwords: &Passwords,
    ca: Option<&[u8]>,
    findings: &mut Vec<Finding>,
) {
    let who = &s.practitioner;
    let password = match passwords.read(who) {
        Ok(p) => p,
        Err(e) => {
            findings.push(Finding::new(
                format!("mail.smtp:{who}"),
                Verdict::Problem,
                e.to_string(),
            ));
            return;
        }
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    let mut smtp_settings = settings::smtp(s, &password, ca);
    smtp_settings.exchange_timeout = Duration::from_secs(15);
    let smtp = runtime.block_on(smtp::check_login(&smtp_settings));
    findings.push(match smtp {
        Ok(()) => Finding::new(
            format!("mail.smtp:{who}"),
            Verdict::Ok,
            format!(
                "{}:{} joignable, TLS valide, identifiant accepté",
                s.smtp.host, s.smtp.port
            ),
        ),
        Err(e) => Finding::new(format!("mail.smtp:{who}"), Verdict::Problem, e.to_string())
            .advise("vérifiez le serveur, le port et le mot de passe (`passerelle mail set`)"),
    });
    let Some(imap_settings) = settings::imap(s, &password, ca) else {
        findings.push(Finding::new(
            format!("mail.imap:{who}"),
            Verdict::Warning,
            "aucun serveur IMAP réglé : les retours (ARL, NOEMIE) ne seront pas relevés",
        ));
        return;
    };
    let imap = runtime.block_on(async {
        let mailbox = imap::ImapMailbox::open(&imap_settings, "INBOX").await?;
        mailbox.logout().await
    });
    findings.push(match imap {
        Ok(()) => Finding::new(
            format!("mail.imap:{who}"),
            Verdict::Ok,
            format!(
                "{}:{} joignable, boîte de réception ouverte",
                imap_settings.host, imap_settings.port
            ),
        ),
        Err(e) => Finding::new(format!("mail.imap:{who}"), Verdict::Problem, e.to_string())
            .advise("vérifiez le serveur IMAP, le port et le mot de passe"),
    });
}

/// Every organism certificate of the directory (and each OCT's) present and valid.
fn check_organisms(config: &Config, settings: &[MailSettings], findings: &mut Vec<Finding>) {
    for s in settings {
        if let Some(oct) = &s.oct {
            certificate(
                format!("mail.oct:{}", s.practitioner),
                Ok(oct.certificate_pem.clone().into_bytes()),
            );
        }
    }
    let file = config.organisms_file();
    match Directory::load(&file) {
        Ok(d) => {
            if d.entries().is_empty() && settings.iter().any(|s| s.oct.is_none()) {
                findings.push(
                    Finding::new(
                        "mail.organisms",
                        Verdict::Warning,
                        format!("l'annuaire des organismes {} est vide", file.display()),
                    )
                    .advise("ajoutez-y les organismes et leurs certificats de chiffrement"),
                );
            }
            for (o, path) in d.entries() {
                let name = format!("mail.organism:{}/{}/{}", o.regime, o.caisse, o.centre);
                findings.push(certificate(
                    name,
                    std::fs::read(&path).map_err(|e| format!("{} : {e}", path.display())),
                ));
            }
        }
        Err(e) => findings.push(Finding::new(
            "mail.organisms",
            Verdict::Problem,
            e.to_string(),
        )),
    }
}

/// The finding about one encryption certificate (or why it could not be read).
fn certificate(name: String, bytes: Result<Vec<u8>, String>) -> Finding {
    let now = time::OffsetDateTime::now_utc();
    let checked = bytes.and_then(|b| {
        let cert = OrganismCertificate::from_pem_or_der(&b).map_err(|e| e.to_string())?;
        cert.check_validity(now).map_err(|e| e.to_string())?;
        let soon = now + time::Duration::days(CERTIFICATE_WARNING_DAYS);
        Ok(cert.check_validity(soon).is_ok())
    });
    match checked {
        Ok(true) => Finding::new(name, Verdict::Ok, "certificat de chiffrement valable"),
        Ok(false) => Finding::new(
            name,
            Verdict::Warning,
            format!("certificat de chiffrement valable moins de {CERTIFICATE_WARNING_DAYS} jours"),
        )
        .advise("mettez à jour l'annuaire des organismes avec le nouveau certificat"),
        Err(e) => Finding::new(name, Verdict::Problem, e)
            .advise("mettez à jour l'annuaire des organismes (transmission.organisms_file)"),
    }
}

/// Lots near or past their send-by date, lots needing attention.
fn check_lots(config: &Config, lots: &[passerelle_protocol::Lot], findings: &mut Vec<Finding>) {
    let today = paris_date(time::OffsetDateTime::now_utc());
    let warning_days = config.transmission.deadline_warning_days;
    for lot in lots {
        let name = format!("lots.{}:{}", lot.practitioner, lot.number);
        if lot.status == LotStatus::Paper && lot.paper_posted.is_none() {
            findings.push(
                Finding::new(
                    name.clone(),
                    Verdict::Problem,
                    "lot en échec deux fois : un duplicata papier est à envoyer à la caisse",
                )
                .advise(format!(
                    "`passerelle lots paper --lot {} --out duplicata.pdf`, imprimez, signez, postez, \
                     puis `passerelle lots posted --lot {}`",
                    lot.id, lot.id
                )),
            );
        }
        if lot.status == LotStatus::NeedsAttention {
            findings.push(
                Finding::new(name.clone(), Verdict::Problem, "l'envoi du lot a échoué et attend une action")
                    .advise("lisez l'erreur (`passerelle lots outbox`), corrigez, puis `passerelle lots send --lot ID`"),
            );
        }
        let waiting = matches!(
            lot.status,
            LotStatus::Signed | LotStatus::Sending | LotStatus::NeedsAttention
        );
        let by = lot.send_by.as_deref().and_then(parse_date);
        match (
            waiting,
            by.and_then(|b| deadline_state(b, today, warning_days)),
        ) {
            (true, Some(true)) => findings.push(
                Finding::new(
                    name,
                    Verdict::Problem,
                    format!(
                        "à envoyer au plus tard le {} : délai dépassé",
                        lot.send_by.clone().unwrap_or_default()
                    ),
                )
                .advise("envoyez-le sans attendre (`passerelle lots send`)"),
            ),
            (true, Some(false)) => findings.push(Finding::new(
                name,
                Verdict::Warning,
                format!(
                    "à envoyer au plus tard le {}",
                    lot.send_by.clone().unwrap_or_default()
                ),
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_protocol::{AttachmentKind, MissingAttachment};
    use time::macros::date;

    fn missing(number: &str, care_date: &str) -> MissingAttachment {
        MissingAttachment {
            fse_id: 1,
            number: number.into(),
            practitioner: "69312233".into(),
            care_date: care_date.into(),
            kind: AttachmentKind::DegradedCopy,
            attach_by: String::new(),
        }
    }

    #[test]
    fn missing_copies_warn_then_are_a_problem_past_30_days() {
        let mut none = Vec::new();
        check_missing_copies(&[], date!(2026 - 12 - 01), &mut none);
        assert!(none.is_empty(), "nothing missing, nothing said");

        let two = [
            missing("000000004", "2026-11-20"),
            missing("000000007", "2026-11-25"),
        ];
        let mut f = Vec::new();
        check_missing_copies(&two, date!(2026 - 12 - 01), &mut f);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].verdict, Verdict::Warning);
        assert!(
            f[0].message.contains("2 FSE dégradée(s)"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("FSE 000000004 du 2026-11-20"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("avant le 2026-12-20"),
            "{}",
            f[0].message
        );

        let mut f = Vec::new();
        check_missing_copies(&two, date!(2026 - 12 - 21), &mut f);
        assert_eq!(f[0].verdict, Verdict::Problem);
        assert!(
            f[0].message.ends_with("1 hors du délai de 30 jours"),
            "{}",
            f[0].message
        );
    }
}
