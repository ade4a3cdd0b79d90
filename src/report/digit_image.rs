//! Reading a picture of a digit and preparing it as MNIST prepared its own:
//! what `manabi predict` feeds the network.
//!
//! MNIST's digits are white on black, 28×28, each fitted into a 20×20 box
//! (keeping its proportions, with anti-aliasing) and then moved so that its
//! centre of mass sits at the centre of the 28×28 field. A network trained on
//! them expects exactly that, so [`to_mnist`] does the same to any image:
//!
//! 1. dark ink on a light background (as drawn on paper) is inverted;
//! 2. the ink's bounding box is scaled to fit 20×20 (area averaging);
//! 3. it is placed in 28×28 with its centre of mass in the middle.
//!
//! An image that already is 28×28 is taken as it is (only inverted if light).
//! Images come as PNG (any colour type, via the `png` crate) or as PGM (P2 or
//! P5, read here).

use std::io::Cursor;
use std::path::Path;

use super::error::ReportError;

/// A greyscale picture: 0 is black, 255 white.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GreyImage {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// `width · height` values, row by row.
    pub pixels: Vec<u8>,
}

/// Side of an MNIST image.
pub const MNIST_SIDE: usize = 28;
/// Side of the box MNIST fits each digit into.
pub const MNIST_BOX: usize = 20;

/// Reads a PNG or PGM file (told apart by their first bytes).
pub fn read_grey_image(path: &Path) -> Result<GreyImage, ReportError> {
    let bytes = std::fs::read(path).map_err(|e| ReportError::io(path, e))?;
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        decode_png(&bytes, path)
    } else if bytes.starts_with(b"P2") || bytes.starts_with(b"P5") {
        parse_pgm(&bytes, path)
    } else {
        Err(ReportError::malformed(
            path,
            "neither a PNG nor a PGM (P2/P5) image; convert it to one of these",
        ))
    }
}

/// Decodes a PNG of any colour type and bit depth into grey levels
/// (transparent pixels count as white paper).
pub fn decode_png(bytes: &[u8], path: &Path) -> Result<GreyImage, ReportError> {
    let bad =
        |e: png::DecodingError| ReportError::malformed(path, format!("not a readable PNG: {e}"));
    let mut decoder = png::Decoder::new(Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(bad)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| ReportError::malformed(path, "the image is too large"))?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(bad)?;
    let (width, height) = (info.width as usize, info.height as usize);
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(info.line_size)
        .flat_map(|line| line[..width * channels].chunks_exact(channels))
        .map(|p| {
            let (grey, alpha) = match p {
                [g] => (f64::from(*g), 255.0),
                [g, a] => (f64::from(*g), f64::from(*a)),
                [r, g, b] => (luma(*r, *g, *b), 255.0),
                [r, g, b, a] => (luma(*r, *g, *b), f64::from(*a)),
                _ => (255.0, 255.0),
            };
            let a = alpha / 255.0;
            (grey * a + 255.0 * (1.0 - a)).round() as u8
        })
        .collect();
    Ok(GreyImage {
        width,
        height,
        pixels,
    })
}

/// ITU-R BT.601 luma, the usual grey of a colour.
fn luma(r: u8, g: u8, b: u8) -> f64 {
    0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
}

