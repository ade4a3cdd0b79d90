//! Overfitting in words: the rule of thumb before a run, the verdict after.
//!
//! A network overfits when it learns its training images rather than what
//! they have in common: training accuracy keeps rising while test accuracy
//! stalls or falls, and the gap between them grows (the book's §4.5.3 checks
//! exactly this with figure 4-12). A rough rule of thumb asks for about ten
//! training samples per learned parameter; with fewer, memorising becomes
//! possible — though, as the chapter's own run shows, not certain.

use crate::train::EpochRecord;

/// Training samples per parameter the rule of thumb asks for.
pub const SAMPLES_PER_PARAMETER: usize = 10;

/// A gap (train − test accuracy) above this is called overfitting.
pub const OVERFIT_GAP: f64 = 0.05;
/// A gap above this is worth a look.
pub const SMALL_GAP: f64 = 0.02;

/// The rule of thumb for `samples` training samples and `parameters`
/// parameters, as a sentence.
///
/// ```
/// let s = manabi::report::rule_of_thumb(8004, 39760);
/// assert!(s.contains("397,600"), "{s}");
/// ```
pub fn rule_of_thumb(samples: usize, parameters: usize) -> String {
    let wanted = parameters.saturating_mul(SAMPLES_PER_PARAMETER);
    let fmt = super::style::fmt_count;
    if samples >= wanted {
        format!(
            "rule of thumb: {} parameters want about {} training samples (10 per parameter); \
             {} is enough, overfitting is unlikely",
            fmt(parameters),
            fmt(wanted),
            fmt(samples)
        )
    } else {
        format!(
            "rule of thumb: {} parameters want about {} training samples (10 per parameter); \
             {} is {} of that, so the network could memorise them: watch whether test \
             accuracy keeps up with train accuracy",
            fmt(parameters),
            fmt(wanted),
            fmt(samples),
            percent(samples as f64 / wanted as f64)
        )
    }
}

/// A fraction as a percentage with the digits that matter: 2%, 0.08%.
fn percent(f: f64) -> String {
    let p = 100.0 * f;
    if p >= 1.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.2}%")
    }
}

/// What the end of a run says about overfitting.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Final train accuracy − final test accuracy.
    pub gap: f64,
    /// True when the gap is over [`OVERFIT_GAP`].
    pub overfits: bool,
    /// The verdict as a sentence.
    pub text: String,
}

/// The verdict for a run that ended with `train_acc` and `test_acc`, whose
/// evaluations along the way were `epochs`.
///
/// ```
/// let v = manabi::report::overfitting_verdict(1.0, 0.80, &[]);
/// assert!(v.overfits);
/// let v = manabi::report::overfitting_verdict(0.95, 0.945, &[]);
/// assert!(!v.overfits);
/// ```
pub fn overfitting_verdict(train_acc: f64, test_acc: f64, epochs: &[EpochRecord]) -> Verdict {
    let gap = train_acc - test_acc;
    let points = 100.0 * gap;
    let mut text = if gap > OVERFIT_GAP {
        format!(
            "overfitting: train accuracy is {points:.1} points above test accuracy; \
             the network learned its training images better than digits in general \
             (more data, or fewer iterations, would help)"
        )
    } else if gap > SMALL_GAP {
        format!(
            "a small gap: train accuracy is {points:.1} points above test accuracy; \
             not yet overfitting, but the curves are starting to part"
        )
    } else {
        format!("no overfitting: train and test accuracy stay together (gap {points:+.1} points)")
    };
    // Test accuracy that peaked and then fell while training went on is the
    // other sign, even with a modest gap.
    if let Some(best) = epochs
        .iter()
        .max_by(|a, b| a.test_acc.total_cmp(&b.test_acc))
        && best.test_acc - test_acc > 0.01
    {
        text.push_str(&format!(
            "; test accuracy peaked at {:.4} at epoch {} and has fallen since",
            best.test_acc, best.epoch
        ));
    }
    Verdict {
        gap,
        overfits: gap > OVERFIT_GAP,
        text,
    }
}
