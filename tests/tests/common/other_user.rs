//! Requests from another OS user: `curl` run as `nobody` (uid 65534) through `setpriv`, as
//! a local program of another account would send them over loopback TCP.

use passerelle_tests::Daemon;

/// The uid the requests come from.
pub const NOBODY: u32 = 65534;

/// Whether this machine can run a command as another user (root and `setpriv`).
pub fn can_switch_user() -> bool {
    let root = std::process::Command::new("id").arg("-u").output();
    let is_root = root.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    is_root
        && std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_ok()
}

/// A copy of the daemon's CA that `nobody` may read (the data dir is private).
fn readable_ca(d: &Daemon) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("passerelle-ca-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::copy(d.ca_path(), &ca).unwrap();
    std::fs::set_permissions(&ca, std::fs::Permissions::from_mode(0o644)).unwrap();
    dir
}

/// `METHOD path` with `headers` (and a JSON `body`) sent by `curl` as `nobody` over
/// 127.0.0.1; the status and the body. `None` when this machine cannot switch user.
pub async fn curl_as_nobody(
    d: &Daemon,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> Option<(u16, String)> {
    if !can_switch_user() {
        return None;
    }
    let ca = readable_ca(d);
    let mut cmd = tokio::process::Command::new("setpriv");
    cmd.args([
        format!("--reuid={NOBODY}"),
        format!("--regid={NOBODY}"),
        "--clear-groups".into(),
        "curl".into(),
        "-sS".into(),
        "--max-time".into(),
        "20".into(),
        "--cacert".into(),
    ])
    .arg(ca.path().join("ca.pem"))
    .args(["-X", method, "-w", "\n%{http_code}"]);
    for (name, value) in headers {
        cmd.arg("-H").arg(format!("{name}: {value}"));
    }
    if let Some(body) = body {
        cmd.args(["-H", "content-type: application/json", "--data-binary"])
            .arg(body.to_string());
    }
    cmd.arg(d.url(path)).current_dir("/");
    let out = cmd.output().await.expect("setpriv curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    let status = status.trim().parse().unwrap_or_else(|_| {
        panic!(
            "curl as nobody: {text:?} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Some((status, body.to_owned()))
}
