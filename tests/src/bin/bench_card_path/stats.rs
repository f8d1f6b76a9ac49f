//! Percentiles (sorted vectors, nearest rank), the printed table and verdicts.

use std::time::Duration;

/// Summary of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub n: usize,
    pub min: f64,
    pub mean: f64,
    /// True median (mean of the two middle values when `n` is even).
    pub median: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises `samples` (must not be empty).
    pub fn of(samples: &[Duration]) -> Summary {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        assert!(n > 0, "no samples");
        Summary {
            n,
            min: ms[0],
            mean: ms.iter().sum::<f64>() / n as f64,
            median: if n % 2 == 1 {
                ms[n / 2]
            } else {
                (ms[n / 2 - 1] + ms[n / 2]) / 2.0
            },
            p50: percentile(&ms, 50.0),
            p99: percentile(&ms, 99.0),
            max: ms[n - 1],
        }
    }

    /// As JSON (milliseconds).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "n": self.n, "min_ms": r3(self.min), "mean_ms": r3(self.mean), "median_ms": r3(self.median),
            "p50_ms": r3(self.p50), "p99_ms": r3(self.p99), "max_ms": r3(self.max),
        })
    }

    /// `p50 12.3 / p99 45.6 ms`.
    pub fn p50_p99(&self) -> String {
        format!("p50 {} / p99 {} ms", ms(self.p50), ms(self.p99))
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    let rank = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[rank.clamp(1, n) - 1]
}

/// Rounds to 3 decimals (for JSON).
pub fn r3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// A millisecond value with sensible precision.
pub fn ms(v: f64) -> String {
    if v < 1.0 {
        format!("{v:.3}")
    } else if v < 100.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// `OK` or `MISSED`.
pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "OK"
    } else {
        "MISSED"
    }
}

/// One line of the result table.
pub struct Row {
    pub what: String,
    pub value: String,
    pub goal: String,
    pub verdict: String,
}

/// The result table, printed at the end.
#[derive(Default)]
pub struct Table {
    rows: Vec<Row>,
}

impl Table {
    /// Adds a row.
    pub fn row(&mut self, what: &str, value: String, goal: &str, verdict: impl Into<String>) {
        self.rows.push(Row {
            what: what.to_owned(),
            value,
            goal: goal.to_owned(),
            verdict: verdict.into(),
        });
    }

    /// The table as aligned text.
    pub fn render(&self) -> String {
        let head = Row {
            what: "measurement".into(),
            value: "value".into(),
            goal: "goal".into(),
            verdict: "verdict".into(),
        };
        let all: Vec<&Row> = std::iter::once(&head).chain(&self.rows).collect();
        let w = |f: fn(&Row) -> &str| all.iter().map(|r| f(r).chars().count()).max().unwrap_or(0);
        let (w0, w1, w2) = (w(|r| &r.what), w(|r| &r.value), w(|r| &r.goal));
        let mut out = String::new();
        for (i, r) in all.iter().enumerate() {
            out.push_str(&format!(
                "{:<w0$} | {:<w1$} | {:<w2$} | {}\n",
                r.what, r.value, r.goal, r.verdict
            ));
            if i == 0 {
                out.push_str(&format!(
                    "{}-+-{}-+-{}-+-{}\n",
                    "-".repeat(w0),
                    "-".repeat(w1),
                    "-".repeat(w2),
                    "-".repeat(12)
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
        let s = Summary::of(&[Duration::from_millis(2), Duration::from_millis(1)]);
        assert_eq!((s.min, s.p50, s.median, s.max), (1.0, 1.0, 1.5, 2.0));
    }
}
