//! The `règle` column of the tariff table: `key=value` pairs separated by `;` (the data
//! file's header lists them). Keys only a reader needs (`quand=`, `note=`) are kept aside.

/// Which NGAP coefficients an entry allows, in hundredths.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Coefficients {
    /// Any coefficient (no `coef=` key).
    #[default]
    Any,
    /// From `min` to `max` inclusive.
    Range(u32, u32),
    /// Only these.
    List(Vec<u32>),
}

impl Coefficients {
    /// True when `c` (hundredths) is allowed.
    pub fn allows(&self, c: u32) -> bool {
        match self {
            Coefficients::Any => true,
            Coefficients::Range(min, max) => (*min..=*max).contains(&c),
            Coefficients::List(list) => list.contains(&c),
        }
    }
}

/// A condition of a surcharge (`cond=`), all of an entry's required.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Sunday or a public holiday of the practice's zone.
    SundayOrHoliday,
    /// Act time in [20:00, 24:00[ or [06:00, 08:00[.
    Night,
    /// Act time in [00:00, 06:00[.
    DeepNight,
    /// The cases of the travel surcharge MD: post-natal period up to 14 weeks after the
    /// delivery, or a pathological pregnancy from 24 weeks of amenorrhoea on prescription.
    TravelCases,
}

/// The rules of one tariff entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules {
    /// Professions the entry is for (`prof=`).
    pub professions: Vec<String>,
    /// Allowed coefficients (`coef=`).
    pub coefficients: Coefficients,
    /// Acts a modifier may be added to (`sur=`); `*` any NGAP act.
    pub on: Vec<String>,
    /// CCAM activities allowed (`act=`); empty: any.
    pub activities: Vec<String>,
    /// CCAM phases allowed (`phase=`); empty: any.
    pub phases: Vec<String>,
    /// Conditions (`cond=`).
    pub conditions: Vec<Condition>,
    /// Codes not billed with this one on the same act (`exclut=`, `remplace=`).
    pub excludes: Vec<String>,
    /// Kilometres deducted from the round trip (`abatt_ar_km=`); `None` when unknown (`?`).
    pub abatement_km: Option<u32>,
    /// AMO rate imposed (`taux=`).
    pub rate: Option<u8>,
    /// Tiers payant imposed (`tp=integral`).
    pub tiers_payant: bool,
    /// Code written on the FSE (`code_fse=`).
    pub fse_code: Option<String>,
    /// Subject to NGAP art. 11 B (`seance=11b`).
    pub article_11b: bool,
    /// A consultation or visit (`consultation=1`).
    pub consultation: bool,
    /// CCAM acts billed with it at full rate (`cumul=`).
    pub cumulative_with: Vec<String>,
    /// An ultrasound (`echo=1`).
    pub ultrasound: bool,
    /// A coefficient only for C2S patients (`c2s_coef=`), hundredths.
    pub c2s_coefficient: Option<u32>,
}

/// Parses the `règle` column (`note=`, free text that may hold `;`, comes last).
pub fn parse(text: &str) -> Result<Rules, String> {
    let text = match text.find("note=") {
        Some(at) if at == 0 || text[..at].ends_with(';') => &text[..at],
        _ => text,
    };
    let mut r = Rules::default();
    let list = |v: &str| -> Vec<String> { v.split(',').map(|s| s.trim().to_owned()).collect() };
    for pair in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("règle sans « = » : {pair:?}"))?;
        match key {
            "prof" => r.professions = list(value),
            "coef" => r.coefficients = coefficients(value)?,
            "sur" => r.on = list(value),
            "act" => r.activities = list(value),
            "phase" => r.phases = list(value),
            "cond" => {
                r.conditions = list(value)
                    .iter()
                    .map(|c| condition(c))
                    .collect::<Result<_, _>>()?
            }
            "exclut" | "remplace" => r.excludes.extend(list(value)),
            "abatt_ar_km" => r.abatement_km = value.parse().ok(),
            "taux" => {
                r.rate = Some(
                    value
                        .parse()
                        .map_err(|_| format!("taux illisible {value:?}"))?,
                )
            }
            "tp" => r.tiers_payant = value == "integral",
            "code_fse" => r.fse_code = Some(value.to_owned()),
            "seance" => r.article_11b = value == "11b",
            "consultation" => r.consultation = value == "1",
            "cumul" => r.cumulative_with = list(value),
            "echo" => r.ultrasound = value == "1",
            "c2s_coef" => {
                r.c2s_coefficient =
                    Some(parse_coefficient(value).ok_or("c2s_coef illisible".to_owned())?)
            }
            "quand" | "note" => {}
            other => return Err(format!("clé de règle inconnue {other:?}")),
        }
    }
    if r.professions.is_empty() {
        return Err("règle sans profession (prof=)".into());
    }
    Ok(r)
}

