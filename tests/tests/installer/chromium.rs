//! Headless Chromium (`/usr/bin/chromium`) dumping a page's DOM, on the machine or inside
//! an installer [`Sandbox`] (where it sees the sandbox's `/etc`, policies included).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use passerelle_tests::TestDir;

use super::sandbox::Sandbox;

/// Headless Chromium, `HOME` = `home` (NSS reads `$HOME/.pki/nssdb`), a fresh profile,
/// `extra` flags: the DOM of `url` (empty on a certificate error). Runs inside `sandbox`
/// when given. Its log is `chromium-{name}.log` in `dir`; its whole process group is killed
/// at the end.
pub fn dom(
    sandbox: Option<&Sandbox>,
    home: &Path,
    url: &str,
    extra: &[String],
    dir: &TestDir,
    name: &str,
) -> String {
    use std::os::unix::process::CommandExt;
    let profile = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let log = dir.file(&format!("chromium-{name}.log"));
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut command = match sandbox {
        Some(sb) => sb.command(&["/usr/bin/chromium"]),
        None => Command::new("/usr/bin/chromium"),
    };
    let mut child = command
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .args(["--dump-dom", url])
        // Chromium's own crash and cache files go outside the home.
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", scratch.path())
        .env("XDG_CACHE_HOME", scratch.path())
        .stdout(out.reopen().unwrap())
        .stderr(passerelle_tests::proc::log_file(&log))
        .process_group(0)
        .spawn()
        .expect("/usr/bin/chromium (scripts/install-test-deps installs it)");
    let pgid = child.id();
    let finished = passerelle_tests::proc::wait_timeout(&mut child, Duration::from_secs(60));
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stderr(std::process::Stdio::null())
        .status();
    let _ = child.wait();
    assert!(
        finished.is_some(),
        "Chromium did not finish in 60 s (log: {})",
        log.display()
    );
    std::fs::read_to_string(out.path()).unwrap()
}
