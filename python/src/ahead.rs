//! The book's update, taken ahead.
//!
//! ```text
//! W ← W − η·∂L/∂W     as NumPy computes it:  W = fl(W − fl(η·g)), number by number
//! ```
//!
//! The book's loop, every iteration:
//!
//! ```python
//! grad = network.gradient(x_batch, t_batch)
//! for key in ('W1', 'b1', 'W2', 'b2'):
//!     network.params[key] -= learning_rate * grad[key]
//! loss = network.loss(x_batch, t_batch)
//! ```
//!
//! The update is NumPy's, so `loss` is handed parameters the engine has
//! never seen: compared, copied in, copied again into the helper thread's
//! copy, then the forward pass. The command-line loop instead moves each
//! thread's copy in place and computes the loss in the same pass
//! ([`Engine::update_and_loss`]).
//!
//! So once the binding has seen an update that is exactly `W − fl(η·g)`
//! for one η, every number of W1, b1, W2 and b2 bit for bit ([`infer`]),
//! it takes that step itself at the end of each `gradient`, with the loss
//! of the new parameters on the batch. What Python hands over next is
//! compared with the engine's parameters as always (every call does): when
//! equal bit for bit, the step was the caller's own and `loss` answers at
//! once with the loss computed ahead; when anything differs, the engine
//! takes in the caller's numbers as before (the answers are the same
//! either way), the step ahead was wasted, and η is forgotten. After a
//! miss, or an update that is no `W − fl(η·g)` (momentum, say), the
//! binding waits twice as many gradients as the time before until it
//! watches an update again, so a loop of another shape pays almost
//! nothing for the watching.
//!
//! [`Engine::update_and_loss`]: manabi::engine::Engine::update_and_loss

use manabi::engine::Engine;

/// Longest wait, in gradients, before watching an update again.
const LONGEST_WAIT: u32 = 1 << 12;

/// What the binding knows of the caller's update.
#[derive(Debug, Default)]
pub struct Ahead {
    /// η of the caller's updates, once seen.
    lr: Option<f64>,
    /// The loss of the engine's parameters on the loaded batch, computed
    /// with the step ahead; `None` once either changed.
    loss: Option<f64>,
    /// Whether the engine's parameters were moved ahead, not yet compared
    /// with the caller's.
    stepped: bool,
    /// Whether the engine holds a gradient and the parameters it was taken
    /// at, so the next parameters handed over can show the update.
    watching: bool,
    /// η of the update seen while watching, until the parameters change.
    seen: Option<f64>,
    /// Gradients to let pass before watching again.
    wait: u32,
    /// The wait after the next miss.
    next_wait: u32,
}

impl Ahead {
    /// Before `engine` takes in the caller's parameters `values`: when
    /// watching, the η that moved the engine's to them, if any. Call
    /// [`Self::taken`] after they are taken in.
    pub fn before_taking(&mut self, engine: &dyn Engine, values: [&[f64]; 4]) {
        if self.watching {
            let (old, grads) = (engine.net().params, engine.grads());
            self.seen = infer(
                old.slices().map(|(_, v)| v),
                grads.slices().map(|(_, v)| v),
                values,
            );
        }
    }

    /// After the caller's parameters were taken in; `changed`: whether
    /// they differed from the engine's.
    pub fn taken(&mut self, changed: bool) {
        if changed {
            self.loss = None;
            if self.stepped {
                self.missed();
            }
            if std::mem::take(&mut self.watching) {
                match self.seen.take() {
                    Some(lr) => self.lr = Some(lr),
                    None => self.missed(),
                }
            }
        } else if self.stepped {
            // The step ahead was the caller's own.
            self.next_wait = 0;
        }
        // Unchanged while watching: the caller has not updated yet.
        self.stepped = false;
    }

    /// After `engine` computed a gradient by backpropagation on the loaded
    /// batch: the step ahead when η is known (with its loss), else watch
    /// for the caller's update. Returns whether the engine's parameters
    /// moved.
    pub fn after_gradient(&mut self, engine: &mut dyn Engine) -> bool {
        self.loss = None;
        if let Some(lr) = self.lr {
            self.loss = Some(engine.update_and_loss(lr));
            self.stepped = true;
            return true;
        }
        if self.wait > 0 {
            self.wait -= 1;
        } else {
            self.watching = true;
        }
        false
    }

    /// The loss computed ahead, when the engine's parameters and batch are
    /// still those it was computed on.
    pub fn loss(&self) -> Option<f64> {
        self.loss
    }

