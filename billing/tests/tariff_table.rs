//! The tariff table and what the README says of it: every row to check (`a_verifier`) is
//! listed in the README's "Tariff rows to check", and the README lists no row that is not
//! one; every row cites a source described in `billing/data/SOURCES.md`.

use std::path::Path;

use passerelle_billing::tariffs::{Status, Tariffs, Zones};

fn zone(z: Zones) -> &'static str {
    match z {
        Zones::Drom => "drom",
        Zones::Only(z) => z.name(),
    }
}

#[test]
fn the_readme_lists_every_row_to_check() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("### Tariff rows to check")
        .nth(1)
        .expect("README section « Tariff rows to check »");
    let listed: Vec<&str> = section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("- `"))
        .collect();
    let table = Tariffs::embedded().unwrap();
    let mut to_check = 0;
    for row in table.rows() {
        let prefix = format!(
            "- `{}` {} depuis {} ({}) = {} c",
            row.code,
            zone(row.zones),
            passerelle_billing::clock::format_date(row.from),
            row.rules.professions.join(","),
            row.cents
        );
        let found = listed.iter().any(|l| l.starts_with(&prefix));
        match row.status {
            Status::ToCheck => {
                to_check += 1;
                assert!(found, "README does not list the row to check {prefix}");
            }
            Status::Source => assert!(!found, "README lists a sourced row as to check: {prefix}"),
        }
    }
    assert_eq!(listed.len(), to_check, "one line per row to check");
}

#[test]
fn every_source_cited_is_described() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = std::fs::read_to_string(root.join("data/SOURCES.md")).unwrap();
    for row in Tariffs::embedded().unwrap().rows() {
        for cited in row.source.split('[').skip(1) {
            let id = cited.split(']').next().unwrap();
            assert!(
                sources.contains(&format!("[{id}]")),
                "{}: source [{id}] not in SOURCES.md",
                row.code
            );
        }
    }
}
