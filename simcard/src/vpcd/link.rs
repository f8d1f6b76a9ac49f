//! One insertion of the simulated card: the frames exchanged with pcscd's vpcd driver,
//! the card's answers, and the faults asked of it (pulled out, mute, slow).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, TryRecvError};

use super::{new_card, Control, Faults, Report, POLL};
use crate::SimCard;
use passerelle_cards::layout::ins;
use passerelle_cards::transport::hex_spaced;

/// How an insertion ended.
pub(super) enum Ended {
    Removed,
    Swap(Box<dyn SimCard>),
    Quit,
    Lost,
}

/// One insertion: the connection to pcscd and what the card was asked to do.
pub(super) struct Link<'a> {
    pub(super) stream: &'a TcpStream,
    pub(super) control: &'a Receiver<Control>,
    pub(super) faults: &'a mut Faults,
    pub(super) t0: bool,
}

impl Link<'_> {
    /// Serves pcscd until the card is removed or swapped, quit, or the link is lost.
    pub(super) fn serve(
        &mut self,
        card: &mut dyn SimCard,
        report: &mut impl FnMut(Report),
    ) -> Ended {
        let stream = self.stream;
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
        let mut mute = false;
        loop {
            match self.control.try_recv() {
                Ok(Control::Remove) | Ok(Control::RemoveAfter(0)) => return Ended::Removed,
                Ok(Control::Quit) => return Ended::Quit,
                Ok(Control::Insert(Some(spec))) => {
                    if let Some(new) = new_card(&spec, self.t0) {
                        return Ended::Swap(new);
                    }
                }
                Ok(Control::Insert(None)) => report(Report::Inserted),
                Ok(other) => {
                    if self.faults.arm(&other, apdus) {
                        report(Report::Armed);
                    }
                }
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
                if !mute && payload.len() > 1 && self.faults.mute_after.is_some_and(|n| apdus >= n)
                {
                    tracing::debug!(apdus, "the card goes mute as asked (mute-after)");
                    self.faults.mute_after = None;
                    mute = true;
                    report(Report::Mute);
                }
                let reply = match payload.as_slice() {
                    [control @ 0x00..=0x02] => {
                        let what = ["power off", "power on", "reset"][*control as usize];
                        tracing::debug!(control = what, "pcscd: the card's security state is lost");
                        card.reset();
                        None
                    }
                    [0x04] => Some(card.atr()),
                    [] | [_] => None,
                    apdu if mute => {
                        tracing::debug!(command = %loggable(apdu), "mute: no answer");
                        None
                    }
                    apdu => {
                        let response = card.process(apdu);
                        let sw = &response[response.len().saturating_sub(2)..];
                        tracing::debug!(command = %loggable(apdu), sw = %hex_spaced(sw), "apdu");
                        apdus += 1;
                        Some(response)
                    }
                };
                if let Some(reply) = reply {
                    if !self.faults.delay.is_zero() && payload.len() > 1 {
                        std::thread::sleep(self.faults.delay);
                    }
                    if (&*stream).write_all(&frame(&reply)).is_err() {
                        return Ended::Lost;
                    }
                }
                if self.faults.remove_after.is_some_and(|n| apdus >= n) {
                    tracing::debug!(apdus, "removing the card as asked (--remove-after-apdus)");
                    self.faults.remove_after = None;
                    return Ended::Removed;
                }
            }
        }
    }
}

/// Takes the first complete frame's payload out of `buffer`.
pub(super) fn next_frame(buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    let len = u16::from_be_bytes([*buffer.first()?, *buffer.get(1)?]) as usize;
    if buffer.len() < 2 + len {
        return None;
    }
    let payload = buffer[2..2 + len].to_vec();
    buffer.drain(..2 + len);
    Some(payload)
}

/// `payload` with its 2-byte big-endian length (a response APDU is at most 258 bytes).
pub(super) fn frame(payload: &[u8]) -> Vec<u8> {
    let len = payload.len().min(u16::MAX as usize);
    let mut out = Vec::with_capacity(2 + len);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(&payload[..len]);
    out
}

/// The APDU as hex, with the data of PIN commands (VERIFY, RESET RETRY COUNTER) masked.
pub(super) fn loggable(apdu: &[u8]) -> String {
    let header = hex_spaced(&apdu[..apdu.len().min(4)]);
    match apdu.get(1) {
        Some(&ins::VERIFY | &ins::RESET_RETRY_COUNTER) if apdu.len() > 4 => {
            format!("{header} [PIN masqué]")
        }
        _ => hex_spaced(apdu),
    }
}
