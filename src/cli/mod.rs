//! Command-line interface: one file per subcommand.

mod data;
mod eval;
mod gradcheck;
mod predict;
mod progress;
mod run_data;
mod serve;
mod train;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use manabi::Activation;
use manabi::data::{DataHome, Dataset, DatasetName, Resolved, resolve};

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

/// Where the images come from: a data set by name, or a folder.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// A folder of MNIST-layout files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
    /// t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]), e.g. full MNIST or Fashion-MNIST.
    /// Without it (and without --dataset), the embedded mnist-10k set (8,004 train / 1,996 test
    /// real MNIST digits) is used.
    #[arg(long, value_name = "DIR", conflicts_with = "dataset")]
    pub data_dir: Option<PathBuf>,
    /// A data set by name. mnist and fashion-mnist are read from the cache folder
    /// ($MANABI_DATA, else e.g. ~/.cache/manabi) after `manabi data fetch NAME`;
    /// fashion-mnist also from Debian's dataset-fashion-mnist package if installed.
    #[arg(long, value_enum, value_name = "NAME")]
    pub dataset: Option<DatasetArg>,
}

impl DataArgs {
    /// Loads the chosen data set.
    pub fn load(&self) -> Result<Dataset> {
        match self.folder()? {
            None => Ok(Dataset::embedded()),
            Some(dir) => Dataset::from_dir(&dir).with_context(|| self.flag(&dir)),
        }
    }

    /// The folder the data set is read from, or `None` for the embedded set.
    /// Nothing is downloaded: a named set that is not there is an error
    /// saying which command fetches it.
    pub fn folder(&self) -> Result<Option<PathBuf>> {
        if let Some(dir) = &self.data_dir {
            return Ok(Some(dir.clone()));
        }
        let name = self
            .dataset
            .map_or(DatasetName::Mnist10k, DatasetName::from);
        Ok(match resolve(name, &DataHome::from_env())? {
            Resolved::Embedded => None,
            Resolved::Folder(dir) => Some(dir),
        })
    }

    /// The flag that chose `dir`, for error messages.
    fn flag(&self, dir: &std::path::Path) -> String {
        match (&self.data_dir, self.dataset) {
            (Some(_), _) | (None, None) => format!("--data-dir {}", dir.display()),
            (None, Some(d)) => format!("--dataset {} ({})", DatasetName::from(d), dir.display()),
        }
    }
}

/// A data set manabi knows by name, as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// 8,004 / 1,996 real MNIST digits embedded in manabi (the default).
    #[value(name = "mnist-10k")]
    Mnist10k,
    /// The full MNIST digits, 60,000 / 10,000 (`manabi data fetch mnist`).
    Mnist,
    /// Zalando's Fashion-MNIST, 60,000 / 10,000 (`manabi data fetch fashion-mnist`).
    FashionMnist,
}

impl From<DatasetArg> for DatasetName {
    fn from(d: DatasetArg) -> Self {
        match d {
            DatasetArg::Mnist10k => DatasetName::Mnist10k,
            DatasetArg::Mnist => DatasetName::Mnist,
            DatasetArg::FashionMnist => DatasetName::FashionMnist,
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
