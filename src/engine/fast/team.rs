//! Two threads for the short parallel sections of an iteration.
//!
//! ```text
//! join(a, b):  a() on this thread  ‖  b() on the helper   (or a(); b() with one thread)
//! ```
//!
//! An iteration of the seed workload takes a few hundred microseconds, in
//! five parallel sections (copying the batch, the forward pass, ∂L/∂W1,
//! the update, the loss's forward pass) of a few tens of microseconds each,
//! with short serial steps between them. A thread pool whose idle workers
//! go to sleep spends about as long waking one as a section takes. [`join`]
//! hands its second task to a helper thread that waits *spinning* between
//! sections, and sleeps only after a millisecond or so without work
//! (between evaluations, at the end), so it starts within a fraction of a
//! microsecond (the hand-over itself is in `kernels/handoff.rs`).
//!
//! With one thread (`RAYON_NUM_THREADS=1`, a one-core machine, or a target
//! without threads) there is no helper and `join` runs both tasks in turn:
//! the split of the work never depends on the number of threads, and
//! neither does any result.

use std::sync::OnceLock;

use super::kernels::handoff::{self, Helper};

/// `a()` on this thread and `b()` on the helper, returning when both are
/// done; a panic in either is raised here once both have stopped.
pub(crate) fn join<A: FnOnce(), B: FnOnce() + Send>(a: A, b: B) {
    match helper() {
        // A join inside a helper's task runs in turn, as with one thread.
        Some(helper) if !handoff::on_helper() => helper.join(a, b),
        _ => {
            a();
            b();
        }
    }
}

/// The helper, started on first use, if there is more than one thread.
fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<&'static Helper>> = OnceLock::new();
    *HELPER.get_or_init(|| {
        if rayon::current_num_threads() < 2 {
            return None;
        }
        Helper::start()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::catch_unwind;

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

    #[test]
    fn a_join_inside_a_task_runs_in_turn() {
        let (mut a, mut b, mut c) = (0, 0, 0);
        join(|| a = 1, || join(|| b = 2, || c = 3));
        assert_eq!((a, b, c), (1, 2, 3));
    }
}
