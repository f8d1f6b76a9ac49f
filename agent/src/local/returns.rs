//! `passerelle reconciliation`, `passerelle returns`, `passerelle lots paper` and `lots posted`: the
//! returns routes through the local API, the reconciliation printed as a table.

use std::path::Path;

use passerelle_protocol::{
    GroupTally, Reconciliation, ReturnKind, ReturnMail, ReturnMailList, ReturnState, Settlement,
    Tally,
};

use super::client::percent_encode;
use super::{show, LocalClient};

/// What `passerelle reconciliation` covers and how it prints.
#[derive(Debug, Default)]
pub struct ReconciliationArgs {
    /// First care date.
    pub from: Option<String>,
    /// Last care date.
    pub to: Option<String>,
    /// Organism, 9 digits.
    pub organism: Option<String>,
    /// Insured person's NIR.
    pub patient: Option<String>,
    /// One line per FSE after the totals.
    pub detail: bool,
    /// The CSV export instead of the table.
    pub csv: bool,
    /// The JSON answer instead of the table.
    pub json: bool,
}

/// `passerelle reconciliation [--from D] [--to D] [--organism O] [--patient NIR]`
pub async fn reconciliation(data_dir: &Path, args: ReconciliationArgs) -> Result<(), String> {
    let mut query = Vec::new();
    for (name, value) in [
        ("from", &args.from),
        ("to", &args.to),
        ("organism", &args.organism),
        ("patient", &args.patient),
    ] {
        if let Some(v) = value {
            query.push(format!("{name}={}", percent_encode(v)));
        }
    }
    let client = LocalClient::connect(data_dir).await?;
    if args.csv {
        query.push("format=csv".into());
        let bytes = client
            .get_bytes(&format!("/v1/reconciliation?{}", query.join("&")))
            .await?;
        print!("{}", String::from_utf8_lossy(&bytes));
        return Ok(());
    }
    let report: Reconciliation = client
        .get(&format!("/v1/reconciliation?{}", query.join("&")))
        .await?;
    if args.json {
        show(&report, true, |_| Vec::new(), "");
    } else {
        for line in table(&report, args.detail) {
            println!("{line}");
        }
    }
    Ok(())
}

/// `passerelle returns [--limit N]`
pub async fn list(data_dir: &Path, limit: u32, as_json: bool) -> Result<(), String> {
    let list: ReturnMailList = LocalClient::connect(data_dir)
        .await?
        .get(&format!("/v1/returns?limit={limit}"))
        .await?;
    let lines = |l: &ReturnMailList| l.returns.iter().map(describe_mail).collect();
    show(&list, as_json, lines, "Aucun retour reçu.");
    Ok(())
}

/// `passerelle lots paper --lot ID --out FILE`: writes the lot's paper duplicate.
pub async fn paper(data_dir: &Path, lot: i64, out: &Path) -> Result<(), String> {
    let pdf = LocalClient::connect(data_dir)
        .await?
        .get_bytes(&format!("/v1/lots/{lot}/paper"))
        .await?;
    std::fs::write(out, &pdf).map_err(|e| format!("{} : {e}", out.display()))?;
    println!(
        "Duplicata papier du lot {lot} écrit dans {} : imprimez-le, signez-le et envoyez-le à \
         la caisse avec les feuilles de soins qu'il nomme.",
        out.display()
    );
    Ok(())
}

/// `passerelle lots posted --lot ID`: the lot's paper duplicate was posted.
pub async fn posted(data_dir: &Path, lot: i64) -> Result<(), String> {
    let done: passerelle_protocol::Lot = LocalClient::connect(data_dir)
        .await?
        .post(&format!("/v1/lots/{lot}/posted"), None::<&()>)
        .await?;
    println!(
        "Lot {} : duplicata papier envoyé le {}.",
        done.number,
        done.paper_posted
            .as_deref()
            .and_then(|d| d.get(..10))
            .unwrap_or("?")
    );
    Ok(())
}

/// `1234` → `12,34 €`.
fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{},{:02} €", c / 100, c % 100)
}

const HEADER: [&str; 7] = [
    "",
    "FSE",
    "facturé",
    "payé",
    "rejeté",
    "en attente",
    "dont en retard",
];

fn row(label: &str, t: &Tally) -> [String; 7] {
    [
        label.to_owned(),
        t.count.to_string(),
        euros(t.billed_cents),
        euros(t.paid_cents),
        euros(t.rejected_cents),
        euros(t.waiting_cents),
        euros(t.overdue_cents),
    ]
}

