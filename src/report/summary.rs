//! `summary.txt`: how a run went, in a few lines a person reads first.

use std::fmt::Write as _;

use super::overfit::Verdict;
use super::run_config::RunConfig;
use super::run_folder::RunStatus;
use super::style::fmt_count;

/// What the summary reports.
#[derive(Debug, Clone)]
pub struct RunSummary<'a> {
    /// The run's record.
    pub config: &'a RunConfig,
    /// How it ended.
    pub status: RunStatus,
    /// Iterations behind the saved weights.
    pub iterations: usize,
    /// For a diverged run: the iteration whose loss was not finite, and that loss.
    pub diverged: Option<(usize, f64)>,
    /// Accuracy of the saved weights on the training set (as trained on) and
    /// the test set, computed in f64 after the run; `None` without weights.
    pub final_accuracy: Option<(f64, f64)>,
    /// The last batch loss.
    pub last_loss: Option<f64>,
    /// The overfitting verdict, when there are final accuracies.
    pub verdict: Option<&'a Verdict>,
    /// Seconds spent training in this process.
    pub seconds: f64,
    /// Iterations run in this process.
    pub iterations_here: usize,
}

impl RunSummary<'_> {
    /// The text of `summary.txt`.
    pub fn text(&self) -> String {
        let c = self.config;
        let t = &c.training;
        let mut s = String::new();
        let status = match (self.status, self.diverged) {
            (RunStatus::Diverged, Some((i, loss))) => format!(
                "diverged: the loss became {loss} at iteration {i}; try a smaller learning rate (--lr); \
                 the weights saved are the last finite ones, after {} iterations",
                fmt_count(self.iterations)
            ),
            (RunStatus::Interrupted, _) => format!(
                "interrupted after {} of {} iterations; continue with: manabi train --resume <this folder>",
                fmt_count(self.iterations),
                fmt_count(t.iters)
            ),
            (status, _) => format!(
                "{status}: {} of {} iterations",
                fmt_count(self.iterations),
                fmt_count(t.iters)
            ),
        };
        let _ = writeln!(s, "status:    {status}");
        let _ = writeln!(
            s,
            "data:      {} — {} of {} training images, {} test images; sha256 {}",
            c.dataset.name,
            fmt_count(c.dataset.train_size),
            fmt_count(c.dataset.full_train_size),
            fmt_count(c.dataset.test_size),
            c.dataset.sha256
        );
        let [i, h, o] = c.network.sizes;
        let _ = writeln!(
            s,
            "network:   {i}-{h}-{o}, {} hidden layer, {} parameters",
            c.network.activation,
            fmt_count(c.network.parameters)
        );
        let _ = writeln!(
            s,
            "sgd:       lr {:?}, batch {} ({}), {} per epoch, init std {:?}, seed {}",
            t.learning_rate, t.batch_size, t.sampling, t.iter_per_epoch, t.weight_init_std, t.seed
        );
        for c in &t.learning_rate_changes {
            let _ = writeln!(
                s,
                "           lr {:?} from iteration {}",
                c.lr,
                fmt_count(c.iteration)
            );
        }
        let kernels = if t.kernels.is_empty() {
            String::new()
        } else {
            format!(" ({} kernels)", t.kernels)
        };
        let _ = writeln!(
            s,
            "compute:   {} gradient, {}, {} engine{kernels}, manabi {} ({} build)",
            t.gradient, t.precision, t.engine, c.manabi_version, c.build
        );
        if let Some((train, test)) = self.final_accuracy {
            let _ = writeln!(s, "final:     train acc {train:.4}, test acc {test:.4}");
        }
        if let Some(loss) = self.last_loss {
            let _ = writeln!(s, "last loss: {loss:.6} (batch loss of the last iteration)");
        }
        if let Some(v) = self.verdict {
            let _ = writeln!(s, "overfit:   {}", v.text);
        }
        if self.seconds > 0.0 && self.iterations_here > 0 {
            let _ = writeln!(
                s,
                "time:      {:.2} s for {} iterations here ({} samples/s, evaluations included)",
                self.seconds,
                fmt_count(self.iterations_here),
                fmt_count(
                    (self.iterations_here as f64 * t.batch_size as f64 / self.seconds) as usize
                )
            );
        }
        s
    }
}
