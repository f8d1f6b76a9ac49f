//! `passerelle`: the daemon, and the tools that go with it.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use passerelle_agent::config::{Config, DOCUMENTED_DEFAULTS};
use passerelle_agent::sim::{fixtures, vpcd};

/// Passerelle: the SESAM-Vitale reader bridge (localhost TLS API).
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the daemon (the default command).
    Run {
        /// Configuration file (TOML). Default: the user's config file if present, else
        /// the embedded defaults (simulated readers and cards).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Prints the documented default configuration.
    Config,
    /// Runs a simulated card as a vpcd client, to be seen by pcscd as a real card.
    Simcard {
        /// Address of pcscd's vpcd driver.
        #[arg(long, default_value = "127.0.0.1:35963")]
        vpcd: String,
        /// The card, `KIND:ID` (see --list).
        #[arg(long, required_unless_present = "list")]
        card: Option<String>,
        /// Pull the card out after answering this many APDUs.
        #[arg(long)]
        remove_after_apdus: Option<u32>,
        /// Start with the card out; `insert` on standard input puts it in.
        #[arg(long)]
        start_removed: bool,
        /// Lists the simulated cards and exits.
        #[arg(long)]
        list: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run { config: None }) {
        Command::Run { config } => run(config),
        Command::Config => {
            print!("{DOCUMENTED_DEFAULTS}");
            ExitCode::SUCCESS
        }
        Command::Simcard {
            vpcd,
            card,
            remove_after_apdus,
            start_removed,
            list,
        } => {
            if list {
                for spec in fixtures::list() {
                    println!("{spec}");
                }
                return ExitCode::SUCCESS;
            }
            init_simcard_logs();
            let card = card.unwrap_or_default();
            if let Err(e) = fixtures::card_from_spec(&card) {
                eprintln!("passerelle simcard : carte inconnue « {card} » ({e}). Voir --list.");
                return ExitCode::from(2);
            }
            let options = vpcd::SimcardOptions {
                vpcd,
                card,
                remove_after_apdus,
                start_removed,
            };
            match vpcd::run_simcard(options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("passerelle simcard : {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn run(config_path: Option<PathBuf>) -> ExitCode {
    let (config, origin) = match Config::load(config_path.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("passerelle : {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = passerelle_agent::logging::init(&config.log) {
        eprintln!("passerelle : journal {} : {e}", config.log.file.display());
        return ExitCode::from(2);
    }
    match origin {
        Some(path) => tracing::info!(config = %path.display(), "configuration loaded"),
        None => tracing::info!("no configuration file: embedded defaults (simulated readers)"),
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("passerelle : {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(passerelle_agent::daemon::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "daemon stopped");
            eprintln!("passerelle : {e}");
            ExitCode::FAILURE
        }
    }
}

/// The simulated card logs warnings, or the level in `PASSERELLE_SIMCARD_LOG` (`debug`
/// shows every APDU, PIN data masked).
fn init_simcard_logs() {
    let config = passerelle_agent::config::LogConfig {
        level: std::env::var("PASSERELLE_SIMCARD_LOG").unwrap_or_else(|_| "warn".into()),
        ..Default::default()
    };
    let _ = passerelle_agent::logging::init(&config);
}
