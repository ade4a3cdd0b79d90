//! `weights.safetensors`: the learned parameters, by the book's names, in a
//! format NumPy, PyTorch and others read.
//!
//! A safetensors file is an 8-byte little-endian header length, a JSON
//! header, and the raw numbers:
//!
//! ```text
//! [n: u64 LE][{"__metadata__": {"config": "{…config.json…}", "iterations": "10000", "status": "completed"},
//!              "W1": {"dtype": "F64", "shape": [784, 50], "data_offsets": [0, 313600]},
//!              "W2": …, "b1": …, "b2": …}]
//! [W1 as 784·50 little-endian f64, row by row][W2][b1][b2]
//! ```
//!
//! so `docs/python-check.md` can read it with nothing but `json`, `struct`
//! and NumPy. The metadata is written in key order, so the same run makes
//! the same file. Every parameter is stored as F64 whatever precision trained it:
//! the network as [`crate::engine::Engine::net`] hands it over.

use std::collections::HashMap;
use std::path::Path;

use ndarray::{Array1, Array2};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};

use super::error::ReportError;
use crate::params::Params;

/// Metadata key holding the run's `config.json` text.
pub const META_CONFIG: &str = "config";
/// Metadata key holding the number of iterations behind these weights.
pub const META_ITERATIONS: &str = "iterations";
/// Metadata key holding the run's status ("running", "completed", …).
pub const META_STATUS: &str = "status";

/// The parameters and metadata of a `weights.safetensors`.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedWeights {
    /// W1, b1, W2, b2.
    pub params: Params,
    /// The `__metadata__` strings.
    pub metadata: HashMap<String, String>,
}

/// The bytes of a safetensors file holding `params` under the names W1, b1,
/// W2, b2 (F64) and the string pairs `metadata`.
///
/// ```
/// use std::collections::HashMap;
/// use manabi::report::{read_weights, weights_bytes};
/// let net = manabi::TwoLayerNet::new(4, 3, 2, 0.01);
/// let bytes = weights_bytes(&net.params, HashMap::new());
/// let back = read_weights(&bytes, "w.safetensors".as_ref()).unwrap();
/// assert_eq!(back.params, net.params);
/// ```
pub fn weights_bytes(params: &Params, metadata: HashMap<String, String>) -> Vec<u8> {
    let raw: Vec<(&str, Vec<usize>, Vec<u8>)> = Params::NAMES
        .iter()
        .map(|&name| {
            let a = params.get(name).expect("one of the book's names");
            let bytes = a.iter().flat_map(|v| v.to_le_bytes()).collect();
            (name, a.shape().to_vec(), bytes)
        })
        .collect();
    let views = raw.iter().map(|(name, shape, bytes)| {
        let view = TensorView::new(Dtype::F64, shape.clone(), bytes)
            .expect("the byte count matches the shape");
        (*name, view)
    });
    let metadata = (!metadata.is_empty()).then_some(metadata);
    // Only fails on a header over 100 MB or overlapping names: not these four.
    let bytes = safetensors::serialize(views, metadata).expect("four named f64 tensors serialise");
    metadata_in_key_order(bytes)
}

/// The same bytes with the `__metadata__` entries in key order. The
/// safetensors crate writes them in its hash map's order, which changes from
/// one process to the next: two runs of one seed would save different files.
/// The entries are the same, so their text is as long; anything unexpected
/// leaves the bytes as they are.
fn metadata_in_key_order(mut bytes: Vec<u8>) -> Vec<u8> {
    const START: &[u8] = b"{\"__metadata__\":";
    let Some(n) = bytes.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
        return bytes;
    };
    let end = 8usize.saturating_add(u64::from_le_bytes(n) as usize);
    let Some(rest) = bytes.get(8..end).and_then(|h| h.strip_prefix(START)) else {
        return bytes;
    };
    let mut entries = serde_json::Deserializer::from_slice(rest)
        .into_iter::<std::collections::BTreeMap<String, String>>();
    let Some(Ok(sorted)) = entries.next() else {
        return bytes;
    };
    let len = entries.byte_offset();
    match serde_json::to_vec(&sorted) {
        Ok(text) if text.len() == len => {
            let at = 8 + START.len();
            bytes[at..at + len].copy_from_slice(&text);
            bytes
        }
        _ => bytes,
    }
}

