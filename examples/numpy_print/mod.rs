//! Print numbers the way the book's scripts do, so their output can be
//! compared line by line: `print(array)` as NumPy shows it, and `str(float)`
//! as Python shows it.
//!
//! NumPy's rules (its defaults: 8 digits, `floatmode='maxprec'`):
//! - each element gets at most 8 decimals, trailing zeros dropped (`6.`);
//! - scientific notation when a non-zero |x| ≥ 1e8, or < 1e-4, or the largest
//!   is over 1000× the smallest (`-2.58983747e+13`);
//! - elements are padded to a common width so the columns line up.
//!
//! Lines are not wrapped at 75 characters as NumPy does: the arrays printed
//! here are short.

// Each example uses only the functions it needs.
#![allow(dead_code)]

use ndarray::{ArrayBase, Data, Dimension};

/// `str(array)` of a 1-D or 2-D array: `[6. 8.]`, `[[0.1 0.2]\n [0.3 0.4]]`.
pub fn array_str<S: Data<Elem = f64>, D: Dimension>(a: &ArrayBase<S, D>) -> String {
    let values: Vec<f64> = a.iter().copied().collect();
    let cells = format_elements(&values);
    match a.shape() {
        [_] => format!("[{}]", cells.join(" ")),
        [_, cols] => {
            let rows: Vec<String> = cells
                .chunks((*cols).max(1))
                .map(|row| format!("[{}]", row.join(" ")))
                .collect();
            format!("[{}]", rows.join("\n "))
        }
        shape => panic!("array_str: only 1-D and 2-D arrays, got shape {shape:?}"),
    }
}

/// `str(x)` of a Python float: the shortest digits that read back as `x`,
/// in scientific notation below 1e-4 or from 1e16 (`1.7966944727947356e-06`).
pub fn float_str(x: f64) -> String {
    if !x.is_finite() {
        return non_finite(x).to_string();
    }
    let sci = format!("{x:e}"); // shortest digits, e.g. "1.7966944727947356e-6"
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    if x != 0.0 && !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let s = format!("{x}");
        if s.contains('.') { s } else { s + ".0" }
    }
}

/// A shape as Python prints a tuple: `(784, 100)`, `(100,)`.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

fn non_finite(x: f64) -> &'static str {
    if x.is_nan() {
        "nan"
    } else if x > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// Every element as NumPy would print it inside one array, padded alike.
fn format_elements(values: &[f64]) -> Vec<String> {
    let nonzero = values
        .iter()
        .filter(|v| v.is_finite() && **v != 0.0)
        .map(|v| v.abs());
    let (min, max) = nonzero.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let scientific = max > 0.0 && (max >= 1e8 || min < 1e-4 || max / min > 1e3);

    // First pass: each finite value with at most 8 decimals, zeros trimmed.
    let finite: Vec<(String, String)> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|&v| {
            let s = if scientific {
                format!("{v:.8e}")
            } else {
                format!("{v:.8}")
            };
            let (digits, _exp) = s.split_once('e').unwrap_or((&s, ""));
            let (int, frac) = digits.split_once('.').expect("formatted with decimals");
            (int.to_string(), frac.trim_end_matches('0').to_string())
        })
        .collect();
    let pad_left = finite.iter().map(|(i, _)| i.len()).max().unwrap_or(1);
    let decimals = finite.iter().map(|(_, f)| f.len()).max().unwrap_or(0);

    values
        .iter()
        .map(|&v| {
            if !v.is_finite() {
                let width = pad_left + 1 + decimals + if scientific { 4 } else { 0 };
                return format!("{:>width$}", non_finite(v));
            }
            if scientific {
                // All mantissas get the same number of decimals (zero-padded),
                // the exponent a sign and at least two digits: 1.50e+10.
                let s = format!("{v:.decimals$e}");
                let (mantissa, exp) = s.split_once('e').expect("{:e} has an exponent");
                let exp: i32 = exp.parse().expect("integer exponent");
                let sign = if exp < 0 { '-' } else { '+' };
                let mantissa = if decimals == 0 {
                    format!("{mantissa}.")
                } else {
                    mantissa.to_string()
                };
                format!(
                    "{mantissa:>w$}e{sign}{:02}",
                    exp.abs(),
                    w = pad_left + 1 + decimals
                )
            } else {
                // Shorter fractions are padded with spaces: "-0.36281   ".
                let s = format!("{v:.8}");
                let (int, frac) = s.split_once('.').expect("formatted with decimals");
                let frac = frac.trim_end_matches('0');
                format!("{int:>pad_left$}.{frac:<decimals$}")
            }
        })
        .collect()
}
