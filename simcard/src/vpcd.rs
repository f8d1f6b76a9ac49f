//! A vpcd client: puts a simulated card behind pcscd, as if it sat in a real reader.
//!
//! pcscd's vpcd driver listens on a TCP port per slot (35963, 35964...); the card connects
//! to it. Frames are a 2-byte big-endian length and a payload. One-byte payloads are
//! control messages from pcscd (`00` power off, `01` power on, `02` reset: no reply; `04`
//! get ATR: reply with the ATR); longer ones are command APDUs, answered with the response
//! APDU. Closing the socket removes the card. `TCP_QUICKACK` is set before every read:
//! without it each APDU round trip waits ~40 ms for a delayed ACK.
//!
//! Control ([`run_simcard`]), one command per line on standard input ([`Control`]):
//! `remove`, `insert`, `insert KIND:ID` (another card), `remove-after N` (pull the card out
//! after N more APDUs; acknowledged by `armed`, or by `removed` for 0), `mute-after N`
//! (answer N more APDUs, then nothing: pcscd's driver waits for an answer that never comes,
//! as with a card that went mute, until the card is pulled out; `armed`, then `mute` when it
//! happens), `delay MS` (a slow card: each answer waits MS ms; `armed`), `quit`. End of
//! input does not stop it. Printed on standard output, one line each ([`Report`]):
//! `inserted` once connected to pcscd, `removed` once the card is out (on `remove`, after
//! `--remove-after-apdus`, before `insert KIND:ID` swaps the card), `disconnected` when
//! pcscd went away (it reconnects with backoff, then prints `inserted` again). `insert`
//! with the card in and `remove` with it out print the current state again, as an
//! acknowledgement.

use std::io::{self, BufRead, Write};
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use super::fixtures::{card_from_spec, T0_SUFFIX};
use super::SimCard;

/// First delay before reconnecting to pcscd; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest delay between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How often the connection loop looks at the control channel while pcscd is silent.
const POLL: Duration = Duration::from_millis(20);

mod control;
mod link;

pub use control::{Control, Faults, Report};
#[cfg(test)]
use link::{frame, loggable, next_frame};
use link::{Ended, Link};

/// How `passerelle simcard` runs.
#[derive(Debug, Clone, Default)]
pub struct SimcardOptions {
    /// `host:port` of pcscd's vpcd driver (default `127.0.0.1:35963`).
    pub vpcd: String,
    /// The card, `KIND:ID` (see [`super::fixtures::list`]).
    pub card: String,
    /// Pull the card out after answering this many APDUs (once; counted from insertion).
    pub remove_after_apdus: Option<u32>,
    /// Stop answering after this many APDUs (once; counted from insertion): a mute card,
    /// until it is pulled out.
    pub mute_after_apdus: Option<u32>,
    /// Wait this long before each answer: a slow card.
    pub apdu_delay: Duration,
    /// Start with the card out; `insert` puts it in.
    pub start_removed: bool,
    /// Every card answers over T=0 (`61 xx`, `6C xx`: [`super::t0::T0Card`]), the first
    /// and those of `insert KIND:ID`.
    pub t0: bool,
}

/// Runs the simulated card, controlled by standard input, until `quit` (or a signal).
pub fn run_simcard(options: SimcardOptions) -> io::Result<()> {
    let control = spawn_stdin_reader();
    run(options, control, |report| {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{}", report.line());
        let _ = out.flush();
    })
}

/// Runs the simulated card with commands from `control` and reports to `report`, until
/// [`Control::Quit`] or, while the card is out, until `control` is closed.
pub fn run(
    options: SimcardOptions,
    control: Receiver<Control>,
    mut report: impl FnMut(Report),
) -> io::Result<()> {
    let invalid =
        |e: super::FixtureError| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    let t0 = options.t0;
    let mut card = card_for(&options.card, t0).map_err(invalid)?;
    let mut card_in = !options.start_removed;
    let mut faults = Faults {
        remove_after: options.remove_after_apdus,
        mute_after: options.mute_after_apdus,
        delay: options.apdu_delay,
    };
    let mut backoff = MIN_BACKOFF;
    loop {
        if !card_in {
            match control.recv() {
                Ok(Control::Insert(None)) => card_in = true,
                Ok(Control::Insert(Some(spec))) => {
                    if let Some(new) = new_card(&spec, t0) {
                        card = new;
                        card_in = true;
                    }
                }
                Ok(Control::Remove) => report(Report::Removed),
                Ok(Control::Quit) | Err(_) => return Ok(()),
                // Armed for the next insertion, counted from it.
                Ok(other) => {
                    if faults.arm(&other, 0) {
                        report(Report::Armed);
                    }
                }
            }
            continue;
        }
        let stream = match TcpStream::connect(&options.vpcd) {
            Ok(stream) => stream,
            Err(e) => {
                tracing::debug!(vpcd = %options.vpcd, error = %e, ?backoff, "vpcd unreachable, retrying");
                match control.recv_timeout(backoff) {
                    Ok(Control::Insert(None)) => {}
                    Ok(Control::Insert(Some(spec))) => card = new_card(&spec, t0).unwrap_or(card),
                    Ok(Control::Remove) => {
                        card_in = false;
                        report(Report::Removed);
                    }
                    Ok(Control::Quit) => return Ok(()),
                    Ok(other) => {
                        if faults.arm(&other, 0) {
                            report(Report::Armed);
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => std::thread::sleep(backoff),
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        backoff = MIN_BACKOFF;
        card.reset();
        tracing::debug!(vpcd = %options.vpcd, "connected: card inserted");
        report(Report::Inserted);
        let mut link = Link {
            stream: &stream,
            control: &control,
            faults: &mut faults,
            t0,
        };
        let ended = link.serve(card.as_mut(), &mut report);
        let _ = stream.shutdown(std::net::Shutdown::Both);
        drop(stream);
        match ended {
            Ended::Quit => return Ok(()),
            Ended::Removed => {
                card_in = false;
                report(Report::Removed);
            }
            Ended::Swap(new) => {
                report(Report::Removed);
                card = new;
            }
            Ended::Lost => {
                tracing::debug!("vpcd closed the connection; reconnecting");
                report(Report::Disconnected);
            }
        }
    }
}

/// A fresh card `spec` (over T=0 if `t0`); a bad spec is reported on stderr, and the
/// command ignored.
fn new_card(spec: &str, t0: bool) -> Option<Box<dyn SimCard>> {
    match card_for(spec, t0) {
        Ok(card) => Some(card),
        Err(e) => {
            eprintln!("passerelle simcard : {e} ; commande ignorée");
            None
        }
    }
}

/// The card `spec`, answering over T=0 if `t0` (or if the spec says so).
fn card_for(spec: &str, t0: bool) -> Result<Box<dyn SimCard>, super::FixtureError> {
    match t0 && !spec.ends_with(T0_SUFFIX) {
        true => card_from_spec(&format!("{spec}{T0_SUFFIX}")),
        false => card_from_spec(spec),
    }
}

fn spawn_stdin_reader() -> Receiver<Control> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            match Control::parse(&line) {
                Ok(Some(control)) => {
                    if tx.send(control).is_err() {
                        return;
                    }
                }
                Ok(None) => {}
                Err(e) => eprintln!("passerelle simcard : {e}"),
            }
        }
        // End of input: the card stays as it is until a signal. Keep the sender alive so
        // the control loop never mistakes this for `quit`.
        std::mem::forget(tx);
    });
    rx
}

#[cfg(test)]
mod tests;
