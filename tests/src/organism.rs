//! A test organism: what a caisse's IRIS reception would do with the lots, written apart
//! from the daemon's code so it checks the daemon independently.
//!
//! It reads its mailbox over IMAPS (async-imap, its own client here), decrypts each S/MIME
//! message with the `openssl cms` command line, reads the MIME parts with `mail-parser`
//! (another implementation than the daemon's lettre), decompresses the B2 with `gzip`, and
//! keeps what it received by Message-ID, counting repeats (a re-send after a crash reuses the
//! Message-ID: the organism treats it as the same mail). The B2 and signature checks are the
//! tests' own (`tests/tests/common/billing.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use futures_util::TryStreamExt;
use mail_parser::{MessageParser, MimeHeaders};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use crate::mail::MailRig;

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
        let out = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
            ])
            .arg("-subj")
            .arg(format!(
                "/CN=Organisme de test {regime} {caisse}/O=Passerelle tests"
            ))
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate)
            .output()
            .map_err(|e| format!("openssl req: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "openssl req: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
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

/// Everything an organism received, by Message-ID, with how many times each came.
#[derive(Debug, Default, Clone)]
pub struct Inbox {
    /// The first copy of each message.
    pub messages: BTreeMap<String, Received>,
    /// How many copies of each Message-ID arrived.
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
    for (i, raw) in fetch_all(rig, org).await?.into_iter().enumerate() {
        let received = open(org, &raw, &work.join(format!("msg-{i}.eml")))?;
        *inbox.copies.entry(received.message_id.clone()).or_default() += 1;
        inbox
            .messages
            .entry(received.message_id.clone())
            .or_insert(received);
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

/// Decrypts one message with `openssl cms` and reads its parts.
fn open(org: &TestOrganism, raw: &[u8], eml: &Path) -> crate::Result<Received> {
    std::fs::write(eml, raw).map_err(|e| e.to_string())?;
    let outer = MessageParser::default()
        .parse(raw)
        .ok_or("unreadable message")?;
    let decrypted = Command::new("openssl")
        .args(["cms", "-decrypt", "-in"])
        .arg(eml)
        .arg("-recip")
        .arg(&org.certificate)
        .arg("-inkey")
        .arg(&org.key)
        .output()
        .map_err(|e| format!("openssl cms: {e}"))?;
    if !decrypted.status.success() {
        return Err(format!(
            "openssl cms -decrypt: {}",
            String::from_utf8_lossy(&decrypted.stderr)
        ));
    }
    let inner = MessageParser::default()
        .parse(&decrypted.stdout)
        .ok_or("unreadable decrypted entity")?;
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
    let b2 = gunzip(b2_part.contents())?;
    Ok(Received {
        message_id: outer.message_id().unwrap_or_default().to_owned(),
        subject: outer.subject().unwrap_or_default().to_owned(),
        from: outer
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_owned(),
        description,
        b2,
        signature: part("IRIS/SIGNATURE").ok_or("no IRIS/SIGNATURE part")?,
        certificate: part("IRIS/CERTIFICAT").ok_or("no IRIS/CERTIFICAT part")?,
    })
}

/// Decompresses with the `gzip` command (not the daemon's flate2).
fn gunzip(bytes: &[u8]) -> crate::Result<Vec<u8>> {
    use std::io::Write;
    let mut child = Command::new("gzip")
        .arg("-dc")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("gzip: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("gzip stdin")?;
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!(
            "gzip -dc: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}
