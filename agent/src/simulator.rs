//! What the API may do to simulated readers (the `/v1/simulator/...` routes), as a trait so
//! the API does not name the simulator crate: a build without the `simulator` feature has
//! no implementation, and those routes answer `simulator_only`.

use passerelle_cards::transport::TransportError;

/// Why a simulator operation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimulatorError {
    /// No simulated card with this spec; the known ones.
    UnknownCard(Vec<String>),
    /// The reader has no PIN pad.
    NoPinPad,
    /// The reader (unknown name, ...).
    Transport(TransportError),
}

impl From<TransportError> for SimulatorError {
    fn from(e: TransportError) -> Self {
        SimulatorError::Transport(e)
    }
}

/// Simulated readers, driven by the API.
pub trait SimulatorControl: Send + Sync {
    /// Puts the simulated card `spec` (`vitale:nguyen`...) in `reader`.
    fn insert(&self, reader: &str, spec: &str) -> Result<(), SimulatorError>;
    /// Pulls the card out of `reader`; false when it held none.
    fn remove(&self, reader: &str) -> Result<bool, SimulatorError>;
    /// Whether `reader` has a PIN pad.
    fn has_pin_pad(&self, reader: &str) -> Result<bool, SimulatorError>;
    /// Types `keys` (digits, then OK) or the cancel key (`None`) on `reader`'s PIN pad.
    fn type_keys(&self, reader: &str, keys: Option<&[u8]>) -> Result<(), SimulatorError>;
}

#[cfg(feature = "simulator")]
impl SimulatorControl for passerelle_simcard::backend::SimBackend {
    fn insert(&self, reader: &str, spec: &str) -> Result<(), SimulatorError> {
        use passerelle_simcard::fixtures;
        let card = fixtures::card_from_spec(spec).map_err(|_| {
            SimulatorError::UnknownCard(fixtures::list().into_iter().map(str::to_owned).collect())
        })?;
        Ok(passerelle_simcard::backend::SimBackend::insert(
            self, reader, card,
        )?)
    }

    fn remove(&self, reader: &str) -> Result<bool, SimulatorError> {
        Ok(passerelle_simcard::backend::SimBackend::remove(
            self, reader,
        )?)
    }

    fn has_pin_pad(&self, reader: &str) -> Result<bool, SimulatorError> {
        Ok(self.pin_pad(reader)?.is_some())
    }

    fn type_keys(&self, reader: &str, keys: Option<&[u8]>) -> Result<(), SimulatorError> {
        let pad = self.pin_pad(reader)?.ok_or(SimulatorError::NoPinPad)?;
        pad.type_keys(keys);
        Ok(())
    }
}
