//! Command-line interface: one file per subcommand.

mod args;
mod data;
mod eval;
mod gradcheck;
mod predict;
mod progress;
mod run_data;
mod serve;
mod train;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// manabi — how a neural network learns (Deep Learning from Scratch, chapter 4).
///
/// `manabi train` runs the chapter's experiment: a two-layer network learns
/// to read handwritten digits by stochastic gradient descent, and prints its
/// accuracy on the training and test sets once per epoch.
#[derive(Debug, Parser)]
#[command(name = "manabi", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a TwoLayerNet with mini-batch SGD (book defaults: 784-50-10, lr 0.1, batch 100, 10,000 iterations).
    Train(train::TrainArgs),
    /// Compare the backprop gradient with the numerical one on a few samples.
    Gradcheck(gradcheck::GradcheckArgs),
    /// Look inside a trained network: confusion matrix, per-class accuracy, its worst mistakes, W1 as pictures.
    Eval(eval::EvalArgs),
    /// Classify a picture of a digit (PNG or PGM) with a trained network.
    Predict(predict::PredictArgs),
    /// Fetch full MNIST or Fashion-MNIST (verified), or look at a data set: counts, pixels, one image.
    Data(data::DataCommand),
    /// Show finished runs in the browser: overlay their curves, look at their hidden units.
    Serve(serve::ServeArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Gradcheck(args) => gradcheck::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Predict(args) => predict::run(args),
        Command::Data(args) => data::run(args),
        Command::Serve(args) => serve::run(args),
    }
}
