//! Sending commands and reading files, with every failure mapped to a [`CardError`].

use zeroize::Zeroizing;

use super::commands;
use super::error::CardError;
use super::tlv::{self, Tlv};
use crate::apdu::{Command, Response, StatusWord};
use crate::transport::CardTransaction;

/// Largest chunk READ BINARY returns.
const CHUNK: usize = 256;
/// Largest offset READ BINARY (current EF) can address.
const MAX_OFFSET: usize = 0x7FFF;

/// Most GET RESPONSE one command may take (64 KiB at 256 bytes each): a card announcing
/// more data after that is not answering sensibly.
const MAX_GET_RESPONSE: usize = 256;

/// Sends `command` and parses the whole answer (whatever its status), T=0 included: see
/// [`transmit`].
pub(crate) fn send(tx: &mut dyn CardTransaction, command: &Command) -> Result<Response, CardError> {
    let bytes = transmit(tx, &command.to_bytes())?;
    Response::parse(&bytes).ok_or(CardError::Malformed {
        what: "réponse de la carte",
    })
}

/// Sends the command APDU `command` and returns the card's whole answer (data + SW1 SW2),
/// following the ISO 7816-4 rules of T=0 cards, whose status words pcsc-lite hands to the
/// application as they are (as yubikey.rs and openpgp-card do):
/// - `6C xx`: wrong Le; the same command is sent again once, with Le = `xx`;
/// - `61 xx`: `xx` bytes wait (`00`: 256); GET RESPONSE fetches them, again while the card
///   announces more (chained), the data joined and the last status word kept.
///
/// Every command goes through here, so the card profiles never see `61` or `6C`.
pub(crate) fn transmit(tx: &mut dyn CardTransaction, command: &[u8]) -> Result<Vec<u8>, CardError> {
    let mut answer = tx.transmit(command)?;
    if let Some([0x6C, le]) = status_bytes(&answer) {
        if let Some(again) = with_le(command, le) {
            answer = tx.transmit(&again)?;
        }
    }
    let mut fetched = 0;
    while let Some([0x61, waiting]) = status_bytes(&answer) {
        fetched += 1;
        if fetched > MAX_GET_RESPONSE {
            return Err(CardError::Malformed {
                what: "réponse de la carte (données annoncées sans fin)",
            });
        }
        let mut next = tx.transmit(&commands::get_response(waiting).to_bytes())?;
        if let Some([0x6C, le]) = status_bytes(&next) {
            next = tx.transmit(&commands::get_response(le).to_bytes())?;
        }
        answer.truncate(answer.len() - 2);
        answer.extend_from_slice(&next);
    }
    Ok(answer)
}

/// SW1 SW2 of raw response bytes, if there are at least two.
fn status_bytes(answer: &[u8]) -> Option<[u8; 2]> {
    match answer {
        [.., sw1, sw2] => Some([*sw1, *sw2]),
        _ => None,
    }
}

/// `command` with its Le replaced by `le`; `None` for a command without Le (a `6C` to it is
/// the card's answer, not a request to send it again) or bytes that are not a short APDU.
fn with_le(command: &[u8], le: u8) -> Option<Zeroizing<Vec<u8>>> {
    let mut parsed = Command::parse(command)?;
    parsed.le?;
    parsed.le = Some(le);
    Some(parsed.to_bytes())
}

/// The status word of raw response bytes.
pub(crate) fn status_of(bytes: &[u8]) -> Result<StatusWord, CardError> {
    Response::parse(bytes)
        .map(|r| r.status())
        .ok_or(CardError::Malformed {
            what: "réponse de la carte",
        })
}

/// Sends `command`; its data when the card answers `90 00`, else [`CardError::Status`].
pub(crate) fn expect_ok(
    tx: &mut dyn CardTransaction,
    command: &Command,
    name: &'static str,
) -> Result<Vec<u8>, CardError> {
    let response = send(tx, command)?;
    match response.status() {
        StatusWord::Success => Ok(response.data().to_vec()),
        sw => Err(CardError::Status { command: name, sw }),
    }
}

