//! Reading IDX files, the format MNIST ships in, raw or gzip-compressed.
//!
//! An IDX file is a big-endian header followed by the data, row-major:
//!
//! | bytes | images (`*-images-idx3-ubyte`) | labels (`*-labels-idx1-ubyte`) |
//! | --- | --- | --- |
//! | 0–3 | magic `0x00000803` | magic `0x00000801` |
//! | 4–7 | count | count |
//! | 8–11 | rows | – |
//! | 12–15 | cols | – |
//! | rest | `count·rows·cols` pixels, u8 | `count` labels, u8 (0–9) |
//!
//! The magic spells out the layout: two zero bytes, the element type
//! (`0x08` = unsigned byte), and the number of dimensions.
//!
//! Gzip is recognised by its first two bytes (`1f 8b`), not by the file name,
//! so `train-images-idx3-ubyte.gz` that someone already unpacked still reads.
//! The header is never trusted for an allocation: a damaged count of four
//! billion images would otherwise ask for terabytes. Buffers grow only as
//! bytes actually arrive, and the data must then match the header exactly.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::error::{DataError, FileKind};

/// The first two bytes of every gzip stream.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Deflate cannot expand data by more than about 1032:1, so a gzip stream of
/// `n` bytes holds at most this many times `n` bytes of content. It bounds
/// the buffer reserved up front, whatever the header claims.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// The largest label an MNIST-layout file may hold (ten classes, 0–9).
pub const MAX_LABEL: u8 = 9;

/// The images of one IDX file: `count` images of `rows × cols` pixels.
///
/// `pixels` holds them one after another, each row by row, as the file does:
/// pixel `(r, c)` of image `i` is `pixels[(i·rows + r)·cols + c]`. 0 is
/// background, 255 full ink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub count: usize,
    /// Rows of one image (28 for MNIST).
    pub rows: usize,
    /// Columns of one image (28 for MNIST).
    pub cols: usize,
    /// `count · rows · cols` pixel values.
    pub pixels: Vec<u8>,
}

/// Reads an IDX images file (magic `0x00000803`), raw or gzip.
///
/// Errors name `path`: [`DataError::Io`] when it cannot be read,
/// [`DataError::BadMagic`], [`DataError::BadDims`], [`DataError::Truncated`],
/// [`DataError::TrailingBytes`] or [`DataError::Gzip`] when its content is
/// not a well-formed images file.
pub fn read_images(path: impl AsRef<Path>) -> Result<Images, DataError> {
    let path = path.as_ref();
    let (dims, pixels) = read_file(path, FileKind::Images)?;
    Ok(images_from(&dims, pixels))
}

/// Reads an IDX labels file (magic `0x00000801`), raw or gzip, and checks
/// that every label is a digit 0–9.
///
/// Errors are those of [`read_images`], plus [`DataError::LabelOutOfRange`].
pub fn read_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    let path = path.as_ref();
    let (_, labels) = read_file(path, FileKind::Labels)?;
    check_labels(&labels, path)?;
    Ok(labels)
}

/// Parses the bytes of an IDX images file held in memory, raw or gzip.
///
/// `name` stands for the file in error messages.
///
/// ```
/// use manabi::data::idx;
/// // Two 1×2 images: magic, count = 2, rows = 1, cols = 2, then the pixels.
/// let bytes = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 7, 9];
/// let images = idx::parse_images(&bytes, "tiny")?;
/// assert_eq!((images.count, images.rows, images.cols), (2, 1, 2));
/// assert_eq!(images.pixels, [0, 255, 7, 9]);
/// # Ok::<(), manabi::data::DataError>(())
/// ```
pub fn parse_images(bytes: &[u8], name: impl AsRef<Path>) -> Result<Images, DataError> {
    let (dims, pixels) = parse_bytes(bytes, name.as_ref(), FileKind::Images)?;
    Ok(images_from(&dims, pixels))
}

