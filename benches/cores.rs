//! How far apart two cores are: one cache line handed back and forth
//! between a thread on each, timed one way.
//!
//! `cargo bench --bench cores [-- CPU CPU]` (default: the first two
//! processors this process may run on).
//!
//! Within one L3 cache a hand-over takes some 25–40 ns on one CCX of an
//! AMD processor, 55–70 ns across the mesh of a large Intel Xeon; between
//! two L3 caches (two CCDs of an AMD processor, two sockets) 150–200 ns.
//! The verdict it prints draws the line at 110 ns, between the two
//! (measured: a Zen 4 26–39 ns and 160–174 ns, a Xeon 57–66 ns). The fast
//! engine's two threads hand each other a few thousand cache lines per
//! iteration (the batch, δ, each one's half of ∂L/∂W1), so cores far apart
//! make an iteration slower, and a virtual machine may be moved between the
//! two cases while it runs: docs/PERFORMANCE.md, "Two cores, one L3 or
//! two". On a busy machine a thread may wait for its processor and the
//! figure reads high (hundreds of ns): take it on an idle one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// One way, in ns, below which two cores share an L3 cache (see above).
const ONE_L3_BELOW: f64 = 110.0;

/// Round trips per measurement.
const TRIPS: u64 = 20_000;

/// The processors this process may run on (Linux), else `None`.
#[cfg(target_os = "linux")]
fn allowed() -> Option<Vec<usize>> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, and
    // sched_getaffinity writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) != 0 {
            return None;
        }
        Some(
            (0..libc::CPU_SETSIZE as usize)
                .filter(|&c| libc::CPU_ISSET(c, &set))
                .collect(),
        )
    }
}

#[cfg(not(target_os = "linux"))]
fn allowed() -> Option<Vec<usize>> {
    None
}

/// Keeps the calling thread on processor `cpu` (Linux); elsewhere it
/// stays where the system puts it.
fn pin(cpu: usize) {
    #[cfg(target_os = "linux")]
    // SAFETY: as in `allowed`; the set names one processor.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpu;
}

/// Nanoseconds for one hand-over of a cache line from a thread on `a` to
/// one on `b`: half a round trip, median of 9 measurements.
fn one_way(a: usize, b: usize) -> f64 {
    let line = AtomicU64::new(0);
    let mut times: Vec<f64> = std::thread::scope(|s| {
        s.spawn(|| {
            pin(b);
            for i in 0..9 * (TRIPS + 1) {
                while line.load(Ordering::Acquire) != 2 * i + 1 {
                    std::hint::spin_loop();
                }
                line.store(2 * i + 2, Ordering::Release);
            }
        });
        pin(a);
        (0..9)
            .map(|m| {
                let start = Instant::now();
                for j in 0..=TRIPS {
                    let i = m * (TRIPS + 1) + j;
                    line.store(2 * i + 1, Ordering::Release);
                    while line.load(Ordering::Acquire) != 2 * i + 2 {
                        std::hint::spin_loop();
                    }
                }
                start.elapsed().as_secs_f64() * 1e9 / (2 * (TRIPS + 1)) as f64
            })
            .collect()
    });
    times.sort_by(f64::total_cmp);
    times[4]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .map(|a| {
            a.parse().unwrap_or_else(|_| {
                eprintln!("cores: {a}: give two processor numbers, e.g. 0 1");
                std::process::exit(2)
            })
        })
        .collect();
    let cpus = allowed();
    let pair = match (args.as_slice(), cpus.as_deref()) {
        ([a, b], Some(cpus)) if !cpus.contains(a) || !cpus.contains(b) => {
            eprintln!("cores: this process may run on processors {cpus:?} only; give two of them");
            std::process::exit(2)
        }
        ([a, b], _) => (*a, *b),
        ([], Some(cpus)) if cpus.len() >= 2 => (cpus[0], cpus[1]),
        ([], Some(_)) => {
            println!("one processor: no second core to measure");
            return;
        }
        ([], None) => (0, 1),
        _ => {
            eprintln!("cores: give two processor numbers, e.g. 0 1, or none");
            std::process::exit(2)
        }
    };
    let ns = one_way(pair.0, pair.1);
    let verdict = if ns < ONE_L3_BELOW {
        "one L3 cache"
    } else {
        "two L3 caches"
    };
    println!(
        "cores {} and {}: {ns:.0} ns one way ({verdict})",
        pair.0, pair.1
    );
}
