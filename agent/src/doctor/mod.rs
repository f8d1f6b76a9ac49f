//! `passerelle doctor`: checks what the daemon needs and says in plain French what is wrong
//! and what to do about it.
//!
//! Each check adds [`Finding`]s with a stable `check` name (`pcscd`, `readers`,
//! `certificate`, `trust.system`, `trust.nss:<browser>`, `port`, `service`, `lna_policy`,
//! `store`, `audit`, `mail…`, `lots…`, `returns…`, `attachments`), a [`Verdict`] and a message for people. Checks only look: they
//! never create, repair or start anything. The places they look at come from
//! [`crate::installation`], the same module the installer writes with.

mod certificate;
mod local;
mod mail;
mod readers;
mod service;
mod trust;

use std::path::{Path, PathBuf};

use serde::Serialize;

use passerelle_installation::config::Config;
use passerelle_installation::{self as installation, Installation};

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// As it should be.
    Ok,
    /// Works, but something needs attention.
    Warning,
    /// Broken: something the practitioner or administrator must fix.
    Problem,
    /// Not checked here (not applicable, or a tool is missing); the message says why.
    Skipped,
}

/// One result of a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable name of the check (see the module documentation).
    pub check: String,
    /// How it went.
    pub verdict: Verdict,
    /// What was found, in French.
    pub message: String,
    /// What to do, in French, when something is wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
}

impl Finding {
    /// A finding without advice.
    pub fn new(check: impl Into<String>, verdict: Verdict, message: impl Into<String>) -> Self {
        Finding {
            check: check.into(),
            verdict,
            message: message.into(),
            advice: None,
        }
    }

    /// The same finding with advice.
    pub fn advise(mut self, advice: impl Into<String>) -> Self {
        self.advice = Some(advice.into());
        self
    }
}

/// A browser's managed policy directory and whether the browser is installed.
#[derive(Debug, Clone)]
pub struct PolicyDir {
    /// "Chromium" or "Google Chrome".
    pub browser: &'static str,
    /// The directory of managed policy files.
    pub dir: PathBuf,
    /// Whether the browser is installed on this machine.
    pub installed: bool,
}

/// Where the system-wide things are; the real machine's by default, others in tests.
#[derive(Debug, Clone)]
pub struct SystemPlaces {
    /// The system's bundle of trusted authorities.
    pub bundle: PathBuf,
    /// The browsers' managed policy directories.
    pub policy_dirs: Vec<PolicyDir>,
}

impl SystemPlaces {
    /// This machine's places (Debian layout).
    pub fn of_this_machine() -> Self {
        let installed = |paths: &[&str]| paths.iter().any(|p| Path::new(p).exists());
        let browsers = [
            (
                "Chromium",
                &["/usr/bin/chromium", "/usr/bin/chromium-browser"][..],
            ),
            (
                "Google Chrome",
                &["/opt/google/chrome/chrome", "/usr/bin/google-chrome"][..],
            ),
        ];
        SystemPlaces {
            bundle: installation::SYSTEM_BUNDLE.into(),
            policy_dirs: browsers
                .iter()
                .zip(installation::POLICY_DIRS)
                .map(|((browser, bins), dir)| PolicyDir {
                    browser,
                    dir: dir.into(),
                    installed: installed(bins),
                })
                .collect(),
        }
    }
}

/// What the doctor examines.
pub struct Doctor {
    /// The daemon's configuration.
    pub config: Config,
    /// The installer's record, if the service was installed.
    pub installation: Option<Installation>,
    /// Homes whose browser certificate databases are checked (the current user's).
    pub homes: Vec<PathBuf>,
    /// System-wide places.
    pub system: SystemPlaces,
}

impl Doctor {
    /// Runs every check, in an order that reads top-down: cards, certificate, trust,
    /// service, browsers, data.
    pub fn run(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        readers::check(&self.config, &mut findings);
        let data_dir = self.config.data_dir();
        let ca = certificate::check(&data_dir, &mut findings);
        if let Some(ca) = &ca {
            let system_install = self
                .installation
                .as_ref()
                .is_some_and(|i| i.mode == installation::ServiceMode::System);
            trust::check_system(ca, &self.system.bundle, system_install, &mut findings);
            trust::check_browsers(ca, &self.nss_dbs(), &mut findings);
        }
        let answer = service::check_port(&self.config, &data_dir, &mut findings);
        service::check_service(self.installation.as_ref(), answer, &mut findings);
        local::check_lna_policy(
            &self.config.security.app_origins,
            &self.system.policy_dirs,
            &mut findings,
        );
        local::check_store(&data_dir, &mut findings);
        local::check_audit(&data_dir, &mut findings);
        mail::check(&self.config, &mut findings);
        findings
    }

    /// The NSS databases to check: those of [`Doctor::homes`] and those the installer
    /// trusted (once each).
    fn nss_dbs(&self) -> Vec<installation::NssStore> {
        let mut stores: Vec<installation::NssStore> = self
            .homes
            .iter()
            .flat_map(|h| installation::nss_stores(h))
            .collect();
        let recorded = self.installation.iter().flat_map(|i| &i.trust);
        for entry in recorded {
            if let installation::TrustEntry::Nss { browser, db, .. } = entry {
                if !stores.iter().any(|s| &s.db == db) {
                    stores.push(installation::NssStore {
                        browser: browser.clone(),
                        db: db.clone(),
                    });
                }
            }
        }
        stores
    }
}

/// True when no finding is a [`Verdict::Problem`].
pub fn all_well(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.verdict != Verdict::Problem)
}

/// The findings as text for a terminal, one block per finding, then a summary line.
pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let mark = match f.verdict {
            Verdict::Ok => "OK       ",
            Verdict::Warning => "ATTENTION",
            Verdict::Problem => "PROBLÈME ",
            Verdict::Skipped => "—        ",
        };
        out.push_str(&format!("{mark} {:<22} {}\n", f.check, f.message));
        if let Some(advice) = &f.advice {
            out.push_str(&format!("{:<33}→ {advice}\n", ""));
        }
    }
    let problems = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Problem)
        .count();
    out.push_str(&match problems {
        0 => "\nAucun problème trouvé.\n".to_string(),
        1 => "\n1 problème à corriger (voir ci-dessus).\n".to_string(),
        n => format!("\n{n} problèmes à corriger (voir ci-dessus).\n"),
    });
    out
}

#[cfg(test)]
mod tests;
