//! A vpcd client: puts a simulated card behind pcscd, as if it sat in a real reader.
//!
//! pcscd's vpcd driver listens on a TCP port per slot; the card connects to it. Frames are
//! a 2-byte big-endian length and a payload. One-byte payloads are control messages from
//! pcscd (`00` power off, `01` power on, `02` reset: no reply; `04` get ATR: reply with the
//! ATR); longer ones are command APDUs, answered with the response APDU. Closing the socket
//! removes the card. `TCP_QUICKACK` is set before every read: without it each APDU round
//! trip waits ~40 ms for a delayed ACK.
//!
//! Control, one command per line on standard input: `remove`, `insert`, `insert KIND:ID`,
//! `quit`. Printed on standard output: `inserted`, `removed` (on command or after
//! `--remove-after-apdus`), `disconnected` / `reconnected` (pcscd went away / came back).

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use super::fixtures::card_from_spec;
use super::SimCard;
use crate::cards::layout::ins;
use crate::transport::hex_spaced;

/// How `passerelle simcard` runs.
#[derive(Debug, Clone)]
pub struct SimcardOptions {
    /// `host:port` of pcscd's vpcd driver.
    pub vpcd: String,
    /// The card, `KIND:ID`.
    pub card: String,
    /// Pull the card out after answering this many APDUs.
    pub remove_after_apdus: Option<u32>,
    /// Start with the card out.
    pub start_removed: bool,
}

enum Control {
    Insert(Option<String>),
    Remove,
    Quit,
}

enum Ended {
    Removed,
    Quit,
    Lost,
}

/// Runs until `quit` on standard input (end of input does not stop it).
pub fn run_simcard(options: SimcardOptions) -> io::Result<()> {
    let control = spawn_stdin_reader();
    let mut spec = options.card.clone();
    let mut inserted = !options.start_removed;
    let mut reconnecting = false;
    let mut backoff = Duration::from_millis(100);
    loop {
        if !inserted {
            match control.recv() {
                Ok(Control::Insert(new)) => {
                    if let Some(new) = new {
                        spec = new;
                    }
                    inserted = true;
                }
                Ok(Control::Remove) => {}
                Ok(Control::Quit) | Err(_) => return Ok(()),
            }
            continue;
        }
        let stream = match TcpStream::connect(&options.vpcd) {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(error = %e, "vpcd not reachable; retrying");
                match control.recv_timeout(backoff) {
                    Ok(Control::Remove) => {
                        inserted = false;
                        reconnecting = false;
                        say("removed");
                    }
                    Ok(Control::Quit) => return Ok(()),
                    Ok(Control::Insert(_)) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => std::thread::sleep(backoff),
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        let card = card_from_spec(&spec)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.to_string()))?;
        say(if reconnecting {
            "reconnected"
        } else {
            "inserted"
        });
        match serve(stream, card, &control, options.remove_after_apdus)? {
            Ended::Quit => return Ok(()),
            Ended::Removed => {
                inserted = false;
                reconnecting = false;
                say("removed");
            }
            Ended::Lost => {
                reconnecting = true;
                say("disconnected");
            }
        }
    }
}

fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn spawn_stdin_reader() -> Receiver<Control> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            let mut words = line.split_whitespace();
            let control = match (words.next(), words.next()) {
                (Some("insert"), spec) => Control::Insert(spec.map(str::to_owned)),
                (Some("remove"), None) => Control::Remove,
                (Some("quit"), None) => Control::Quit,
                (None, _) => continue,
                _ => {
                    eprintln!("commande inconnue : {line} (insert [KIND:ID], remove, quit)");
                    continue;
                }
            };
            if tx.send(control).is_err() {
                break;
            }
        }
        // End of input: keep the sender alive so the card stays in until `quit` or a signal.
        std::mem::forget(tx);
    });
    rx
}

/// Serves pcscd on one connection until the card is removed, quit, or the link is lost.
fn serve(
    stream: TcpStream,
    mut card: Box<dyn SimCard>,
    control: &Receiver<Control>,
    remove_after: Option<u32>,
) -> io::Result<Ended> {
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let socket = socket2::SockRef::from(&stream);
    let mut buffer: Vec<u8> = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    let mut apdus = 0u32;
    loop {
        match control.try_recv() {
            Ok(Control::Remove) => return Ok(Ended::Removed),
            Ok(Control::Quit) => return Ok(Ended::Quit),
            Ok(Control::Insert(_)) | Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => {
            }
        }
        #[cfg(target_os = "linux")]
        let _ = socket.set_tcp_quickack(true);
        match (&stream).read(&mut chunk) {
            Ok(0) => return Ok(Ended::Lost),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return Ok(Ended::Lost),
        }
        while buffer.len() >= 2 {
            let len = u16::from_be_bytes([buffer[0], buffer[1]]) as usize;
            if buffer.len() < 2 + len {
                break;
            }
            let payload: Vec<u8> = buffer.drain(..2 + len).skip(2).collect();
            let reply = match payload.as_slice() {
                [0x00] | [0x01] | [0x02] => {
                    card.reset();
                    None
                }
                [0x04] => Some(card.atr()),
                [_] => None,
                apdu => {
                    tracing::debug!(command = %loggable(apdu), "apdu");
                    apdus += 1;
                    Some(card.process(apdu))
                }
            };
            if let Some(reply) = reply {
                let mut frame = (reply.len() as u16).to_be_bytes().to_vec();
                frame.extend_from_slice(&reply);
                if (&stream).write_all(&frame).is_err() {
                    return Ok(Ended::Lost);
                }
            }
            if remove_after.is_some_and(|n| apdus >= n) {
                return Ok(Ended::Removed);
            }
        }
    }
}

/// The APDU as hex, with the data of PIN commands masked.
fn loggable(apdu: &[u8]) -> String {
    match apdu.get(1) {
        Some(&ins::VERIFY) | Some(&ins::RESET_RETRY_COUNTER) => {
            format!("{} [PIN masqué]", hex_spaced(&apdu[..apdu.len().min(4)]))
        }
        _ => hex_spaced(apdu),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::layout::cps;

    #[test]
    fn pin_data_is_never_logged() {
        let verify = [
            0x00,
            ins::VERIFY,
            0x00,
            cps::PIN_REF,
            0x08,
            0x31,
            0x32,
            0x33,
            0x34,
            0xFF,
            0xFF,
            0xFF,
            0xFF,
        ];
        let text = loggable(&verify);
        assert!(!text.contains("31 32"), "{text}");
        assert!(text.contains("masqué"));
        assert_eq!(loggable(&[0x00, 0xA4, 0x00, 0x00]), "00 A4 00 00");
    }
}
