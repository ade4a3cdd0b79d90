//! The helper thread of the team (`fast/team.rs`) and the hand-over of one
//! job to it: a job borrows the caller's data, so its lifetime is erased
//! while the helper holds it — the one unsafe step of the team, kept here.
//!
//! ```text
//! caller                              helper (spins, then yields, then sleeps)
//! job ← b; posted += 1  ────────────▶ sees posted; claims the job, runs it
//! runs a                              finished += 1
//! claims b itself if still unclaimed,
//! else waits for finished  ◀─────────
//! ```
//!
//! On a busy machine the helper may not be running when a job is posted:
//! the caller then does not wait for it, but claims the job back once its
//! own task is done and runs it itself, so a section never takes longer
//! than doing both halves in turn. Either way each half is computed the
//! same way, so results do not depend on which thread ran it. Waiting
//! threads spin only briefly before they yield the processor, so that on
//! an oversubscribed machine they give way to the thread they wait for.

use std::cell::{Cell, UnsafeCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Condvar, Mutex};

/// Spins (of about 10–40 ns each) before a waiting thread starts yielding
/// the processor instead.
const SPINS: u32 = 2_000;
/// Yields (about a microsecond each on an idle core) before the helper
/// goes to sleep: about a millisecond without work.
const YIELDS: u32 = 1_000;

type Job = *mut (dyn FnMut() + Send);

thread_local! {
    static IN_JOB: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is running a handed-over job: always on the
/// helper, and on the caller while it runs a job it took back.
pub(crate) fn in_job() -> bool {
    IN_JOB.get()
}

/// The helper thread's side of the hand-over.
pub(crate) struct Helper {
    /// Jobs handed over so far; the helper runs job number `posted`.
    posted: AtomicU64,
    /// Jobs claimed so far, by the helper or taken back by the caller;
    /// whoever moves it from n − 1 to n runs job n.
    claimed: AtomicU64,
    /// The last job the helper has finished.
    finished: AtomicU64,
    /// The job: written before `posted` moves, read by the helper after.
    job: UnsafeCell<Option<Job>>,
    /// The job panicked.
    panicked: AtomicBool,
    /// The helper is asleep, or about to be (it checks `posted` once more).
    sleeping: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    /// One caller at a time.
    caller: Mutex<()>,
}

// SAFETY: `job` is written only by the caller holding `caller`, before it
// publishes `posted` (SeqCst), and read by whoever claims the job: by the
// helper after it sees `posted` and wins `claimed` (AcqRel), before it
// publishes `finished`; the caller does not touch it again until it has
// seen `finished` (Acquire) or has won `claimed` itself.
unsafe impl Sync for Helper {}

impl Helper {
    /// A helper on a thread of its own, for the rest of the process; `None`
    /// where no thread can be started.
    pub(crate) fn start() -> Option<&'static Helper> {
        let helper: &'static Helper = Box::leak(Box::new(Helper::new()));
        std::thread::Builder::new()
            .name("manabi-helper".into())
            .spawn(move || {
                IN_JOB.set(true);
                helper.run()
            })
            .ok()
            .map(|_| helper)
    }

    /// The shared state, with no thread running it yet.
    fn new() -> Helper {
        Helper {
            posted: AtomicU64::new(0),
            claimed: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            job: UnsafeCell::new(None),
            panicked: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            caller: Mutex::new(()),
        }
    }

    /// `a()` here and `b()` on the helper — or here, after `a()`, if the
    /// helper has not begun it by then — returning when both are done; a
    /// panic in either is raised here once both have stopped.
    pub(crate) fn join<A: FnOnce(), B: FnOnce() + Send>(&self, a: A, b: B) {
        let _one_caller = self.caller.lock().unwrap_or_else(|e| e.into_inner());
        let mut b = Some(b);
        let mut job = || {
            if let Some(b) = b.take() {
                b()
            }
        };
        let job: &mut (dyn FnMut() + Send + '_) = &mut job;
        // SAFETY: the pointer outlives its use: this function does not
        // return (nor unwind) before the helper has finished with it.
        let job: Job = unsafe { std::mem::transmute(job) };
        // SAFETY: see `impl Sync for Helper`.
        unsafe { *self.job.get() = Some(job) };
        let number = self.posted.fetch_add(1, SeqCst) + 1;
        if self.sleeping.load(SeqCst) {
            let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
            self.wake.notify_one();
        }
        let mine = catch_unwind(AssertUnwindSafe(a));
        let taken_back = self
            .claimed
            .compare_exchange(number - 1, number, AcqRel, Acquire)
            .is_ok();
        let theirs = if taken_back {
            // SAFETY: see `impl Sync for Helper`: the helper lost the claim
            // and will not touch this job.
            let job = unsafe { (*self.job.get()).take() };
            job.map(|job| {
                IN_JOB.set(true);
                // SAFETY: the job is `job` above, alive until this returns.
                let run = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() }));
                IN_JOB.set(false);
                run
            })
        } else {
            wait_until(|| self.finished.load(Acquire) == number);
            None
        };
        if let Err(panic) = mine {
            resume_unwind(panic);
        }
        if let Some(Err(panic)) = theirs {
            resume_unwind(panic);
        }
        if self.panicked.swap(false, AcqRel) {
            panic!("a parallel task panicked");
        }
    }

    /// The helper's loop: wait for a job (spinning, yielding, then asleep),
    /// claim it unless the caller took it back, run it, say it is finished.
    fn run(&self) {
        let mut done = 0;
        loop {
            let mut waits = 0;
            while self.posted.load(Acquire) == done {
                if waits < SPINS + YIELDS {
                    pause(waits);
                    waits += 1;
                    continue;
                }
                let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                self.sleeping.store(true, SeqCst);
                while self.posted.load(SeqCst) == done {
                    guard = self.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
                self.sleeping.store(false, SeqCst);
            }
            done += 1;
            if self
                .claimed
                .compare_exchange(done - 1, done, AcqRel, Acquire)
                .is_err()
            {
                // The caller took this job back and ran it.
                continue;
            }
            // SAFETY: see `impl Sync for Helper`; the caller keeps the job
            // alive until `finished` says it is done.
            let job = unsafe { (*self.job.get()).take() };
            if let Some(job) = job {
                // SAFETY: as above.
                let run = catch_unwind(AssertUnwindSafe(|| unsafe { (*job)() }));
                if run.is_err() {
                    self.panicked.store(true, Release);
                }
            }
            self.finished.store(done, Release);
        }
    }
}

