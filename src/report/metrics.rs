//! `metrics.csv` and `epochs.csv`: the history of a run as plain CSV that a
//! spreadsheet, pandas or `gnuplot` reads as is.
//!
//! ```text
//! metrics.csv                 epochs.csv
//! iteration,loss              epoch,iteration,train_acc,test_acc,elapsed
//! 0,2.2951630147858733        0,0,0.1124,0.1137,0.021
//! 1,2.2903517722130195        1,80,0.6131,0.6087,0.094
//! …                           …
//! ```
//!
//! Numbers are written in Rust's shortest round-trip form, so reading them
//! back gives the very same `f64`: a resumed run continues from exactly the
//! history that was saved. Iterations are 0-based, as in the training loop.

use std::fmt::Write as _;
use std::path::Path;

use super::error::ReportError;
use crate::train::EpochRecord;

/// The header line of `metrics.csv`.
pub const METRICS_HEADER: &str = "iteration,loss";
/// The header line of `epochs.csv`.
pub const EPOCHS_HEADER: &str = "epoch,iteration,train_acc,test_acc,elapsed";

/// The text of `metrics.csv`: one row per iteration.
///
/// ```
/// let csv = manabi::report::metrics_csv(&[2.5, 0.125]);
/// assert_eq!(csv, "iteration,loss\n0,2.5\n1,0.125\n");
/// ```
pub fn metrics_csv(loss: &[f64]) -> String {
    let mut s = String::with_capacity(24 * (loss.len() + 1));
    s.push_str(METRICS_HEADER);
    s.push('\n');
    for (i, l) in loss.iter().enumerate() {
        // Writing into a String cannot fail.
        let _ = writeln!(s, "{i},{l}");
    }
    s
}

/// The text of `epochs.csv`: one row per evaluation.
pub fn epochs_csv(epochs: &[EpochRecord]) -> String {
    let mut s = String::from(EPOCHS_HEADER);
    s.push('\n');
    for r in epochs {
        let _ = writeln!(
            s,
            "{},{},{},{},{:.3}",
            r.epoch, r.iteration, r.train_acc, r.test_acc, r.elapsed
        );
    }
    s
}

/// Parses `metrics.csv` text back into the loss of each iteration; `path`
/// names the file in errors. Rows must count 0, 1, 2, … without gaps.
pub fn parse_metrics(text: &str, path: &Path) -> Result<Vec<f64>, ReportError> {
    let rows = rows(text, METRICS_HEADER, 2, path)?;
    let mut loss = Vec::with_capacity(rows.len());
    for (line, fields) in rows {
        let iteration: usize = number(fields[0], "iteration", line, path)?;
        if iteration != loss.len() {
            return Err(ReportError::malformed(
                path,
                format!(
                    "line {line}: iteration {iteration} where {} was expected",
                    loss.len()
                ),
            ));
        }
        loss.push(number(fields[1], "loss", line, path)?);
    }
    Ok(loss)
}

/// Parses `epochs.csv` text back into its records; `path` names the file in
/// errors.
pub fn parse_epochs(text: &str, path: &Path) -> Result<Vec<EpochRecord>, ReportError> {
    rows(text, EPOCHS_HEADER, 5, path)?
        .into_iter()
        .map(|(line, f)| {
            Ok(EpochRecord {
                epoch: number(f[0], "epoch", line, path)?,
                iteration: number(f[1], "iteration", line, path)?,
                train_acc: number(f[2], "train_acc", line, path)?,
                test_acc: number(f[3], "test_acc", line, path)?,
                elapsed: number(f[4], "elapsed", line, path)?,
            })
        })
        .collect()
}

/// The data rows after `header`, each split into `width` fields, with their
/// 1-based line numbers.
fn rows<'t>(
    text: &'t str,
    header: &str,
    width: usize,
    path: &Path,
) -> Result<Vec<(usize, Vec<&'t str>)>, ReportError> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(header) {
        return Err(ReportError::malformed(
            path,
            format!("the first line should be {header:?}"),
        ));
    }
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != width {
            return Err(ReportError::malformed(
                path,
                format!(
                    "line {}: {} fields where {width} were expected",
                    i + 2,
                    fields.len()
                ),
            ));
        }
        out.push((i + 2, fields));
    }
    Ok(out)
}

fn number<T: std::str::FromStr>(
    field: &str,
    name: &str,
    line: usize,
    path: &Path,
) -> Result<T, ReportError> {
    field.parse().map_err(|_| {
        ReportError::malformed(
            path,
            format!("line {line}: {name} {field:?} is not a number"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_round_trip_bit_for_bit() {
        let loss = vec![
            2.2951630147858733,
            0.1 + 0.2,
            f64::NAN,
            f64::INFINITY,
            1e-300,
        ];
        let back = parse_metrics(&metrics_csv(&loss), Path::new("m.csv")).unwrap();
        assert_eq!(back.len(), loss.len());
        for (a, b) in loss.iter().zip(&back) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
    }

    #[test]
    fn epochs_round_trip() {
        let epochs = vec![
            EpochRecord {
                epoch: 0,
                iteration: 0,
                train_acc: 0.1,
                test_acc: 0.0995,
                elapsed: 0.5,
            },
            EpochRecord {
                epoch: 1,
                iteration: 80,
                train_acc: 0.75,
                test_acc: 0.7,
                elapsed: 1.25,
            },
        ];
        let back = parse_epochs(&epochs_csv(&epochs), Path::new("e.csv")).unwrap();
        assert_eq!(back, epochs);
    }

    #[test]
    fn gaps_and_garbage_are_errors_with_line_numbers() {
        let p = Path::new("runs/x/metrics.csv");
        let gap = parse_metrics("iteration,loss\n0,1\n2,1\n", p)
            .unwrap_err()
            .to_string();
        assert!(
            gap.contains("line 3") && gap.contains("runs/x/metrics.csv"),
            "{gap}"
        );
        let bad = parse_metrics("iteration,loss\n0,abc\n", p)
            .unwrap_err()
            .to_string();
        assert!(bad.contains("line 2") && bad.contains("abc"), "{bad}");
        let header = parse_metrics("loss\n", p).unwrap_err().to_string();
        assert!(header.contains("first line"), "{header}");
    }
}
