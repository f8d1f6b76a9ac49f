//! The paper duplicate, read back with poppler's `pdftotext` and `pdfinfo`
//! (Debian package poppler-utils, required: the test fails without it).

use std::path::PathBuf;
use std::process::Command;

use passerelle_billing::returns::nir::Nir;
use passerelle_billing::returns::paper::{
    paper_duplicate_pdf, PaperDuplicate, PaperError, PaperFse, PaperOrganism, PaperPractitioner,
};
use passerelle_billing::returns::types::{
    CalendarDate, Cents, Digits, FseNumber, LotNumber, Organism,
};

const REASON: &str = "Deux ARL négatifs : « Lot reçu en double » le 03/03/2026, puis « Structure \
du fichier non conforme » le 05/03/2026. Duplicata établi pour la prise en charge des soins.";

fn nir(i: usize) -> Nir {
    let body = format!("2{:02}0375{:06}", 80 + i % 20, 100_000 + i);
    let n: u64 = body.parse().unwrap();
    Nir::new(&format!("{body}{:02}", 97 - n % 97)).unwrap()
}

fn duplicate(count: usize) -> PaperDuplicate {
    let patients = [
        "ÉLODIE FRANÇOIS",
        "Chloé Lefèvre-Dubœuf",
        "MARIE-THÉRÈSE DE LA FONTAINE D'ARGENTEUIL-SUR-SEINE",
        "Zoë Àlvarez",
    ];
    PaperDuplicate {
        practitioner: PaperPractitioner {
            name: "Hélène Sénéchal, sage-femme".into(),
            billing_number: Digits::new("12345678").unwrap(),
            address: vec!["12 rue de l'Église".into(), "90000 Belfort".into()],
        },
        organism: PaperOrganism {
            organism: Organism::new("01", "901", "0001").unwrap(),
            label: "CPAM du Territoire de Belfort".into(),
            address: vec![
                "Service des prestations".into(),
                "90020 Belfort Cedex".into(),
            ],
        },
        lot: LotNumber::new(7).unwrap(),
        date: CalendarDate::from_ymd(2026, 3, 6).unwrap(),
        reason: REASON.into(),
        invoices: (0..count)
            .map(|i| PaperFse {
                fse: FseNumber::new(100_000 + i as i64 * 7).unwrap(),
                care_date: CalendarDate::from_ymd(2026, 2, 1 + (i % 28) as u8).unwrap(),
                patient: patients[i % patients.len()].into(),
                nir: nir(i),
                amount: Cents::new(2650 + i as i64).unwrap(),
            })
            .collect(),
    }
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("paper");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} introuvable ({e}) : installez poppler-utils (apt-get install poppler-utils)")
    });
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pdftotext_finds_every_fse_the_lot_and_the_reason() {
    let dup = duplicate(120);
    let pdf = paper_duplicate_pdf(&dup).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        paper_duplicate_pdf(&dup).unwrap(),
        pdf,
        "same input, same bytes"
    );
    let path = out_dir().join("duplicata-lot-007.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let path = path.to_str().unwrap();
    let text = poppler("pdftotext", &["-enc", "UTF-8", path, "-"]);
    for fse in &dup.invoices {
        assert!(
            text.contains(&fse.fse.to_string()),
            "FSE {} absente",
            fse.fse
        );
    }
    assert!(text.contains("Lot n° 007"), "{text}");
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(REASON), "motif absent ou altéré :\n{flat}");
    for word in [
        "Hélène Sénéchal",
        "Lefèvre-Dubœuf",
        "ÉLODIE FRANÇOIS",
        "Zoë Àlvarez",
        "26,80 €",
        "Total : 3 251,40 €",
    ] {
        assert!(flat.contains(word), "{word} absent");
    }
    let info = poppler("pdfinfo", &[path]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(pages >= 3, "{pages} pages pour 120 FSE");
    assert!(flat.contains(&format!("page {pages} / {pages}")));
    assert!(info.contains("Duplicata de FSE — lot n° 007"), "{info}");
}

#[test]
fn a_short_lot_fits_one_page_and_says_no_arl() {
    let mut dup = duplicate(2);
    dup.reason = "Aucun ARL reçu dans les 2 jours ouvrés, ni après le second envoi.".into();
    let pdf = paper_duplicate_pdf(&dup).unwrap();
    let path = out_dir().join("duplicata-court.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let text = poppler("pdftotext", &["-enc", "UTF-8", path.to_str().unwrap(), "-"]);
    assert!(text.contains("Aucun ARL reçu"));
    assert!(text.contains("page 1 / 1"));
}

#[test]
fn texts_the_font_cannot_print_are_refused() {
    let mut dup = duplicate(1);
    dup.invoices[0].patient = "Nguyễn Văn".into();
    assert_eq!(
        paper_duplicate_pdf(&dup),
        Err(PaperError::UnsupportedCharacter {
            field: "nom du patient",
            character: 'ễ'
        })
    );
    let mut dup = duplicate(1);
    dup.reason = "  ".into();
    assert_eq!(paper_duplicate_pdf(&dup), Err(PaperError::Empty("motif")));
    let mut dup = duplicate(1);
    dup.invoices.clear();
    assert_eq!(paper_duplicate_pdf(&dup), Err(PaperError::NoInvoices));
    let mut dup = duplicate(1);
    dup.practitioner.address = vec!["a".into(); 5];
    assert!(matches!(
        paper_duplicate_pdf(&dup),
        Err(PaperError::TooManyLines { .. })
    ));
    let message = PaperError::UnsupportedCharacter {
        field: "nom du patient",
        character: 'ễ',
    }
    .to_string();
    assert!(message
        .starts_with("Duplicata impossible : « nom du patient » contient le caractère « ễ »"));
}