    /// Keeps `loss` as the loss of the engine's parameters on its batch.
    pub fn keep_loss(&mut self, loss: f64) {
        self.loss = Some(loss);
    }

    /// Another batch loaded: the loss computed ahead no longer holds.
    pub fn new_batch(&mut self) {
        self.loss = None;
    }

    /// The engine's gradient was computed otherwise: the
    /// loss computed ahead and the watched gradient no longer hold.
    pub fn forget(&mut self) {
        self.loss = None;
        self.watching = false;
        self.seen = None;
    }

    /// A step ahead or a watched update that was not the caller's: η
    /// forgotten, and a longer wait before watching again.
    fn missed(&mut self) {
        self.lr = None;
        self.wait = self.next_wait;
        self.next_wait = (self.next_wait * 2).clamp(1, LONGEST_WAIT);
    }
}

/// η for which `new = fl(old − fl(η·g))` holds bit for bit for every
/// number (NumPy's `params[key] -= η * grad[key]`); `None` when there is
/// none, or when nothing moved. η is estimated from the number that moved
/// most for its size, where the estimate is nearest, then sought among its
/// neighbours up to [`SEARCH`] units in the last place away: first those
/// that give that number, then of those the first that gives every number.
///
/// ```text
/// η ≈ (old − new) / g   at argmax |old − new| / max(|old|, |new|)
/// ```
pub fn infer(old: [&[f64]; 4], grads: [&[f64]; 4], new: [&[f64]; 4]) -> Option<f64> {
    let triples = || {
        old.into_iter()
            .zip(grads)
            .zip(new)
            .flat_map(|((o, g), n)| o.iter().zip(g).zip(n).map(|((&o, &g), &n)| (o, g, n)))
    };
    let moved = |&(o, g, n): &(f64, f64, f64)| {
        if g == 0.0 || o == n {
            0.0
        } else {
            (o - n).abs() / o.abs().max(n.abs())
        }
    };
    let best = triples().max_by(|a, b| moved(a).total_cmp(&moved(b)))?;
    let (o, g, n) = best;
    let guess = (o - n) / g;
    if moved(&best) == 0.0 || !guess.is_finite() || guess == 0.0 {
        return None;
    }
    let gives = |lr: f64, (o, g, n): (f64, f64, f64)| (o - lr * g).to_bits() == n.to_bits();
    let (mut below, mut above) = (guess, guess);
    let mut nearby = vec![guess];
    for _ in 0..SEARCH {
        below = below.next_down();
        above = above.next_up();
        nearby.extend([below, above]);
    }
    nearby
        .into_iter()
        .filter(|&lr| gives(lr, best))
        .find(|&lr| triples().all(|t| gives(lr, t)))
}

