//! `passerelle`: the daemon, and the tools that go with it.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use passerelle_agent::local::{admin, client, outbox, replacements, returns};
use passerelle_installation::config::DOCUMENTED_DEFAULTS;
use passerelle_protocol::Scope;

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
    /// Runs a simulated card as a vpcd client, to be seen by pcscd as a real card (builds
    /// with the simulator only).
    #[cfg(feature = "simulator")]
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
        /// Answer over T=0, as real Vitale and CPS cards do: `61 xx` (data waiting for
        /// GET RESPONSE) and `6C xx` (wrong Le), for every card of this run.
        #[arg(long)]
        t0: bool,
        /// Stop answering after this many APDUs (a mute card), until pulled out.
        #[arg(long)]
        mute_after_apdus: Option<u32>,
        /// Wait this many milliseconds before each answer (a slow card).
        #[arg(long, default_value_t = 0)]
        apdu_delay_ms: u64,
        /// Lists the simulated cards and exits.
        #[arg(long)]
        list: bool,
    },
    /// Pairing of applications: requests, approval, grants (through the daemon's socket).
    Pair {
        #[command(subcommand)]
        command: PairCommand,
        #[command(flatten)]
        place: Place,
    },
    /// Checks readers, certificate, trust stores, port, service, browser policy, store and
    /// audit log, and says in French what is wrong (exit code 1 when something is).
    Doctor {
        /// Configuration file. Default: the installed service's, else the user's, else the
        /// embedded defaults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// JSON output (one object per finding), for scripts.
        #[arg(long)]
        json: bool,
    },
    /// The daemon's state: readers, cards, pairing requests waiting (through its socket).
    Status {
        /// JSON output (as `GET /v1/status`).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        place: Place,
    },
    /// The lots, oldest first (through the daemon's socket).
    Lots {
        /// Send lots, or show the outbox (without: list the lots).
        #[command(subcommand)]
        action: Option<LotsCommand>,
        /// Only this practitioner's (billing number).
        #[arg(long, global = true)]
        practitioner: Option<String>,
        /// JSON output (as the API answers).
        #[arg(long, global = true)]
        json: bool,
        #[command(flatten)]
        place: Place,
    },
    /// Where every euro billed stands: billed, paid, rejected, waiting, overdue, by
    /// organism and patient, with the rejection reasons (through the daemon's socket).
    Reconciliation {
        /// First care date, YYYY-MM-DD.
        #[arg(long)]
        from: Option<String>,
        /// Last care date, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
        /// Only this organism (9 digits: régime, caisse, centre).
        #[arg(long)]
        organism: Option<String>,
        /// Only this insured person (NIR).
        #[arg(long)]
        patient: Option<String>,
        /// One line per FSE after the totals.
        #[arg(long)]
        detail: bool,
        /// The CSV export (one line per FSE) instead of the table.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// JSON output (as the API answers).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        place: Place,
    },
    /// Replacement sessions and assistants' grants (through the daemon's socket).
    Replacements {
        #[command(subcommand)]
        command: ReplacementsCommand,
        /// JSON output (as the API answers).
        #[arg(long, global = true)]
        json: bool,
        #[command(flatten)]
        place: Place,
    },
    /// The return mails fetched (ARL, NOEMIE), newest first, and what each did.
    Returns {
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// JSON output (as the API answers).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        place: Place,
    },
    /// Mail settings of each practitioner situation (lots leave from that mailbox).
    Mail {
        #[command(subcommand)]
        command: MailCommand,
        #[command(flatten)]
        place: Place,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
        #[command(flatten)]
        place: Place,
    },
}

