//! Seeing the learning: the run folder a training run leaves behind, the
//! chapter's figures, and the tools that look inside a trained network.
//!
//! | what | where | book |
//! | --- | --- | --- |
//! | run folder: config, CSVs, weights, summary | [`RunFolder`], [`RunRecorder`] | — |
//! | loss per iteration, whole run + first 1,000 | [`plot_loss`] → `loss.png` | fig. 4-11 |
//! | train/test accuracy per epoch | [`plot_accuracy`] → `accuracy.png` | fig. 4-12 |
//! | a curve and its tangent | [`plot_tangent`] | fig. 4-7 |
//! | the gradient as arrows | [`plot_gradient_field`] | fig. 4-9 |
//! | descent paths | [`plot_descent_paths`] | fig. 4-10 |
//! | W1's hidden units as tiles | [`plot_weights`] → `weights.png` | — |
//! | confusion matrix, worst mistakes | [`Evaluation`], [`plot_mistakes`] | — |
//! | a picture of a digit, MNIST-style | [`read_grey_image`], [`to_mnist`] | — |
//! | overfitting, before and after | [`rule_of_thumb`], [`overfitting_verdict`] | §4.5.3 |
//!
//! Figures are drawn with plotters and the DejaVu Sans font bundled in the
//! program, so they look the same on every machine and need no system font
//! library. Every file is written to a temporary name and renamed
//! ([`write_atomic`]): a crash never leaves a truncated file.

mod accuracy_plot;
mod analysis;
mod atomic;
mod classes;
mod digit_image;
mod error;
mod figure;
mod font;
mod gradient_plots;
mod image_grid;
mod loss_plot;
mod metrics;
mod mistakes_image;
mod overfit;
mod recorder;
mod run_config;
mod run_folder;
mod style;
mod summary;
mod weights;
mod weights_image;

pub use accuracy_plot::{AccuracyFigure, plot_accuracy};
pub use analysis::{Evaluation, Prediction};
pub use atomic::write_atomic;
pub use classes::{DIGIT_CLASSES, FASHION_CLASSES, class_names};
pub use digit_image::{
    GreyImage, MNIST_BOX, MNIST_SIDE, decode_png, parse_pgm, read_grey_image, to_mnist,
};
pub use error::ReportError;
pub use figure::{DrawResult, Figure, encode_png, png_bytes, save_figure, save_png, svg_string};
pub use font::register_font;
pub use gradient_plots::{
    DescentFigure, FieldFigure, TangentFigure, plot_descent_paths, plot_gradient_field,
    plot_tangent,
};
pub use image_grid::{Tile, TileGrid};
pub use loss_plot::{LossFigure, ZOOM_ITERS, moving_average, plot_loss};
pub use metrics::{
    EPOCHS_HEADER, METRICS_HEADER, epochs_csv, metrics_csv, parse_epochs, parse_metrics,
};
pub use mistakes_image::plot_mistakes;
pub use overfit::{
    OVERFIT_GAP, SAMPLES_PER_PARAMETER, Verdict, overfitting_verdict, rule_of_thumb,
};
pub use recorder::RunRecorder;
pub use run_config::{DatasetRecord, NetworkRecord, RunConfig, TrainingRecord};
pub use run_folder::{
    CONFIG_FILE, EPOCHS_FILE, METRICS_FILE, RunFolder, RunStatus, SUMMARY_FILE, SavedRun,
    WEIGHTS_FILE,
};
pub use style::fmt_count;
pub use summary::RunSummary;
pub use weights::{
    META_CONFIG, META_ITERATIONS, META_STATUS, SavedWeights, load_weights, read_weights,
    weights_bytes,
};
pub use weights_image::{diverging, largest_magnitude, plot_weights};
