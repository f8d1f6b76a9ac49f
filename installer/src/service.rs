//! The service through `service-manager`: systemd on Linux (a unit text we give it, then
//! `systemctl [--user] daemon-reload`, which service-manager never runs), launchd on macOS
//! and the Windows service manager elsewhere (their native templates; not tested).

use std::path::Path;

use passerelle_installation::{ServiceMode, SERVICE_NAME};
use service_manager::{
    ServiceInstallCtx, ServiceLabel, ServiceManager, ServiceStartCtx, ServiceStatus,
    ServiceStatusCtx, ServiceStopCtx, ServiceUninstallCtx,
};

use crate::error::InstallError;

/// `passerelle`, with no organization, so the unit is `passerelle.service`.
pub fn label() -> ServiceLabel {
    ServiceLabel {
        qualifier: None,
        organization: None,
        application: SERVICE_NAME.to_owned(),
    }
}

fn manager(mode: ServiceMode) -> Result<Box<dyn ServiceManager>, InstallError> {
    #[cfg(target_os = "linux")]
    let manager: Box<dyn ServiceManager> = Box::new(match mode {
        ServiceMode::System => service_manager::SystemdServiceManager::system(),
        ServiceMode::User => service_manager::SystemdServiceManager::user(),
    });
    #[cfg(not(target_os = "linux"))]
    let manager = {
        let mut m = <dyn ServiceManager>::native().map_err(service_error)?;
        if mode == ServiceMode::User {
            m.set_level(service_manager::ServiceLevel::User)
                .map_err(service_error)?;
        }
        m
    };
    let _ = mode;
    Ok(manager)
}

fn service_error(e: std::io::Error) -> InstallError {
    InstallError::Service(e.to_string())
}

/// `systemctl [--user] daemon-reload`.
pub fn daemon_reload_argv(mode: ServiceMode) -> Vec<String> {
    let mut argv = vec!["systemctl".to_owned()];
    if mode == ServiceMode::User {
        argv.push("--user".to_owned());
    }
    argv.push("daemon-reload".to_owned());
    argv
}

/// Installs the service (enabled at boot or login) running `program run --config config`;
/// on systemd, `unit` is the unit text. Then reloads systemd.
pub fn install(
    mode: ServiceMode,
    program: &Path,
    config: &Path,
    unit: String,
) -> Result<(), InstallError> {
    let ctx = ServiceInstallCtx {
        label: label(),
        program: program.to_owned(),
        args: vec!["run".into(), "--config".into(), config.into()],
        contents: cfg!(target_os = "linux").then_some(unit),
        username: None,
        working_directory: None,
        environment: None,
        autostart: true,
        restart_policy: service_manager::RestartPolicy::OnFailure {
            delay_secs: Some(2),
            max_retries: None,
            reset_after_secs: None,
        },
    };
    manager(mode)?.install(ctx).map_err(service_error)?;
    reload(mode)
}

/// Disables and removes the service, then reloads systemd.
pub fn uninstall(mode: ServiceMode) -> Result<(), InstallError> {
    manager(mode)?
        .uninstall(ServiceUninstallCtx { label: label() })
        .map_err(service_error)?;
    reload(mode)
}

fn reload(mode: ServiceMode) -> Result<(), InstallError> {
    if cfg!(target_os = "linux") {
        crate::cmd::run(&daemon_reload_argv(mode))?;
    }
    Ok(())
}

/// Starts the service.
pub fn start(mode: ServiceMode) -> Result<(), InstallError> {
    manager(mode)?
        .start(ServiceStartCtx { label: label() })
        .map_err(service_error)
}

/// Stops the service.
pub fn stop(mode: ServiceMode) -> Result<(), InstallError> {
    manager(mode)?
        .stop(ServiceStopCtx { label: label() })
        .map_err(service_error)
}

/// The service's state, in French.
pub fn state(mode: ServiceMode) -> String {
    let status = manager(mode).and_then(|m| {
        m.status(ServiceStatusCtx { label: label() })
            .map_err(service_error)
    });
    match status {
        Ok(ServiceStatus::Running) => "en marche".into(),
        Ok(ServiceStatus::Stopped(None)) => "arrêté".into(),
        Ok(ServiceStatus::Stopped(Some(why))) => format!("arrêté ({why})"),
        Ok(ServiceStatus::NotInstalled) => "non installé".into(),
        Err(e) => format!("inconnu ({e})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unit_is_passerelle_service_and_reload_follows_the_mode() {
        assert_eq!(label().to_script_name(), "passerelle");
        assert_eq!(
            daemon_reload_argv(ServiceMode::System),
            ["systemctl", "daemon-reload"]
        );
        assert_eq!(
            daemon_reload_argv(ServiceMode::User),
            ["systemctl", "--user", "daemon-reload"]
        );
    }
}
