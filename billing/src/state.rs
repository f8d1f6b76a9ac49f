//! The state machines of FSE and lots: the one place that says which moves are allowed.
//! The store applies a move only through [`check_fse`] / [`check_lot`], and its UPDATE
//! also requires the row to still be in the state that was checked.

use passerelle_protocol::{FseStatus, LotStatus};

use super::error::BillingError;

/// True when an FSE may go from `from` to `to`.
pub fn fse_allows(from: FseStatus, to: FseStatus) -> bool {
    use FseStatus::*;
    matches!(
        (from, to),
        (Draft, Signed)
            | (Signed, InLot)
            | (InLot, Sent)
            | (Sent, Acknowledged)
            | (Acknowledged | Sent, Paid | PartlyPaid | Rejected)
            | (PartlyPaid, Paid)
            | (Draft, Deleted)
            | (Signed, Deleted)
    )
}

/// Checks an FSE move; deleting an FSE that is in a lot (or further) gets its own refusal.
pub fn check_fse(number: &str, from: FseStatus, to: FseStatus) -> Result<(), BillingError> {
    if fse_allows(from, to) {
        return Ok(());
    }
    if to == FseStatus::Deleted && from != FseStatus::Deleted {
        return Err(BillingError::FseInLot(number.to_owned()));
    }
    Err(BillingError::InvalidTransition {
        from: fse_name(from).to_owned(),
        to: fse_name(to).to_owned(),
    })
}

/// True when a lot may go from `from` to `to`. Sending goes through the outbox: `signed`
/// → `sending` (an attempt is queued) → `sent` (the server took it), or `needs_attention`
/// (refused for good) → `sending` again once dealt with; a queued attempt cancelled sends it
/// back where it was. A positive ARL makes it `acknowledged`; a negative one (or none in
/// time) `rejected`, to be sent again; the second such failure `paper` (a paper duplicate).
pub fn lot_allows(from: LotStatus, to: LotStatus) -> bool {
    use LotStatus::*;
    matches!(
        (from, to),
        (Signed, Sending)
            | (Sending, Sent)
            | (Sending, NeedsAttention)
            | (Sending, Signed)
            | (NeedsAttention, Sending)
            | (Sent, Acknowledged)
            | (Sent, Rejected)
            | (Sending, Rejected)
            | (Rejected, Sending)
            | (Sent, Paper)
    )
}

/// Checks a lot move.
pub fn check_lot(from: LotStatus, to: LotStatus) -> Result<(), BillingError> {
    if lot_allows(from, to) {
        Ok(())
    } else {
        Err(BillingError::InvalidTransition {
            from: lot_name(from).to_owned(),
            to: lot_name(to).to_owned(),
        })
    }
}

/// The stored (and wire) name of an FSE status.
pub fn fse_name(s: FseStatus) -> &'static str {
    match s {
        FseStatus::Draft => "draft",
        FseStatus::Signed => "signed",
        FseStatus::InLot => "in_lot",
        FseStatus::Sent => "sent",
        FseStatus::Acknowledged => "acknowledged",
        FseStatus::Paid => "paid",
        FseStatus::PartlyPaid => "partly_paid",
        FseStatus::Rejected => "rejected",
        FseStatus::Deleted => "deleted",
    }
}

/// The FSE status of a stored name.
pub fn fse_from_name(s: &str) -> Option<FseStatus> {
    ALL_FSE.iter().copied().find(|st| fse_name(*st) == s)
}

/// The stored (and wire) name of a lot status.
pub fn lot_name(s: LotStatus) -> &'static str {
    match s {
        LotStatus::Signed => "signed",
        LotStatus::Sending => "sending",
        LotStatus::NeedsAttention => "needs_attention",
        LotStatus::Sent => "sent",
        LotStatus::Acknowledged => "acknowledged",
        LotStatus::Rejected => "rejected",
        LotStatus::Paper => "paper",
    }
}

/// The lot status of a stored name.
pub fn lot_from_name(s: &str) -> Option<LotStatus> {
    [
        LotStatus::Signed,
        LotStatus::Sending,
        LotStatus::NeedsAttention,
        LotStatus::Sent,
        LotStatus::Acknowledged,
        LotStatus::Rejected,
        LotStatus::Paper,
    ]
    .into_iter()
    .find(|st| lot_name(*st) == s)
}

/// Every FSE status.
pub const ALL_FSE: [FseStatus; 9] = [
    FseStatus::Draft,
    FseStatus::Signed,
    FseStatus::InLot,
    FseStatus::Sent,
    FseStatus::Acknowledged,
    FseStatus::Paid,
    FseStatus::PartlyPaid,
    FseStatus::Rejected,
    FseStatus::Deleted,
];

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_protocol::ErrorCode;
    use FseStatus::*;

    #[test]
    fn only_the_documented_moves_are_allowed() {
        let allowed = [
            (Draft, Signed),
            (Signed, InLot),
            (InLot, Sent),
            (Sent, Acknowledged),
            (Acknowledged, Paid),
            (Acknowledged, PartlyPaid),
            (Acknowledged, Rejected),
            (Sent, Paid),
            (Sent, PartlyPaid),
            (Sent, Rejected),
            (PartlyPaid, Paid),
            (Draft, Deleted),
            (Signed, Deleted),
        ];
        for from in ALL_FSE {
            for to in ALL_FSE {
                assert_eq!(
                    fse_allows(from, to),
                    allowed.contains(&(from, to)),
                    "{from:?}→{to:?}"
                );
            }
        }
    }

    #[test]
    fn deleting_in_lot_says_contact_the_caisse() {
        for from in [InLot, Sent, Acknowledged, Paid, PartlyPaid, Rejected] {
            let e = check_fse("000000042", from, Deleted).unwrap_err();
            assert_eq!(e.code(), ErrorCode::FseInLot);
            assert!(e.to_string().contains("caisse"));
        }
        let e = check_fse("1", Deleted, Deleted).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
        assert_eq!(
            check_fse("1", Signed, Draft).unwrap_err().code(),
            ErrorCode::InvalidTransition
        );
        assert_eq!(
            check_fse("1", Draft, InLot).unwrap_err().code(),
            ErrorCode::InvalidTransition
        );
    }

    #[test]
    fn names_round_trip_and_match_serde() {
        for s in ALL_FSE {
            assert_eq!(fse_from_name(fse_name(s)), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), fse_name(s));
        }
        assert!(check_lot(LotStatus::Acknowledged, LotStatus::Signed).is_err());
        assert_eq!(lot_from_name("rejected"), Some(LotStatus::Rejected));
        assert_eq!(
            lot_from_name("needs_attention"),
            Some(LotStatus::NeedsAttention)
        );
    }

    #[test]
    fn a_lot_is_sent_only_through_the_outbox() {
        use LotStatus::*;
        let all = [
            Signed,
            Sending,
            NeedsAttention,
            Sent,
            Acknowledged,
            Rejected,
        ];
        let allowed = [
            (Signed, Sending),
            (Sending, Sent),
            (Sending, NeedsAttention),
            (Sending, Signed),
            (NeedsAttention, Sending),
            (Sent, Acknowledged),
            (Sent, Rejected),
            (Sending, Rejected),
            (Rejected, Sending),
            (Sent, Paper),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    lot_allows(from, to),
                    allowed.contains(&(from, to)),
                    "{from:?}→{to:?}"
                );
            }
            assert_eq!(lot_from_name(lot_name(from)), Some(from));
            assert_eq!(serde_json::to_value(from).unwrap(), lot_name(from));
        }
    }
}
