//! A vpcd client: puts a simulated card behind pcscd, as if it sat in a real reader.
//!
//! pcscd's vpcd driver listens on a TCP port per slot (35963, 35964...); the card connects
//! to it. Frames are a 2-byte big-endian length and a payload. One-byte payloads are
//! control messages from pcscd (`00` power off, `01` power on, `02` reset: no reply; `04`
//! get ATR: reply with the ATR); longer ones are command APDUs, answered with the response
//! APDU. Closing the socket removes the card. `TCP_QUICKACK` is set before every read:
//! without it each APDU round trip waits ~40 ms for a delayed ACK.
//!
//! Control ([`run_simcard`]), one command per line on standard input: `remove`, `insert`,
//! `insert KIND:ID` (another card), `remove-after N` (pull the card out after N more APDUs;
//! acknowledged by `armed`, or by `removed` for 0), `quit`. End of input does not stop it. Printed on
//! standard output, one line each: `inserted` once connected to pcscd, `removed` once the
//! card is out (on `remove`, after `--remove-after-apdus`, before `insert KIND:ID` swaps the
//! card), `disconnected` when pcscd went away (it reconnects with backoff, then prints
//! `inserted` again). `insert` with the card in and `remove` with it out print the current
//! state again, as an acknowledgement.

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use super::fixtures::{card_from_spec, T0_SUFFIX};
use super::SimCard;
use passerelle_cards::layout::ins;
use passerelle_cards::transport::hex_spaced;

/// First delay before reconnecting to pcscd; doubles up to [`MAX_BACKOFF`].
const MIN_BACKOFF: Duration = Duration::from_millis(100);
/// Longest delay between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// How often the connection loop looks at the control channel while pcscd is silent.
const POLL: Duration = Duration::from_millis(20);

/// How `passerelle simcard` runs.
#[derive(Debug, Clone)]
pub struct SimcardOptions {
    /// `host:port` of pcscd's vpcd driver (default `127.0.0.1:35963`).
    pub vpcd: String,
    /// The card, `KIND:ID` (see [`super::fixtures::list`]).
    pub card: String,
    /// Pull the card out after answering this many APDUs (once; counted from insertion).
    pub remove_after_apdus: Option<u32>,
    /// Start with the card out; `insert` puts it in.
    pub start_removed: bool,
    /// Every card answers over T=0 (`61 xx`, `6C xx`: [`super::t0::T0Card`]), the first
    /// and those of `insert KIND:ID`.
    pub t0: bool,
}

/// A control command, one per line on standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// `insert` (the same card, keeping its PIN counters) or `insert KIND:ID` (a fresh card).
    Insert(Option<String>),
    /// `remove`: close the connection, the card is out.
    Remove,
    /// `remove-after N`: pull the card out after answering N more APDUs (0: now).
    RemoveAfter(u32),
    /// `quit`.
    Quit,
}

impl Control {
    /// Parses one line; `Ok(None)` for a blank line.
    pub fn parse(line: &str) -> Result<Option<Control>, String> {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (None, ..) => Ok(None),
            (Some("insert"), spec, None) => Ok(Some(Control::Insert(spec.map(str::to_owned)))),
            (Some("remove"), None, _) => Ok(Some(Control::Remove)),
            (Some("remove-after"), Some(n), None) => n
                .parse()
                .map(|n| Some(Control::RemoveAfter(n)))
                .map_err(|_| format!("« {line} » : remove-after attend un nombre d'APDU")),
            (Some("quit"), None, _) => Ok(Some(Control::Quit)),
            _ => Err(format!(
                "commande inconnue « {line} » (insert [KIND:ID], remove, remove-after N, quit)"
            )),
        }
    }
}

/// What the simulated card reports (printed as one line each by [`run_simcard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Connected to pcscd: the card is in the reader.
    Inserted,
    /// The card is out.
    Removed,
    /// pcscd closed the connection; reconnecting.
    Disconnected,
    /// `remove-after N` (N > 0) taken into account.
    Armed,
}