/// Parses the bytes of an IDX labels file held in memory, raw or gzip, and
/// checks that every label is a digit 0–9.
///
/// ```
/// use manabi::data::idx;
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 3, 5, 0, 4];
/// assert_eq!(idx::parse_labels(&bytes, "tiny")?, [5, 0, 4]);
/// # Ok::<(), manabi::data::DataError>(())
/// ```
pub fn parse_labels(bytes: &[u8], name: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    let name = name.as_ref();
    let (_, labels) = parse_bytes(bytes, name, FileKind::Labels)?;
    check_labels(&labels, name)?;
    Ok(labels)
}

/// The IDX header of `count · rows · cols` images, as it opens an images
/// file; part of the content a data set's checksum covers.
pub(crate) fn images_header(count: usize, rows: usize, cols: usize) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..4].copy_from_slice(&FileKind::Images.magic().to_be_bytes());
    for (slot, d) in h[4..].chunks_exact_mut(4).zip([count, rows, cols]) {
        slot.copy_from_slice(&dim_u32(d).to_be_bytes());
    }
    h
}

/// The IDX header of `count` labels, as it opens a labels file.
pub(crate) fn labels_header(count: usize) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[..4].copy_from_slice(&FileKind::Labels.magic().to_be_bytes());
    h[4..].copy_from_slice(&dim_u32(count).to_be_bytes());
    h
}

fn dim_u32(d: usize) -> u32 {
    // `Split::new` refuses sizes an IDX header cannot describe.
    u32::try_from(d).unwrap_or(u32::MAX)
}

fn images_from(dims: &[usize], pixels: Vec<u8>) -> Images {
    Images {
        count: dims[0],
        rows: dims[1],
        cols: dims[2],
        pixels,
    }
}

fn check_labels(labels: &[u8], path: &Path) -> Result<(), DataError> {
    match labels.iter().position(|&l| l > MAX_LABEL) {
        Some(index) => Err(DataError::LabelOutOfRange {
            path: path.to_path_buf(),
            index,
            label: labels[index],
        }),
        None => Ok(()),
    }
}

/// Opens `path` and decodes it. Gzip streams through the inflater (its size
/// on disk, unlike a header, is real and bounds the content); raw files are
/// checked against their length before the data is read.
fn read_file(path: &Path, kind: FileKind) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let io_err = |error| DataError::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut file = File::open(path).map_err(io_err)?;
    let file_len = file.metadata().map_err(io_err)?.len();

    let mut start = [0u8; 2];
    let n = read_full(&mut file, &mut start).map_err(io_err)?;
    let reader = io::Cursor::new(start).take(n as u64).chain(file);
    if start[..n] == GZIP_MAGIC {
        let compressed = BufReader::with_capacity(1 << 16, FileReader(reader));
        // A failing disk is not a corrupt download: tell them apart.
        let gzip_err = |error: io::Error| {
            if error.get_ref().is_some_and(|e| e.is::<FileError>()) {
                let kind = error.kind();
                let marked = error
                    .into_inner()
                    .and_then(|e| e.downcast::<FileError>().ok());
                io_err(marked.map_or_else(|| kind.into(), |m| m.0))
            } else {
                DataError::Gzip {
                    path: path.to_path_buf(),
                    error,
                }
            }
        };
        decode_gzip(compressed, file_len, path, kind, gzip_err)
    } else {
        decode(reader, Some(file_len), file_len, path, kind, io_err)
    }
}

/// A file whose read errors are marked, so that they can still be told
/// apart once they come out of the gzip decoder.
struct FileReader<R>(R);

#[derive(Debug)]
struct FileError(io::Error);

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for FileError {}

impl<R: Read> Read for FileReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0
            .read(buf)
            .map_err(|e| io::Error::new(e.kind(), FileError(e)))
    }
}

fn parse_bytes(
    bytes: &[u8],
    name: &Path,
    kind: FileKind,
) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    if bytes.starts_with(&GZIP_MAGIC) {
        decode_gzip(bytes, bytes.len() as u64, name, kind, |error| {
            DataError::Gzip {
                path: name.to_path_buf(),
                error,
            }
        })
    } else {
        let len = bytes.len() as u64;
        decode(bytes, Some(len), len, name, kind, |error| DataError::Io {
            path: name.to_path_buf(),
            error,
        })
    }
}

