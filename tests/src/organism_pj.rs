//! The test organism's reading of a PJ lot (SCOR attachments: PDF linked to FSE), written
//! apart from the daemon's code from the modelled layout (the real one is not public).
//!
//! A PJ lot comes in the same S/MIME envelope as an FSE lot ([`crate::organism`] decrypts
//! it); its decrypted `multipart/mixed` entity holds an index part (`IRIS/PJ/INDEX`, or
//! `IRISTEST/PJ/INDEX` in test mode), whose text is `PJ-MODELE-1`, then `lot_pj`, `regime`,
//! `caisse`, `centre`, `ps`, `nombre` as `key=value` lines in that order, then one
//! `pj=N;fse=…;lot=…;nature=…;fichier=…;octets=…;sha256=…` line per attachment; then one
//! base64 `application/pdf` part per attachment (`IRIS/PJ` or `IRISTEST/PJ`), in index
//! order, named by `Content-Disposition: attachment; filename=…` as the index's `fichier`.
//!
//! The organism refuses a lot that breaks this layout, and a corrupted one: opening fails
//! when an attachment's size or SHA-256 (computed here with the `sha256sum` command, not
//! the daemon's library) differs from the index. So every lot in an inbox is whole: its
//! entries' `sha256` is what a test compares with the file it uploaded.

use mail_parser::{Message, MessagePart, MimeHeaders};

use crate::organism::{run, Envelope};

/// The index part's `Content-Description`.
pub const INDEX_DESCRIPTION: &str = "IRIS/PJ/INDEX";
/// The index part's `Content-Description` in test mode.
pub const INDEX_DESCRIPTION_TEST: &str = "IRISTEST/PJ/INDEX";
/// An attachment part's `Content-Description`.
pub const PJ_DESCRIPTION: &str = "IRIS/PJ";
/// An attachment part's `Content-Description` in test mode.
pub const PJ_DESCRIPTION_TEST: &str = "IRISTEST/PJ";
/// The first line of the modelled index.
pub const INDEX_MODEL: &str = "PJ-MODELE-1";
/// The attachment kinds an index may name.
pub const NATURES: [&str; 3] = ["prescription", "copie_degradee", "autre"];

/// One PJ lot, decrypted and checked.
#[derive(Debug, Clone)]
pub struct ReceivedPj {
    /// Its Message-ID (without angle brackets, as mail-parser gives it).
    pub message_id: String,
    /// Its subject (`IR000100/{sender}/{YYYYMMDDhhmmss}/{count}`).
    pub subject: String,
    /// `From`.
    pub from: String,
    /// Whether its parts are described `IRISTEST/…` (test mode).
    pub mode_test: bool,
    /// The PJ lot number (3 digits).
    pub lot_pj: String,
    /// Régime (2), caisse (3), centre (4).
    pub organism: (String, String, String),
    /// The sender practitioner's billing number (8 digits).
    pub practitioner: String,
    /// The attachments, in index order.
    pub entries: Vec<PjEntry>,
}

/// One attachment of a PJ lot: its index line and its PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PjEntry {
    /// Its rank in the lot, from 1.
    pub number: u32,
    /// The FSE it supports (9 digits).
    pub fse: String,
    /// The number of the FSE lot that carried that FSE (3 digits).
    pub lot: String,
    /// `prescription`, `copie_degradee` or `autre`.
    pub nature: String,
    /// Its file name (`fichier`), the PDF part's.
    pub filename: String,
    /// Its size as the index declares it.
    pub declared_bytes: u64,
    /// Its SHA-256 as the index declares it (lowercase hex).
    pub declared_sha256: String,
    /// The PDF part's bytes, decoded.
    pub pdf: Vec<u8>,
    /// The SHA-256 of `pdf` by the `sha256sum` command (lowercase hex).
    pub sha256: String,
}

/// Whether a decrypted entity is a PJ lot: it has a PJ index part.
pub(crate) fn is_pj_lot(inner: &Message) -> bool {
    described(inner, INDEX_DESCRIPTION).next().is_some()
        || described(inner, INDEX_DESCRIPTION_TEST).next().is_some()
}

