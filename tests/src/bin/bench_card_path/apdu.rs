//! Raw APDU round trips through pcscd + vpcd to the simulated card: a minimal PC/SC
//! client (its own context, shared connection, one transaction).

use std::ffi::CString;
use std::time::{Duration, Instant};

use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};

/// SELECT MF (3F00).
pub const SELECT_MF: [u8; 7] = [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00];

/// Sends SELECT MF `n` times (after 20 untimed ones) to the card in `reader`; returns the
/// round-trip times and the status word of the last answer (as hex).
pub async fn round_trips(reader: &str, n: usize) -> Result<(Vec<Duration>, String), String> {
    let reader = CString::new(reader).map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || blocking(&reader, n))
        .await
        .map_err(|e| format!("APDU task: {e}"))?
}

fn blocking(reader: &CString, n: usize) -> Result<(Vec<Duration>, String), String> {
    let ctx = Context::establish(Scope::User).map_err(|e| format!("SCardEstablishContext: {e}"))?;
    let mut card = ctx
        .connect(reader, ShareMode::Shared, Protocols::ANY)
        .map_err(|e| format!("SCardConnect {reader:?}: {e}"))?;
    let mut times = Vec::with_capacity(n);
    let mut sw = String::new();
    {
        let tx = card
            .transaction()
            .map_err(|e| format!("SCardBeginTransaction: {e}"))?;
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
        for i in 0..n + 20 {
            let t = Instant::now();
            let resp = tx
                .transmit(&SELECT_MF, &mut buf)
                .map_err(|e| format!("SCardTransmit #{i}: {e}"))?;
            let d = t.elapsed();
            if resp.len() < 2 {
                return Err(format!(
                    "answer #{i} shorter than a status word: {resp:02X?}"
                ));
            }
            if i >= 20 {
                times.push(d);
            }
            sw = format!("{:02X} {:02X}", resp[resp.len() - 2], resp[resp.len() - 1]);
        }
        tx.end(Disposition::LeaveCard)
            .map_err(|(_, e)| format!("SCardEndTransaction: {e}"))?;
    }
    card.disconnect(Disposition::LeaveCard)
        .map_err(|(_, e)| format!("SCardDisconnect: {e}"))?;
    Ok((times, sw))
}
