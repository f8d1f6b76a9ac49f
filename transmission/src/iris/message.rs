//! Assembling the MIME message with lettre's builder.

use lettre::address::Envelope;
use lettre::message::header::{
    ContentDisposition, ContentTransferEncoding, Header, HeaderName, HeaderValue, MIME_VERSION_1_0,
};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use super::{compress_b2, normalize_message_id, smime, subject, IrisError, LotEnvelope, Mode};

/// The outer `Content-Type` of an S/MIME encrypted message.
const SMIME_CONTENT_TYPE: &str =
    "application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m";

/// A built IRIS message, ready to send as it is (and to store: a re-send uses these bytes).
#[derive(Debug, Clone)]
pub struct IrisMessage {
    /// The whole message (headers and body, CRLF line ends), as sent over SMTP.
    pub bytes: Vec<u8>,
    /// The Message-ID header's value, with its angle brackets.
    pub message_id: String,
    /// The Subject header's value.
    pub subject: String,
    envelope: Envelope,
}

impl IrisMessage {
    /// The SMTP envelope: `MAIL FROM` the practitioner, `RCPT TO` the organism.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }
}

/// Declares a header written exactly as given. lettre's `ContentType` goes through the `mime`
/// crate, which lowercases the type (`application/edi-consent`); MIME types are
/// case-insensitive, but the IRIS value is written as the norm spells it.
macro_rules! raw_header {
    ($name:ident, $header:literal) => {
        #[derive(Debug, Clone)]
        struct $name(String);

        impl Header for $name {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($header)
            }

            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok($name(s.to_owned()))
            }

            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

raw_header!(RawContentType, "Content-Type");
raw_header!(ContentDescription, "Content-Description");

/// The MIME entity that gets encrypted: the compressed B2 as `application/EDI-consent`,
/// base64, with the mode's `Content-Description`. Returns its bytes (headers, blank line,
/// body; CRLF line ends).
pub fn inner_part(b2: &[u8], mode: Mode) -> Result<Vec<u8>, IrisError> {
    let compressed = compress_b2(b2)?;
    let body = Body::new_with_encoding(compressed, ContentTransferEncoding::Base64)
        .map_err(|_| IrisError::Mime("encodage base64 refusé".into()))?;
    let part = SinglePart::builder()
        .header(RawContentType("application/EDI-consent".to_owned()))
        .header(ContentDescription(mode.content_description().to_owned()))
        .body(body);
    Ok(part.formatted())
}

/// What the organism decrypts: the B2 part, then the lot's signature and the signer's
/// certificate, in one `multipart/mixed` entity.
///
/// Modelled (the norm's signature container is restricted): the signature (PKCS#1 v1.5
/// over the SHA-256 of the uncompressed B2 file) travels as `application/octet-stream` with
/// `Content-Description: IRIS/SIGNATURE`, the signer's certificate (DER) as
/// `application/pkix-cert` with `Content-Description: IRIS/CERTIFICAT`.
pub fn lot_content(
    b2: &[u8],
    signature: &[u8],
    certificate_der: &[u8],
    mode: Mode,
) -> Result<Vec<u8>, IrisError> {
    let compressed = compress_b2(b2)?;
    let encoded = |bytes: Vec<u8>| {
        Body::new_with_encoding(bytes, ContentTransferEncoding::Base64)
            .map_err(|_| IrisError::Mime("encodage base64 refusé".into()))
    };
    let part = |content_type: &str, description: &str, body: Body| {
        SinglePart::builder()
            .header(RawContentType(content_type.to_owned()))
            .header(ContentDescription(description.to_owned()))
            .body(body)
    };
    let entity = MultiPart::mixed()
        .singlepart(part(
            "application/EDI-consent",
            mode.content_description(),
            encoded(compressed)?,
        ))
        .singlepart(part(
            "application/octet-stream",
            "IRIS/SIGNATURE",
            encoded(signature.to_vec())?,
        ))
        .singlepart(part(
            "application/pkix-cert",
            "IRIS/CERTIFICAT",
            encoded(certificate_der.to_vec())?,
        ));
    Ok(entity.formatted())
}

/// What the organism decrypts from a PJ lot (modelled): the index (`text/plain`, UTF-8,
/// the mode's `IRIS/PJ/INDEX` description) then each PDF (`application/pdf`, base64, the
/// mode's `IRIS/PJ` description, as an attachment named as the index says), in one
/// `multipart/mixed` entity.
pub fn pj_content(
    index: &str,
    pdfs: &[(String, Vec<u8>)],
    mode: Mode,
) -> Result<Vec<u8>, IrisError> {
    let encoded = |bytes: Vec<u8>| {
        Body::new_with_encoding(bytes, ContentTransferEncoding::Base64)
            .map_err(|_| IrisError::Mime("encodage base64 refusé".into()))
    };
    let mut entity = MultiPart::mixed().singlepart(
        SinglePart::builder()
            .header(RawContentType("text/plain; charset=utf-8".to_owned()))
            .header(ContentDescription(mode.pj_index_description().to_owned()))
            .body(encoded(index.as_bytes().to_vec())?),
    );
    for (filename, pdf) in pdfs {
        entity = entity.singlepart(
            SinglePart::builder()
                .header(RawContentType("application/pdf".to_owned()))
                .header(ContentDescription(mode.pj_description().to_owned()))
                .header(ContentDisposition::attachment(filename))
                .body(encoded(pdf.clone())?),
        );
    }
    Ok(entity.formatted())
}

/// Builds the IRIS message of a lot: encrypt `content` (a whole MIME entity, see
/// [`lot_content`] and [`inner_part`]) to `org` (CMS EnvelopedData, AES-256-CBC), and put
/// the result in an `application/pkcs7-mime` message with From, To, Subject, Date and the
/// lot's exact Message-ID. The certificate must be valid at `lot.created_at`.
pub fn build_message(
    content: &[u8],
    lot: &LotEnvelope,
    org: &smime::OrganismCertificate,
) -> Result<IrisMessage, IrisError> {
    let subject = subject(lot)?;
    let message_id = normalize_message_id(&lot.message_id)?;
    let from = parse_address("from", &lot.from)?;
    let to = parse_address("to", &lot.to)?;
    org.check_validity(lot.created_at)?;

    let der = smime::envelope(content, org)?;

    let mime = |e: &dyn std::fmt::Display| IrisError::Mime(e.to_string());
    let body = Body::new_with_encoding(der, ContentTransferEncoding::Base64)
        .map_err(|_| IrisError::Mime("encodage base64 refusé".into()))?;
    let message = Message::builder()
        .from(Mailbox::new(None, from))
        .to(Mailbox::new(None, to))
        .subject(subject.clone())
        .date(lot.created_at.into())
        // An explicit id is written as given; `None` would make lettre invent one.
        .message_id(Some(message_id.clone()))
        // `body()` (unlike `singlepart()`) does not add MIME-Version by itself.
        .header(MIME_VERSION_1_0)
        .header(RawContentType(SMIME_CONTENT_TYPE.to_owned()))
        .header(ContentDisposition::attachment("smime.p7m"))
        .body(body)
        .map_err(|e| mime(&e))?;
    Ok(IrisMessage {
        bytes: message.formatted(),
        message_id,
        subject,
        envelope: message.envelope().clone(),
    })
}

fn parse_address(field: &'static str, text: &str) -> Result<Address, IrisError> {
    text.parse::<Address>()
        .map_err(|e| IrisError::InvalidField {
            field,
            reason: format!("adresse « {text} » invalide ({e})"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_part_has_the_iris_headers() {
        let part = inner_part(b"000 header", Mode::Production).expect("part");
        let text = String::from_utf8(part).expect("ascii");
        let (head, body) = text.split_once("\r\n\r\n").expect("blank line");
        assert!(
            head.contains("Content-Type: application/EDI-consent"),
            "{head}"
        );
        assert!(head.contains("Content-Description: IRIS/B2/Z"), "{head}");
        assert!(head.contains("Content-Transfer-Encoding: base64"), "{head}");
        assert!(!body.trim().is_empty());
        let test = inner_part(b"x", Mode::Test).expect("part");
        assert!(String::from_utf8_lossy(&test).contains("Content-Description: IRISTEST/B2\r\n"));
    }
}
