//! The systemd unit texts: a hardened system unit with a dynamic user (headless
//! workstation) and a user unit (desktop session).

use std::path::Path;

use passerelle_installation::SERVICE_NAME;

const DESCRIPTION: &str =
    "Description=Passerelle, pont des lecteurs de cartes SESAM-Vitale (API TLS locale)";

/// The system unit: runs `program run --config config` as a dynamic user, with the state
/// and configuration directories of [`SERVICE_NAME`] and a strict sandbox; starts after
/// pcscd's socket so the readers are reachable.
pub fn system_unit(program: &Path, config: &Path) -> String {
    format!(
        "[Unit]\n\
         {DESCRIPTION}\n\
         Wants=pcscd.socket\n\
         After=pcscd.socket\n\
         \n\
         {service}\
         DynamicUser=yes\n\
         StateDirectory={SERVICE_NAME}\n\
         StateDirectoryMode=0700\n\
         ConfigurationDirectory={SERVICE_NAME}\n\
         UMask=0077\n\
         CapabilityBoundingSet=\n\
         AmbientCapabilities=\n\
         NoNewPrivileges=yes\n\
         ProtectSystem=strict\n\
         ProtectHome=yes\n\
         PrivateTmp=yes\n\
         PrivateDevices=yes\n\
         ProtectKernelTunables=yes\n\
         ProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\n\
         ProtectControlGroups=yes\n\
         ProtectClock=yes\n\
         ProtectHostname=yes\n\
         RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n\
         RestrictNamespaces=yes\n\
         RestrictRealtime=yes\n\
         RestrictSUIDSGID=yes\n\
         LockPersonality=yes\n\
         MemoryDenyWriteExecute=yes\n\
         SystemCallArchitectures=native\n\
         SystemCallFilter=@system-service\n\
         SystemCallErrorNumber=EPERM\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        service = service_head(program, config),
    )
}

/// The user unit: runs `program run --config config` in the person's session, started
/// with it.
pub fn user_unit(program: &Path, config: &Path) -> String {
    format!(
        "[Unit]\n\
         {DESCRIPTION}\n\
         \n\
         {service}\
         UMask=0077\n\
         NoNewPrivileges=yes\n\
         \n\
         [Install]\n\
         WantedBy=default.target\n",
        service = service_head(program, config),
    )
}

/// The start of `[Service]`, the same in both units: the command and the restart policy.
fn service_head(program: &Path, config: &Path) -> String {
    format!(
        "[Service]\n\
         Type=simple\n\
         ExecStart={} run --config {}\n\
         Restart=on-failure\n\
         RestartSec=2\n",
        quote(&program.to_string_lossy()),
        quote(&config.to_string_lossy())
    )
}

/// One word of a systemd command line: `%` and `$` escaped (specifiers, variables), and
/// double-quoted with `\` escapes when it holds blanks or quotes.
pub fn quote(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    let needs_quotes = escaped.is_empty()
        || escaped
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
    if !needs_quotes {
        return escaped;
    }
    let inner = escaped.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{inner}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_unit_is_hardened_and_runs_the_program_with_the_config() {
        let unit = system_unit(
            Path::new("/usr/local/bin/passerelle"),
            Path::new("/etc/passerelle/config.toml"),
        );
        for line in [
            "ExecStart=/usr/local/bin/passerelle run --config /etc/passerelle/config.toml",
            "DynamicUser=yes",
            "StateDirectory=passerelle",
            "ConfigurationDirectory=passerelle",
            "CapabilityBoundingSet=",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ProtectHome=yes",
            "PrivateTmp=yes",
            "PrivateDevices=yes",
            "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
            "SystemCallFilter=@system-service",
            "UMask=0077",
            "Wants=pcscd.socket",
            "After=pcscd.socket",
            "Restart=on-failure",
            "WantedBy=multi-user.target",
        ] {
            assert!(unit.lines().any(|l| l == line), "missing {line}:\n{unit}");
        }
        assert!(
            !unit.lines().any(|l| l.starts_with("User=")),
            "no fixed user: {unit}"
        );
    }

    #[test]
    fn user_unit_starts_with_the_session() {
        let unit = user_unit(
            Path::new("/opt/passerelle/passerelle"),
            Path::new("/home/a/.config/passerelle/config.toml"),
        );
        assert!(unit.contains(
            "\nExecStart=/opt/passerelle/passerelle run --config /home/a/.config/passerelle/config.toml\n"
        ));
        assert!(
            unit.ends_with("[Install]\nWantedBy=default.target\n"),
            "{unit}"
        );
        assert!(!unit.contains("DynamicUser"), "{unit}");
    }

    #[test]
    fn words_are_quoted_for_systemd() {
        assert_eq!(quote("/usr/bin/passerelle"), "/usr/bin/passerelle");
        assert_eq!(
            quote("/opt/my app/passerelle"),
            "\"/opt/my app/passerelle\""
        );
        assert_eq!(quote("/a/100%/$HOME"), "/a/100%%/$$HOME");
        assert_eq!(quote("/a/\"q\""), "\"/a/\\\"q\\\"\"");
        assert_eq!(quote(""), "\"\"");
    }
}
