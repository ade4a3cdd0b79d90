//! Two threads for the short parallel sections of an iteration.
//!
//! An iteration of the seed workload takes a few hundred microseconds, in
//! five parallel sections (copying the batch, the forward pass, ∂L/∂W1,
//! the update, the loss's forward pass) of a few tens of microseconds each,
//! with short serial steps between them. A thread pool whose idle workers go to sleep spends about
//! as long waking one as a section takes. [`join`] hands its second task to
//! a helper thread that waits *spinning* between sections, and sleeps only
//! after a millisecond or so without work (between evaluations, at the
//! end), so it starts within a fraction of a microsecond.
//!
//! With one thread (`RAYON_NUM_THREADS=1`, or a one-core machine) there is
//! no helper and `join` runs both tasks in turn: the split of the work never
//! depends on the number of threads, and neither does any result.
//!
//! ```
//! let (mut a, mut b) = (0, 0);
//! manabi::engine::fast::team::join(|| a = 1 + 1, || b = 2 + 2);
//! assert_eq!((a, b), (2, 4));
//! ```

use std::cell::UnsafeCell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Condvar, Mutex, OnceLock};

/// Spins (of about 10–40 ns each) before the helper goes to sleep.
const SPINS: u32 = 100_000;

/// `a()` on this thread and `b()` on the helper, returning when both are
/// done; a panic in either is raised here once both have stopped.
pub fn join<A: FnOnce(), B: FnOnce() + Send>(a: A, b: B) {
    match helper() {
        // A join inside a helper's task runs in turn, as with one thread.
        Some(helper) if !IS_HELPER.get() => helper.join(a, b),
        _ => {
            a();
            b();
        }
    }
}

type Job = *mut (dyn FnMut() + Send);

thread_local! {
    static IS_HELPER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The helper thread's side of the hand-over.
struct Helper {
    /// Jobs handed over so far; the helper runs job number `posted`.
    posted: AtomicU64,
    /// Jobs the helper has finished.
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
// publishes `posted` (Release), and read only by the helper after it sees
// `posted` (Acquire) and before it publishes `finished`; the caller does
// not touch it again until it has seen `finished` (Acquire).
unsafe impl Sync for Helper {}

/// The helper, started on first use, if there is more than one thread.
fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();
    *HELPER.get_or_init(|| {
        if rayon::current_num_threads() < 2 {
            return None;
        }
        let helper: &'static Helper = Box::leak(Box::new(Helper {
            posted: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            job: UnsafeCell::new(None),
            panicked: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            caller: Mutex::new(()),
        }));
        std::thread::Builder::new()
            .name("manabi-helper".into())
            .spawn(move || {
                IS_HELPER.set(true);
                helper.run()
            })
            .ok()
            .map(|_| helper)
    })
}

impl Helper {
    fn join<A: FnOnce(), B: FnOnce() + Send>(&self, a: A, b: B) {
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
        while self.finished.load(Acquire) != number {
            std::hint::spin_loop();
        }
        if let Err(panic) = mine {
            resume_unwind(panic);
        }
        if self.panicked.swap(false, AcqRel) {
            panic!("a parallel task panicked");
        }
    }

    fn run(&self) {
        let mut done = 0;
        loop {
            let mut spins = 0;
            while self.posted.load(Acquire) == done {
                if spins < SPINS {
                    spins += 1;
                    std::hint::spin_loop();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tasks_run_every_time() {
        let mut total = 0u64;
        for i in 0..10_000u64 {
            let (mut a, mut b) = (0, 0);
            join(|| a = i, || b = 2 * i);
            total += a + b;
        }
        assert_eq!(total, 3 * (0..10_000u64).sum::<u64>());
    }

    #[test]
    fn a_panic_in_either_task_reaches_the_caller() {
        let r = catch_unwind(|| join(|| {}, || panic!("b")));
        assert!(r.is_err());
        let r = catch_unwind(|| join(|| panic!("a"), || {}));
        assert!(r.is_err());
        // And the helper still works afterwards.
        let mut b = 0;
        join(|| {}, || b = 7);
        assert_eq!(b, 7);
    }
}
