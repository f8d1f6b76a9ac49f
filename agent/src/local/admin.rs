//! Headless administration through the local API: `passerelle status` and `passerelle
//! lots`, for a workstation without a screen (`GET /v1/status` and `GET /v1/lots` on the
//! local socket, without pairing: it admits root and the daemon's own user).

use std::path::Path;

use passerelle_protocol::{
    BackendKind, CardKind, Lot, LotList, PairingStatus, ReaderState, ServiceStatus,
};

use super::client::percent_encode;
use super::{show, LocalClient};

/// `passerelle status`: version, uptime, reader backend, readers and their cards, the
/// pairing requests waiting for a decision.
pub async fn status(data_dir: &Path, as_json: bool) -> Result<(), String> {
    let client = LocalClient::connect(data_dir).await?;
    let status: ServiceStatus = client.get("/v1/status").await?;
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&status).unwrap_or_default()
        );
        return Ok(());
    }
    let pending: passerelle_protocol::PendingPairingList = client.get("/v1/pairings").await?;
    let waiting = pending
        .pairings
        .iter()
        .filter(|p| p.status == PairingStatus::Pending)
        .count();
    for line in describe_status(&status, waiting) {
        println!("{line}");
    }
    Ok(())
}

/// `passerelle lots`: one line per lot, oldest first.
pub async fn lots(
    data_dir: &Path,
    practitioner: Option<String>,
    as_json: bool,
) -> Result<(), String> {
    let path = match practitioner {
        Some(p) => format!("/v1/lots?practitioner={}", percent_encode(&p)),
        None => "/v1/lots".to_owned(),
    };
    let lots: LotList = LocalClient::connect(data_dir).await?.get(&path).await?;
    let lines = |l: &LotList| l.lots.iter().map(describe_lot).collect();
    show(&lots, as_json, lines, "Aucun lot.");
    Ok(())
}

fn describe_status(s: &ServiceStatus, pending: usize) -> Vec<String> {
    let minutes = s.uptime_seconds / 60;
    let mut lines = vec![format!(
        "Passerelle {} (API {}), en marche depuis {} h {:02} min",
        s.version,
        s.api_version,
        minutes / 60,
        minutes % 60
    )];
    let backend = match s.backend.kind {
        BackendKind::Pcsc => "lecteurs PC/SC",
        BackendKind::Simulated => "lecteurs simulés",
    };
    lines.push(match (&s.backend.available, &s.backend.message) {
        (true, _) => format!("Lecteurs : {backend}, disponibles"),
        (false, Some(why)) => format!("Lecteurs : {backend}, indisponibles ({why})"),
        (false, None) => format!("Lecteurs : {backend}, indisponibles"),
    });
    for reader in &s.readers {
        let card = match (&reader.card, reader.state) {
            (_, ReaderState::Unresponsive) => {
                "la carte ne répond pas (retirez-la et réinsérez-la)".to_owned()
            }
            (_, ReaderState::Identifying) => "carte en cours d'identification".to_owned(),
            (Some(card), _) => card_name(card.kind).to_owned(),
            (None, _) => "vide".to_owned(),
        };
        let busy = if reader.queue.holder.is_some() {
            format!(", occupé ({} en attente)", reader.queue.waiting.len())
        } else {
            String::new()
        };
        lines.push(format!("  {} : {card}{busy}", reader.name));
    }
    lines.push(match pending {
        0 => "Jumelages en attente : aucun".to_owned(),
        n => format!("Jumelages en attente : {n} (voir `passerelle pair list`)"),
    });
    lines
}

fn card_name(kind: CardKind) -> &'static str {
    match kind {
        CardKind::Vitale => "Carte Vitale",
        CardKind::Cps => "CPS",
        CardKind::Cpe => "CPE",
        CardKind::Cpf => "CPF",
        CardKind::Unknown => "carte inconnue",
    }
}

fn describe_lot(lot: &Lot) -> String {
    let status = passerelle_billing::outbox::status_in_french(lot.status);
    format!(
        "lot {} (id {})  praticien {}  organisme {}/{}/{}  {} FSE  {},{:02} €  {}  créé {}",
        lot.number,
        lot.id,
        lot.practitioner,
        lot.organism.regime,
        lot.organism.caisse,
        lot.organism.centre,
        lot.invoice_count,
        lot.total_cents / 100,
        lot.total_cents % 100,
        status,
        lot.created
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_protocol::{BackendState, Card, Reader, ReaderQueue};

    fn reader(name: &str, state: ReaderState, kind: Option<CardKind>) -> Reader {
        Reader {
            name: name.into(),
            state,
            card: kind.map(|kind| Card {
                kind,
                atr: "3B".into(),
            }),
            queue: ReaderQueue::default(),
        }
    }

    #[test]
    fn a_card_that_does_not_answer_is_said_so() {
        let status = ServiceStatus {
            version: "0".into(),
            api_version: "1".into(),
            backend: BackendState {
                kind: BackendKind::Pcsc,
                available: true,
                message: None,
            },
            readers: vec![
                reader("A", ReaderState::Ready, Some(CardKind::Vitale)),
                reader("B", ReaderState::Unresponsive, Some(CardKind::Unknown)),
                reader("C", ReaderState::Identifying, None),
                reader("D", ReaderState::Empty, None),
            ],
            uptime_seconds: 0,
            last_event_id: 0,
        };
        let lines = describe_status(&status, 0);
        assert!(
            lines.contains(&"  A : Carte Vitale".to_owned()),
            "{lines:?}"
        );
        assert!(lines
            .iter()
            .any(|l| l.starts_with("  B : la carte ne répond pas")));
        assert!(lines.contains(&"  C : carte en cours d'identification".to_owned()));
        assert!(lines.contains(&"  D : vide".to_owned()));
    }
}