/// How many units in the last place from its estimate η is sought.
const SEARCH: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    /// `old − fl(lr·g)`, as NumPy's in-place update computes it.
    fn numpy_step(old: &[f64], g: &[f64], lr: f64) -> Vec<f64> {
        old.iter().zip(g).map(|(&o, &g)| o - lr * g).collect()
    }

    fn arrays(seed: u64, len: usize) -> Vec<f64> {
        let mut rng = manabi::random::Rng::new(seed);
        (0..len).map(|_| 0.05 * rng.standard_normal()).collect()
    }

    #[test]
    fn the_learning_rate_of_a_numpy_step_is_found_exactly() {
        let old = [arrays(1, 300), arrays(2, 10), arrays(3, 30), arrays(4, 3)];
        let g = [arrays(5, 300), arrays(6, 10), arrays(7, 30), arrays(8, 3)];
        for lr in [0.1, 0.01, 1.0, 0.3, 1e-3, 1e-5, 7.25, 100.0, 0.1 + 1e-16] {
            let new: Vec<Vec<f64>> = (0..4).map(|i| numpy_step(&old[i], &g[i], lr)).collect();
            let found = infer(
                old.each_ref().map(|v| &v[..]),
                g.each_ref().map(|v| &v[..]),
                [&new[0][..], &new[1], &new[2], &new[3]],
            );
            let lr_found = found.unwrap_or_else(|| panic!("η {lr} not found"));
            for i in 0..4 {
                assert_eq!(numpy_step(&old[i], &g[i], lr_found), new[i], "lr {lr}");
            }
        }
    }

    #[test]
    fn an_update_of_another_shape_has_no_learning_rate() {
        let old = [arrays(1, 300), arrays(2, 10), arrays(3, 30), arrays(4, 3)];
        let g = [arrays(5, 300), arrays(6, 10), arrays(7, 30), arrays(8, 3)];
        let mut new: Vec<Vec<f64>> = (0..4).map(|i| numpy_step(&old[i], &g[i], 0.1)).collect();
        let view = |new: &Vec<Vec<f64>>| -> Option<f64> {
            infer(
                old.each_ref().map(|v| &v[..]),
                g.each_ref().map(|v| &v[..]),
                [&new[0][..], &new[1], &new[2], &new[3]],
            )
        };
        // One number of b2 one unit in the last place off.
        new[3][1] = new[3][1].next_up();
        assert_eq!(view(&new), None);
        // b1 with another rate than the rest.
        new[3][1] = new[3][1].next_down();
        new[1] = numpy_step(&old[1], &g[1], 0.2);
        assert_eq!(view(&new), None);
        // Nothing moved.
        let same: Vec<Vec<f64>> = old.to_vec();
        assert_eq!(view(&same), None);
    }

    /// The book's loop driven by hand: the engine, the caller's own
    /// parameters and what `Net` does with them at each call.
    struct Loop {
        engine: Box<dyn Engine + Send>,
        ahead: Ahead,
        params: [Vec<f64>; 4],
    }

    impl Loop {
        fn new() -> Self {
            use manabi::data::Split;
            use manabi::engine::{EngineKind, Precision};
            let mut rng = manabi::random::Rng::new(3);
            let net = manabi::TwoLayerNet::with_rng(20, 8, 10, 0.5, &mut rng);
            let bytes = (0..20 * 30).map(|_| rng.below(256) as u8).collect();
            let labels = (0..30).map(|_| rng.below(10) as u8).collect();
            let split = Split::new(bytes, labels, 1, 20).unwrap();
            let mut engine = manabi::engine::new(EngineKind::Fast, Precision::F64, &net);
            engine.load_batch(&split, &(0..30).collect::<Vec<_>>());
            let params = net.params.slices().map(|(_, v)| v.to_vec());
            Loop {
                engine,
                ahead: Ahead::default(),
                params,
            }
        }

        /// Hands the caller's parameters over, as every call does.
        fn hand_over(&mut self) -> bool {
            let values = self.params.each_ref().map(|v| &v[..]);
            self.ahead.before_taking(&*self.engine, values);
            let changed = self.engine.set_params_from(values);
            self.ahead.taken(changed);
            changed
        }

        /// `gradient`: whether the engine stepped ahead.
        fn gradient(&mut self) -> bool {
            self.hand_over();
            self.engine
                .gradient(manabi::engine::GradientMethod::Backprop);
            self.ahead.after_gradient(&mut *self.engine)
        }

        /// The caller's update with η = `lr`.
        fn update(&mut self, lr: f64) {
            let grads = self.engine.grads();
            for (p, (_, g)) in self.params.iter_mut().zip(grads.slices()) {
                *p = numpy_step(p, g, lr);
            }
        }

        /// `loss`: whether it was the loss computed ahead, and the loss.
        fn loss(&mut self) -> (bool, f64) {
            self.hand_over();
            match self.ahead.loss() {
                Some(l) => (true, l),
                None => (false, self.engine.loss()),
            }
        }
    }

    #[test]
    fn the_callers_update_is_taken_ahead_once_seen_and_dropped_when_missed() {
        let mut l = Loop::new();
        // Watched, seen, then taken ahead with its loss.
        assert!(!l.gradient());
        l.update(0.1);
        assert!(!l.loss().0);
        for _ in 0..3 {
            assert!(l.gradient());
            l.update(0.1);
            let (ahead, loss) = l.loss();
            assert!(ahead);
            assert_eq!(loss.to_bits(), l.engine.loss().to_bits());
        }
        // No update after a step ahead: the caller's parameters are taken
        // in again and η forgotten; watched again at the next gradient.
        assert!(l.gradient());
        let (ahead, loss) = l.loss();
        assert!(!ahead);
        let mut fresh = Loop::new();
        fresh.params = l.params.clone();
        fresh
            .engine
            .set_params_from(l.params.each_ref().map(|v| &v[..]));
        assert_eq!(loss.to_bits(), fresh.engine.loss().to_bits());
        // An update of another shape: one gradient let pass, then two.
        assert!(!l.gradient());
        l.update(0.1);
        l.params[1][0] += 1e-3;
        assert!(!l.loss().0);
        assert!(!l.gradient());
        l.update(0.1);
        assert!(!l.ahead.watching, "one gradient let pass");
        assert!(!l.gradient());
        l.update(0.1);
        l.loss();
        assert!(l.gradient(), "seen again, taken ahead");
        l.update(0.1);
        assert!(l.loss().0);
    }
}
