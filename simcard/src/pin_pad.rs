//! The PIN pad of a simulated reader (PC/SC part 10 `FEATURE_VERIFY_PIN_DIRECT`, as the
//! in-process simulator offers it): a VERIFY on the pad waits for keys "typed" through
//! [`SimPinPad::type_keys`] (the simulator's stand-in for the practitioner's fingers),
//! then sends the VERIFY itself. Nobody typing within the timeout is a cancelled entry.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use zeroize::Zeroizing;

/// What was typed: digits then OK, or the cancel key.
enum Keys {
    Digits(Zeroizing<Vec<u8>>),
    Cancel,
}

/// One reader's PIN pad.
pub struct SimPinPad {
    typed: Mutex<Option<Keys>>,
    changed: Condvar,
    timeout: Duration,
}

impl SimPinPad {
    /// A pad that waits `timeout` for the keys.
    pub fn new(timeout: Duration) -> Self {
        SimPinPad {
            typed: Mutex::new(None),
            changed: Condvar::new(),
            timeout,
        }
    }

    /// Types `digits` then OK (`None`: the cancel key) for the entry in progress or the
    /// next one.
    pub fn type_keys(&self, digits: Option<&[u8]>) {
        let keys = match digits {
            Some(d) => Keys::Digits(Zeroizing::new(d.to_vec())),
            None => Keys::Cancel,
        };
        *self.typed.lock().unwrap_or_else(|p| p.into_inner()) = Some(keys);
        self.changed.notify_all();
    }

    /// Waits for the keys and fills the PIN block of `template` (ASCII digits from byte 5);
    /// `None` when cancelled or timed out (nothing goes to the card).
    pub(crate) fn wait_for_pin(&self, template: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        let guard = self.typed.lock().unwrap_or_else(|p| p.into_inner());
        let (mut guard, _) = self
            .changed
            .wait_timeout_while(guard, self.timeout, |typed| typed.is_none())
            .unwrap_or_else(|p| p.into_inner());
        match guard.take()? {
            Keys::Cancel => None,
            Keys::Digits(digits) => {
                let mut apdu = Zeroizing::new(template.to_vec());
                let end = (5 + digits.len()).min(apdu.len());
                apdu[5..end].copy_from_slice(&digits[..end - 5]);
                Some(apdu)
            }
        }
    }
}
