//! pcscd's polkit rule for the system service. Where pcscd is built with polkit (Fedora,
//! for one), its policy may refuse a process outside a login session, such as the system
//! unit's dynamic user: this rule lets that user, [`SERVICE_NAME`], reach pcscd and the
//! cards. Debian's pcscd has no polkit: the rule is then inert. Written only in system mode
//! and where polkit has its rules directory; removed by `uninstall` like every file the
//! install created.

use std::path::{Path, PathBuf};

use passerelle_installation::SERVICE_NAME;

use crate::error::InstallError;
use crate::fsutil;

/// polkit's directory of local rules.
pub const RULES_DIR: &str = "/etc/polkit-1/rules.d";
/// The rule's file name in [`RULES_DIR`].
pub const RULE_FILE: &str = "60-passerelle-pcscd.rules";

/// The rule's text (JavaScript, as polkit reads it).
pub fn rule_text() -> String {
    format!(
        "// Passerelle (passerelle-install): the system service's user may use pcscd and the cards.\n\
         polkit.addRule(function(action, subject) {{\n    \
             if ((action.id == \"org.debian.pcsc-lite.access_pcsc\" ||\n         \
                  action.id == \"org.debian.pcsc-lite.access_card\") &&\n        \
                 subject.user == \"{SERVICE_NAME}\") {{\n        \
                 return polkit.Result.YES;\n    \
             }}\n\
         }});\n"
    )
}

/// Writes the rule when polkit's rules directory exists; returns the file, if written.
pub fn write(created: &mut Vec<PathBuf>) -> Result<Option<PathBuf>, InstallError> {
    let dir = Path::new(RULES_DIR);
    if !dir.is_dir() {
        return Ok(None);
    }
    let file = dir.join(RULE_FILE);
    fsutil::write_file(&file, rule_text().as_bytes(), 0o644, created)?;
    Ok(Some(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_names_both_pcscd_actions_and_the_service_user() {
        let rule = rule_text();
        assert!(rule.contains("\"org.debian.pcsc-lite.access_pcsc\""));
        assert!(rule.contains("\"org.debian.pcsc-lite.access_card\""));
        assert!(rule.contains("subject.user == \"passerelle\""));
        assert_eq!(rule.matches('{').count(), rule.matches('}').count());
    }
}