fn coefficients(value: &str) -> Result<Coefficients, String> {
    if let Some((min, max)) = value.split_once("..") {
        let min = parse_coefficient(min).ok_or("coefficient minimum illisible")?;
        let max = parse_coefficient(max).ok_or("coefficient maximum illisible")?;
        return Ok(Coefficients::Range(min, max));
    }
    value
        .split(',')
        .map(parse_coefficient)
        .collect::<Option<Vec<_>>>()
        .map(Coefficients::List)
        .ok_or_else(|| "liste de coefficients illisible".to_owned())
}

fn condition(name: &str) -> Result<Condition, String> {
    Ok(match name {
        "dimanche_ferie" => Condition::SundayOrHoliday,
        "nuit" => Condition::Night,
        "nuit_profonde" => Condition::DeepNight,
        "md" => Condition::TravelCases,
        other => return Err(format!("condition inconnue {other:?}")),
    })
}

/// Parses a coefficient (`7.5`, `7,5`, `12`) into hundredths: digits, at most two decimals,
/// at most 9999.99, never zero. `None` when impossible.
pub fn parse_coefficient(s: &str) -> Option<u32> {
    let s = s.trim();
    let (int, frac) = match s.split_once(['.', ',']) {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 4 || frac.len() > 2 || !digits(int) || !digits(frac) {
        return None;
    }
    let int: u32 = int.parse().ok()?;
    let frac: u32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u32>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let value = int * 100 + frac;
    (value > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_keys_and_refuse_unknown_ones() {
        let r =
            parse("prof=sage-femme;sur=V,SF;cond=md,nuit;exclut=IFD;remplace=MD;note=x;quand=y")
                .unwrap();
        assert_eq!(r.on, ["V", "SF"]);
        assert_eq!(r.conditions, [Condition::TravelCases, Condition::Night]);
        assert_eq!(r.excludes, ["IFD", "MD"]);
        let r =
            parse("prof=sage-femme;coef=6,7.5;c2s_coef=1.12;abatt_ar_km=?;note=a; b=c").unwrap();
        assert_eq!(r.coefficients, Coefficients::List(vec![600, 750]));
        assert_eq!((r.c2s_coefficient, r.abatement_km), (Some(112), None));
        assert!(parse("coef=1").is_err(), "no profession");
        assert!(parse("prof=x;zz=1").is_err());
        assert!(parse("prof=x;cond=lundi").is_err());
        assert!(parse("prof=x;coef=1..a").is_err());
    }

    #[test]
    fn coefficients_parse_to_hundredths() {
        assert_eq!(parse_coefficient("7.5"), Some(750));
        assert_eq!(parse_coefficient("7,25"), Some(725));
        assert_eq!(parse_coefficient("12"), Some(1200));
        for bad in [
            "0", "0.00", "-1", "1.234", "", ".5", "1e3", "12345", "7.5.1", " 1 2",
        ] {
            assert_eq!(parse_coefficient(bad), None, "{bad:?}");
        }
    }
}
