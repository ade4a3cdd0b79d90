//! The live run: what the training thread publishes for the page, and how
//! it does so without ever waiting for the page.
//!
//! ```text
//! training thread                 shared (Mutex)               server threads
//! LiveObserver ── try_lock ──▶ loss points, epochs, ◀── lock, copy, ── one per
//!  (buffers locally;           latest network, status    unlock, then      browser
//!   publishes ≤ 10×/s                                    encode and send
//!   and at every epoch)
//! ```
//!
//! The observer only appends numbers to a local buffer on each iteration;
//! ten times a second, and at every epoch, it *tries* to take the lock and
//! move them over. If a server thread holds the lock at that instant, the
//! numbers simply wait for the next iteration: training never blocks on a
//! browser. The shared history is bounded: past [`MAX_POINTS`] points it
//! keeps every other one (and then every fourth, …), so a run of millions of
//! iterations uses the same memory as one of ten thousand. Everything a
//! page needs beyond raw numbers — predictions on the test digits, W1 as
//! tiles — is computed by the server threads from the network copied at
//! the last epoch.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::data::Split;
use crate::report::page::{
    base64, epoch_record, loss_points, loss_value, pick_strip, strip_predictions, tiles,
};
use crate::train::{EpochRecord, History, Observer};
use crate::two_layer_net::TwoLayerNet;

/// Loss points kept for the page: more than a screen is wide; past this,
/// every other point is dropped.
pub const MAX_POINTS: usize = 20_000;
/// Epoch records kept, thinned the same way past this.
pub const MAX_EPOCHS: usize = 5_000;
/// How often the observer hands its numbers over between epochs.
const PUBLISH_EVERY: Duration = Duration::from_millis(100);

/// What a live page shows about a run besides its numbers.
#[derive(Debug, Clone)]
pub struct LiveRun<'a> {
    /// The run's `config.json` content.
    pub config: Value,
    /// Iterations asked for (the total, when resuming).
    pub iters: usize,
    /// Samples per iteration.
    pub batch_size: usize,
    /// Iterations between two evaluations.
    pub iter_per_epoch: usize,
    /// The test split: the strip of digits comes from it.
    pub test: &'a Split,
    /// The names of the ten classes.
    pub classes: [&'static str; 10],
    /// What was measured before this process started (a resumed run);
    /// empty for a new run.
    pub history: &'a History,
}

/// A live run as the server sees it: shared between the training thread
/// (through a [`LiveObserver`]) and the threads serving pages.
#[derive(Debug)]
pub struct Live {
    info: Info,
    shared: Mutex<Shared>,
    /// Signalled whenever the shared state changes.
    changed: Condvar,
    /// Predictions and tiles of the latest network, computed once for all
    /// pages.
    derived: Mutex<Option<(u64, Arc<Value>)>>,
}

#[derive(Debug)]
struct Info {
    config: Value,
    iters: usize,
    batch_size: usize,
    iter_per_epoch: usize,
    classes: [&'static str; 10],
    rows: usize,
    cols: usize,
    /// The strip's images, one after the other, and their labels.
    strip: Vec<u8>,
    labels: Vec<usize>,
    /// Iterations done before this process started.
    first: usize,
}

#[derive(Debug)]
struct Shared {
    loss: Thinned<f64>,
    epochs: Thinned<EpochRecord>,
    /// Iterations completed so far (counting a resumed run's).
    iterations: usize,
    last_loss: f64,
    /// The network after the latest evaluation, with a number that changes
    /// with it.
    net: Option<(u64, Arc<TwoLayerNet>)>,
    /// `None` while training; then "completed", "interrupted" or "diverged".
    status: Option<String>,
    /// Bumped at every change, so a waiting page knows there is news.
    version: u64,
    started: Instant,
    /// How long the run took, once it has ended (the clock stops there).
    took: Option<Duration>,
}

/// A series that stays short: points are keyed by a growing number
/// (iteration, epoch) and, past `cap`, only every other key is kept.
#[derive(Debug, Clone)]
struct Thinned<T> {
    items: Vec<(usize, T)>,
    stride: usize,
    cap: usize,
}

impl<T: Clone> Thinned<T> {
    fn new(cap: usize) -> Self {
        Thinned {
            items: Vec::new(),
            stride: 1,
            cap,
        }
    }

