//! The configuration as the daemon loads it: the file's own checks
//! ([`passerelle_installation::config`], shared with the installer), then what only the
//! daemon knows: which simulated cards exist, and whether this build has a simulator.

use std::path::{Path, PathBuf};

use passerelle_installation::config::{BackendChoice, Config, ConfigError};

/// Loads `explicit`, else the user's configuration file, else the defaults (see
/// [`Config::load`]), and checks it against this build.
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    let (mut config, origin) = Config::load(explicit)?;
    let named = origin.clone().unwrap_or_else(|| PathBuf::from("<défaut>"));
    if cfg!(not(feature = "simulator")) && origin.is_none() {
        // No file: a build without the simulator has only real readers to offer.
        config.readers.backend = BackendChoice::Pcsc;
    }
    check_build(&config, &named)?;
    Ok((config, origin))
}

/// Refuses what this build cannot run: an unknown simulated card, or simulated readers in
/// a build without the simulator.
pub fn check_build(config: &Config, origin: &Path) -> Result<(), ConfigError> {
    #[cfg(feature = "simulator")]
    {
        config.check_simulated_cards(origin, |spec| {
            passerelle_simcard::fixtures::card_from_spec(spec).is_ok()
        })
    }
    #[cfg(not(feature = "simulator"))]
    {
        if config.readers.backend == BackendChoice::Simulated {
            return Err(ConfigError::Invalid {
                path: origin.to_owned(),
                message: "readers.backend : cette version de Passerelle est construite sans \
                          simulateur ; mettez readers.backend = \"pcsc\""
                    .into(),
            });
        }
        Ok(())
    }
}
