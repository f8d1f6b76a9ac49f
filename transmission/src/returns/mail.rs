//! Reading a return mail: its sender, subject, Message-ID and the ARL or NOEMIE it carries,
//! with `mail-parser` (no hand-written MIME).
//!
//! Modelled (the returns' envelope is restricted): an organism's return is a mail from its
//! mailbox to the practitioner's, in clear, with one attachment whose `Content-Description`
//! says what it is: `IRIS/ARL` (the ARL text), `IRIS/ARL-PJ` (the ARL PJ of a PJ lot, the
//! same text) or `IRIS/NOEMIE` (a NOEMIE file, possibly gzip-compressed). Real returns may be encrypted to the practitioner; a licensed
//! implementation would decrypt here.

use mail_parser::{MessageParser, MimeHeaders};
use passerelle_protocol::ReturnKind;

/// The `Content-Description` of an ARL attachment (modelled).
pub const ARL_DESCRIPTION: &str = "IRIS/ARL";
/// The `Content-Description` of an ARL PJ attachment (modelled).
pub const ARL_PJ_DESCRIPTION: &str = "IRIS/ARL-PJ";
/// The `Content-Description` of a NOEMIE attachment (modelled).
pub const NOEMIE_DESCRIPTION: &str = "IRIS/NOEMIE";

/// What a return mail says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnEnvelope {
    /// Its Message-ID, with angle brackets.
    pub message_id: Option<String>,
    /// Its sender's address, lower case.
    pub sender: Option<String>,
    /// Its subject.
    pub subject: String,
    /// What it carries.
    pub kind: ReturnKind,
    /// The ARL or NOEMIE bytes, when it carries one.
    pub payload: Option<Vec<u8>>,
}

/// Reads `raw`. Never fails: a mail that is not a return is `ReturnKind::Other` without
/// payload (kept and reported by the caller); bytes that are not even a mail give an
/// envelope with nothing in it.
pub fn read(raw: &[u8]) -> ReturnEnvelope {
    let Some(message) = MessageParser::default().parse(raw) else {
        return ReturnEnvelope {
            message_id: None,
            sender: None,
            subject: String::new(),
            kind: ReturnKind::Other,
            payload: None,
        };
    };
    let with = |description: &str| {
        message
            .attachments()
            .find(|p| p.content_description() == Some(description))
            .map(|p| p.contents().to_vec())
    };
    let (kind, payload) = if let Some(arl) = with(ARL_DESCRIPTION) {
        (ReturnKind::Arl, Some(arl))
    } else if let Some(arl_pj) = with(ARL_PJ_DESCRIPTION) {
        (ReturnKind::ArlPj, Some(arl_pj))
    } else if let Some(noemie) = with(NOEMIE_DESCRIPTION) {
        (ReturnKind::Noemie, Some(noemie))
    } else {
        (ReturnKind::Other, None)
    };
    ReturnEnvelope {
        message_id: message.message_id().map(|id| format!("<{id}>")),
        sender: message
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .map(str::to_lowercase),
        subject: message
            .subject()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect(),
        kind,
        payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARL_MAIL: &str = "From: Organisme <01751@751.01.rss.fr>\r\n\
To: durand@cabinet.test\r\nSubject: ARL lot 007\r\nMessage-ID: <arl-1@751.01.rss.fr>\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
Content-Type: text/plain\r\n\r\nAccuse de reception\r\n--b\r\n\
Content-Type: text/plain; name=arl.txt\r\nContent-Disposition: attachment; filename=arl.txt\r\n\
Content-Description: IRIS/ARL\r\n\r\nARL-MODELE-1\r\nlot=007\r\n--b--\r\n";

    #[test]
    fn an_arl_mail_is_read() {
        let e = read(ARL_MAIL.as_bytes());
        assert_eq!(e.kind, ReturnKind::Arl);
        assert_eq!(e.sender.as_deref(), Some("01751@751.01.rss.fr"));
        assert_eq!(e.message_id.as_deref(), Some("<arl-1@751.01.rss.fr>"));
        assert!(e.payload.unwrap().starts_with(b"ARL-MODELE-1"));
    }

    #[test]
    fn an_arl_pj_mail_is_told_apart() {
        let e = read(
            ARL_MAIL
                .replace("IRIS/ARL\r\n", "IRIS/ARL-PJ\r\n")
                .as_bytes(),
        );
        assert_eq!(e.kind, ReturnKind::ArlPj);
        assert!(e.payload.unwrap().starts_with(b"ARL-MODELE-1"));
    }

    #[test]
    fn anything_else_is_other() {
        assert_eq!(read(b"").kind, ReturnKind::Other);
        assert_eq!(read(b"Subject: hello\r\n\r\nhi").kind, ReturnKind::Other);
    }
}
