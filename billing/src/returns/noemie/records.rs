//! The two fixed 128-character records: the `000` header and the `999` trailer, whose
//! counts and totals must equal those of the lots read before it.

use super::entity::Zones;
use super::model::{NoemieHeader, NoemieLot, NoemieTrailer, Totals};
use super::{width, NoemieError, RECORD_LEN};

/// A zone fault inside the header or trailer, reported as that record's fault.
fn in_record(e: NoemieError, wrap: fn(String) -> NoemieError) -> NoemieError {
    match e {
        NoemieError::MalformedNumber { field, value, .. } => {
            wrap(format!("zone « {field} » illisible : « {value} »"))
        }
        NoemieError::InvalidValue { field, source, .. } => {
            wrap(format!("zone « {field} » : {source}"))
        }
        other => other,
    }
}

pub(crate) fn header(data: &[u8]) -> Result<NoemieHeader, NoemieError> {
    let bad = NoemieError::BadHeader;
    let record = data.get(..RECORD_LEN).ok_or_else(|| {
        bad(format!(
            "{} octets, {RECORD_LEN} attendus au moins",
            data.len()
        ))
    })?;
    if !record.starts_with(b"000") {
        return Err(bad("le fichier ne commence pas par 000".into()));
    }
    let mut z = Zones::new(record.get(3..).unwrap_or_default(), 0, "000");
    let read = |z: &mut Zones<'_>| -> Result<NoemieHeader, NoemieError> {
        Ok(NoemieHeader {
            reference: z.digits("référence NOEMIE")?,
            emitter: z.organism()?,
            receiver: z.billing("numéro de facturation du destinataire")?,
            created: z.date("date de création")?,
            file_number: z.digits("numéro de fichier")?,
        })
    };
    read(&mut z).map_err(|e| in_record(e, bad))
}

pub(crate) fn trailer(
    record: &[u8],
    header: &NoemieHeader,
    lots: &[NoemieLot],
) -> Result<NoemieTrailer, NoemieError> {
    let bad = NoemieError::BadTrailer;
    let mut z = Zones::new(record.get(3..).unwrap_or_default(), 0, "999");
    let mut read = || -> Result<(NoemieTrailer, bool), NoemieError> {
        let same_file = z.digits::<6>("numéro de fichier")? == header.file_number;
        let t = NoemieTrailer {
            lots: z.number("nombre de lots", width::FILE_LOTS)?,
            invoices: z.number("nombre de factures", width::FILE_INVOICES)?,
            entities: z.number("nombre d'entités", width::FILE_ENTITIES)?,
            totals: Totals {
                amo_requested: z.signed("montant AMO demandé", width::TOTAL)?,
                amo_paid: z.signed("montant AMO payé", width::TOTAL)?,
                amc_requested: z.signed("montant AMC demandé", width::TOTAL)?,
                amc_paid: z.signed("montant AMC payé", width::TOTAL)?,
            },
        };
        Ok((t, same_file))
    };
    let (declared, same_file) = read().map_err(|e| in_record(e, bad))?;
    if !same_file {
        return Err(bad(
            "numéro de fichier différent de celui de l'en-tête".into()
        ));
    }
    let computed = NoemieTrailer::of(lots);
    let counts = [
        ("nombre de lots", declared.lots, computed.lots),
        ("nombre de factures", declared.invoices, computed.invoices),
        ("nombre d'entités", declared.entities, computed.entities),
    ];
    for (field, d, c) in counts {
        if d != c {
            return Err(bad(format!("{field} : {d} déclaré, {c} calculé")));
        }
    }
    let sums = declared
        .totals
        .named()
        .into_iter()
        .zip(computed.totals.named());
    for ((field, d), (_, c)) in sums {
        if d != c {
            return Err(bad(format!("{field} : {d} déclaré, {c} calculé")));
        }
    }
    Ok(declared)
}