impl Report {
    /// The stdout line.
    pub fn line(self) -> &'static str {
        match self {
            Report::Inserted => "inserted",
            Report::Removed => "removed",
            Report::Disconnected => "disconnected",
            Report::Armed => "armed",
        }
    }
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
    let mut remove_after = options.remove_after_apdus;
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
                // Armed for the next insertion, counted from it.
                Ok(Control::RemoveAfter(n)) => {
                    remove_after = Some(n);
                    report(Report::Armed);
                }
                Ok(Control::Quit) | Err(_) => return Ok(()),
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
                    Ok(Control::RemoveAfter(n)) => {
                        remove_after = Some(n);
                        report(Report::Armed);
                    }
                    Ok(Control::Quit) => return Ok(()),
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
        let ended = serve(
            &stream,
            card.as_mut(),
            &control,
            &mut report,
            &mut remove_after,
            t0,
        );
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

enum Ended {
    Removed,
    Swap(Box<dyn SimCard>),
    Quit,
    Lost,
}

/// Serves pcscd on one connection until the card is removed or swapped, quit, or the link
/// is lost.
fn serve(
    stream: &TcpStream,
    card: &mut dyn SimCard,
    control: &Receiver<Control>,
    report: &mut impl FnMut(Report),
    remove_after: &mut Option<u32>,
    t0: bool,
) -> Ended {
    if stream
        .set_nodelay(true)
        .and_then(|_| stream.set_read_timeout(Some(POLL)))
        .is_err()
    {
        return Ended::Lost;
    }
    let socket = socket2::SockRef::from(stream);
    let mut buffer: Vec<u8> = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    let mut apdus = 0u32;
    loop {
        match control.try_recv() {
            Ok(Control::Remove) | Ok(Control::RemoveAfter(0)) => return Ended::Removed,
            Ok(Control::RemoveAfter(n)) => {
                *remove_after = Some(apdus + n);
                report(Report::Armed);
            }
            Ok(Control::Quit) => return Ended::Quit,
            Ok(Control::Insert(Some(spec))) => {
                if let Some(new) = new_card(&spec, t0) {
                    return Ended::Swap(new);
                }
            }
            Ok(Control::Insert(None)) => report(Report::Inserted),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => {}
        }
        // Linux resets TCP_QUICKACK after each ACK: set it before every read.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ = socket.set_tcp_quickack(true);
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = &socket;
        match (&*stream).read(&mut chunk) {
            Ok(0) => return Ended::Lost,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Ended::Lost,
        }
        while let Some(payload) = next_frame(&mut buffer) {
            let reply = match payload.as_slice() {
                [0x00] | [0x01] | [0x02] => {
                    card.reset();
                    None
                }
                [0x04] => Some(card.atr()),
                [] | [_] => None,
                apdu => {
                    let response = card.process(apdu);
                    let sw = &response[response.len().saturating_sub(2)..];
                    tracing::debug!(command = %loggable(apdu), sw = %hex_spaced(sw), "apdu");
                    apdus += 1;
                    Some(response)
                }
            };
            if let Some(reply) = reply {
                if (&*stream).write_all(&frame(&reply)).is_err() {
                    return Ended::Lost;
                }
            }
            if remove_after.is_some_and(|n| apdus >= n) {
                tracing::debug!(apdus, "removing the card as asked (--remove-after-apdus)");
                *remove_after = None;
                return Ended::Removed;
            }
        }
    }
}

/// Takes the first complete frame's payload out of `buffer`.
fn next_frame(buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let len = u16::from_be_bytes([*buffer.first()?, *buffer.get(1)?]) as usize;
    if buffer.len() < 2 + len {
        return None;
    }
    let payload = buffer[2..2 + len].to_vec();
    buffer.drain(..2 + len);
    Some(payload)
}

/// `payload` with its 2-byte big-endian length (a response APDU is at most 258 bytes).
fn frame(payload: &[u8]) -> Vec<u8> {
    let len = payload.len().min(u16::MAX as usize);
    let mut out = Vec::with_capacity(2 + len);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&payload[..len]);
    out
}

/// The APDU as hex, with the data of PIN commands (VERIFY, RESET RETRY COUNTER) masked.
fn loggable(apdu: &[u8]) -> String {
    let header = hex_spaced(&apdu[..apdu.len().min(4)]);
    match apdu.get(1) {
        Some(&ins::VERIFY | &ins::RESET_RETRY_COUNTER) if apdu.len() > 4 => {
            format!("{header} [PIN masqué]")
        }
        _ => hex_spaced(apdu),
    }
}

#[cfg(test)]
mod tests;
