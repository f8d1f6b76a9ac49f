//! A test organism: what a caisse's IRIS reception would do with the lots, written apart
//! from the daemon's code so it checks the daemon independently.
//!
//! It reads its mailbox over IMAPS (async-imap, its own client here), decrypts each S/MIME
//! message with the `openssl cms` command line, reads the MIME parts with `mail-parser`
//! (another implementation than the daemon's lettre), decompresses the B2 with `gzip`, and
//! keeps what it received by Message-ID, counting repeats (a re-send after a crash reuses the
//! Message-ID: the organism treats it as the same mail). The B2 and signature checks are the
//! tests' own (`tests/tests/common/billing.rs`). A message whose decrypted entity has a PJ
//! index is a PJ lot instead, read by [`crate::organism_pj`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use futures_util::TryStreamExt;
use mail_parser::{Message, MessageParser, MimeHeaders};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::mail::MailRig;
use crate::organism_pj::{self, ReceivedPj};

/// One organism: its mailbox and its encryption key pair.
#[derive(Debug, Clone)]
pub struct TestOrganism {
    /// Régime (2 digits).
    pub regime: String,
    /// Caisse (3 digits).
    pub caisse: String,
    /// The mailbox, by the public rule.
    pub address: String,
    /// Its IMAP password.
    pub password: String,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// Its certificate (PEM), the one the daemon encrypts to.
    pub certificate: PathBuf,
}

impl TestOrganism {
    /// Makes the organism `regime`/`caisse` in `dir`: a 2048-bit RSA key and a self-signed
    /// certificate valid 10 years, by the `openssl` command line.
    pub fn create(dir: &Path, regime: &str, caisse: &str) -> crate::Result<TestOrganism> {
        let key = dir.join(format!("org-{regime}{caisse}.key"));
        let certificate = dir.join(format!("org-{regime}{caisse}.pem"));
        let subject = format!("/CN=Organisme de test {regime} {caisse}/O=Passerelle tests");
        run(
            Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                ])
                .args(["-subj", &subject])
                .arg("-keyout")
                .arg(&key)
                .arg("-out")
                .arg(&certificate),
            &[],
        )?;
        Ok(TestOrganism {
            regime: regime.to_owned(),
            caisse: caisse.to_owned(),
            address: format!("{regime}{caisse}@{caisse}.{regime}.rss.fr"),
            password: format!("organisme-{regime}{caisse}"),
            key,
            certificate,
        })
    }

    /// The `[[organism]]` entry of the daemon's directory for this organism (every centre).
    pub fn directory_entry(&self) -> String {
        format!(
            "[[organism]]\nregime = \"{}\"\ncaisse = \"{}\"\ncentre = \"*\"\ncertificate = {:?}\n\n",
            self.regime,
            self.caisse,
            self.certificate.display().to_string()
        )
    }
}

/// What one message held, decrypted.
#[derive(Debug, Clone)]
pub struct Received {
    /// Its Message-ID (without angle brackets, as mail-parser gives it).
    pub message_id: String,
    /// Its subject.
    pub subject: String,
    /// `From`.
    pub from: String,
    /// The B2 part's `Content-Description` (`IRISTEST/B2` in test mode).
    pub description: String,
    /// The B2 file, decompressed.
    pub b2: Vec<u8>,
    /// The lot signature part.
    pub signature: Vec<u8>,
    /// The signer's certificate part (DER).
    pub certificate: Vec<u8>,
}

/// One message, opened: an FSE lot or a PJ lot.
#[derive(Debug, Clone)]
pub enum Opened {
    /// An FSE lot (B2, signature, certificate).
    Fse(Received),
    /// A PJ lot (index and PDF attachments).
    Pj(ReceivedPj),
}

impl Opened {
    /// Its Message-ID (without angle brackets).
    pub fn message_id(&self) -> &str {
        match self {
            Opened::Fse(r) => &r.message_id,
            Opened::Pj(r) => &r.message_id,
        }
    }
}

/// Everything an organism received, by Message-ID, with how many times each came.
#[derive(Debug, Default, Clone)]
pub struct Inbox {
    /// The first copy of each FSE lot message.
    pub messages: BTreeMap<String, Received>,
    /// The first copy of each PJ lot message.
    pub pj_lots: BTreeMap<String, ReceivedPj>,
    /// How many copies of each Message-ID arrived (FSE and PJ lots alike).
    pub copies: BTreeMap<String, usize>,
}

impl Inbox {
    /// Messages that arrived more than once (re-sends of an attempt whose outcome a crash
    /// left unknown).
    pub fn repeats(&self) -> usize {
        self.copies.values().map(|n| n.saturating_sub(1)).sum()
    }
}

/// Reads `org`'s whole mailbox on `rig` over IMAPS and decrypts every message.
pub async fn read_inbox(rig: &MailRig, org: &TestOrganism, work: &Path) -> crate::Result<Inbox> {
    let mut inbox = Inbox::default();
    for raw in fetch_all(rig, org).await? {
        let opened = open_message(org, &raw, work)?;
        *inbox
            .copies
            .entry(opened.message_id().to_owned())
            .or_default() += 1;
        match opened {
            Opened::Fse(r) => {
                inbox.messages.entry(r.message_id.clone()).or_insert(r);
            }
            Opened::Pj(r) => {
                inbox.pj_lots.entry(r.message_id.clone()).or_insert(r);
            }
        }
    }
    Ok(inbox)
}

