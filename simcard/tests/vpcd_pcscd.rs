//! The simulated cards behind the real pcscd, through the vpcd driver: outside tools
//! (`pcsc_scan`, `opensc-tool`) and the pcsc crate see them as real cards.
//!
//! Needs pcscd, vsmartcard-vpcd, pcsc-tools and opensc (`scripts/install-test-deps`), and
//! runs only with `PASSERELLE_PCSCD_TESTS=1`. Takes the same lock as the end-to-end rig
//! (`/tmp/passerelle-tests-pcscd.lock`, through `flock(1)`). Uses the pcscd already
//! running if there is one; otherwise starts `pcscd -f -a`, and then also kills and
//! restarts it to check that the cards reconnect.

use std::ffi::CString;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use passerelle_cards::atr::{CPS3_ATR, VITALE2_ATR};
use passerelle_cards::transport::{CardTransaction, TransportError};
use passerelle_cards::{commands, identify, layout, tlv};
use passerelle_protocol::CardKind;
use passerelle_simcard::vpcd::{run, Control, Report, SimcardOptions};

const READER_0: &str = "Virtual PCD 00 00";
const READER_1: &str = "Virtual PCD 00 01";
const LOCK_PATH: &str = "/tmp/passerelle-tests-pcscd.lock";
const WAIT: Duration = Duration::from_secs(15);

fn enabled() -> bool {
    let on = std::env::var("PASSERELLE_PCSCD_TESTS").is_ok_and(|v| v == "1");
    if !on {
        eprintln!("skipped: set PASSERELLE_PCSCD_TESTS=1 to run against the real pcscd");
    }
    on
}

/// Holds the rig's flock while alive (a `flock` child waiting on its stdin).
struct MachineLock {
    child: Child,
    _stdin: ChildStdin,
}

impl MachineLock {
    fn take() -> MachineLock {
        let mut child = Command::new("flock")
            .args([LOCK_PATH, "-c", "echo locked; exec cat >/dev/null"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("flock(1)");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "locked");
        MachineLock {
            child,
            _stdin: stdin,
        }
    }
}

impl Drop for MachineLock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// pcscd, started by this test only if none was running.
struct Pcscd(Option<Child>);

impl Pcscd {
    fn ensure() -> Pcscd {
        let running = Command::new("pgrep")
            .args(["-x", "pcscd"])
            .output()
            .unwrap()
            .status
            .success();
        if running {
            eprintln!("using the pcscd already running");
            return Pcscd(None);
        }
        Pcscd(Some(start_pcscd()))
    }

