//! APDUs: a command builder, the response, and status words as an enum.
//!
//! Shared by the card profiles (which build commands) and the simulator (which parses
//! them and answers). Short APDUs only (ISO 7816-4 cases 1 to 4, Lc and Le on one byte).

use zeroize::{Zeroize, Zeroizing};

/// CLA bit of command chaining (ISO 7816-4).
const CHAINING: u8 = 0x10;

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (empty: no Lc).
    pub data: Vec<u8>,
    /// Expected response length: `None` no Le, `Some(0)` up to 256 bytes.
    pub le: Option<u8>,
}

impl Command {
    /// A command without data nor Le.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// With command data. Short APDUs carry at most 255 bytes: [`Command::to_bytes`] sends
    /// the first 255 only, so callers keep data within that (every command here does).
    pub fn data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// With an expected length (0 = up to 256).
    pub fn le(mut self, le: u8) -> Self {
        self.le = Some(le);
        self
    }

    /// `data` split into a chain of commands (ISO 7816-4 command chaining): each carries at
    /// most 255 bytes; all but the last have the chaining bit of the class byte set.
    pub fn chain(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8]) -> Vec<Command> {
        let chunks: Vec<&[u8]> = data.chunks(255).collect();
        let last = chunks.len().saturating_sub(1);
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                let cla = if i < last { cla | CHAINING } else { cla };
                Command::new(cla, ins, p1, p2).data(chunk.to_vec())
            })
            .collect()
    }

    /// True when the class byte says more commands of this chain follow.
    pub fn is_chained(&self) -> bool {
        self.cla & CHAINING != 0
    }

    /// The bytes sent to the card, wiped when dropped (a VERIFY carries the PIN).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(5 + self.data.len() + 1));
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            out.push(self.data.len().min(255) as u8);
            out.extend_from_slice(&self.data[..self.data.len().min(255)]);
        }
        if let Some(le) = self.le {
            out.push(le);
        }
        out
    }

    /// Parses a short command APDU (cases 1 to 4); `None` if the bytes are not one
    /// (shorter than a header, Lc not matching the data, extended lengths).
    pub fn parse(bytes: &[u8]) -> Option<Command> {
        let (header, body) = (bytes.get(..4)?, &bytes[4..]);
        let mut cmd = Command::new(header[0], header[1], header[2], header[3]);
        match body.len() {
            0 => {}
            1 => cmd.le = Some(body[0]),
            _ => {
                let lc = body[0] as usize;
                if lc == 0 {
                    return None;
                }
                let rest = body.get(1..)?;
                match rest.len().checked_sub(lc)? {
                    0 => cmd.data = rest.to_vec(),
                    1 => {
                        cmd.data = rest[..lc].to_vec();
                        cmd.le = Some(rest[lc]);
                    }
                    _ => return None,
                }
            }
        }
        Some(cmd)
    }
}

impl Drop for Command {
    /// The data may hold a PIN or an unblock code: wiped before the memory is freed.
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl std::fmt::Debug for Command {
    /// Shows the header and the data length, never the data: it may hold a PIN.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

/// ISO 7816-4 status words this project meets; anything else is [`StatusWord::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusWord {
    /// 90 00
    Success,
    /// 61 xx: more data available (T=0), `xx` bytes.
    MoreData(u8),
    /// 63 Cx: verification failed, `x` tries left.
    WrongPin {
        /// Tries left.
        tries_left: u8,
    },
    /// 67 00
    WrongLength,
    /// 69 82
    SecurityNotSatisfied,
    /// 69 83: authentication method blocked (PIN blocked).
    Blocked,
    /// 69 85
    ConditionsNotSatisfied,
    /// 6A 80
    IncorrectData,
    /// 6A 82
    FileNotFound,
    /// 6A 86
    WrongP1P2,
    /// 6D 00
    InsNotSupported,
    /// 6E 00
    ClaNotSupported,
    /// Anything else.
    Other(u16),
}

impl StatusWord {
    /// True for `90 00`.
    pub fn is_success(self) -> bool {
        self == StatusWord::Success
    }
}

impl std::fmt::Display for StatusWord {
    /// The two bytes in hex, e.g. `63 C2`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [sw1, sw2] = u16::from(*self).to_be_bytes();
        write!(f, "{sw1:02X} {sw2:02X}")
    }
}

impl From<u16> for StatusWord {
    fn from(sw: u16) -> Self {
        match sw {
            0x9000 => StatusWord::Success,
            0x6100..=0x61FF => StatusWord::MoreData(sw as u8),
            0x63C0..=0x63CF => StatusWord::WrongPin {
                tries_left: (sw & 0x0F) as u8,
            },
            0x6700 => StatusWord::WrongLength,
            0x6982 => StatusWord::SecurityNotSatisfied,
            0x6983 | 0x9840 => StatusWord::Blocked,
            0x6985 => StatusWord::ConditionsNotSatisfied,
            0x6A80 => StatusWord::IncorrectData,
            0x6A82 => StatusWord::FileNotFound,
            0x6A86 => StatusWord::WrongP1P2,
            0x6D00 => StatusWord::InsNotSupported,
            0x6E00 => StatusWord::ClaNotSupported,
            other => StatusWord::Other(other),
        }
    }
}

