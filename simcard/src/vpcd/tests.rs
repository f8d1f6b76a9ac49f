//! The vpcd client against a fake pcscd (a TCP listener speaking the vpcd framing).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::*;
use passerelle_cards::atr::{CPS3_ATR, VITALE2_ATR};
use passerelle_cards::layout::cps;

const WAIT: Duration = Duration::from_secs(5);

struct Harness {
    control: Sender<Control>,
    reports: Receiver<Report>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl Harness {
    fn start(
        addr: String,
        card: &str,
        remove_after_apdus: Option<u32>,
        start_removed: bool,
    ) -> Harness {
        let (control, control_rx) = mpsc::channel();
        let (report_tx, reports) = mpsc::channel();
        let options = SimcardOptions {
            vpcd: addr,
            card: card.into(),
            remove_after_apdus,
            start_removed,
            ..SimcardOptions::default()
        };
        let thread = std::thread::spawn(move || {
            run(options, control_rx, move |r| {
                let _ = report_tx.send(r);
            })
        });
        Harness {
            control,
            reports,
            thread: Some(thread),
        }
    }

    fn expect(&self, report: Report) {
        assert_eq!(self.reports.recv_timeout(WAIT), Ok(report));
    }

    fn quiet(&self) {
        assert!(self
            .reports
            .recv_timeout(Duration::from_millis(300))
            .is_err());
    }

    fn send(&self, control: Control) {
        self.control.send(control).unwrap();
    }

    fn quit(mut self) {
        self.send(Control::Quit);
        self.thread.take().unwrap().join().unwrap().unwrap();
    }
}

/// pcscd's side of one connection.
struct Pcscd(TcpStream);

impl Pcscd {
    fn accept(listener: &TcpListener) -> Pcscd {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        Pcscd(stream)
    }

    fn send(&mut self, payload: &[u8]) {
        self.0.write_all(&frame(payload)).unwrap();
    }

    fn receive(&mut self) -> Vec<u8> {
        let mut len = [0u8; 2];
        self.0.read_exact(&mut len).unwrap();
        let mut payload = vec![0u8; u16::from_be_bytes(len) as usize];
        self.0.read_exact(&mut payload).unwrap();
        payload
    }

    fn exchange(&mut self, payload: &[u8]) -> Vec<u8> {
        self.send(payload);
        self.receive()
    }

    /// True when the card closed the connection.
    fn closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.0.read(&mut byte), Ok(0) | Err(_))
    }
}

fn listener() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

#[test]
fn speaks_the_vpcd_protocol_and_follows_control() {
    let (listener, addr) = listener();
    let sim = Harness::start(addr, "vitale:nguyen", None, false);
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    pcscd.send(&[0x01]); // power on: no reply
    assert_eq!(pcscd.exchange(&[0x04]), VITALE2_ATR);
    assert_eq!(
        pcscd.exchange(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]),
        [0x90, 0x00]
    );
    let zone = pcscd.exchange(&[0x00, 0xB0, 0x82, 0x00, 0x00]);
    assert_eq!(
        (zone[0], &zone[zone.len() - 2..]),
        (0x65, &[0x90, 0x00][..])
    );
    assert_eq!(
        pcscd.exchange(&[0x00, 0x12, 0x00, 0x00]),
        [0x6D, 0x00],
        "unknown INS"
    );
    pcscd.send(&[0x00]); // power off, then two frames in one write
    let mut two = frame(&[0x04]);
    two.extend(frame(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]));
    pcscd.0.write_all(&two).unwrap();
    assert_eq!(pcscd.receive(), VITALE2_ATR);
    assert_eq!(pcscd.receive(), [0x90, 0x00]);

    sim.send(Control::Remove);
    sim.expect(Report::Removed);
    assert!(pcscd.closed(), "removal closes the socket");
    sim.send(Control::Remove);
    sim.expect(Report::Removed);
    sim.send(Control::Insert(Some("nope:nope".into())));
    sim.quiet();

    sim.send(Control::Insert(Some("cps:lefevre-medecin".into())));
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    assert_eq!(pcscd.exchange(&[0x04]), CPS3_ATR);

    // pcscd goes away: the card reconnects by itself.
    drop(pcscd);
    sim.expect(Report::Disconnected);
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    assert_eq!(pcscd.exchange(&[0x04]), CPS3_ATR);

    // Swapping while in: removed, then the new card is inserted.
    sim.send(Control::Insert(Some("nope:nope".into())));
    sim.send(Control::Insert(Some("vitale:santoni-corse".into())));
    sim.expect(Report::Removed);
    assert!(pcscd.closed());
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    assert_eq!(pcscd.exchange(&[0x04]), VITALE2_ATR);
    sim.quit();
}

#[test]
fn the_card_keeps_its_pin_counter_across_removal_but_loses_the_session() {
    let (listener, addr) = listener();
    let sim = Harness::start(addr, "cps:durand-sage-femme", None, false);
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    let mut verify = vec![0x00, 0x20, 0x00, cps::PIN_REF, 0x08];
    verify.extend_from_slice(&cps::pin_block(b"0000"));
    assert_eq!(pcscd.exchange(&verify), [0x63, 0xC2]);
    sim.send(Control::Remove);
    sim.expect(Report::Removed);
    sim.send(Control::Insert(None));
    let mut pcscd2 = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    assert!(pcscd.closed());
    assert_eq!(
        pcscd2.exchange(&[0x00, 0x20, 0x00, cps::PIN_REF]),
        [0x63, 0xC2]
    );
    sim.quit();
}

