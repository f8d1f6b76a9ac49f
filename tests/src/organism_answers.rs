//! The test organism's answers: ARL (of an FSE lot or, as an ARL PJ, of a PJ lot) and NOEMIE files written here by hand from the modelled
//! layouts the README and `billing/src/returns` document (not with the daemon's writers, so
//! a drift between the two shows), put in a mail built with lettre (not the daemon's
//! mail-parser), and sent from the organism's mailbox to the practitioner's through the
//! rig's Postfix, where the daemon's IMAP fetcher finds them.

use lettre::message::header::{ContentDisposition, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::mail::MailRig;
use crate::organism::TestOrganism;

/// The `Content-Description` of an ARL attachment (modelled).
pub const ARL_DESCRIPTION: &str = "IRIS/ARL";
/// The `Content-Description` of an ARL PJ attachment, the acknowledgement of a PJ lot
/// (modelled: the same `ARL-MODELE-1` text as an ARL).
pub const ARL_PJ_DESCRIPTION: &str = "IRIS/ARL-PJ";

/// What an ARL acknowledges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArlOf {
    /// An FSE lot: an ARL (`IRIS/ARL`).
    FseLot,
    /// A PJ lot: an ARL PJ (`IRIS/ARL-PJ`); the answer's `lot` is the PJ lot number and its
    /// `reference` the Message-ID of the mail that carried the PJ lot.
    PjLot,
}

/// A positive or negative ARL for one lot (an FSE lot, or a PJ lot for an ARL PJ).
#[derive(Debug, Clone)]
pub struct ArlAnswer {
    /// Lot number (of the FSE lot, or of the PJ lot), 3 digits.
    pub lot: String,
    /// Régime (2), caisse (3), centre (4).
    pub organism: (String, String, String),
    /// The practitioner's billing number (8 digits).
    pub practitioner: String,
    /// The Message-ID of the mail that carried the lot (or PJ lot), with angle brackets.
    pub reference: String,
    /// `YYYYMMDD`.
    pub date: String,
    /// `None`: positive; `Some((code, label))`: negative.
    pub refusal: Option<(String, String)>,
}

/// The modelled ARL text (`ARL-MODELE-1`, one `key=value` per line).
pub fn arl_text(a: &ArlAnswer) -> Vec<u8> {
    let (regime, caisse, centre) = &a.organism;
    let mut text = format!(
        "ARL-MODELE-1\nlot={}\nregime={regime}\ncaisse={caisse}\ncentre={centre}\nps={}\n\
         reference={}\ndate={}\n",
        a.lot, a.practitioner, a.reference, a.date
    );
    match &a.refusal {
        None => text.push_str("resultat=positif\n"),
        Some((code, label)) => text.push_str(&format!(
            "resultat=negatif\nmotif={code}\nlibelle={label}\n"
        )),
    }
    text.into_bytes()
}

/// One invoice of a NOEMIE lot: what the organism decided for one FSE.
#[derive(Debug, Clone)]
pub struct InvoiceAnswer {
    /// The FSE number.
    pub fse: u32,
    /// The practitioner's billing number (8 digits).
    pub practitioner: String,
    /// `YYYYMMDD`, when paid.
    pub payment_date: Option<String>,
    /// AMO part: (requested, paid) in cents.
    pub amo: (i64, i64),
    /// AMC part, if any.
    pub amc: Option<(i64, i64)>,
    /// Rejections: (code up to 5 characters, label).
    pub rejections: Vec<(String, String)>,
}

/// One lot of a NOEMIE file.
#[derive(Debug, Clone)]
pub struct LotAnswer {
    /// Lot number.
    pub lot: u32,
    /// Régime (2), caisse (3), centre (4).
    pub organism: (String, String, String),
    /// The sender's billing number (8 digits).
    pub sender: String,
    /// The invoices.
    pub invoices: Vec<InvoiceAnswer>,
}