impl From<StatusWord> for u16 {
    fn from(sw: StatusWord) -> u16 {
        match sw {
            StatusWord::Success => 0x9000,
            StatusWord::MoreData(n) => 0x6100 | n as u16,
            StatusWord::WrongPin { tries_left } => 0x63C0 | (tries_left.min(15) as u16),
            StatusWord::WrongLength => 0x6700,
            StatusWord::SecurityNotSatisfied => 0x6982,
            StatusWord::Blocked => 0x6983,
            StatusWord::ConditionsNotSatisfied => 0x6985,
            StatusWord::IncorrectData => 0x6A80,
            StatusWord::FileNotFound => 0x6A82,
            StatusWord::WrongP1P2 => 0x6A86,
            StatusWord::InsNotSupported => 0x6D00,
            StatusWord::ClaNotSupported => 0x6E00,
            StatusWord::Other(v) => v,
        }
    }
}

/// A response APDU: data then SW1 SW2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    data: Vec<u8>,
    status: StatusWord,
}

impl Response {
    /// Parses response bytes; `None` when shorter than a status word.
    pub fn parse(bytes: &[u8]) -> Option<Response> {
        let split = bytes.len().checked_sub(2)?;
        let sw = u16::from_be_bytes([bytes[split], bytes[split + 1]]);
        Some(Response {
            data: bytes[..split].to_vec(),
            status: sw.into(),
        })
    }

    /// A response with data and a status (the simulator's side).
    pub fn new(data: Vec<u8>, status: StatusWord) -> Self {
        Response { data, status }
    }

    /// A bare status word.
    pub fn status_only(status: StatusWord) -> Self {
        Response {
            data: Vec::new(),
            status,
        }
    }

    /// The response data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The status word.
    pub fn status(&self) -> StatusWord {
        self.status
    }

    /// True when the status is `90 00`.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// The bytes sent back by a card.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.data.clone();
        out.extend_from_slice(&u16::from(self.status).to_be_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_round_trips_in_every_case() {
        let cases = [
            Command::new(0, 0xA4, 0, 0),
            Command::new(0, 0xB0, 0x82, 0).le(0),
            Command::new(0, 0xA4, 4, 0).data(vec![1, 2, 3]),
            Command::new(0, 0x2A, 0x9E, 0x9A).data(vec![7; 32]).le(0),
        ];
        for c in cases {
            assert_eq!(Command::parse(&c.to_bytes()), Some(c));
        }
    }

    #[test]
    fn chaining_splits_at_255_bytes() {
        let data: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
        let chain = Command::chain(0x00, 0x2A, 0x00, 0xBE, &data);
        assert_eq!(chain.len(), 3);
        assert_eq!(
            chain
                .iter()
                .map(|c| (c.cla, c.data.len()))
                .collect::<Vec<_>>(),
            vec![(0x10, 255), (0x10, 255), (0x00, 90)]
        );
        assert!(chain[0].is_chained() && !chain[2].is_chained());
        let joined: Vec<u8> = chain.iter().flat_map(|c| c.data.clone()).collect();
        assert_eq!(joined, data);
        assert_eq!(Command::chain(0, 0x82, 0, 0, &[1, 2]).len(), 1);
    }

    #[test]
    fn malformed_commands_are_refused() {
        assert_eq!(Command::parse(&[0, 1, 2]), None);
        assert_eq!(Command::parse(&[0, 1, 2, 3, 5, 1]), None);
        assert_eq!(Command::parse(&[0, 1, 2, 3, 1, 1, 2, 3]), None);
        assert_eq!(Command::parse(&[0, 1, 2, 3, 0, 1]), None);
    }

    #[test]
    fn status_words_round_trip() {
        for sw in [0x9000u16, 0x6105, 0x63C2, 0x6983, 0x6A82, 0x6D00, 0x1234] {
            assert_eq!(u16::from(StatusWord::from(sw)), sw);
        }
        assert_eq!(
            StatusWord::from(0x63C1),
            StatusWord::WrongPin { tries_left: 1 }
        );
        assert_eq!(StatusWord::from(0x9840), StatusWord::Blocked);
        assert_eq!(StatusWord::WrongPin { tries_left: 2 }.to_string(), "63 C2");
        assert_eq!(u16::from(StatusWord::Blocked), 0x6983);
    }

    #[test]
    fn debug_never_shows_data() {
        let c = Command::new(0, 0x20, 0, 0x81).data(b"1234\xff\xff\xff\xff".to_vec());
        assert!(!format!("{c:?}").contains("31"));
    }

    #[test]
    fn response_parse() {
        let r = Response::parse(&[1, 2, 0x90, 0]).unwrap();
        assert_eq!(r.data(), &[1, 2]);
        assert_eq!(r.status(), StatusWord::Success);
        assert!(Response::parse(&[0x90]).is_none());
    }
}
