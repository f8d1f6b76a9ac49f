//! Running the external tools (certutil, update-ca-certificates, systemctl, ...).
//!
//! Every command is built as an argv (a list of strings) by a pure function in its module,
//! so the exact command lines are unit-tested on any OS; this module only runs them.

use std::process::{Command, Output, Stdio};

use crate::error::InstallError;

/// The command line, for messages.
pub fn display(argv: &[String]) -> String {
    argv.join(" ")
}

fn output(argv: &[String]) -> Result<Output, InstallError> {
    let (program, args) = argv.split_first().expect("an argv has a program");
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| InstallError::Command {
            command: display(argv),
            detail: format!("impossible de la lancer ({e})"),
        })
}

/// Runs `argv`; an error when it cannot start or exits with a failure. Returns stdout.
pub fn run(argv: &[String]) -> Result<String, InstallError> {
    let out = output(argv)?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    if detail.is_empty() {
        detail = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    }
    Err(InstallError::Command {
        command: display(argv),
        detail: format!("{} ({})", detail, out.status),
    })
}

/// Runs `argv` as a question: whether it exited successfully (an error only when it
/// cannot start).
pub fn succeeds(argv: &[String]) -> Result<bool, InstallError> {
    Ok(output(argv)?.status.success())
}

/// Whether `program` can be found on `PATH`.
pub fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}
