//! The Chrome/Chromium Local Network Access policy (`LoopbackNetworkAllowedForUrls`) for
//! the billing applications' origins: a managed policy file on Linux; the equivalent
//! registry values (Windows) and managed preference (macOS) as command lines.

use std::path::{Path, PathBuf};

use passerelle_installation::{LNA_POLICY, POLICY_DIRS, POLICY_FILE};

use crate::error::InstallError;
use crate::fsutil;

/// The policy file's text.
pub fn policy_json(origins: &[String]) -> String {
    let mut map = serde_json::Map::new();
    map.insert(LNA_POLICY.to_owned(), serde_json::json!(origins));
    serde_json::to_string_pretty(&serde_json::Value::Object(map)).expect("json") + "\n"
}

/// Writes the policy in each of [`POLICY_DIRS`] (creating them, recorded in `created`);
/// returns the files written.
pub fn write(origins: &[String], created: &mut Vec<PathBuf>) -> Result<Vec<PathBuf>, InstallError> {
    let text = policy_json(origins);
    let mut files = Vec::new();
    for dir in POLICY_DIRS {
        let dir = Path::new(dir);
        fsutil::create_dir(dir, created)?;
        let file = dir.join(POLICY_FILE);
        fsutil::write_file(&file, text.as_bytes(), 0o644, created)?;
        files.push(file);
    }
    Ok(files)
}

/// Whether `file` holds exactly the policy for `origins`.
pub fn present(file: &Path, origins: &[String]) -> bool {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v[LNA_POLICY] == serde_json::json!(origins))
}

/// The machine-wide registry key of the policy for Google Chrome.
fn windows_key() -> String {
    format!(r"HKLM\SOFTWARE\Policies\Google\Chrome\{LNA_POLICY}")
}

/// Windows: `reg add` command lines setting the policy for Google Chrome (machine-wide),
/// one value per origin, named 1, 2, ...
pub fn windows_argv(origins: &[String]) -> Vec<Vec<String>> {
    let key = windows_key();
    origins
        .iter()
        .enumerate()
        .map(|(i, origin)| {
            [
                "reg",
                "add",
                &key,
                "/v",
                &(i + 1).to_string(),
                "/t",
                "REG_SZ",
                "/d",
                origin,
                "/f",
            ]
            .map(str::to_owned)
            .to_vec()
        })
        .collect()
}

/// macOS: the `defaults write` command line setting the policy as a managed preference of
/// Google Chrome (an MDM configuration profile is the durable way; see README).
pub fn macos_argv(origins: &[String]) -> Vec<String> {
    let mut argv: Vec<String> = [
        "defaults",
        "write",
        "/Library/Managed Preferences/com.google.Chrome",
        LNA_POLICY,
        "-array",
    ]
    .map(str::to_owned)
    .to_vec();
    argv.extend(origins.iter().cloned());
    argv
}

/// Windows: the `reg delete` command line removing the policy.
pub fn windows_remove_argv() -> Vec<String> {
    ["reg", "delete", &windows_key(), "/f"]
        .map(str::to_owned)
        .to_vec()
}

/// macOS: the `defaults delete` command line removing the policy.
pub fn macos_remove_argv() -> Vec<String> {
    [
        "defaults",
        "delete",
        "/Library/Managed Preferences/com.google.Chrome",
        LNA_POLICY,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Removes the macOS or Windows policy (nothing to do on Linux, where it is a file).
pub fn remove_native() -> Result<(), InstallError> {
    #[cfg(target_os = "macos")]
    crate::cmd::run(&macos_remove_argv())?;
    #[cfg(windows)]
    crate::cmd::run(&windows_remove_argv())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_lists_the_origins() {
        let origins = vec![
            "https://a.example".to_owned(),
            "https://b.example:8443".to_owned(),
        ];
        assert_eq!(
            policy_json(&origins),
            "{\n  \"LoopbackNetworkAllowedForUrls\": [\n    \"https://a.example\",\n    \"https://b.example:8443\"\n  ]\n}\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p.json");
        std::fs::write(&file, policy_json(&origins)).unwrap();
        assert!(present(&file, &origins));
        assert!(!present(&file, &origins[..1]));
    }

    #[test]
    fn windows_and_macos_command_lines() {
        let origins = vec![
            "https://a.example".to_owned(),
            "https://b.example".to_owned(),
        ];
        assert_eq!(
            windows_argv(&origins)[1],
            [
                "reg",
                "add",
                r"HKLM\SOFTWARE\Policies\Google\Chrome\LoopbackNetworkAllowedForUrls",
                "/v",
                "2",
                "/t",
                "REG_SZ",
                "/d",
                "https://b.example",
                "/f"
            ]
        );
        assert_eq!(
            windows_remove_argv(),
            [
                "reg",
                "delete",
                r"HKLM\SOFTWARE\Policies\Google\Chrome\LoopbackNetworkAllowedForUrls",
                "/f"
            ]
        );
        assert_eq!(
            macos_remove_argv(),
            [
                "defaults",
                "delete",
                "/Library/Managed Preferences/com.google.Chrome",
                "LoopbackNetworkAllowedForUrls"
            ]
        );
        assert_eq!(
            macos_argv(&origins),
            [
                "defaults",
                "write",
                "/Library/Managed Preferences/com.google.Chrome",
                "LoopbackNetworkAllowedForUrls",
                "-array",
                "https://a.example",
                "https://b.example"
            ]
        );
    }
}