/// The four control totals: AMO requested, AMO paid, AMC requested, AMC paid.
fn totals(invoices: &[&InvoiceAnswer]) -> [i64; 4] {
    let mut t = [0; 4];
    for i in invoices {
        t[0] += i.amo.0;
        t[1] += i.amo.1;
        if let Some((r, p)) = i.amc {
            t[2] += r;
            t[3] += p;
        }
    }
    t
}

/// Entities of one invoice: its `102`, `198`, an optional `199`, its `290`s.
fn invoice_entities(i: &InvoiceAnswer) -> u64 {
    2 + u64::from(i.amc.is_some()) + i.rejections.len() as u64
}

/// A NOEMIE file by the modelled layout: `000` header (128), per lot `080`, invoices
/// (`102`, `198`, `199`, `290`), `990` control totals, then the `999` trailer (128).
/// `tamper` adds this many cents to the first lot's `990` AMO paid total (a file whose
/// totals do not match).
pub fn noemie_file(
    emitter: (&str, &str, &str),
    receiver: &str,
    created: &str,
    file_number: u32,
    lots: &[LotAnswer],
    tamper: i64,
) -> Vec<u8> {
    let mut out = String::new();
    let header = format!(
        "000580{}{}{}{receiver}{created}{file_number:06}",
        emitter.0, emitter.1, emitter.2
    );
    out.push_str(&format!("{header:<128}"));
    let mut entities = 2u64;
    let mut all = Vec::new();
    for (n, lot) in lots.iter().enumerate() {
        let (r, c, ce) = &lot.organism;
        out.push_str(&format!("080{:03}{r}{c}{ce}{}@", lot.lot, lot.sender));
        let mut lot_entities = 2u64;
        for i in &lot.invoices {
            out.push_str(&format!(
                "102{:09}{}{}@",
                i.fse,
                i.practitioner,
                i.payment_date.as_deref().unwrap_or("        ")
            ));
            out.push_str(&format!("198{:010}{:010}@", i.amo.0, i.amo.1));
            if let Some((req, paid)) = i.amc {
                out.push_str(&format!("199{req:010}{paid:010}@"));
            }
            for (code, label) in &i.rejections {
                out.push_str(&format!("290{code:<5}{label}@"));
            }
            lot_entities += invoice_entities(i);
        }
        let refs: Vec<&InvoiceAnswer> = lot.invoices.iter().collect();
        let mut t = totals(&refs);
        if n == 0 {
            t[1] += tamper;
        }
        out.push_str(&format!(
            "990{:07}{lot_entities:08}{:018}{:018}{:018}{:018}@",
            lot.invoices.len(),
            t[0],
            t[1],
            t[2],
            t[3]
        ));
        entities += lot_entities;
        all.extend(refs);
    }
    let t = totals(&all);
    let trailer = format!(
        "999{file_number:06}{:06}{:09}{entities:010}{:018}{:018}{:018}{:018}",
        lots.len(),
        all.len(),
        t[0],
        t[1],
        t[2],
        t[3]
    );
    out.push_str(&format!("{trailer:<128}"));
    // Labels are ISO-8859-1 by the model: one byte per character.
    out.chars()
        .map(|c| u8::try_from(c).unwrap_or(b'?'))
        .collect()
}

/// The `Content-Description` header (lettre has no type for it).
#[derive(Debug, Clone)]
struct ContentDescription(String);

