//! Chrome's Local Network Access policy, the store, the audit chain, mail settings.

use std::path::Path;

use super::{Finding, PolicyDir, Verdict};
use passerelle_installation::LNA_POLICY;

/// Each configured application origin must be listed in `LoopbackNetworkAllowedForUrls` by
/// a managed policy file of every installed Chrome/Chromium.
pub(super) fn check_lna_policy(
    origins: &[String],
    dirs: &[PolicyDir],
    findings: &mut Vec<Finding>,
) {
    if origins.is_empty() {
        findings.push(Finding::new(
            "lna_policy",
            Verdict::Skipped,
            "aucune application web configurée (security.app_origins est vide)",
        ));
        return;
    }
    let installed: Vec<&PolicyDir> = dirs.iter().filter(|d| d.installed).collect();
    if installed.is_empty() {
        findings.push(Finding::new(
            "lna_policy",
            Verdict::Skipped,
            "ni Chromium ni Google Chrome n'est installé sur cette machine",
        ));
        return;
    }
    for dir in installed {
        let allowed = allowed_origins(&dir.dir);
        let missing: Vec<&str> = origins
            .iter()
            .filter(|o| !allowed.iter().any(|a| a == *o))
            .map(String::as_str)
            .collect();
        findings.push(if missing.is_empty() {
            Finding::new(
                "lna_policy",
                Verdict::Ok,
                format!(
                    "{} autorise {} à appeler le démon",
                    dir.browser,
                    origins.join(", ")
                ),
            )
        } else {
            Finding::new(
                "lna_policy",
                Verdict::Problem,
                format!(
                    "{} bloquera les appels de {} vers le démon (règle {LNA_POLICY} absente de {})",
                    dir.browser,
                    missing.join(", "),
                    dir.dir.display()
                ),
            )
            .advise("relancez `sudo passerelle-install install --mode system --app-origin …` avec ces origines")
        });
    }
}

/// The origins every JSON file of `dir` lists under the LNA policy.
fn allowed_origins(dir: &Path) -> Vec<String> {
    let mut allowed = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        if let Some(list) = json.get(LNA_POLICY).and_then(|v| v.as_array()) {
            allowed.extend(list.iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
    }
    allowed
}

/// Opens the store read-only and runs SQLite's `quick_check`.
pub(super) fn check_store(data_dir: &Path, findings: &mut Vec<Finding>) {
    let path = data_dir.join(passerelle_billing::store::FILE_NAME);
    if !path.exists() {
        findings.push(Finding::new(
            "store",
            Verdict::Ok,
            format!(
                "pas encore de base ({} sera créée au premier démarrage)",
                path.display()
            ),
        ));
        return;
    }
    let result = passerelle_billing::store::quick_check(&path);
    findings.push(match result {
        Ok(ok) if ok == "ok" => Finding::new(
            "store",
            Verdict::Ok,
            format!("base intacte ({})", path.display()),
        ),
        Ok(report) => Finding::new(
            "store",
            Verdict::Problem,
            format!("base abîmée ({}) : {report}", path.display()),
        )
        .advise("arrêtez le service et gardez une copie du dossier de données avant toute réparation ; rien n'a été modifié"),
        Err(e) => Finding::new(
            "store",
            Verdict::Problem,
            format!("base illisible ({}) : {e}", path.display()),
        )
        .advise("si c'est un refus d'accès, lancez `sudo passerelle doctor`"),
    });
}

/// Verifies the audit log's hash chain.
pub(super) fn check_audit(data_dir: &Path, findings: &mut Vec<Finding>) {
    let path = data_dir.join(crate::audit::FILE_NAME);
    if !path.exists() {
        findings.push(Finding::new(
            "audit",
            Verdict::Ok,
            "journal d'audit pas encore créé",
        ));
        return;
    }
    findings.push(match crate::audit::verify(&path) {
        Ok(v) if !v.truncations.is_empty() => Finding::new(
            "audit",
            Verdict::Warning,
            format!(
                "journal d'audit intact ({} lignes), mais des lignes ont été perdues avant \
                 les lignes {:?} (audit_truncated)",
                v.lines, v.truncations
            ),
        ),
        Ok(v) => Finding::new(
            "audit",
            Verdict::Ok,
            format!("journal d'audit intact ({} lignes)", v.lines),
        ),
        Err(e) => Finding::new(
            "audit",
            Verdict::Problem,
            format!("journal d'audit {} : {e}", path.display()),
        )
        .advise("le journal a été modifié ou abîmé : gardez-en une copie et signalez-le"),
    });
}