/// Every message of the mailbox, raw (read-only: `EXAMINE`, `BODY.PEEK[]`).
async fn fetch_all(rig: &MailRig, org: &TestOrganism) -> crate::Result<Vec<Vec<u8>>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(rig.ca_pem().as_bytes()) {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", rig.ports().imaps))
        .await
        .map_err(|e| format!("IMAPS connect: {e}"))?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("IMAPS TLS: {e}"))?;
    let mut client = async_imap::Client::new(tls);
    client
        .read_response()
        .await
        .map_err(|e| format!("IMAP greeting: {e}"))?;
    let mut session = client
        .login(&org.address, &org.password)
        .await
        .map_err(|(e, _)| format!("IMAP login: {e}"))?;
    let mailbox = session
        .examine("INBOX")
        .await
        .map_err(|e| format!("EXAMINE: {e}"))?;
    let mut out = Vec::new();
    if mailbox.exists > 0 {
        let fetched: Vec<_> = session
            .fetch("1:*", "BODY.PEEK[]")
            .await
            .map_err(|e| format!("FETCH: {e}"))?
            .try_collect()
            .await
            .map_err(|e| format!("FETCH: {e}"))?;
        out.extend(fetched.iter().filter_map(|f| f.body().map(<[u8]>::to_vec)));
    }
    let _ = session.logout().await;
    Ok(out)
}

/// Decrypts one raw message with `openssl cms` and reads it: a PJ lot if its decrypted
/// entity has a PJ index part, an FSE lot otherwise. The message is kept in `work` (as
/// `msg-{hash of its bytes}.eml`) for a failing test's reader. Fails saying what is wrong with the message.
pub fn open_message(org: &TestOrganism, raw: &[u8], work: &Path) -> crate::Result<Opened> {
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(raw, &mut hasher);
    let eml = work.join(format!(
        "msg-{:016x}.eml",
        std::hash::Hasher::finish(&hasher)
    ));
    std::fs::write(&eml, raw).map_err(|e| format!("{}: {e}", eml.display()))?;
    let outer = MessageParser::default()
        .parse(raw)
        .ok_or("unreadable message")?;
    let decrypted = run(
        Command::new("openssl")
            .args(["cms", "-decrypt", "-recip"])
            .arg(&org.certificate)
            .arg("-inkey")
            .arg(&org.key),
        raw,
    )?;
    let inner = MessageParser::default()
        .parse(&decrypted)
        .ok_or("unreadable decrypted entity")?;
    let envelope = Envelope {
        message_id: outer.message_id().unwrap_or_default().to_owned(),
        subject: outer.subject().unwrap_or_default().to_owned(),
        from: outer
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned(),
    };
    if organism_pj::is_pj_lot(&inner) {
        return organism_pj::read(envelope, &inner).map(Opened::Pj);
    }
    open_fse(envelope, &inner).map(Opened::Fse)
}

/// The outer headers of a lot message.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    /// Message-ID, without angle brackets.
    pub message_id: String,
    /// Subject.
    pub subject: String,
    /// `From` address.
    pub from: String,
}

/// Reads the decrypted entity of an FSE lot: B2 (decompressed), signature, certificate.
fn open_fse(envelope: Envelope, inner: &Message) -> crate::Result<Received> {
    let part = |description: &str| {
        inner
            .attachments()
            .chain(inner.text_bodies())
            .find(|p| p.content_description() == Some(description))
            .map(|p| p.contents().to_vec())
    };
    let b2_part = inner
        .attachments()
        .find(|p| {
            p.content_type().is_some_and(|t| {
                t.ctype().eq_ignore_ascii_case("application")
                    && t.subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("EDI-consent"))
            })
        })
        .ok_or("no application/EDI-consent part")?;
    let description = b2_part.content_description().unwrap_or_default().to_owned();
    let b2 = run(Command::new("gzip").arg("-dc"), b2_part.contents())?;
    Ok(Received {
        message_id: envelope.message_id,
        subject: envelope.subject,
        from: envelope.from,
        description,
        b2,
        signature: part("IRIS/SIGNATURE").ok_or("no IRIS/SIGNATURE part")?,
        certificate: part("IRIS/CERTIFICAT").ok_or("no IRIS/CERTIFICAT part")?,
    })
}

/// Runs `command` with `input` on its standard input: its standard output, or an error with
/// its standard error. The organism's own tools (`openssl`, `gzip`, `sha256sum`), not the
/// daemon's libraries.
pub(crate) fn run(command: &mut Command, input: &[u8]) -> crate::Result<Vec<u8>> {
    let name = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{name}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("stdin")?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "{name} {:?}: {}",
            command.get_args().collect::<Vec<_>>(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}
