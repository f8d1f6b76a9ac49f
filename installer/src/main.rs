//! `passerelle-install install | uninstall | status` (see the library's documentation).

#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = passerelle_installer::cli::Cli::parse();
    match passerelle_installer::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("passerelle-install : {e}");
            ExitCode::FAILURE
        }
    }
}