/// Reads the parameters back from the bytes of a `weights.safetensors`;
/// `path` names the file in errors. Checks the names, the F64 type and that
/// the four shapes make a two-layer network.
pub fn read_weights(bytes: &[u8], path: &Path) -> Result<SavedWeights, ReportError> {
    let bad = |reason: String| ReportError::malformed(path, reason);
    let (_, meta) = SafeTensors::read_metadata(bytes)
        .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let tensors =
        SafeTensors::deserialize(bytes).map_err(|e| bad(format!("not a safetensors file: {e}")))?;
    let mut arrays: Vec<(Vec<usize>, Vec<f64>)> = Vec::with_capacity(4);
    for name in Params::NAMES {
        let t = tensors
            .tensor(name)
            .map_err(|_| bad(format!("no tensor named {name}: not a TwoLayerNet")))?;
        if t.dtype() != Dtype::F64 {
            return Err(bad(format!("{name} is {:?}; manabi saves F64", t.dtype())));
        }
        let values = t
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("chunks of 8")))
            .collect();
        arrays.push((t.shape().to_vec(), values));
    }
    let [(s_w1, w1), (s_b1, b1), (s_w2, w2), (s_b2, b2)]: [_; 4] =
        arrays.try_into().expect("four names");
    let consistent = s_w1.len() == 2
        && s_w2.len() == 2
        && s_b1 == [s_w1[1]]
        && s_w2[0] == s_w1[1]
        && s_b2 == [s_w2[1]];
    if !consistent {
        return Err(bad(format!(
            "shapes W1 {s_w1:?}, b1 {s_b1:?}, W2 {s_w2:?}, b2 {s_b2:?} do not make a two-layer network"
        )));
    }
    let params = Params {
        w1: Array2::from_shape_vec((s_w1[0], s_w1[1]), w1).expect("shape checked"),
        b1: Array1::from(b1),
        w2: Array2::from_shape_vec((s_w2[0], s_w2[1]), w2).expect("shape checked"),
        b2: Array1::from(b2),
    };
    Ok(SavedWeights {
        params,
        metadata: meta.metadata().clone().unwrap_or_default(),
    })
}

/// Reads a `weights.safetensors` file.
pub fn load_weights(path: &Path) -> Result<SavedWeights, ReportError> {
    let bytes = std::fs::read(path).map_err(|e| ReportError::io(path, e))?;
    read_weights(&bytes, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TwoLayerNet;

    #[test]
    fn round_trip_keeps_values_and_metadata() {
        let mut net = TwoLayerNet::new(784, 50, 10, 0.01);
        net.params.b1[3] = -1.5e-300;
        let meta = HashMap::from([("iterations".to_string(), "17".to_string())]);
        let bytes = weights_bytes(&net.params, meta.clone());
        let back = read_weights(&bytes, Path::new("w")).unwrap();
        assert_eq!(back.params, net.params);
        assert_eq!(back.metadata, meta);
    }

    /// The file does not depend on the order a hash map hands the metadata
    /// over in: same weights and metadata, same bytes, keys in order.
    #[test]
    fn the_metadata_is_written_in_key_order() {
        let net = TwoLayerNet::new(6, 4, 3, 0.01);
        let keys = [
            "status",
            "config",
            "a \"quoted\" key",
            "iterations",
            "b",
            "z",
            "m",
        ];
        let meta = || {
            // A new hash map each time: a new random order.
            keys.iter()
                .map(|k| (k.to_string(), format!("value of {k}")))
                .collect::<HashMap<_, _>>()
        };
        let first = weights_bytes(&net.params, meta());
        for _ in 0..5 {
            assert_eq!(weights_bytes(&net.params, meta()), first);
        }
        let header = String::from_utf8_lossy(&first[8..]).into_owned();
        let mut sorted: Vec<&str> = keys.to_vec();
        sorted.sort();
        let at: Vec<usize> = sorted
            .iter()
            .map(|k| header.find(&serde_json::to_string(k).unwrap()).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{header}");
        let back = read_weights(&first, Path::new("w")).unwrap();
        assert_eq!(back.metadata, meta());
    }

    #[test]
    fn truncated_files_are_errors_naming_the_file() {
        let net = TwoLayerNet::new(6, 4, 3, 0.01);
        let bytes = weights_bytes(&net.params, HashMap::new());
        for cut in [0, 7, 20, bytes.len() - 1] {
            let err = read_weights(&bytes[..cut], Path::new("runs/a/weights.safetensors"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("runs/a/weights.safetensors"), "{err}");
        }
    }
}
