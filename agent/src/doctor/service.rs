//! Port free or ours, daemon answering, service running.

use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::time::Duration;

use service_manager::{ServiceLevel, ServiceManager, ServiceStatus, ServiceStatusCtx};

use super::{Finding, Verdict};
use crate::config::Config;
use crate::installation::{service_label, Installation, ServiceMode};
use crate::tls::TlsFiles;

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
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .tls_built_in_root_certs(false);
    builder = match ca.map(reqwest::Certificate::from_pem) {
        Some(Ok(cert)) => builder.add_root_certificate(cert),
        Some(Err(_)) => return false,
        None => builder.danger_accept_invalid_certs(true),
    };
    let Ok(client) = builder.build() else {
        return false;
    };
    let url = format!("https://localhost:{port}/v1/status");
    let Ok(response) = client.get(url).send().await else {
        return false;
    };
    match response.json::<serde_json::Value>().await {
        Ok(body) => body.get("api_version").is_some_and(|v| v.is_string()),
        Err(_) => false,
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
