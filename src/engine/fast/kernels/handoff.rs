//! The helper thread of the team (`fast/team.rs`) and the hand-over of one
//! job to it: a job borrows the caller's data, so its lifetime is erased
//! while the helper holds it — the one unsafe step of the team, kept here.
//!
//! ```text
//! caller                          helper (spins ~1 ms between jobs, then sleeps)
//! job ← b; posted += 1  ────────▶ sees posted, runs job
//! runs a                          finished += 1
//! waits for finished    ◀────────
//! ```

use std::cell::{Cell, UnsafeCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Condvar, Mutex};

/// Spins (of about 10–40 ns each) before the helper goes to sleep.
const SPINS: u32 = 100_000;

type Job = *mut (dyn FnMut() + Send);

thread_local! {
    static ON_HELPER: Cell<bool> = const { Cell::new(false) };
}

/// Whether the calling thread is the helper.
pub(crate) fn on_helper() -> bool {
    ON_HELPER.get()
}

/// The helper thread's side of the hand-over.
pub(crate) struct Helper {
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

impl Helper {
    /// A helper on a thread of its own, for the rest of the process; `None`
    /// where no thread can be started.
    pub(crate) fn start() -> Option<&'static Helper> {
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
                ON_HELPER.set(true);
                helper.run()
            })
            .ok()
            .map(|_| helper)
    }

    /// `a()` here and `b()` on the helper, returning when both are done; a
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

    /// The helper's loop: wait for a job (spinning, then asleep), run it,
    /// say it is finished.
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
