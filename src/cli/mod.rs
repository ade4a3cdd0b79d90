//! Command-line interface: one file per subcommand.

mod eval;
mod gradcheck;
mod predict;
mod progress;
mod run_data;
mod train;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use manabi::Activation;
use manabi::data::Dataset;

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
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Train(args) => train::run(args),
        Command::Gradcheck(args) => gradcheck::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Predict(args) => predict::run(args),
    }
}

/// Where the images come from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A folder of MNIST-layout files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
    /// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]), e.g. full MNIST or Fashion-MNIST.
    /// Without it, the embedded mnist-10k set (8,004 train / 1,996 test real MNIST digits) is used.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DataArgs {
    /// Loads the chosen data set.
    pub fn load(&self) -> Result<Dataset> {
        match &self.data_dir {
            None => Ok(Dataset::embedded()),
            Some(dir) => {
                Dataset::from_dir(dir).with_context(|| format!("--data-dir {}", dir.display()))
            }
        }
    }
}

/// The hidden layer's activation, as a flag value.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ActivationArg {
    /// σ(x) = 1/(1+e^-x), chapter 4.
    Sigmoid,
    /// max(0, x), chapter 5.
    Relu,
}

impl From<ActivationArg> for Activation {
    fn from(a: ActivationArg) -> Self {
        match a {
            ActivationArg::Sigmoid => Activation::Sigmoid,
            ActivationArg::Relu => Activation::Relu,
        }
    }
}