/// Reads and checks the PJ lot `inner` that came in `envelope`.
pub(crate) fn read(envelope: Envelope, inner: &Message) -> crate::Result<ReceivedPj> {
    let id = envelope.message_id.clone();
    read_checked(envelope, inner).map_err(|e| format!("PJ lot <{id}>: {e}"))
}

/// The parts of `inner` whose `Content-Description` is `description`.
fn described<'a, 'x>(
    inner: &'a Message<'x>,
    description: &'a str,
) -> impl Iterator<Item = &'a MessagePart<'x>> {
    inner
        .parts
        .iter()
        .filter(move |p| p.content_description() == Some(description))
}

fn read_checked(envelope: Envelope, inner: &Message) -> crate::Result<ReceivedPj> {
    let live: Vec<_> = described(inner, INDEX_DESCRIPTION).collect();
    let test: Vec<_> = described(inner, INDEX_DESCRIPTION_TEST).collect();
    let (index, mode_test) = match (live.as_slice(), test.as_slice()) {
        ([index], []) => (*index, false),
        ([], [index]) => (*index, true),
        _ => return Err("not exactly one index part".into()),
    };
    let (pj_description, other_mode) = if mode_test {
        (PJ_DESCRIPTION_TEST, PJ_DESCRIPTION)
    } else {
        (PJ_DESCRIPTION, PJ_DESCRIPTION_TEST)
    };
    let text = index.text_contents().ok_or("the index is not UTF-8 text")?;
    let (mut received, declared) = parse_index(text, envelope, mode_test)?;
    let count: usize = received
        .subject
        .rsplit('/')
        .next()
        .filter(|c| c.len() == 5)
        .and_then(|c| c.parse().ok())
        .ok_or("the subject does not end with a 5-digit count")?;
    if described(inner, other_mode).next().is_some() {
        return Err(format!("a {other_mode} part in a {pj_description} lot"));
    }
    let pdfs: Vec<_> = described(inner, pj_description).collect();
    if count != declared || received.entries.len() != declared || pdfs.len() != declared {
        return Err(format!(
            "nombre={declared}, subject count {count}, {} index lines, {} PDF parts",
            received.entries.len(),
            pdfs.len()
        ));
    }
    for (entry, part) in received.entries.iter_mut().zip(pdfs) {
        attach(entry, part)?;
    }
    Ok(received)
}

/// Checks the PDF `part` against `entry` and fills its bytes and computed checksum.
fn attach(entry: &mut PjEntry, part: &MessagePart) -> crate::Result<()> {
    let n = entry.number;
    let filename = part
        .content_disposition()
        .filter(|d| d.is_attachment())
        .and_then(|d| d.attribute("filename"));
    if filename != Some(entry.filename.as_str()) {
        return Err(format!(
            "PDF part {n} is {filename:?}, the index names {:?} (missing or out of order)",
            entry.filename
        ));
    }
    let is_pdf = part.content_type().is_some_and(|t| {
        t.ctype().eq_ignore_ascii_case("application")
            && t.subtype().is_some_and(|s| s.eq_ignore_ascii_case("pdf"))
    });
    let base64 = part
        .content_transfer_encoding()
        .is_some_and(|e| e.eq_ignore_ascii_case("base64"));
    if !is_pdf || !base64 || !part.contents().starts_with(b"%PDF-") {
        return Err(format!(
            "{}: not a base64 application/pdf PDF",
            entry.filename
        ));
    }
    entry.pdf = part.contents().to_vec();
    entry.sha256 = sha256sum(&entry.pdf)?;
    if entry.pdf.len() as u64 != entry.declared_bytes || entry.sha256 != entry.declared_sha256 {
        return Err(format!(
            "{} is corrupted: {} bytes, sha256 {}; the index declares {} bytes, sha256 {}",
            entry.filename,
            entry.pdf.len(),
            entry.sha256,
            entry.declared_bytes,
            entry.declared_sha256
        ));
    }
    Ok(())
}