/// The `n`-th wait of a loop: a spin, or past [`SPINS`] a yield of the
/// processor to any other thread ready to run.
fn pause(n: u32) {
    if n < SPINS {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// Returns once `done()` holds, spinning, then yielding.
fn wait_until(done: impl Fn() -> bool) {
    let mut n = 0;
    while !done() {
        pause(n);
        n = n.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::catch_unwind;

    /// A helper whose thread never runs: every job is taken back.
    #[test]
    fn a_job_the_helper_never_begins_is_run_by_the_caller() {
        let helper = Helper::new();
        let mut total = 0u64;
        for i in 0..1_000u64 {
            let (mut a, mut b, mut nested) = (0, 0, false);
            helper.join(|| a = i, || (b, nested) = (2 * i, in_job()));
            assert!(nested, "the caller marks a taken-back job as one");
            total += a + b;
        }
        assert_eq!(total, 3 * (0..1_000u64).sum::<u64>());
        assert!(!in_job());
        assert_eq!(helper.finished.load(SeqCst), 0);
        assert_eq!(helper.claimed.load(SeqCst), 1_000);
    }

    #[test]
    fn a_panic_in_a_taken_back_job_reaches_the_caller() {
        let helper = Helper::new();
        let r = catch_unwind(AssertUnwindSafe(|| helper.join(|| {}, || panic!("b"))));
        assert!(r.is_err());
        assert!(!in_job());
        let mut b = 0;
        helper.join(|| {}, || b = 7);
        assert_eq!(b, 7);
    }

    /// With a thread, jobs go to whichever side claims them first, and
    /// every one runs exactly once.
    #[test]
    fn jobs_run_once_whoever_claims_them() {
        let helper = Helper::start().expect("a thread");
        let runs = AtomicU64::new(0);
        for i in 0..20_000u32 {
            helper.join(
                || {
                    if i % 7 == 0 {
                        std::thread::yield_now();
                    }
                },
                || {
                    runs.fetch_add(1, SeqCst);
                },
            );
        }
        assert_eq!(runs.load(SeqCst), 20_000);
    }
}
