//! The command line refuses bad input before touching anything. (Also makes
//! `cargo test --workspace` build the `passerelle-install` binary that
//! `tests/tests/installer.rs` runs.)

use std::process::Command;

fn installer(home: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_passerelle-install"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn a_bad_origin_or_a_missing_program_is_refused_and_nothing_is_written() {
    let home = tempfile::tempdir().unwrap();
    let (ok, text) = installer(
        home.path(),
        &[
            "install",
            "--mode",
            "user",
            "--program",
            "/bin/sh",
            "--app-origin",
            "https://a.example/chemin",
        ],
    );
    assert!(!ok);
    assert!(
        text.contains("origine invalide « https://a.example/chemin »"),
        "{text}"
    );
    let missing = home.path().join("absent/passerelle");
    let (ok, text) = installer(
        home.path(),
        &[
            "install",
            "--mode",
            "user",
            "--program",
            missing.to_str().unwrap(),
        ],
    );
    assert!(!ok);
    assert!(text.contains("n'existe pas"), "{text}");
    assert_eq!(
        std::fs::read_dir(home.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn uninstall_and_status_without_an_install_say_so() {
    let home = tempfile::tempdir().unwrap();
    let (ok, text) = installer(home.path(), &["uninstall", "--mode", "user"]);
    assert!(ok, "{text}");
    assert!(text.contains("Rien à désinstaller"), "{text}");
    let (ok, text) = installer(home.path(), &["status", "--mode", "user"]);
    assert!(ok, "{text}");
    assert!(text.contains("n'est pas installé"), "{text}");
}