    fn push(&mut self, key: usize, item: T) {
        if !key.is_multiple_of(self.stride) {
            return;
        }
        self.items.push((key, item));
        if self.items.len() > self.cap {
            self.stride *= 2;
            let stride = self.stride;
            self.items.retain(|(k, _)| k.is_multiple_of(stride));
        }
    }

    /// The items with a key above `after` (all of them for `None`).
    fn after(&self, after: Option<usize>) -> &[(usize, T)] {
        let from = after.map_or(0, |a| self.items.partition_point(|(k, _)| *k <= a));
        &self.items[from..]
    }

    fn last_key(&self) -> Option<usize> {
        self.items.last().map(|(k, _)| *k)
    }
}

/// Where one page is in the stream: what it has already been sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor {
    loss: Option<usize>,
    epoch: Option<usize>,
    net: Option<u64>,
    version: u64,
    /// The status has been sent: the stream is over.
    pub done: bool,
}

impl Live {
    /// The shared state of a run about to start.
    pub fn new(run: LiveRun<'_>) -> Arc<Live> {
        let (strip, labels) = pick_strip(run.test);
        let first = run.history.loss.len();
        let mut loss = Thinned::new(MAX_POINTS);
        for (i, &l) in run.history.loss.iter().enumerate() {
            loss.push(i, l);
        }
        let mut epochs = Thinned::new(MAX_EPOCHS);
        for r in &run.history.epochs {
            epochs.push(r.epoch, r.clone());
        }
        Arc::new(Live {
            info: Info {
                config: run.config,
                iters: run.iters,
                batch_size: run.batch_size,
                iter_per_epoch: run.iter_per_epoch.max(1),
                classes: run.classes,
                rows: run.test.rows(),
                cols: run.test.cols(),
                strip,
                labels,
                first,
            },
            shared: Mutex::new(Shared {
                loss,
                epochs,
                iterations: first,
                last_loss: run.history.loss.last().copied().unwrap_or(f64::NAN),
                net: None,
                status: None,
                version: 0,
                started: Instant::now(),
                took: None,
            }),
            changed: Condvar::new(),
            derived: Mutex::new(None),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // A panicking page thread must not take the run's page down with it.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything so far, for a page that has just opened: the run's
    /// description, the whole (thinned) history, the latest network's
    /// predictions and tiles, and the status. Also moves `cursor` past it.
    pub fn snapshot(&self, cursor: &mut Cursor) -> Value {
        let mut value = json!({
            "config": self.info.config,
            "iters": self.info.iters,
            "batch_size": self.info.batch_size,
            "iter_per_epoch": self.info.iter_per_epoch,
            "first": self.info.first,
            "classes": self.info.classes,
            "strip": {
                "rows": self.info.rows,
                "cols": self.info.cols,
                "labels": self.info.labels,
                "images": base64(&self.info.strip),
            },
        });
        let update = self.update(cursor);
        if let (Value::Object(v), Value::Object(u)) = (&mut value, update) {
            v.extend(u);
        }
        value
    }

    /// What changed since `cursor`, as one JSON object — `progress`, new
    /// `loss` points, new `epochs`, the `net` if it is new, and `status` —
    /// and moves the cursor past it.
    pub fn update(&self, cursor: &mut Cursor) -> Value {
        // Copy under the lock, encode after it: the lock is held for a
        // memcpy, never for formatting.
        let (loss, epochs, net, progress, status) = {
            let s = self.lock();
            let loss: Vec<(usize, f64)> = s.loss.after(cursor.loss).to_vec();
            let epochs: Vec<EpochRecord> = s
                .epochs
                .after(cursor.epoch)
                .iter()
                .map(|(_, r)| r.clone())
                .collect();
            cursor.loss = s.loss.last_key().or(cursor.loss);
            cursor.epoch = s.epochs.last_key().or(cursor.epoch);
            let net = match &s.net {
                Some((v, n)) if cursor.net != Some(*v) => Some((*v, n.clone())),
                _ => None,
            };
            if let Some((v, _)) = &net {
                cursor.net = Some(*v);
            }
            cursor.version = s.version;
            cursor.done = s.status.is_some();
            (loss, epochs, net, self.progress(&s), s.status.clone())
        };
        let mut out = json!({
            "progress": progress,
            "loss": loss_points(&loss),
            "epochs": epochs.iter().map(epoch_record).collect::<Vec<_>>(),
            "status": status.as_deref().unwrap_or("running"),
        });
        if let Some((version, net)) = net {
            out["net"] = (*self.derive(version, &net)).clone();
        }
        out
    }

    /// Waits up to `timeout` for something newer than `cursor`; `true` if
    /// there is.
    pub fn wait(&self, cursor: &Cursor, timeout: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |s| s.version == cursor.version)
            .unwrap_or_else(|e| e.into_inner());
        guard.version != cursor.version
    }

    /// The latest network's parameters, for a page that runs the forward
    /// pass itself (the drawing panel): `{version, sizes, activation, w1,
    /// b1, w2, b2}`, each matrix row-major f64 little-endian in base64, as
    /// in the run's `weights.safetensors`. `None` before the first
    /// evaluation.
    pub fn weights(&self) -> Option<Value> {
        let (version, net) = self.lock().net.clone()?;
        let p = &net.params;
        let f64s = |values: &mut dyn Iterator<Item = f64>| {
            base64(&values.flat_map(f64::to_le_bytes).collect::<Vec<u8>>())
        };
        let (i, h, o) = p.sizes();
        Some(json!({
            "version": version,
            "sizes": [i, h, o],
            "activation": net.activation.name(),
            "w1": f64s(&mut p.w1.iter().copied()),
            "b1": f64s(&mut p.b1.iter().copied()),
            "w2": f64s(&mut p.w2.iter().copied()),
            "b2": f64s(&mut p.b2.iter().copied()),
        }))
    }

    /// The numbers of the progress line: iteration, epoch, loss,
    /// samples per second and the time left.
    fn progress(&self, s: &Shared) -> Value {
        let elapsed = s.took.unwrap_or_else(|| s.started.elapsed()).as_secs_f64();
        let done_here = s.iterations.saturating_sub(self.info.first);
        let per_second = if elapsed > 0.0 && done_here > 0 {
            done_here as f64 / elapsed
        } else {
            0.0
        };
        let left = self.info.iters.saturating_sub(s.iterations);
        let eta = if s.status.is_some() {
            Some(0.0)
        } else if per_second > 0.0 {
            Some(left as f64 / per_second)
        } else {
            None
        };
        json!({
            "iteration": s.iterations,
            "epoch": s.iterations.saturating_sub(1) / self.info.iter_per_epoch,
            "loss": loss_value(s.last_loss),
            "samples_per_s": per_second * self.info.batch_size as f64,
            "eta_s": eta,
            "elapsed_s": elapsed,
        })
    }

    /// The predictions on the strip and W1's tiles for network `version`,
    /// computed by the first page that asks and kept for the others.
    fn derive(&self, version: u64, net: &TwoLayerNet) -> Arc<Value> {
        let mut cache = self.derived.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((v, value)) = cache.as_ref()
            && *v == version
        {
            return value.clone();
        }
        let value = Arc::new(json!({
            "version": version,
            "predictions": self.predictions(net),
            "tiles": tiles(&net.params.w1, self.info.rows, self.info.cols),
        }));
        *cache = Some((version, value.clone()));
        value
    }

    /// `[[class, probability], …]` for each image of the strip.
    fn predictions(&self, net: &TwoLayerNet) -> Value {
        strip_predictions(net, &self.info.strip, self.info.labels.len())
    }
}

/// The training loop's side of a [`Live`]: an [`Observer`] that costs a
/// `Vec::push` and a clock read per iteration and never waits for a lock.
#[derive(Debug)]
pub struct LiveObserver {
    live: Arc<Live>,
    /// Losses not yet handed over, with the iteration of the first.
    pending_loss: Vec<f64>,
    pending_from: usize,
    pending_epochs: Vec<EpochRecord>,
    pending_net: Option<Arc<TwoLayerNet>>,
    next_version: u64,
    last_publish: Instant,
}

impl LiveObserver {
    /// The observer feeding `live`.
    pub fn new(live: Arc<Live>) -> Self {
        let first = live.info.first;
        LiveObserver {
            live,
            pending_loss: Vec::with_capacity(1024),
            pending_from: first,
            pending_epochs: Vec::new(),
            pending_net: None,
            next_version: 1,
            last_publish: Instant::now(),
        }
    }

    /// Hands the buffered numbers over if the lock is free (or, with
    /// `wait`, once it is).
    fn publish(&mut self, wait: bool) {
        let mut s = match self.live.shared.try_lock() {
            Ok(s) => s,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) if wait => self.live.lock(),
            Err(TryLockError::WouldBlock) => return,
        };
        for (k, &l) in self.pending_loss.iter().enumerate() {
            s.loss.push(self.pending_from + k, l);
        }
        s.iterations = self.pending_from + self.pending_loss.len();
        if let Some(&l) = self.pending_loss.last() {
            s.last_loss = l;
        }
        for r in self.pending_epochs.drain(..) {
            s.epochs.push(r.epoch, r);
        }
        if let Some(net) = self.pending_net.take() {
            s.net = Some((self.next_version, net));
            self.next_version += 1;
        }
        s.version += 1;
        drop(s);
        self.pending_from += self.pending_loss.len();
        self.pending_loss.clear();
        self.last_publish = Instant::now();
        self.live.changed.notify_all();
    }

    /// Publishes everything left and how the run ended ("completed",
    /// "interrupted", "diverged"): open pages show the final state and
    /// close their stream.
    pub fn finish(mut self, status: &str) {
        self.publish(true);
        let mut s = self.live.lock();
        s.status = Some(status.to_string());
        s.took = Some(s.started.elapsed());
        s.version += 1;
        drop(s);
        self.live.changed.notify_all();
    }
}

impl Observer for LiveObserver {
    fn on_iteration(&mut self, iteration: usize, loss: f64) {
        if self.pending_loss.is_empty() {
            self.pending_from = iteration;
        }
        self.pending_loss.push(loss);
        if self.last_publish.elapsed() >= PUBLISH_EVERY {
            self.publish(false);
        }
    }