    fn restart(&mut self) {
        let mut child = self.0.take().expect("our own pcscd");
        child.kill().unwrap();
        child.wait().unwrap();
        // A killed pcscd leaves its socket and pid file; a new one refuses to start over them.
        let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
        let _ = std::fs::remove_file("/run/pcscd/pcscd.pid");
        std::thread::sleep(Duration::from_millis(300));
        self.0 = Some(start_pcscd());
    }
}

fn start_pcscd() -> Child {
    let mut child = Command::new("pcscd")
        .args(["-f", "-a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        let out = Command::new("opensc-tool").arg("-l").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains(READER_0) && text.contains(READER_1) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("pcscd did not list the vpcd readers");
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file("/run/pcscd/pcscd.comm");
            let _ = std::fs::remove_file("/run/pcscd/pcscd.pid");
        }
    }
}

/// A simulated card on a vpcd port, run in this process.
struct Sim {
    control: Sender<Control>,
    reports: Receiver<Report>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl Sim {
    fn start(port: u16, card: &str) -> Sim {
        let (control, control_rx) = mpsc::channel();
        let (report_tx, reports) = mpsc::channel();
        let options = SimcardOptions {
            vpcd: format!("127.0.0.1:{port}"),
            card: card.into(),
            ..SimcardOptions::default()
        };
        let thread = std::thread::spawn(move || {
            run(options, control_rx, move |r| {
                let _ = report_tx.send(r);
            })
        });
        Sim {
            control,
            reports,
            thread: Some(thread),
        }
    }

    fn expect(&self, report: Report) {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.reports.recv_timeout(left) {
                Ok(r) if r == report => return,
                Ok(_) => continue,
                Err(e) => panic!("no {report:?}: {e}"),
            }
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Quit);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A PC/SC card as a [`CardTransaction`].
struct Pcsc {
    card: pcsc::Card,
    atr: Vec<u8>,
}

impl Pcsc {
    /// Connects to the card in `reader`, waiting for it to be there.
    fn connect(reader: &str) -> Pcsc {
        let name = CString::new(reader).unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let attempt = pcsc::Context::establish(pcsc::Scope::User)
                .and_then(|ctx| ctx.connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY));
            match attempt {
                Ok(card) => {
                    let atr = card.status2_owned().unwrap().atr().to_vec();
                    return Pcsc { card, atr };
                }
                Err(e) if Instant::now() > deadline => panic!("connect {reader}: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
}

impl CardTransaction for Pcsc {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE];
        let answer = self
            .card
            .transmit(command, &mut buffer)
            .map_err(|e| TransportError::Failure(e.to_string()))?;
        Ok(answer.to_vec())
    }

    fn atr(&self) -> &[u8] {
        &self.atr
    }
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("6")
        .arg(program)
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn simulated_cards_behind_pcscd() {
    if !enabled() {
        return;
    }
    let _lock = MachineLock::take();
    let mut pcscd = Pcscd::ensure();
    let vitale = Sim::start(35963, "vitale:martin-famille");
    let cps = Sim::start(35964, "cps:durand-sage-femme");
    vitale.expect(Report::Inserted);
    cps.expect(Report::Inserted);

    // The outside check: pcsc_scan names the cards from the public ATR list.
    let mut vitale_tx = Pcsc::connect(READER_0);
    let mut cps_tx = Pcsc::connect(READER_1);
    assert_eq!(vitale_tx.atr, VITALE2_ATR);
    assert_eq!(cps_tx.atr, CPS3_ATR);
    let scan = tool("pcsc_scan", &["-t", "3"]);
    assert!(scan.contains("Carte Vitale"), "pcsc_scan:\n{scan}");
    assert!(scan.contains("CPS"), "pcsc_scan:\n{scan}");

    // opensc-tool sends raw APDUs.
    let out = tool(
        "opensc-tool",
        &[
            "-r",
            "0",
            "-s",
            "00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45",
            "-s",
            "00 B0 82 00 00",
        ],
    );
    assert!(out.contains("SW1=0x90, SW2=0x00"), "opensc-tool:\n{out}");
    assert!(
        out.contains("93 0F 31 37 38"),
        "NIR in the free zone:\n{out}"
    );
    // On the CPS reader, opensc's IAS-ECC driver claims the CPS3 ATR and gives up on the
    // modelled card (no EF.ATR `3F00/2F01`): its default driver sends the APDUs as they are.
    let aid = "00 A4 04 00 0D E8 28 BD 08 0F 80 25 00 00 01 FF 00 10";
    let out = tool(
        "opensc-tool",
        &[
            "-c",
            "default",
            "-r",
            "1",
            "-s",
            aid,
            "-s",
            "00 A4 08 0C 02 D0 03",
            "-s",
            "00 B0 00 00 00",
        ],
    );
    assert!(
        out.contains("81 03 43 50"),
        "card type CPS in 3F00/D003:\n{out}"
    );

    // The card profiles over real PC/SC.
    assert_eq!(identify(&mut vitale_tx), CardKind::Vitale);
    assert_eq!(identify(&mut cps_tx), CardKind::Cps);
    let signature = {
        cps_tx
            .transmit(&commands::verify(b"4729").to_bytes())
            .unwrap();
        cps_tx
            .transmit(&commands::mse_set_signature().to_bytes())
            .unwrap();
        cps_tx
            .transmit(&commands::pso_compute_signature(&[0x5A; 32]).to_bytes())
            .unwrap()
    };
    assert_eq!(
        (signature.len(), &signature[256..]),
        (258, &[0x90, 0x00][..]),
        "RSA-2048 through T=0/vpcd"
    );

    // TCP_QUICKACK: a round trip costs well under the ~48 ms of delayed ACKs.
    let select = commands::select_aid(&layout::vitale::AID_VITALE).to_bytes();
    let started = Instant::now();
    for _ in 0..200 {
        assert_eq!(vitale_tx.transmit(&select).unwrap(), [0x90, 0x00]);
    }
    let per_apdu = started.elapsed() / 200;
    eprintln!("SELECT round trip through pcscd + vpcd: {per_apdu:?}");
    assert!(
        per_apdu < Duration::from_millis(10),
        "{per_apdu:?} per APDU"
    );

    // Swap the CPS for a CPE: another card for PC/SC.
    drop(cps_tx);
    cps.control
        .send(Control::Insert(Some("cpe:petit-secretaire".into())))
        .unwrap();
    cps.expect(Report::Removed);
    cps.expect(Report::Inserted);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(identify(&mut Pcsc::connect(READER_1)), CardKind::Cpe);

    // pcscd goes away and comes back: the cards reconnect by themselves.
    drop(vitale_tx);
    if pcscd.0.is_some() {
        pcscd.restart();
        vitale.expect(Report::Disconnected);
        vitale.expect(Report::Inserted);
        cps.expect(Report::Inserted);
        let mut again = Pcsc::connect(READER_0);
        let zone = {
            again.transmit(&commands::select_mf().to_bytes()).unwrap();
            again
                .transmit(&commands::read_binary_sfi(2, 0).to_bytes())
                .unwrap()
        };
        let people = tlv::parse_all(&zone[..zone.len() - 2]).unwrap();
        assert_eq!(people.len(), 4);
    }
}