/// Parses a PGM: `P2` (numbers as text) or `P5` (bytes), maxval up to 65535,
/// `#` comments in the header. Values are scaled to 0–255.
///
/// ```
/// use std::path::Path;
/// let img = manabi::report::parse_pgm(b"P2\n# a 2x1 image\n2 1\n15\n0 15\n", Path::new("a.pgm")).unwrap();
/// assert_eq!((img.width, img.height, img.pixels), (2, 1, vec![0, 255]));
/// ```
pub fn parse_pgm(bytes: &[u8], path: &Path) -> Result<GreyImage, ReportError> {
    let bad = |reason: &str| ReportError::malformed(path, format!("not a valid PGM: {reason}"));
    let mut pos = 2;
    // Header: width, height, maxval, each after whitespace and comments.
    let mut fields = [0usize; 3];
    for (k, name) in ["width", "height", "maxval"].iter().enumerate() {
        loop {
            match bytes.get(pos) {
                Some(b'#') => {
                    while bytes.get(pos).is_some_and(|&b| b != b'\n') {
                        pos += 1;
                    }
                }
                Some(b) if b.is_ascii_whitespace() => pos += 1,
                _ => break,
            }
        }
        let start = pos;
        while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            pos += 1;
        }
        fields[k] = std::str::from_utf8(&bytes[start..pos])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad(&format!("the {name} is missing")))?;
    }
    let [width, height, maxval] = fields;
    if width == 0 || height == 0 || width > 1 << 15 || height > 1 << 15 {
        return Err(bad(&format!("a {width}×{height} image")));
    }
    if maxval == 0 || maxval > 65535 {
        return Err(bad(&format!("maxval {maxval} is not 1–65535")));
    }
    let count = width * height;
    let scale = |v: usize| -> Result<u8, ReportError> {
        if v > maxval {
            return Err(bad(&format!("value {v} is over maxval {maxval}")));
        }
        Ok((v as f64 * 255.0 / maxval as f64).round() as u8)
    };
    let values: Vec<usize> = if bytes.starts_with(b"P5") {
        // Exactly one whitespace byte separates the header from the data.
        let data = bytes.get(pos + 1..).unwrap_or_default();
        let wide = maxval > 255;
        let needed = count * if wide { 2 } else { 1 };
        if data.len() < needed {
            return Err(bad(&format!(
                "{} data bytes where {needed} were expected",
                data.len()
            )));
        }
        if wide {
            data[..needed]
                .chunks_exact(2)
                .map(|c| usize::from(u16::from_be_bytes([c[0], c[1]])))
                .collect()
        } else {
            data[..needed].iter().map(|&b| usize::from(b)).collect()
        }
    } else {
        let text =
            std::str::from_utf8(&bytes[pos..]).map_err(|_| bad("P2 data that is not text"))?;
        let values: Vec<usize> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .flat_map(str::split_whitespace)
            .map(|w| {
                w.parse()
                    .map_err(|_| bad(&format!("{w:?} is not a pixel value")))
            })
            .collect::<Result<_, _>>()?;
        if values.len() < count {
            return Err(bad(&format!(
                "{} values where {count} were expected",
                values.len()
            )));
        }
        values
    };
    let pixels = values[..count]
        .iter()
        .map(|&v| scale(v))
        .collect::<Result<_, _>>()?;
    Ok(GreyImage {
        width,
        height,
        pixels,
    })
}

/// The image as MNIST would have it: 28×28 bytes, white ink on black, the
/// digit fitted into 20×20 and centred by its centre of mass. `None` when
/// the image holds no ink at all.
pub fn to_mnist(img: &GreyImage) -> Option<Vec<u8>> {
    let ink = ink_levels(img);
    if img.width == MNIST_SIDE && img.height == MNIST_SIDE {
        return ink.iter().any(|&v| v > 0.0).then(|| to_bytes(&ink));
    }
    let (w, h) = (img.width, img.height);
    let top = ink.iter().copied().fold(0.0, f64::max);
    if top <= 0.0 {
        return None;
    }
    // The bounding box of the ink, ignoring faint specks (under 10% of the darkest stroke).
    let threshold = 0.1 * top;
    let inked = |x: usize, y: usize| ink[y * w + x] > threshold;
    let rows: Vec<usize> = (0..h).filter(|&y| (0..w).any(|x| inked(x, y))).collect();
    let cols: Vec<usize> = (0..w).filter(|&x| (0..h).any(|y| inked(x, y))).collect();
    let (y0, y1) = (*rows.first()?, *rows.last()? + 1);
    let (x0, x1) = (*cols.first()?, *cols.last()? + 1);
    let (bw, bh) = (x1 - x0, y1 - y0);
    let crop: Vec<f64> = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .map(|(x, y)| ink[y * w + x])
        .collect();
    // Fit the longer side to 20 pixels, keeping the proportions.
    let s = MNIST_BOX as f64 / bw.max(bh) as f64;
    let tw = ((bw as f64 * s).round() as usize).clamp(1, MNIST_BOX);
    let th = ((bh as f64 * s).round() as usize).clamp(1, MNIST_BOX);
    let small = resize_area(&crop, bw, bh, tw, th);
    // Centre of mass of the fitted digit.
    let mass: f64 = small.iter().sum();
    let (mut cx, mut cy) = (0.0, 0.0);
    for (i, &v) in small.iter().enumerate() {
        cx += v * ((i % tw) as f64 + 0.5);
        cy += v * ((i / tw) as f64 + 0.5);
    }
    let (cx, cy) = (cx / mass, cy / mass);
    // Put it so its centre of mass lands on (14, 14), staying inside the field.
    let place = |c: f64, len: usize| {
        let off = (MNIST_SIDE as f64 / 2.0 - c).round();
        off.clamp(0.0, (MNIST_SIDE - len) as f64) as usize
    };
    let (ox, oy) = (place(cx, tw), place(cy, th));
    let mut out = vec![0.0; MNIST_SIDE * MNIST_SIDE];
    for y in 0..th {
        for x in 0..tw {
            out[(oy + y) * MNIST_SIDE + ox + x] = small[y * tw + x];
        }
    }
    Some(to_bytes(&out))
}