    fn on_epoch(&mut self, record: &EpochRecord, net: &TwoLayerNet) {
        self.pending_epochs.push(record.clone());
        // A copy of the network (W1 is 784×50 f64: 314 kB, tens of
        // microseconds) beside an evaluation of the whole data set.
        self.pending_net = Some(Arc::new(net.clone()));
        self.publish(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weights_a_page_reads_are_the_network_bit_for_bit() {
        let data = crate::data::Dataset::embedded();
        let history = History::default();
        let live = Live::new(LiveRun {
            config: json!({}),
            iters: 10,
            batch_size: 1,
            iter_per_epoch: 5,
            test: &data.test,
            classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
            history: &history,
        });
        assert_eq!(live.weights(), None, "no network before an evaluation");
        let net = TwoLayerNet::new(784, 3, 10, 0.5);
        let mut observer = LiveObserver::new(live.clone());
        let record = EpochRecord {
            epoch: 0,
            iteration: 0,
            train_acc: 0.1,
            test_acc: 0.1,
            elapsed: 0.0,
        };
        observer.on_epoch(&record, &net);
        observer.finish("completed");
        let w = live.weights().unwrap();
        assert_eq!(w["sizes"], json!([784, 3, 10]));
        assert_eq!(w["activation"], "sigmoid");
        assert_eq!(w["version"], 1);
        let decode = |name: &str| -> Vec<f64> {
            let text = w[name].as_str().unwrap();
            let value = |c: u8| match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                _ => 63,
            };
            let clean: Vec<u8> = text.bytes().filter(|&c| c != b'=').collect();
            let mut bytes = Vec::new();
            for chunk in clean.chunks(4) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (k, &c)| n | u32::from(value(c)) << (18 - 6 * k));
                for k in 0..chunk.len() - 1 {
                    bytes.push((n >> (16 - 8 * k)) as u8);
                }
            }
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
                .collect()
        };
        let p = &net.params;
        assert_eq!(decode("w1"), p.w1.iter().copied().collect::<Vec<_>>());
        assert_eq!(decode("b1"), p.b1.to_vec());
        assert_eq!(decode("w2"), p.w2.iter().copied().collect::<Vec<_>>());
        assert_eq!(decode("b2"), p.b2.to_vec());
    }

    #[test]
    fn thinned_series_stay_bounded_and_keep_their_order() {
        let mut t = Thinned::new(100);
        for i in 0..10_000 {
            t.push(i, i as f64);
        }
        assert!(t.items.len() <= 100, "{}", t.items.len());
        assert_eq!(t.items[0].0, 0);
        assert!(t.items.windows(2).all(|w| w[0].0 < w[1].0));
        let after = t.after(Some(5_000));
        assert!(after.iter().all(|(k, _)| *k > 5_000));
        assert_eq!(t.after(None).len(), t.items.len());
    }
}