/// Which daemon: its data directory, given or read from a configuration.
#[derive(Args)]
struct Place {
    /// The daemon's data directory (default: the one of --config, or of the default configuration).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// The daemon's configuration file, to find its data directory.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum PairCommand {
    /// Asks to pair this local program (as your OS user); prints the code on stderr, waits
    /// for approval, then prints the token alone on stdout.
    Request {
        /// Name shown to the practitioner.
        #[arg(long)]
        app_name: String,
        /// A scope: read_cards, sign, transmit, admin (repeat the option for several).
        #[arg(long = "scope", required = true, value_parser = parse_scope)]
        scopes: Vec<Scope>,
        /// How long to wait for the decision, in seconds.
        #[arg(long, default_value_t = 300)]
        wait: u64,
    },
    /// Lists the pairing requests and their codes.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Approves the waiting request with this code (compare it with the application's).
    Approve {
        /// The code, `123-456`.
        code: String,
    },
    /// Refuses the waiting request with this code.
    Deny {
        /// The code.
        code: String,
    },
    /// Lists the approved applications.
    Grants {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Revokes a grant: its token stops working at once.
    Revoke {
        /// The grant id (see `pair grants`).
        grant_id: String,
    },
}

#[derive(Subcommand)]
enum ReplacementsCommand {
    /// Every replacement session, newest first, then the assistants' grants.
    List,
}

#[derive(Subcommand)]
enum LotsCommand {
    /// Puts lots in the outbox: one (`--lot ID`), or every signed one (of `--practitioner`).
    Send {
        /// The lot's id (see `passerelle lots`).
        #[arg(long)]
        lot: Option<i64>,
    },
    /// The outbox: attempts, newest first, with their state, error and next try.
    Outbox {
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Writes the paper duplicate (PDF) of a lot that failed twice.
    Paper {
        /// The lot's id.
        #[arg(long)]
        lot: i64,
        /// Where to write the PDF.
        #[arg(long)]
        out: PathBuf,
    },
    /// Says that a lot's paper duplicate was printed and posted to the caisse.
    Posted {
        /// The lot's id.
        #[arg(long)]
        lot: i64,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Sets a situation's mail settings. The password is read from standard input (one
    /// line), never from the command line: `passerelle mail set ... --password-stdin < file`.
    Set(Box<MailSet>),
    /// Every situation's mail settings (never a password).
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// `passerelle mail set`.
#[derive(Args)]
struct MailSet {
    /// The situation's billing number (8 digits).
    #[arg(long)]
    practitioner: String,
    /// The practitioner's address (lots leave from it, returns come to it).
    #[arg(long)]
    from: String,
    /// SMTP submission server.
    #[arg(long)]
    smtp_host: String,
    /// Its port (587 with STARTTLS, 465 with TLS).
    #[arg(long, default_value_t = 587)]
    smtp_port: u16,
    /// `starttls` or `tls`.
    #[arg(long, default_value = "starttls", value_parser = parse_security)]
    smtp_security: passerelle_protocol::MailSecurity,
    /// Login name (SMTP and IMAP).
    #[arg(long)]
    username: String,
    /// IMAP server, where the returns arrive.
    #[arg(long)]
    imap_host: Option<String>,
    /// Its port (993 with TLS, 143 with STARTTLS).
    #[arg(long, default_value_t = 993)]
    imap_port: u16,
    /// `tls` or `starttls`.
    #[arg(long, default_value = "tls", value_parser = parse_security)]
    imap_security: passerelle_protocol::MailSecurity,
    /// A concentrator (OCT) receiving every lot instead of the organisms: its address...
    #[arg(long, requires = "oct_certificate")]
    oct_address: Option<String>,
    /// ...and its encryption certificate (PEM file).
    #[arg(long, requires = "oct_address")]
    oct_certificate: Option<PathBuf>,
    /// Read the mailbox password from standard input (omitted: the stored one is kept).
    #[arg(long)]
    password_stdin: bool,
}

fn parse_security(text: &str) -> Result<passerelle_protocol::MailSecurity, String> {
    match text {
        "starttls" => Ok(passerelle_protocol::MailSecurity::Starttls),
        "tls" => Ok(passerelle_protocol::MailSecurity::Tls),
        other => Err(format!("« {other} » : starttls ou tls")),
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verifies the hash chain of the audit log; names the first bad line.
    Verify,
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    Scope::parse(text).ok_or_else(|| {
        let all: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        format!(
            "autorisation inconnue « {text} » ; possibles : {}",
            all.join(", ")
        )
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run { config: None }) {
        Command::Run { config } => run(config),
        Command::Pair { command, place } => pair(command, place),
        Command::Audit {
            command: AuditCommand::Verify,
            place,
        } => audit_verify(place),
        Command::Doctor { config, json } => doctor(config, json),
        Command::Status { json, place } => on_socket("status", &place, |dir| async move {
            admin::status(&dir, json).await
        }),
        Command::Lots {
            action,
            practitioner,
            json,
            place,
        } => on_socket("lots", &place, |dir| async move {
            match action {
                None => admin::lots(&dir, practitioner, json).await,
                Some(LotsCommand::Send { lot }) => {
                    outbox::send(&dir, lot, practitioner, json).await
                }
                Some(LotsCommand::Outbox { limit }) => outbox::list(&dir, limit, json).await,
                Some(LotsCommand::Paper { lot, out }) => returns::paper(&dir, lot, &out).await,
                Some(LotsCommand::Posted { lot }) => returns::posted(&dir, lot).await,
            }
        }),
        Command::Reconciliation {
            from,
            to,
            organism,
            patient,
            detail,
            csv,
            json,
            place,
        } => on_socket("reconciliation", &place, |dir| async move {
            let args = returns::ReconciliationArgs {
                from,
                to,
                organism,
                patient,
                detail,
                csv,
                json,
            };
            returns::reconciliation(&dir, args).await
        }),
        Command::Replacements {
            command: ReplacementsCommand::List,
            json,
            place,
        } => on_socket("replacements", &place, |dir| async move {
            replacements::list(&dir, json).await
        }),
        Command::Returns { limit, json, place } => on_socket("returns", &place, |dir| async move {
            returns::list(&dir, limit, json).await
        }),
        Command::Mail { command, place } => mail(command, place),
        Command::Config => {
            print!("{DOCUMENTED_DEFAULTS}");
            ExitCode::SUCCESS
        }
        #[cfg(feature = "simulator")]
        Command::Simcard {
            vpcd,
            card,
            remove_after_apdus,
            start_removed,
            t0,
            mute_after_apdus,
            apdu_delay_ms,
            list,
        } => simcard(
            vpcd,
            card,
            SimcardFaults {
                remove_after_apdus,
                mute_after_apdus,
                apdu_delay: std::time::Duration::from_millis(apdu_delay_ms),
                t0,
            },
            start_removed,
            list,
        ),
    }
}

/// How the card of `passerelle simcard` departs from a well-behaved T=1 card.
#[cfg(feature = "simulator")]
struct SimcardFaults {
    remove_after_apdus: Option<u32>,
    mute_after_apdus: Option<u32>,
    apdu_delay: std::time::Duration,
    t0: bool,
}

/// `passerelle simcard`: a simulated card behind pcscd's vpcd driver.
#[cfg(feature = "simulator")]
fn simcard(
    vpcd: String,
    card: Option<String>,
    faults: SimcardFaults,
    start_removed: bool,
    list: bool,
) -> ExitCode {
    use passerelle_simcard::{fixtures, vpcd};
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
        remove_after_apdus: faults.remove_after_apdus,
        mute_after_apdus: faults.mute_after_apdus,
        apdu_delay: faults.apdu_delay,
        start_removed,
        t0: faults.t0,
    };
    match vpcd::run_simcard(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("passerelle simcard : {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(config_path: Option<PathBuf>) -> ExitCode {
    let (config, origin) = match passerelle_agent::config::load(config_path.as_deref()) {
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
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if config.server.worker_threads > 0 {
        builder.worker_threads(config.server.worker_threads);
    }
    let runtime = match builder.enable_all().build() {
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

/// The data directory named by `place`.
fn data_dir(place: &Place) -> Result<PathBuf, String> {
    if let Some(dir) = &place.data_dir {
        return Ok(dir.clone());
    }
    let (config, _) =
        passerelle_agent::config::load(place.config.as_deref()).map_err(|e| e.to_string())?;
    Ok(config.data_dir())
}

/// Runs `work` on the data directory of `place` in a small runtime; prints its error.
fn on_socket<F, Fut>(name: &str, place: &Place, work: F) -> ExitCode
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let outcome = data_dir(place).and_then(|dir| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?
            .block_on(work(dir))
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("passerelle {name} : {e}");
            ExitCode::FAILURE
        }
    }
}

fn pair(command: PairCommand, place: Place) -> ExitCode {
    on_socket("pair", &place, |dir| async move {
        match command {
            PairCommand::Request {
                app_name,
                scopes,
                wait,
            } => {
                let wait = std::time::Duration::from_secs(wait);
                let token = client::request(&dir, app_name, scopes, wait).await?;
                println!("{token}");
                Ok(())
            }
            PairCommand::List { json } => client::list(&dir, json).await,
            PairCommand::Approve { code } => client::decide(&dir, code, true).await,
            PairCommand::Deny { code } => client::decide(&dir, code, false).await,
            PairCommand::Grants { json } => client::grants(&dir, json).await,
            PairCommand::Revoke { grant_id } => client::revoke(&dir, grant_id).await,
        }
    })
}

fn mail(command: MailCommand, place: Place) -> ExitCode {
    let input = match &command {
        MailCommand::Set(set) => match mail_input(set) {
            Ok(input) => Some((set.practitioner.clone(), input)),
            Err(e) => {
                eprintln!("passerelle mail : {e}");
                return ExitCode::from(2);
            }
        },
        MailCommand::List { .. } => None,
    };
    on_socket("mail", &place, |dir| async move {
        match (command, input) {
            (MailCommand::List { json }, _) => outbox::mail_list(&dir, json).await,
            (MailCommand::Set(_), Some((practitioner, input))) => {
                outbox::mail_set(&dir, &practitioner, &input).await
            }
            (MailCommand::Set(_), None) => Ok(()),
        }
    })
}

/// The API body of `passerelle mail set`, the password read from standard input.
fn mail_input(set: &MailSet) -> Result<passerelle_protocol::MailSettingsInput, String> {
    use passerelle_protocol::{MailServer, MailSettingsInput, OctSettings, Secret};
    let password = if set.password_stdin {
        let mut line = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .read_line(&mut line)
            .map_err(|e| format!("entrée standard : {e}"))?;
        Some(Secret::new(line.trim_end_matches(['\r', '\n'])))
    } else {
        None
    };
    let oct = match (&set.oct_address, &set.oct_certificate) {
        (Some(address), Some(file)) => Some(OctSettings {
            address: address.clone(),
            certificate_pem: std::fs::read_to_string(file)
                .map_err(|e| format!("{} : {e}", file.display()))?,
        }),
        _ => None,
    };
    Ok(MailSettingsInput {
        from: set.from.clone(),
        smtp: MailServer {
            host: set.smtp_host.clone(),
            port: set.smtp_port,
            security: set.smtp_security,
            username: set.username.clone(),
        },
        imap: set.imap_host.as_ref().map(|host| MailServer {
            host: host.clone(),
            port: set.imap_port,
            security: set.imap_security,
            username: set.username.clone(),
        }),
        oct,
        password,
    })
}

fn audit_verify(place: Place) -> ExitCode {
    let dir = match data_dir(&place) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("passerelle audit : {e}");
            return ExitCode::from(2);
        }
    };
    let path = dir.join(passerelle_agent::audit::FILE_NAME);
    match passerelle_agent::audit::verify(&path) {
        Ok(v) => {
            println!(
                "{} : {} lignes en {} fichiers, chaîne intacte, point de contrôle atteint.",
                path.display(),
                v.lines,
                v.files
            );
            for seq in v.truncations {
                println!(
                    "Attention : ligne {seq}, le démon a trouvé au démarrage le journal plus \
                     court que son point de contrôle (lignes perdues avant elle)."
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("passerelle audit verify : {} : {e}", path.display());
            ExitCode::FAILURE
        }
    }
}

fn doctor(config_path: Option<PathBuf>, json: bool) -> ExitCode {
    use passerelle_agent::doctor::{self, Doctor, SystemPlaces};
    use passerelle_installation::Installation;
    let installation = match Installation::find() {
        Ok(record) => record,
        Err(e) => {
            eprintln!("passerelle doctor : {e}");
            None
        }
    };
    let config_path = config_path.or_else(|| installation.as_ref().map(|i| i.config_file.clone()));
    let config = match passerelle_agent::config::load(config_path.as_deref()) {
        Ok((config, _)) => config,
        Err(e) => {
            eprintln!("PROBLÈME  configuration : {e}");
            return ExitCode::FAILURE;
        }
    };
    let doctor = Doctor {
        config,
        installation,
        homes: std::env::var_os("HOME")
            .map(PathBuf::from)
            .into_iter()
            .collect(),
        system: SystemPlaces::of_this_machine(),
    };
    let findings = doctor.run();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&findings).expect("findings serialise")
        );
    } else {
        print!("{}", doctor::render(&findings));
    }
    if doctor::all_well(&findings) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The simulated card logs warnings, or the level in `PASSERELLE_SIMCARD_LOG` (`debug`
/// shows every APDU, PIN data masked).
#[cfg(feature = "simulator")]
fn init_simcard_logs() {
    let config = passerelle_installation::config::LogConfig {
        level: std::env::var("PASSERELLE_SIMCARD_LOG").unwrap_or_else(|_| "warn".into()),
        ..Default::default()
    };
    let _ = passerelle_agent::logging::init(&config);
}