/// The SHA-256 of `bytes` by the `sha256sum` command, lowercase hex.
fn sha256sum(bytes: &[u8]) -> crate::Result<String> {
    let out = run(&mut std::process::Command::new("sha256sum"), bytes)?;
    let out = String::from_utf8(out).map_err(|e| e.to_string())?;
    out.split_whitespace()
        .next()
        .filter(|h| is_hex64(h))
        .map(str::to_owned)
        .ok_or_else(|| format!("sha256sum said {out:?}"))
}

/// Whether `s` is 64 lowercase hex digits.
fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `value` if it is `width` ASCII digits.
fn digits<'a>(key: &str, value: &'a str, width: usize) -> crate::Result<&'a str> {
    if value.len() == width && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value)
    } else {
        Err(format!("{key}={value:?}: not {width} digits"))
    }
}

/// Splits `key=value` and checks the key is `expected`.
fn field<'a>(pair: Option<&'a str>, expected: &str) -> crate::Result<&'a str> {
    match pair.and_then(|p| p.split_once('=')) {
        Some((k, v)) if k == expected => Ok(v),
        _ => Err(format!("expected {expected}=…, found {pair:?}")),
    }
}

/// Parses the index (LF line ends; a CR before the LF is tolerated, as a text part may come
/// in canonical CRLF form): the lot without the PDF bytes, and its `nombre`.
fn parse_index(
    text: &str,
    envelope: Envelope,
    mode_test: bool,
) -> crate::Result<(ReceivedPj, usize)> {
    let mut lines = text.lines();
    if lines.next() != Some(INDEX_MODEL) {
        return Err(format!("the index does not start with {INDEX_MODEL}"));
    }
    let mut header = |key: &str, width: usize| {
        field(lines.next(), key).and_then(|v| digits(key, v, width).map(str::to_owned))
    };
    let lot_pj = header("lot_pj", 3)?;
    let organism = (
        header("regime", 2)?,
        header("caisse", 3)?,
        header("centre", 4)?,
    );
    let practitioner = header("ps", 8)?;
    let declared = field(lines.next(), "nombre")?;
    let declared: usize = declared
        .parse()
        .map_err(|_| format!("nombre={declared:?}"))?;
    let mut entries: Vec<PjEntry> = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let entry = parse_entry(line, entries.len() as u32 + 1)?;
        if entries.iter().any(|e| e.filename == entry.filename) {
            return Err(format!("fichier={} twice", entry.filename));
        }
        entries.push(entry);
    }
    let lot = ReceivedPj {
        message_id: envelope.message_id,
        subject: envelope.subject,
        from: envelope.from,
        mode_test,
        lot_pj,
        organism,
        practitioner,
        entries,
    };
    Ok((lot, declared))
}

/// One `pj=…` line, which must be the `number`th.
fn parse_entry(line: &str, number: u32) -> crate::Result<PjEntry> {
    let mut pairs = line.split(';');
    let mut next = |key: &str| field(pairs.next(), key);
    let rank = next("pj")?;
    if rank != number.to_string() {
        return Err(format!("pj={rank}: expected pj={number}"));
    }
    let fse = digits("fse", next("fse")?, 9)?.to_owned();
    let lot = digits("lot", next("lot")?, 3)?.to_owned();
    let nature = next("nature")?.to_owned();
    if !NATURES.contains(&nature.as_str()) {
        return Err(format!("pj={number}: nature={nature:?}"));
    }
    let filename = next("fichier")?.to_owned();
    if filename.is_empty() || filename.contains(['/', '"', '\\']) {
        return Err(format!("pj={number}: fichier={filename:?}"));
    }
    let octets = next("octets")?;
    let declared_bytes = octets
        .parse()
        .map_err(|_| format!("pj={number}: octets={octets:?}"))?;
    let declared_sha256 = next("sha256")?.to_owned();
    if !is_hex64(&declared_sha256) || pairs.next().is_some() {
        return Err(format!(
            "pj={number}: bad sha256 or extra fields in {line:?}"
        ));
    }
    Ok(PjEntry {
        number,
        fse,
        lot,
        nature,
        filename,
        declared_bytes,
        declared_sha256,
        pdf: Vec::new(),
        sha256: String::new(),
    })
}

#[cfg(test)]
mod tests;
