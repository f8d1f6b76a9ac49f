//! The command line of `passerelle-install`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use passerelle_installation::ServiceMode;

/// Installe, désinstalle et décrit le service Passerelle et la confiance en son autorité
/// locale.
#[derive(Debug, Parser)]
#[command(name = "passerelle-install", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Installe (ou réinstalle) le service, sa configuration, son autorité locale et la
    /// confiance des navigateurs ; relancé, il fait à nouveau confiance à l'autorité actuelle.
    Install(InstallArgs),
    /// Retire tout ce que l'installation a créé (les données seulement avec --purge).
    Uninstall {
        /// Le mode à désinstaller (par défaut : celui qui est installé, système d'abord).
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        /// Supprime aussi les données du démon (base de facturation, appairages, journal).
        #[arg(long)]
        purge: bool,
    },
    /// Dit ce qui est installé, l'état du service et si chaque confiance est en place.
    Status {
        /// Le mode à décrire (par défaut : celui qui est installé, système d'abord).
        #[arg(long, value_enum)]
        mode: Option<Mode>,
    },
}

/// Options of `install`.
#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// `system` : service système (poste sans session, utilisateur dédié) ;
    /// `user` : service de la session de l'utilisateur.
    #[arg(long, value_enum, default_value = "user")]
    pub mode: Mode,
    /// Origine d'une application de facturation web (https://hôte[:port]) autorisée à
    /// appeler le démon local (politique Chrome LoopbackNetworkAllowedForUrls). Répétable ;
    /// sans elle, une réinstallation garde les origines de l'installation précédente.
    #[arg(long = "app-origin", value_name = "ORIGINE")]
    pub app_origins: Vec<String>,
    /// Dossier personnel dont les navigateurs (Chromium, Firefox) feront confiance à
    /// l'autorité. Répétable. Par défaut : $HOME en mode user ; en mode system, celui de
    /// $SUDO_USER s'il est défini, sinon aucun (poste sans session).
    #[arg(long = "browser-home", value_name = "DOSSIER")]
    pub browser_homes: Vec<PathBuf>,
    /// Le programme passerelle à lancer (par défaut : celui placé à côté de l'installeur,
    /// sinon celui du PATH).
    #[arg(long, value_name = "CHEMIN")]
    pub program: Option<PathBuf>,
    /// N'active pas le démarrage immédiat du service (il démarrera au prochain démarrage
    /// ou à la prochaine session).
    #[arg(long)]
    pub no_start: bool,
}

/// `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Service système.
    System,
    /// Service de session.
    User,
}

impl From<Mode> for ServiceMode {
    fn from(m: Mode) -> ServiceMode {
        match m {
            Mode::System => ServiceMode::System,
            Mode::User => ServiceMode::User,
        }
    }
}