/// Reads the rest of the current EF, `data` being what was read so far from offset 0:
/// while the last chunk was a full 256 bytes, reads on from the end; stops at a short chunk
/// or at `6B 00` (offset past the end).
fn read_rest(tx: &mut dyn CardTransaction, mut data: Vec<u8>) -> Result<Vec<u8>, CardError> {
    let mut last = data.len();
    while last == CHUNK {
        if data.len() > MAX_OFFSET {
            return Err(CardError::Malformed {
                what: "fichier trop long",
            });
        }
        let response = send(tx, &commands::read_binary(data.len() as u16))?;
        match response.status() {
            StatusWord::Success => {
                last = response.data().len();
                data.extend_from_slice(response.data());
            }
            StatusWord::Other(0x6B00) => break,
            sw => {
                return Err(CardError::Status {
                    command: "READ BINARY",
                    sw,
                })
            }
        }
    }
    Ok(data)
}

/// The whole current EF (selected before), read by offset. An empty file is empty.
pub(crate) fn read_current(tx: &mut dyn CardTransaction) -> Result<Vec<u8>, CardError> {
    let response = send(tx, &commands::read_binary(0))?;
    match response.status() {
        StatusWord::Success => read_rest(tx, response.data().to_vec()),
        StatusWord::Other(0x6B00) => Ok(Vec::new()),
        sw => Err(CardError::Status {
            command: "READ BINARY",
            sw,
        }),
    }
}

/// The whole EF with short id `sfi` under the current DF: the first chunk by SFI (which
/// makes it the current EF, ISO 7816-4), the rest by offset. A status other than `90 00`
/// on the first chunk is returned as is, for the caller to map.
pub(crate) fn read_sfi(
    tx: &mut dyn CardTransaction,
    sfi: u8,
) -> Result<Result<Vec<u8>, StatusWord>, CardError> {
    let response = send(tx, &commands::read_binary_sfi(sfi, 0))?;
    if !response.is_success() {
        return Ok(Err(response.status()));
    }
    read_rest(tx, response.data().to_vec()).map(Ok)
}

/// Parses `bytes` as TLV elements.
pub(crate) fn parse(bytes: &[u8], what: &'static str) -> Result<Vec<Tlv>, CardError> {
    tlv::parse_all(bytes).map_err(|_| CardError::Malformed { what })
}

/// The children of a constructed element.
pub(crate) fn children(element: &Tlv, what: &'static str) -> Result<Vec<Tlv>, CardError> {
    parse(&element.value, what)
}

/// The value of the element `tag` as text; missing or not UTF-8: malformed.
pub(crate) fn text(elements: &[Tlv], tag: u16, what: &'static str) -> Result<String, CardError> {
    let element = tlv::find(elements, tag).ok_or(CardError::Malformed { what })?;
    String::from_utf8(element.value.clone()).map_err(|_| CardError::Malformed { what })
}

/// The value of `tag`, a date `YYYYMMDD`, as `YYYY-MM-DD`.
pub(crate) fn date(elements: &[Tlv], tag: u16, what: &'static str) -> Result<String, CardError> {
    let raw = text(elements, tag, what)?;
    iso_date(&raw).ok_or(CardError::Malformed { what })
}

/// `YYYYMMDD` as `YYYY-MM-DD` (digits only, no calendar check: Vitale birth dates may be
/// "lunar", with a `00` day or month).
pub(crate) fn iso_date(raw: &str) -> Option<String> {
    (raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("{}-{}-{}", &raw[..4], &raw[4..6], &raw[6..]))
}

/// The value of `tag`, one byte `00`/`01`, as a flag.
pub(crate) fn flag(elements: &[Tlv], tag: u16, what: &'static str) -> Result<bool, CardError> {
    match tlv::find(elements, tag).map(|e| e.value.as_slice()) {
        Some([0]) => Ok(false),
        Some([1]) => Ok(true),
        _ => Err(CardError::Malformed { what }),
    }
}

/// The value of `tag`, exactly one byte.
pub(crate) fn byte(elements: &[Tlv], tag: u16, what: &'static str) -> Result<u8, CardError> {
    match tlv::find(elements, tag).map(|e| e.value.as_slice()) {
        Some([b]) => Ok(*b),
        _ => Err(CardError::Malformed { what }),
    }
}

#[cfg(test)]
mod t0_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso_date("20310630").as_deref(), Some("2031-06-30"));
        assert_eq!(iso_date("19800000").as_deref(), Some("1980-00-00"));
        assert_eq!(iso_date("2031063"), None);
        assert_eq!(iso_date("2031-6-3"), None);
    }
}
