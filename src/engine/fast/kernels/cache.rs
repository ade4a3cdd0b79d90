//! The size of the processor's L1 data cache, which x·W1's blocks of
//! pixels are sized for ([`super::panel::Panels::block_bytes`]).
//!
//! ```text
//! AMD:    CPUID 0x8000_0005:  ECX[31:24] = L1d KiB
//! Intel:  CPUID 4, the sub-leaf of type 1 (data) at level 1:
//!         L1d bytes = ways · partitions · line · sets   (each field + 1)
//! ```
//!
//! Asked once per process. Processors that answer neither (and targets
//! other than x86-64: aarch64, wasm32) give `None`, and the blocks keep
//! their size for a 48 KiB L1.

use std::sync::OnceLock;

/// Bytes of L1 data cache of the core running this, if the processor says.
pub(crate) fn l1_data_bytes() -> Option<usize> {
    static L1: OnceLock<Option<usize>> = OnceLock::new();
    *L1.get_or_init(detect)
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Option<usize> {
    use std::arch::x86_64::{__cpuid, __cpuid_count};
    // AMD's leaf (Intel leaves it zero), then Intel's deterministic cache
    // parameters (which AMD leaves zero or omits).
    let extended = __cpuid(0x8000_0000).eax;
    if extended >= 0x8000_0005 {
        let kib = __cpuid(0x8000_0005).ecx >> 24;
        if kib > 0 {
            return Some(kib as usize * 1024);
        }
    }
    if __cpuid(0).eax >= 4 {
        for sub in 0..16 {
            let r = __cpuid_count(4, sub);
            let (kind, level) = (r.eax & 0x1f, (r.eax >> 5) & 0x7);
            if kind == 0 {
                break;
            }
            if kind == 1 && level == 1 {
                let ways = ((r.ebx >> 22) & 0x3ff) as usize + 1;
                let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
                let line = (r.ebx & 0xfff) as usize + 1;
                let sets = r.ecx as usize + 1;
                return Some(ways * partitions * line * sets);
            }
        }
    }
    None
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Option<usize> {
    None
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// Where Linux also says (sysfs), CPUID's answer is the same; every
    /// x86-64 processor the suite runs on answers one of the two leaves.
    #[test]
    fn l1_data_cache_as_linux_reports_it() {
        let l1 = l1_data_bytes().expect("this x86-64 processor names its L1 data cache");
        assert!((8 * 1024..=1024 * 1024).contains(&l1), "{l1} bytes");
        let dir = std::path::Path::new("/sys/devices/system/cpu/cpu0/cache");
        for index in 0..8 {
            let read = |f: &str| std::fs::read_to_string(dir.join(format!("index{index}/{f}")));
            let (Ok(level), Ok(kind), Ok(size)) = (read("level"), read("type"), read("size"))
            else {
                continue;
            };
            if level.trim() == "1" && kind.trim() == "Data" {
                let kib: usize = size
                    .trim()
                    .trim_end_matches('K')
                    .parse()
                    .expect("size in K");
                assert_eq!(l1, kib * 1024, "CPUID against {}", dir.display());
            }
        }
    }
}