#[test]
fn remove_after_apdus_pulls_the_card_once() {
    let (listener, addr) = listener();
    let sim = Harness::start(addr, "vitale:martin-famille", Some(2), false);
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    assert_eq!(
        pcscd.exchange(&[0x04]),
        VITALE2_ATR,
        "control messages are not APDUs"
    );
    assert_eq!(
        pcscd.exchange(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]),
        [0x90, 0x00]
    );
    assert_eq!(
        pcscd.exchange(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]),
        [0x90, 0x00]
    );
    sim.expect(Report::Removed);
    assert!(pcscd.closed());
    sim.quiet();
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "stays removed until insert");
    listener.set_nonblocking(false).unwrap();
    sim.send(Control::Insert(None));
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    for _ in 0..5 {
        assert_eq!(
            pcscd.exchange(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]),
            [0x90, 0x00]
        );
    }
    sim.quit();
}

#[test]
fn mute_after_leaves_pcscd_waiting_until_the_card_is_pulled_out() {
    let (listener, addr) = listener();
    let sim = Harness::start(addr, "vitale:nguyen", None, false);
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    let select_mf = [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00];
    sim.send(Control::MuteAfter(1));
    sim.expect(Report::Armed);
    assert_eq!(pcscd.exchange(&select_mf), [0x90, 0x00]);
    pcscd.send(&select_mf);
    sim.expect(Report::Mute);
    pcscd
        .0
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        matches!(pcscd.0.read(&mut byte), Err(e) if e.kind() == io::ErrorKind::WouldBlock),
        "no answer from a mute card"
    );
    // Pulled out: the connection closes (pcscd's driver sees the card gone), and the card
    // put back answers again (mute-after is armed once).
    sim.send(Control::Remove);
    sim.expect(Report::Removed);
    assert!(pcscd.closed());
    sim.send(Control::Insert(None));
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    assert_eq!(pcscd.exchange(&select_mf), [0x90, 0x00]);
    sim.quit();
}

#[test]
fn delay_slows_every_answer() {
    let (listener, addr) = listener();
    let sim = Harness::start(addr, "vitale:nguyen", None, false);
    let mut pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    sim.send(Control::Delay(Duration::from_millis(200)));
    sim.expect(Report::Armed);
    let started = Instant::now();
    for _ in 0..2 {
        assert_eq!(
            pcscd.exchange(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00]),
            [0x90, 0x00]
        );
    }
    assert!(started.elapsed() >= Duration::from_millis(400));
    sim.quit();
}

#[test]
fn waits_for_pcscd_with_backoff_and_can_start_removed() {
    let (listener, addr) = listener();
    drop(listener);
    let sim = Harness::start(addr.clone(), "vitale:nguyen", None, true);
    sim.quiet();
    sim.send(Control::Insert(None));
    std::thread::sleep(Duration::from_millis(700));
    let listener = TcpListener::bind(&addr).unwrap();
    let started = Instant::now();
    let _pcscd = Pcscd::accept(&listener);
    sim.expect(Report::Inserted);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "backoff is capped at 1 s"
    );
    sim.quit();
}

#[test]
fn control_lines_parse() {
    assert_eq!(Control::parse("insert"), Ok(Some(Control::Insert(None))));
    assert_eq!(
        Control::parse(" insert cps:x "),
        Ok(Some(Control::Insert(Some("cps:x".into()))))
    );
    assert_eq!(Control::parse("remove"), Ok(Some(Control::Remove)));
    assert_eq!(Control::parse("quit"), Ok(Some(Control::Quit)));
    assert_eq!(
        Control::parse("remove-after 4"),
        Ok(Some(Control::RemoveAfter(4)))
    );
    assert!(Control::parse("remove-after x").is_err());
    assert_eq!(
        Control::parse("mute-after 0"),
        Ok(Some(Control::MuteAfter(0)))
    );
    assert_eq!(
        Control::parse("delay 250"),
        Ok(Some(Control::Delay(Duration::from_millis(250))))
    );
    assert!(Control::parse("delay soon").is_err());
    assert_eq!(Control::parse("   "), Ok(None));
    assert!(Control::parse("eject").is_err());
    assert!(Control::parse("insert a b").is_err());
}

#[test]
fn pin_data_is_never_logged() {
    let mut verify = vec![0x00, 0x20, 0x00, 0x81, 0x08];
    verify.extend_from_slice(b"1234\xFF\xFF\xFF\xFF");
    assert_eq!(loggable(&verify), "00 20 00 81 [PIN masqué]");
    let mut unblock = vec![0x00, 0x2C, 0x00, 0x81, 0x10];
    unblock.extend_from_slice(b"123456784321\xFF\xFF\xFF\xFF");
    assert!(!loggable(&unblock).contains("31"));
    assert_eq!(loggable(&[0x00, 0xA4, 0x00, 0x00]), "00 A4 00 00");
    assert_eq!(loggable(&[0x00, 0xB0, 0x82, 0x00, 0x00]), "00 B0 82 00 00");
}

#[test]
fn frames() {
    let mut buffer = frame(&[1, 2, 3]);
    buffer.extend_from_slice(&[0x00]);
    assert_eq!(next_frame(&mut buffer), Some(vec![1, 2, 3]));
    assert_eq!(next_frame(&mut buffer), None, "incomplete");
    buffer.extend_from_slice(&[0x01, 0x04]);
    assert_eq!(next_frame(&mut buffer), Some(vec![4]));
    assert!(buffer.is_empty());
}
