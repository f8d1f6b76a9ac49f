//! What drives `passerelle simcard` (one command per line on standard input) and what it
//! reports (one line each on standard output).

use std::time::Duration;

/// A control command, one per line on standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// `insert` (the same card, keeping its PIN counters) or `insert KIND:ID` (a fresh card).
    Insert(Option<String>),
    /// `remove`: close the connection, the card is out.
    Remove,
    /// `remove-after N`: pull the card out after answering N more APDUs (0: now).
    RemoveAfter(u32),
    /// `mute-after N`: answer N more APDUs, then none until the card is pulled out (0: mute
    /// now). A card out is armed for its next insertion.
    MuteAfter(u32),
    /// `delay MS`: wait MS milliseconds before each answer from now on (0: no wait).
    Delay(Duration),
    /// `quit`.
    Quit,
}

impl Control {
    /// Parses one line; `Ok(None)` for a blank line.
    pub fn parse(line: &str) -> Result<Option<Control>, String> {
        let mut words = line.split_whitespace();
        let number = |n: &str, what: &str| {
            n.parse::<u32>()
                .map_err(|_| format!("« {line} » : {what} attend un nombre"))
        };
        match (words.next(), words.next(), words.next()) {
            (None, ..) => Ok(None),
            (Some("insert"), spec, None) => Ok(Some(Control::Insert(spec.map(str::to_owned)))),
            (Some("remove"), None, _) => Ok(Some(Control::Remove)),
            (Some("remove-after"), Some(n), None) => {
                Ok(Some(Control::RemoveAfter(number(n, "remove-after")?)))
            }
            (Some("mute-after"), Some(n), None) => {
                Ok(Some(Control::MuteAfter(number(n, "mute-after")?)))
            }
            (Some("delay"), Some(ms), None) => Ok(Some(Control::Delay(Duration::from_millis(
                number(ms, "delay")?.into(),
            )))),
            (Some("quit"), None, _) => Ok(Some(Control::Quit)),
            _ => Err(format!(
                "commande inconnue « {line} » (insert [KIND:ID], remove, remove-after N, mute-after N, delay MS, quit)"
            )),
        }
    }
}

/// What the simulated card reports (printed as one line each by
/// [`super::run_simcard`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Connected to pcscd: the card is in the reader.
    Inserted,
    /// The card is out.
    Removed,
    /// pcscd closed the connection; reconnecting.
    Disconnected,
    /// `remove-after N` (N > 0), `mute-after N` or `delay MS` taken into account.
    Armed,
    /// The card stopped answering (`mute-after`): pcscd waits for an answer that never
    /// comes, until the card is pulled out.
    Mute,
}

impl Report {
    /// The stdout line.
    pub fn line(self) -> &'static str {
        match self {
            Report::Inserted => "inserted",
            Report::Removed => "removed",
            Report::Disconnected => "disconnected",
            Report::Armed => "armed",
            Report::Mute => "mute",
        }
    }
}

/// What the card was asked to do beyond answering, each armed once and counted in APDUs
/// from the insertion it applies to (or from the command, with the card in).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Pull the card out after this many APDUs.
    pub remove_after: Option<u32>,
    /// Stop answering after this many APDUs.
    pub mute_after: Option<u32>,
    /// Wait before each answer (not once: until `delay 0`).
    pub delay: Duration,
}

impl Faults {
    /// Takes `control` into account when it sets a fault (`apdus`: answered so far on this
    /// insertion, 0 with the card out); false for the other commands.
    pub fn arm(&mut self, control: &Control, apdus: u32) -> bool {
        match control {
            Control::RemoveAfter(n) => self.remove_after = Some(apdus + n),
            Control::MuteAfter(n) => self.mute_after = Some(apdus + n),
            Control::Delay(d) => self.delay = *d,
            _ => return false,
        }
        true
    }
}
