//! Port free or ours, daemon answering, service running.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::DigitallySignedStruct;
use service_manager::{ServiceLevel, ServiceManager, ServiceStatus, ServiceStatusCtx};

use super::{Finding, Verdict};
use passerelle_installation::config::Config;
use passerelle_installation::tls::TlsFiles;
use passerelle_installation::{service_label, Installation, ServiceMode};

/// What is on the API port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PortAnswer {
    /// Nothing listens: the port is free.
    Nothing,
    /// Passerelle answers with the certificate of this data directory.
    Passerelle,
    /// Passerelle answers, but with another certificate (another data directory, or
    /// certificates renewed since it started).
    PasserelleOtherCertificate,
    /// Another program holds the port.
    Other,
}

const TIMEOUT: Duration = Duration::from_secs(3);

/// Asks what is on `server.port` of 127.0.0.1.
pub(super) fn check_port(
    config: &Config,
    data_dir: &Path,
    findings: &mut Vec<Finding>,
) -> PortAnswer {
    let port = config.server.port;
    let answer = probe(port, data_dir);
    let finding = match &answer {
        PortAnswer::Nothing => Finding::new(
            "port",
            Verdict::Ok,
            format!("le port {port} est libre (aucun démon n'y répond)"),
        ),
        PortAnswer::Passerelle => Finding::new(
            "port",
            Verdict::Ok,
            format!("Passerelle répond sur https://localhost:{port}"),
        ),
        PortAnswer::PasserelleOtherCertificate => Finding::new(
            "port",
            Verdict::Problem,
            format!(
                "un démon Passerelle répond sur le port {port}, mais avec un autre certificat \
                 que celui de {}",
                data_dir.display()
            ),
        )
        .advise("redémarrez le service (il a peut-être renouvelé son certificat), ou vérifiez qu'un seul démon tourne avec cette configuration"),
        PortAnswer::Other => Finding::new(
            "port",
            Verdict::Problem,
            format!("le port {port} est pris par un autre programme"),
        )
        .advise(format!(
            "trouvez-le avec `sudo ss -ltnp 'sport = :{port}'` et arrêtez-le, ou choisissez un \
             autre port (server.port dans la configuration, et dans l'application de facturation)"
        )),
    };
    findings.push(finding);
    answer
}

fn probe(port: u16, data_dir: &Path) -> PortAnswer {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    if TcpStream::connect_timeout(&addr, TIMEOUT).is_err() {
        return PortAnswer::Nothing;
    }
    let ca = std::fs::read(TlsFiles::in_dir(data_dir).ca).ok();
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return PortAnswer::Other;
    };
    runtime.block_on(async {
        if let Some(ca) = ca {
            if status_answers(port, Some(&ca)).await {
                return PortAnswer::Passerelle;
            }
        }
        if status_answers(port, None).await {
            PortAnswer::PasserelleOtherCertificate
        } else {
            PortAnswer::Other
        }
    })
}

/// Whether `GET /v1/status` answers like Passerelle, trusting only `ca` (or any
/// certificate when `None`, to recognise our daemon with a certificate we do not know).
async fn status_answers(port: u16, ca: Option<&[u8]>) -> bool {
    let probe = async {
        let config = tls_client(ca)?;
        let tcp = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .ok()?;
        let name = rustls::pki_types::ServerName::try_from("localhost").ok()?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .ok()?;
        let host = format!("localhost:{port}");
        let answer = crate::http1::request(tls, &host, hyper::Method::GET, "/v1/status", None)
            .await
            .ok()?;
        let body: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
        Some(body.get("api_version").is_some_and(|v| v.is_string()))
    };
    matches!(tokio::time::timeout(TIMEOUT, probe).await, Ok(Some(true)))
}

/// A TLS client trusting only the authority `ca` (PEM), or any certificate when `None`.
fn tls_client(ca: Option<&[u8]>) -> Option<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .ok()?;
    let config = match ca {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                roots.add(cert.ok()?).ok()?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
    };
    Some(Arc::new(config))
}

/// Accepts any server certificate (its handshake signature still checked): only to tell
/// our daemon serving another certificate from another program. Nothing is sent on such a
/// connection but `GET /v1/status`.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Asks the service manager about the installed service.
pub(super) fn check_service(
    installation: Option<&Installation>,
    answer: PortAnswer,
    findings: &mut Vec<Finding>,
) {
    let Some(record) = installation else {
        findings.push(if answer == PortAnswer::Passerelle {
            Finding::new(
                "service",
                Verdict::Skipped,
                "pas installé comme service (passerelle-install) ; le démon tourne, lancé à la main",
            )
        } else {
            Finding::new(
                "service",
                Verdict::Warning,
                "le démon ne tourne pas, et il n'est pas installé comme service",
            )
            .advise("lancez `passerelle run`, ou installez le service : `sudo passerelle-install install --mode system` ou `passerelle-install install --mode user`")
        });
        return;
    };
    let (level, start) = match record.mode {
        ServiceMode::System => (ServiceLevel::System, "sudo systemctl start passerelle"),
        ServiceMode::User => (ServiceLevel::User, "systemctl --user start passerelle"),
    };
    let status = <dyn ServiceManager>::native().and_then(|mut manager| {
        manager.set_level(level)?;
        manager.status(ServiceStatusCtx {
            label: service_label(),
        })
    });
    findings.push(match status {
        Ok(ServiceStatus::Running) => Finding::new(
            "service",
            Verdict::Ok,
            format!(
                "le service passerelle est démarré ({})",
                level_name(record.mode)
            ),
        ),
        Ok(ServiceStatus::Stopped(reason)) => Finding::new(
            "service",
            Verdict::Problem,
            format!(
                "le service passerelle est arrêté ({}){}",
                level_name(record.mode),
                reason.map(|r| format!(" : {r}")).unwrap_or_default()
            ),
        )
        .advise(format!(
            "démarrez-le : {start} ; s'il s'arrête encore : journalctl -u passerelle"
        )),
        Ok(ServiceStatus::NotInstalled) => Finding::new(
            "service",
            Verdict::Problem,
            format!(
                "le service passerelle est noté installé ({}) mais le gestionnaire de services \
                 ne le connaît pas",
                record.unit_file.display()
            ),
        )
        .advise("relancez `passerelle-install install`"),
        Err(e) => Finding::new(
            "service",
            Verdict::Warning,
            format!("le gestionnaire de services n'a pas répondu ({e})"),
        ),
    });
}

fn level_name(mode: ServiceMode) -> &'static str {
    match mode {
        ServiceMode::System => "service système",
        ServiceMode::User => "service de session",
    }
}