/// Lines of aligned columns: the first left-aligned, the others right-aligned.
fn aligned(rows: &[[String; 7]]) -> Vec<String> {
    let mut widths = [0usize; 7];
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    rows.iter()
        .map(|r| {
            let mut line = String::new();
            for (i, (cell, w)) in r.iter().zip(widths).enumerate() {
                let pad = " ".repeat(w - cell.chars().count());
                if i == 0 {
                    line.push_str(cell);
                    line.push_str(&pad);
                } else {
                    line.push_str("  ");
                    line.push_str(&pad);
                    line.push_str(cell);
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// The report as the command prints it.
pub fn table(r: &Reconciliation, detail: bool) -> Vec<String> {
    let period = match (&r.from, &r.to) {
        (Some(f), Some(t)) => format!("soins du {f} au {t}"),
        (Some(f), None) => format!("soins depuis le {f}"),
        (None, Some(t)) => format!("soins jusqu'au {t}"),
        (None, None) => "tous les soins transmis".to_owned(),
    };
    let mut out = vec![format!("Rapprochement — {period}"), String::new()];
    let header: [String; 7] = HEADER.map(str::to_owned);
    let mut rows = vec![header, row("Total", &r.total)];
    let group = |title: &str, groups: &[GroupTally], rows: &mut Vec<[String; 7]>| {
        if groups.is_empty() {
            return;
        }
        let mut t: [String; 7] = Default::default();
        t[0] = title.to_owned();
        rows.push(t);
        for g in groups {
            rows.push(row(&format!("  {}", g.key), &g.tally));
        }
    };
    group("Par organisme", &r.by_organism, &mut rows);
    group("Par patient (NIR)", &r.by_patient, &mut rows);
    out.extend(aligned(&rows));
    if !r.reasons.is_empty() {
        out.push(String::new());
        out.push("Motifs de rejet".to_owned());
        for reason in &r.reasons {
            out.push(format!("  {} × {}", reason.count, reason.reason));
        }
    }
    if !r.unknown_invoices.is_empty() {
        out.push(String::new());
        out.push(format!(
            "Factures de retours NOEMIE sans feuille de soins ici : {}",
            r.unknown_invoices.join(", ")
        ));
    }
    if !r.missing_attachments.is_empty() {
        out.push(String::new());
        out.push("Pièces jointes manquantes (SCOR)".to_owned());
        for m in &r.missing_attachments {
            out.push(format!(
                "  FSE {} du {} : copie de la feuille dégradée à joindre avant le {}",
                m.number, m.care_date, m.attach_by
            ));
        }
    }
    if detail && !r.fse.is_empty() {
        out.push(String::new());
        out.push("Feuilles de soins".to_owned());
        for f in &r.fse {
            let mut line = format!(
                "  FSE {} du {}  {}  lot {}  facturé {}  payé {}  {}",
                f.number,
                f.care_date,
                f.patient,
                f.lot_number.as_deref().unwrap_or("—"),
                euros(f.billed_cents),
                euros(f.paid_cents),
                settlement(f.settlement)
            );
            if let Some(d) = &f.payment_date {
                line.push_str(&format!(" le {d}"));
            }
            if !f.reasons.is_empty() {
                line.push_str(&format!(" ({})", f.reasons.join(" ; ")));
            }
            out.push(line);
        }
    }
    out
}

fn settlement(s: Settlement) -> &'static str {
    match s {
        Settlement::Waiting => "en attente",
        Settlement::Overdue => "en retard de paiement",
        Settlement::Paid => "payée",
        Settlement::PartlyPaid => "payée en partie",
        Settlement::Rejected => "rejetée",
    }
}

fn describe_mail(m: &ReturnMail) -> String {
    let kind = match m.kind {
        ReturnKind::Arl => "ARL",
        ReturnKind::ArlPj => "ARL PJ",
        ReturnKind::Noemie => "NOEMIE",
        ReturnKind::Other => "autre",
    };
    let state = match m.state {
        ReturnState::Stored => "reçu, pas encore appliqué",
        ReturnState::Applied => "appliqué",
        ReturnState::Refused => "refusé",
        ReturnState::UnknownSender => "expéditeur inconnu",
    };
    let mut line = format!(
        "retour {}  {}  praticien {}  {kind}  {state}  « {} »",
        m.id, m.received, m.practitioner, m.subject
    );
    if let Some(s) = &m.sender {
        line.push_str(&format!("  de {s}"));
    }
    if let Some(o) = &m.outcome {
        line.push_str(&format!("  — {o}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(count: u32, billed: i64, paid: i64, rejected: i64, waiting: i64) -> Tally {
        Tally {
            count,
            billed_cents: billed,
            paid_cents: paid,
            rejected_cents: rejected,
            waiting_cents: waiting,
            overdue_cents: 0,
        }
    }

    #[test]
    fn euros_in_french() {
        assert_eq!(euros(0), "0,00 €");
        assert_eq!(euros(2650), "26,50 €");
        assert_eq!(euros(-5), "-0,05 €");
    }

    #[test]
    fn the_table_aligns_amounts_and_names_the_reasons() {
        let r = Reconciliation {
            from: Some("2026-11-01".into()),
            to: Some("2026-11-30".into()),
            total: tally(3, 7950, 2650, 2650, 2650),
            by_organism: vec![GroupTally {
                key: "01/751/0000".into(),
                tally: tally(3, 7950, 2650, 2650, 2650),
            }],
            by_patient: Vec::new(),
            reasons: vec![passerelle_protocol::ReasonCount {
                reason: "0502 : droits non ouverts".into(),
                count: 1,
            }],
            fse: Vec::new(),
            unknown_invoices: vec!["123456789".into()],
            missing_attachments: vec![passerelle_protocol::MissingAttachment {
                fse_id: 4,
                number: "000000004".into(),
                practitioner: "69312233".into(),
                care_date: "2026-11-20".into(),
                kind: passerelle_protocol::AttachmentKind::DegradedCopy,
                attach_by: "2026-12-20".into(),
            }],
        };
        let lines = table(&r, false);
        assert_eq!(
            lines[0],
            "Rapprochement — soins du 2026-11-01 au 2026-11-30"
        );
        let total = lines.iter().find(|l| l.starts_with("Total")).unwrap();
        let organism = lines.iter().find(|l| l.contains("01/751/0000")).unwrap();
        assert_eq!(total.len(), organism.len(), "{total}\n{organism}");
        assert!(
            total.contains("  79,50 €  26,50 €") && total.ends_with(" 0,00 €"),
            "{total}"
        );
        assert!(lines.contains(&"  1 × 0502 : droits non ouverts".to_owned()));
        assert!(lines.iter().any(|l| l.contains("123456789")));
        assert!(lines.contains(
            &"  FSE 000000004 du 2026-11-20 : copie de la feuille dégradée à joindre avant le 2026-12-20"
                .to_owned()
        ));
    }
}
