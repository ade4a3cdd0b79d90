//! Error analysis: which classes a trained network confuses, and the images
//! it gets wrong while being most sure of itself.

use crate::data::{NUM_CLASSES, Split, gather_batch};
use crate::engine::evaluate;
use crate::functions::argmax;
use crate::two_layer_net::TwoLayerNet;

/// The network's answer for one image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The image's index in its split.
    pub index: usize,
    /// The correct class.
    pub label: usize,
    /// The most probable class.
    pub predicted: usize,
    /// The probability the network gave its answer.
    pub confidence: f64,
}

/// A network's answers on a whole split.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// One per image, in the split's order.
    pub predictions: Vec<Prediction>,
    /// `confusion[true][predicted]`: how many images of class `true` were
    /// called `predicted`. The diagonal holds the correct answers.
    pub confusion: [[usize; NUM_CLASSES]; NUM_CLASSES],
    /// The fraction of images classified correctly, as [`evaluate`] (the
    /// accuracy every report prints) measures it.
    pub accuracy: f64,
}

impl Evaluation {
    /// Runs `net` over every image of `split`, 1,000 at a time, as the book's
    /// `predict` does; the accuracy is [`evaluate`]'s.
    pub fn of(net: &TwoLayerNet, split: &Split) -> Evaluation {
        let mut predictions = Vec::with_capacity(split.len());
        let mut confusion = [[0; NUM_CLASSES]; NUM_CLASSES];
        let all: Vec<usize> = (0..split.len()).collect();
        for indices in all.chunks(1000) {
            let (x, t) = gather_batch(split, indices);
            let y = net.predict(&x);
            for (n, &index) in indices.iter().enumerate() {
                let row = y.row(n);
                let predicted = argmax(row);
                let label = t[n];
                if label < NUM_CLASSES && predicted < NUM_CLASSES {
                    confusion[label][predicted] += 1;
                }
                predictions.push(Prediction {
                    index,
                    label,
                    predicted,
                    confidence: row[predicted],
                });
            }
        }
        Evaluation {
            predictions,
            confusion,
            accuracy: evaluate(net, split),
        }
    }

    /// For each class: (images correctly classified, images of that class).
    pub fn per_class(&self) -> [(usize, usize); NUM_CLASSES] {
        std::array::from_fn(|c| (self.confusion[c][c], self.confusion[c].iter().sum()))
    }

    /// Up to `k` wrong answers, the most confident first.
    pub fn most_confident_mistakes(&self, k: usize) -> Vec<Prediction> {
        let mut wrong: Vec<Prediction> = self
            .predictions
            .iter()
            .filter(|p| p.label != p.predicted)
            .copied()
            .collect();
        wrong.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.index.cmp(&b.index))
        });
        wrong.truncate(k);
        wrong
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;

    #[test]
    fn counts_add_up() {
        let data = Dataset::embedded();
        let test = data.test.take(300);
        let net = TwoLayerNet::new(784, 10, 10, 0.01);
        let e = Evaluation::of(&net, &test);
        let total: usize = e.confusion.iter().flatten().sum();
        assert_eq!(total, 300);
        let correct: usize = e.per_class().iter().map(|c| c.0).sum();
        assert_eq!(e.accuracy, correct as f64 / 300.0);
        let m = e.most_confident_mistakes(5);
        assert!(m.windows(2).all(|w| w[0].confidence >= w[1].confidence));
        assert!(m.iter().all(|p| p.label != p.predicted));
    }
}
