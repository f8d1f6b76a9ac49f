//! The usual end-to-end set-up: a private pcscd, the daemon on the PC/SC backend, a
//! simulated Vitale in the first vpcd reader and a simulated CPx card in the second, both
//! seen by the daemon.

use std::time::Duration;

use crate::{Backend, Daemon, PcscdRig, Simcard, TestDir, VPCD_PORT_0, VPCD_PORT_1};

/// Everything a card test holds; dropping it stops the processes.
pub struct TwoCards {
    /// The simulated card in `READER_0`.
    pub vitale: Simcard,
    /// The simulated card in `READER_1`.
    pub cpx: Simcard,
    /// The daemon, on the PC/SC backend.
    pub daemon: Daemon,
    /// pcscd (dropped last: the field order is the drop order).
    pub pcscd: PcscdRig,
}

impl TwoCards {
    /// Starts pcscd, the daemon, and the two cards (`vitale:...`, `cps:...`), and waits
    /// until the daemon has identified both.
    pub async fn start(dir: &TestDir, vitale: &str, cpx: &str) -> crate::Result<TwoCards> {
        Self::start_with(dir, vitale, cpx, &[], "").await
    }

    /// Like [`TwoCards::start`], both `passerelle simcard` given `card_args` (`["--t0"]`:
    /// both cards answer over T=0), and `config` merged into the daemon's configuration.
    pub async fn start_with(
        dir: &TestDir,
        vitale: &str,
        cpx: &str,
        card_args: &[&str],
        config: &str,
    ) -> crate::Result<TwoCards> {
        let pcscd = PcscdRig::start(dir)?;
        let daemon = Daemon::start_with(dir, Backend::Pcsc, config).await?;
        let mut vitale = Simcard::start(dir, VPCD_PORT_0, vitale, card_args)?;
        let mut cpx = Simcard::start(dir, VPCD_PORT_1, cpx, card_args)?;
        let wait = Duration::from_secs(15);
        vitale.wait_line("inserted", wait).await?;
        cpx.wait_line("inserted", wait).await?;
        daemon
            .wait_readers("both cards identified", wait, |l| {
                l.readers.iter().filter(|r| r.card.is_some()).count() == 2
            })
            .await?;
        Ok(TwoCards {
            vitale,
            cpx,
            daemon,
            pcscd,
        })
    }
}