fn decode_gzip<R: BufRead>(
    compressed: R,
    compressed_len: u64,
    path: &Path,
    kind: FileKind,
    read_err: impl Fn(io::Error) -> DataError,
) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    // Multi-member, so a concatenation of gzip streams reads whole and
    // anything after the last stream is an error rather than ignored.
    let reader = MultiGzDecoder::new(compressed);
    let bound = compressed_len.saturating_mul(MAX_DEFLATE_RATIO);
    decode(reader, None, bound, path, kind, read_err)
}

/// Reads header and data from `r`.
///
/// `exact_len` is the content length when it is known before reading (a raw
/// file), so a wrong size is reported without reading the data; `bound` caps
/// the buffer reserved up front. Errors from `r` go through `read_err`.
fn decode<R: Read>(
    mut r: R,
    exact_len: Option<u64>,
    bound: u64,
    path: &Path,
    kind: FileKind,
    read_err: impl Fn(io::Error) -> DataError,
) -> Result<(Vec<usize>, Vec<u8>), DataError> {
    let path_buf = || path.to_path_buf();
    let header_len = 4 + 4 * kind.ndims();
    let mut header = [0u8; 16];
    let header = &mut header[..header_len];

    let got = read_full(&mut r, &mut header[..4]).map_err(&read_err)?;
    if got < 4 {
        return Err(DataError::Truncated {
            path: path_buf(),
            expected: header_len as u64,
            got: got as u64,
        });
    }
    let found = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
    if found != kind.magic() {
        return Err(DataError::BadMagic {
            path: path_buf(),
            kind,
            found,
            expected: kind.magic(),
        });
    }
    let got = 4 + read_full(&mut r, &mut header[4..]).map_err(&read_err)?;
    if got < header_len {
        return Err(DataError::Truncated {
            path: path_buf(),
            expected: header_len as u64,
            got: got as u64,
        });
    }

    let dims: Vec<u64> = header[4..]
        .chunks_exact(4)
        .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        .collect();
    let bad_dims = |reason| DataError::BadDims {
        path: path_buf(),
        dims: dims.clone(),
        reason,
    };
    if dims.contains(&0) {
        return Err(bad_dims("a dimension is zero"));
    }
    // Three u32 factors fit in u128; the product must also fit in memory
    // addresses before it can be compared with what the file holds.
    let data_len = dims.iter().fold(1u128, |acc, &d| acc * u128::from(d));
    let Ok(data_len) = u64::try_from(data_len) else {
        return Err(bad_dims("more data than any file can hold"));
    };
    let expected = header_len as u64 + data_len;
    let too_large = || bad_dims("more data than this machine can address");

    if let Some(len) = exact_len {
        if len < expected {
            return Err(DataError::Truncated {
                path: path_buf(),
                expected,
                got: len,
            });
        }
        if len > expected {
            return Err(DataError::TrailingBytes {
                path: path_buf(),
                expected,
                extra: len - expected,
            });
        }
    }

    let reserve = data_len.min(bound);
    let mut data = Vec::with_capacity(usize::try_from(reserve).map_err(|_| too_large())?);
    // The images are read in random order, a batch at a time.
    super::huge_pages::advise(&mut data);
    // One byte past the declared size tells trailing data from an exact fit
    // without reading an unbounded tail.
    r.by_ref()
        .take(data_len.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(&read_err)?;
    let got = data.len() as u64;
    if got < data_len {
        return Err(DataError::Truncated {
            path: path_buf(),
            expected,
            got: header_len as u64 + got,
        });
    }
    if got > data_len {
        // The tail is counted, not stored; a corrupt tail is a corrupt file.
        let rest = io::copy(&mut r, &mut io::sink()).map_err(&read_err)?;
        return Err(DataError::TrailingBytes {
            path: path_buf(),
            expected,
            extra: 1 + rest,
        });
    }

    let dims = dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| too_large()))
        .collect::<Result<Vec<usize>, _>>()?;
    Ok((dims, data))
}

/// Fills `buf` as far as the reader allows; returns how many bytes arrived.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