impl Header for ContentDescription {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Description")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentDescription(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// A return mail: a text part and one attachment whose `Content-Description` says what it
/// is (`IRIS/ARL`, `IRIS/NOEMIE`, or anything else).
#[derive(Debug, Clone)]
pub struct ReturnMail {
    /// Sender.
    pub from: String,
    /// Recipient (the practitioner).
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Message-ID, with angle brackets.
    pub message_id: String,
    /// The attachment's `Content-Description`.
    pub description: String,
    /// Its file name.
    pub filename: String,
    /// Its bytes.
    pub attachment: Vec<u8>,
}

impl ReturnMail {
    /// The RFC 5322 bytes.
    pub fn build(&self) -> crate::Result<Vec<u8>> {
        let mailbox = |a: &str| a.parse::<Mailbox>().map_err(|e| format!("{a}: {e}"));
        let part = SinglePart::builder()
            .header(ContentType::parse("application/octet-stream").map_err(|e| e.to_string())?)
            .header(ContentDisposition::attachment(&self.filename))
            .header(ContentDescription(self.description.clone()))
            .body(self.attachment.clone());
        let message = Message::builder()
            .from(mailbox(&self.from)?)
            .to(mailbox(&self.to)?)
            .subject(self.subject.clone())
            .message_id(Some(self.message_id.clone()))
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(
                        "Retour de l'organisme de test.".to_owned(),
                    ))
                    .singlepart(part),
            )
            .map_err(|e| e.to_string())?;
        Ok(message.formatted())
    }
}

impl ReturnMail {
    /// The ARL (or with [`ArlOf::PjLot`] the ARL PJ) `answer`, from `org`'s mailbox to `to`,
    /// under the Message-ID `<{id}@{org's domain}>`: subject `ARL` or `ARL PJ`, attachment
    /// `arl.txt` or `arl-pj.txt` holding [`arl_text`].
    pub fn arl(org: &TestOrganism, to: &str, id: &str, of: ArlOf, answer: &ArlAnswer) -> Self {
        let (subject, description, filename) = match of {
            ArlOf::FseLot => ("ARL", ARL_DESCRIPTION, "arl.txt"),
            ArlOf::PjLot => ("ARL PJ", ARL_PJ_DESCRIPTION, "arl-pj.txt"),
        };
        let domain = org.address.split('@').nth(1).unwrap_or("test");
        ReturnMail {
            from: org.address.clone(),
            to: to.to_owned(),
            subject: subject.to_owned(),
            message_id: format!("<{id}@{domain}>"),
            description: description.to_owned(),
            filename: filename.to_owned(),
            attachment: arl_text(answer),
        }
    }
}

/// Mails the ARL (or ARL PJ) `answer` from `org`'s mailbox to `to` through the rig (see
/// [`ReturnMail::arl`]).
pub async fn send_arl(
    rig: &MailRig,
    org: &TestOrganism,
    to: &str,
    id: &str,
    of: ArlOf,
    answer: &ArlAnswer,
) -> crate::Result<()> {
    let raw = ReturnMail::arl(org, to, id, of, answer).build()?;
    send_raw(rig, &org.address, &org.password, to, &raw).await
}

/// Sends `raw` from `from` (logging in with `password`) to `to` through the rig's
/// submission port (STARTTLS, the rig's CA).
pub async fn send_raw(
    rig: &MailRig,
    from: &str,
    password: &str,
    to: &str,
    raw: &[u8],
) -> crate::Result<()> {
    let ca = Certificate::from_pem(rig.ca_pem().as_bytes()).map_err(|e| e.to_string())?;
    let tls = TlsParameters::builder(rig.host().to_owned())
        .add_root_certificate(ca)
        .build_rustls()
        .map_err(|e| e.to_string())?;
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(rig.host())
        .port(rig.ports().submission)
        .tls(Tls::Required(tls))
        .credentials(Credentials::new(from.to_owned(), password.to_owned()))
        .authentication(vec![Mechanism::Plain])
        .build();
    let envelope = lettre::address::Envelope::new(
        Some(from.parse().map_err(|e| format!("{from}: {e}"))?),
        vec![to.parse().map_err(|e| format!("{to}: {e}"))?],
    )
    .map_err(|e| e.to_string())?;
    transport
        .send_raw(&envelope, raw)
        .await
        .map_err(|e| format!("SMTP {from} → {to}: {e}"))?;
    Ok(())
}
