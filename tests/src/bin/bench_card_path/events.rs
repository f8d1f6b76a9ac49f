//! Insertion/removal → event at the client, split into pcscd's own detection (a raw PC/SC
//! watcher) and the daemon's share (watcher → SSE event at the client).

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use passerelle_tests::{Simcard, SseClient};
use pcsc::{Context, ReaderState, Scope, State};
use tokio::sync::mpsc;

/// A PC/SC client of its own (context on its own OS thread) that timestamps every change
/// of the card-present bit of one reader, as pcscd reports it.
pub struct Watcher {
    rx: mpsc::UnboundedReceiver<(Instant, bool)>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Watcher {
    /// Starts watching `reader`; returns once it knows the current state.
    pub fn start(reader: &str) -> Result<Watcher, String> {
        let name = CString::new(reader).map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("pcsc-watcher".into())
            .spawn(move || {
                let setup = || -> Result<(Context, [ReaderState; 1], bool), String> {
                    let ctx = Context::establish(Scope::User)
                        .map_err(|e| format!("watcher: SCardEstablishContext: {e}"))?;
                    let mut states = [ReaderState::new(name, State::UNAWARE)];
                    ctx.get_status_change(Duration::from_secs(5), &mut states)
                        .map_err(|e| format!("watcher: first SCardGetStatusChange: {e}"))?;
                    let present = states[0].event_state().contains(State::PRESENT);
                    states[0].sync_current_state();
                    Ok((ctx, states, present))
                };
                let (ctx, mut states, mut present) = match setup() {
                    Ok(v) => {
                        let _ = ready_tx.send(Ok(()));
                        v
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.clone()));
                        return Err(e);
                    }
                };
                while !stop2.load(Ordering::Relaxed) {
                    match ctx.get_status_change(Duration::from_millis(200), &mut states) {
                        Ok(()) => {
                            let at = Instant::now();
                            let now = states[0].event_state().contains(State::PRESENT);
                            states[0].sync_current_state();
                            if now != present {
                                present = now;
                                let _ = tx.send((at, now));
                            }
                        }
                        Err(pcsc::Error::Timeout) => {}
                        Err(e) => return Err(format!("watcher: SCardGetStatusChange: {e}")),
                    }
                }
                Ok(())
            })
            .map_err(|e| format!("spawn watcher thread: {e}"))?;
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "PC/SC watcher did not start within 10 s".to_string())??;
        Ok(Watcher {
            rx,
            stop,
            thread: Some(thread),
        })
    }

    /// Forgets changes reported so far.
    pub fn drain(&mut self) {
        while self.rx.try_recv().is_ok() {}
    }

    /// When pcscd reported the card-present bit becoming `present` (waits up to `timeout`).
    pub async fn next(&mut self, present: bool, timeout: Duration) -> Result<Instant, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some((at, p))) if p == present => return Ok(at),
                Ok(Some(_)) => continue,
                Ok(None) => return Err(self.stopped()),
                Err(_) => {
                    return Err(format!(
                        "PC/SC watcher: no change to present={present} within {timeout:?}"
                    ))
                }
            }
        }
    }

    fn stopped(&mut self) -> String {
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(Err(e))) => e,
            _ => "PC/SC watcher thread ended".into(),
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Samples of one direction (insert or remove).
#[derive(Default)]
pub struct Split {
    /// Command to the simulator → event at the SSE client.
    pub total: Vec<Duration>,
    /// Command → pcscd reports the change (PC/SC watcher).
    pub pcscd: Vec<Duration>,
    /// PC/SC watcher → event at the SSE client (0 when the client was first).
    pub daemon: Vec<Duration>,
}

/// Both directions.
#[derive(Default)]
pub struct Rounds {
    pub insert: Split,
    pub remove: Split,
}

/// A small xorshift generator, for the jitter before each command.
struct Jitter(u64);

impl Jitter {
    fn new() -> Jitter {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15);
        Jitter(seed | 1)
    }

    fn below_ms(&mut self, max: u64) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        Duration::from_millis(self.0 % max)
    }
}

/// `rounds` × (remove, insert) on `sim` (whose card is in `reader` and in at the start).
/// Before each command a random pause of 0-400 ms, so the command falls anywhere in
/// pcscd's polling period (400 ms for drivers without their own polling thread).
pub async fn measure(
    sim: &mut Simcard,
    sse: &mut SseClient,
    watcher: &mut Watcher,
    reader: &str,
    rounds: usize,
) -> Result<Rounds, String> {
    let mut out = Rounds::default();
    let mut jitter = Jitter::new();
    for round in 1..=rounds {
        for (cmd, ack, event, present) in [
            ("remove", "removed", "card_removed", false),
            ("insert", "inserted", "card_inserted", true),
        ] {
            tokio::time::sleep(jitter.below_ms(400)).await;
            watcher.drain();
            let t0 = Instant::now();
            sim.command(cmd)?;
            let (_, _) = sse
                .next_matching(event, Duration::from_secs(10), |e| {
                    e.event == event && e.raw.get("reader").and_then(|r| r.as_str()) == Some(reader)
                })
                .await
                .map_err(|e| format!("round {round}, {cmd}: {e}"))?;
            let t_client = Instant::now();
            let t_pcscd = watcher
                .next(present, Duration::from_secs(5))
                .await
                .map_err(|e| format!("round {round}, {cmd}: {e}"))?;
            sim.wait_line(ack, Duration::from_secs(10)).await?;
            let split = if present {
                &mut out.insert
            } else {
                &mut out.remove
            };
            split.total.push(t_client - t0);
            split.pcscd.push(t_pcscd.saturating_duration_since(t0));
            split
                .daemon
                .push(t_client.saturating_duration_since(t_pcscd));
        }
        eprintln!(
            "[bench] event round {round}/{rounds}: insert {:.1?} (pcscd {:.1?}), remove {:.1?} (pcscd {:.1?})",
            out.insert.total[round - 1],
            out.insert.pcscd[round - 1],
            out.remove.total[round - 1],
            out.remove.pcscd[round - 1],
        );
    }
    Ok(out)
}
