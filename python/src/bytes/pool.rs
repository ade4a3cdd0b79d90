//! Buffers for the bytes of large arrays, kept from one call to the next.
//!
//! ```text
//! accuracy(x_train, t_train)   60,000 × 784 bytes: new memory every call  → 11,500 page faults
//!                              a buffer given back by the last call       → none
//! ```
//!
//! A buffer of [`MIN`] bytes or more is fresh memory from the system each
//! time it is allocated: every page is faulted in and zeroed when first
//! written, which costs as long as the conversion itself. The book's
//! script converts the same two splits every epoch; [`give`] keeps the
//! last [`KEEP`] buffers and [`take`] hands one back, of the same length
//! when it has one (nothing to clear). Smaller buffers come from the
//! allocator's free lists quickly and are not kept.

use std::sync::Mutex;

/// Bytes from which a buffer is kept.
pub const MIN: usize = 1 << 20;

/// Buffers kept: the book's script evaluates two splits, train and test.
const KEEP: usize = 2;

/// Kept buffers, the most recently given first.
pub struct Pool(Mutex<Vec<Vec<u8>>>);

/// The one the conversions use.
static POOL: Pool = Pool::new();

/// A buffer of `len` bytes, whose contents are not specified: one kept
/// (one of exactly `len` bytes first) or new zeros.
///
/// ```text
/// take(n) after give(v) with v.len() == n  →  v
/// ```
pub fn take(len: usize) -> Vec<u8> {
    POOL.take(len)
}

/// Keeps `buffer` for a later [`take`] when it is large (the oldest of
/// more than [`KEEP`] is freed).
pub fn give(buffer: Vec<u8>) {
    POOL.give(buffer)
}

impl Pool {
    const fn new() -> Pool {
        Pool(Mutex::new(Vec::new()))
    }

    fn take(&self, len: usize) -> Vec<u8> {
        if len < MIN {
            return vec![0; len];
        }
        let mut pool = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let at = pool
            .iter()
            .position(|b| b.len() == len)
            .or_else(|| pool.iter().position(|b| b.capacity() >= len));
        match at {
            Some(at) => {
                let mut buffer = pool.remove(at);
                drop(pool);
                buffer.resize(len, 0);
                buffer
            }
            None => vec![0; len],
        }
    }

    fn give(&self, buffer: Vec<u8>) {
        if buffer.len() >= MIN {
            let mut pool = self.0.lock().unwrap_or_else(|p| p.into_inner());
            pool.insert(0, buffer);
            pool.truncate(KEEP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_and_small_ones_are_not_kept() {
        let pool = Pool::new();
        let buffer = vec![7u8; MIN + 3];
        let at = buffer.as_ptr();
        pool.give(buffer);
        pool.give(vec![1u8; MIN]);
        let again = pool.take(MIN + 3);
        assert_eq!(
            (again.as_ptr(), again.len()),
            (at, MIN + 3),
            "the same memory"
        );
        pool.give(again);
        pool.give(vec![2u8; MIN]);
        pool.give(vec![3u8; MIN]);
        let kept: Vec<*const u8> = pool.0.lock().unwrap().iter().map(|b| b.as_ptr()).collect();
        assert_eq!(kept.len(), KEEP);
        assert!(!kept.contains(&at), "the oldest of three is freed");
        pool.give(vec![1u8; 10]);
        assert_eq!(pool.take(10), vec![0u8; 10], "small buffers are new zeros");
    }
}
