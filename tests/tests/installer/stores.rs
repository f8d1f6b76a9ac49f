#![allow(dead_code)] // shared by several test crates, each using a part
//! Helpers on the stores the installer touches: NSS databases (through `certutil`) and the
//! `passerelle` program the units run.

use std::path::{Path, PathBuf};

use passerelle_tests::passerelle_bin;

use super::sandbox::run;

/// The `passerelle` binary, by its canonical path (what the installer records).
pub fn program() -> PathBuf {
    passerelle_bin().canonicalize().expect("passerelle built")
}

/// (nickname, trust) pairs of an NSS database.
pub fn nss_list(db: &Path) -> Vec<(String, String)> {
    let out = run(&["certutil", "-L", "-d", &format!("sql:{}", db.display())]);
    out.lines()
        .skip_while(|l| !l.contains("SSL,S/MIME,JAR/XPI"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (n, t) = l.trim_end().rsplit_once(' ').unwrap();
            (n.trim_end().to_owned(), t.to_owned())
        })
        .collect()
}

/// Passerelle's (nickname, trust) pairs in an NSS database.
pub fn ours(db: &Path) -> Vec<(String, String)> {
    nss_list(db)
        .into_iter()
        .filter(|(n, _)| n.starts_with("Passerelle"))
        .collect()
}

/// Adds another authority ("Autre autorite", made in `dir`) to the NSS database `db`.
pub fn add_other_ca(db: &Path, dir: &Path) {
    let pem = dir.join("other-ca.pem");
    run(&[
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "/dev/null",
        "-subj",
        "/CN=Autre autorite",
        "-days",
        "2",
        "-out",
        pem.to_str().unwrap(),
    ]);
    run(&[
        "certutil",
        "-A",
        "-d",
        &format!("sql:{}", db.display()),
        "-t",
        "C,,",
        "-n",
        "Autre autorite",
        "-i",
        pem.to_str().unwrap(),
    ]);
}