/// Ink per pixel in [0, 255], white-on-black: the image as is when its
/// border is dark, inverted when the border is light (paper).
fn ink_levels(img: &GreyImage) -> Vec<f64> {
    let (w, h) = (img.width, img.height);
    let border: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| x == 0 || y == 0 || x + 1 == w || y + 1 == h)
        .map(|(x, y)| img.pixels[y * w + x])
        .collect();
    let mean = border.iter().map(|&p| f64::from(p)).sum::<f64>() / border.len().max(1) as f64;
    let light = mean > 127.5;
    // The background level becomes 0, so paper that is not quite white adds no ink.
    let background = if light {
        255.0 - median(&border)
    } else {
        median(&border)
    };
    img.pixels
        .iter()
        .map(|&p| {
            let v = if light {
                255.0 - f64::from(p)
            } else {
                f64::from(p)
            };
            ((v - background) / (255.0 - background).max(1.0) * 255.0).clamp(0.0, 255.0)
        })
        .collect()
}

fn median(values: &[u8]) -> f64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).map_or(0.0, |&m| f64::from(m))
}

fn to_bytes(values: &[f64]) -> Vec<u8> {
    values
        .iter()
        .map(|&v| v.round().clamp(0.0, 255.0) as u8)
        .collect()
}

/// Resamples a `sw × sh` picture to `dw × dh`: each new pixel is the mean of
/// the source area it covers (fractional pixels weighted by their share).
fn resize_area(src: &[f64], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f64> {
    let (fx, fy) = (sw as f64 / dw as f64, sh as f64 / dh as f64);
    let spans = |d: usize, f: f64, n: usize| -> Vec<Vec<(usize, f64)>> {
        (0..d)
            .map(|i| {
                let (a, b) = (i as f64 * f, (i + 1) as f64 * f);
                (a.floor() as usize..(b.ceil() as usize).min(n))
                    .map(|s| (s, (b.min(s as f64 + 1.0) - a.max(s as f64)).max(0.0)))
                    .collect()
            })
            .collect()
    };
    let (xs, ys) = (spans(dw, fx, sw), spans(dh, fy, sh));
    let mut out = Vec::with_capacity(dw * dh);
    for ys in &ys {
        for xs in &xs {
            let (mut sum, mut weight) = (0.0, 0.0);
            for &(y, wy) in ys {
                for &(x, wx) in xs {
                    sum += src[y * sw + x] * wx * wy;
                    weight += wx * wy;
                }
            }
            out.push(if weight > 0.0 { sum / weight } else { 0.0 });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank(w: usize, h: usize, level: u8) -> GreyImage {
        GreyImage {
            width: w,
            height: h,
            pixels: vec![level; w * h],
        }
    }

    #[test]
    fn a_dark_square_on_paper_is_fitted_and_centred() {
        let mut img = blank(100, 60, 250);
        for y in 10..50 {
            for x in 5..25 {
                img.pixels[y * 100 + x] = 0;
            }
        }
        let m = to_mnist(&img).unwrap();
        // 20 wide × 40 tall becomes 10 × 20, white, centred at (14, 14).
        let on: Vec<usize> = (0..784).filter(|&i| m[i] > 128).collect();
        let (xs, ys): (Vec<usize>, Vec<usize>) = on.iter().map(|&i| (i % 28, i / 28)).unzip();
        assert_eq!(on.len(), 200);
        assert_eq!(
            (*xs.iter().min().unwrap(), *xs.iter().max().unwrap()),
            (9, 18)
        );
        assert_eq!(
            (*ys.iter().min().unwrap(), *ys.iter().max().unwrap()),
            (4, 23)
        );
        assert_eq!(m[0], 0);
    }

    #[test]
    fn blank_images_have_no_digit() {
        assert_eq!(to_mnist(&blank(50, 50, 255)), None);
        assert_eq!(to_mnist(&blank(28, 28, 0)), None);
    }

    #[test]
    fn mnist_sized_images_pass_through() {
        let mut img = blank(28, 28, 0);
        img.pixels[100] = 200;
        assert_eq!(to_mnist(&img).unwrap(), img.pixels);
    }

    #[test]
    fn pgm_p5_16_bit_and_errors() {
        let mut bytes = b"P5 2 1 65535\n".to_vec();
        bytes.extend([0, 0, 255, 255]);
        let img = parse_pgm(&bytes, Path::new("x.pgm")).unwrap();
        assert_eq!(img.pixels, vec![0, 255]);
        let err = parse_pgm(b"P5 2 2 255\n\x00", Path::new("x.pgm")).unwrap_err();
        assert!(err.to_string().contains("x.pgm"), "{err}");
        assert!(parse_pgm(b"P2 2 1 10\n0 11\n", Path::new("x.pgm")).is_err());
        assert!(parse_pgm(b"P2 2\n", Path::new("x.pgm")).is_err());
    }

    #[test]
    fn png_round_trip_through_the_encoder() {
        let rgb: Vec<u8> = [0u8, 0, 0, 255, 255, 255].repeat(2);
        let bytes = crate::report::figure::encode_png(&rgb, 2, 2).unwrap();
        let img = decode_png(&bytes, Path::new("x.png")).unwrap();
        assert_eq!(img.pixels, vec![0, 255, 0, 255]);
    }
}
