//! How a run's numbers travel to a page: JSON for curves and records, and
//! bytes (base64) for pictures — W1's hidden units and the test digits —
//! with the strip of test digits a page shows and the network's answers on
//! it. The dashboard's server (`manabi train --serve`, `manabi serve`) and
//! the lab page's engine (`web/`) send the same messages, built here.
//!
//! W1 goes as one signed byte per weight, each unit scaled to its own
//! largest |weight| as `weights.png` does: 39,200 bytes for 784×50 instead
//! of 400 kB of decimal text, and the page draws the tiles itself.

use ndarray::Array2;
use serde_json::{Value, json};

use crate::data::Split;
use crate::functions::argmax;
use crate::train::EpochRecord;
use crate::two_layer_net::TwoLayerNet;

/// Test images in the strip of predictions.
pub const STRIP_SIZE: usize = 20;

/// At most this many hidden units are sent as tiles: beyond it the grid is
/// too small to read anyway.
pub const MAX_TILES: usize = 100;

/// Standard base64 (RFC 4648, with padding): what the page's `atob` reads.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// W1 `(input, hidden)` as tiles: `{rows, cols, units, shown, data}` where
/// `data` holds, unit after unit, `rows·cols` bytes `128 + round(127·w/max|w|)`
/// (128 is a zero weight). `None` if the input is not `rows × cols` pixels.
pub fn tiles(w1: &Array2<f64>, rows: usize, cols: usize) -> Option<Value> {
    if rows * cols != w1.nrows() || rows == 0 {
        return None;
    }
    let units = w1.ncols();
    let shown = units.min(MAX_TILES);
    let mut data = Vec::with_capacity(shown * rows * cols);
    for j in 0..shown {
        let column = w1.column(j);
        let top = crate::report::largest_magnitude(column);
        let scale = if top > 0.0 { 127.0 / top } else { 0.0 };
        data.extend(column.iter().map(|&w| {
            let q = if w.is_finite() {
                (w * scale).round().clamp(-127.0, 127.0)
            } else {
                0.0
            };
            (128.0 + q) as u8
        }));
    }
    Some(json!({
        "rows": rows,
        "cols": cols,
        "units": units,
        "shown": shown,
        "data": base64(&data),
    }))
}

/// A loss as JSON: f32 precision is plenty for a chart and halves the text;
/// NaN and infinity (a diverged run) become `null`.
pub fn loss_value(loss: f64) -> Value {
    if loss.is_finite() {
        json!(loss as f32)
    } else {
        Value::Null
    }
}

/// `[[iteration, loss], …]`.
pub fn loss_points(points: &[(usize, f64)]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|&(i, l)| json!([i, loss_value(l)]))
            .collect(),
    )
}

/// One evaluation as JSON, with the fields of `epochs.csv`.
pub fn epoch_record(r: &EpochRecord) -> Value {
    json!({
        "epoch": r.epoch,
        "iteration": r.iteration,
        "train_acc": r.train_acc,
        "test_acc": r.test_acc,
        "elapsed": r.elapsed,
    })
}

/// Every `step`-th point of a long series, always keeping the last one:
/// at most about `max` points, enough for a chart as wide as a screen.
pub fn thin<T: Copy>(points: &[T], max: usize) -> Vec<T> {
    if points.len() <= max || max < 2 {
        return points.to_vec();
    }
    let step = (points.len() - 1).div_ceil(max - 1);
    let mut out: Vec<T> = points.iter().step_by(step).copied().collect();
    if !(points.len() - 1).is_multiple_of(step) {
        out.push(points[points.len() - 1]);
    }
    out
}

/// `[[class, probability], …]`: the network's answer and its confidence for
/// each of the `n` images laid one after the other in `images` (the strip).
pub fn strip_predictions(net: &TwoLayerNet, images: &[u8], n: usize) -> Value {
    let d = net.params.w1.nrows();
    if n == 0 || images.len() != n * d {
        return json!([]);
    }
    let x = Array2::from_shape_fn((n, d), |(r, c)| f64::from(images[r * d + c]) / 255.0);
    let y = net.predict(&x);
    Value::Array(
        y.rows()
            .into_iter()
            .map(|row| {
                let k = argmax(row);
                json!([k, loss_value(row[k])])
            })
            .collect(),
    )
}

/// The strip: the first test image of each class in class order, then the
/// second of each (so every class is shown, and a strip cut into two rows
/// of ten lines the classes up), topped up with the next images if some
/// class has fewer than two.
pub fn pick_strip(test: &Split) -> (Vec<u8>, Vec<usize>) {
    let mut chosen = Vec::new();
    let mut per_class = [0usize; 10];
    for i in 0..test.len() {
        let label = test.label(i);
        if label < 10 && per_class[label] < 2 {
            per_class[label] += 1;
            chosen.push(i);
        }
        if chosen.len() == STRIP_SIZE {
            break;
        }
    }
    for i in 0..test.len() {
        if chosen.len() >= STRIP_SIZE.min(test.len()) {
            break;
        }
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    // Rank of each image within its class: 0 for the first, 1 for the second, …
    let rank = |i: usize| {
        chosen
            .iter()
            .filter(|&&j| j < i && test.label(j) == test.label(i))
            .count()
    };
    let mut keyed: Vec<(usize, usize, usize)> = chosen
        .iter()
        .map(|&i| (rank(i), test.label(i), i))
        .collect();
    keyed.sort_unstable();
    let chosen: Vec<usize> = keyed.into_iter().map(|(_, _, i)| i).collect();
    let images = chosen
        .iter()
        .flat_map(|&i| test.image(i))
        .copied()
        .collect();
    let labels = chosen.iter().map(|&i| test.label(i)).collect();
    (images, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        // The test vectors of RFC 4648 §10.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn tiles_scale_each_unit_to_its_largest_weight() {
        let w1 =
            Array2::from_shape_vec((4, 2), vec![0.5, 0.0, -1.0, 0.0, 0.25, 0.0, 0.0, 0.0]).unwrap();
        let t = tiles(&w1, 2, 2).unwrap();
        assert_eq!(t["units"], 2);
        // unit 0: 0.5, -1, 0.25, 0 → 128+64, 128-127, 128+32, 128; unit 1: all zero.
        assert_eq!(
            t["data"],
            base64(&[192, 1, 160, 128, 128, 128, 128, 128]).as_str()
        );
        assert!(tiles(&w1, 3, 3).is_none());
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let v: Vec<usize> = (0..10).collect();
        assert_eq!(thin(&v, 20), v);
        assert_eq!(thin(&v, 4), [0, 3, 6, 9]);
        assert_eq!(thin(&v, 3), [0, 5, 9]);
        assert_eq!(loss_value(f64::NAN), Value::Null);
    }
}
