//! What several commands take: where the data comes from, and choices
//! named by the library's own names.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result};
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};

use manabi::data::{DataHome, Dataset, DatasetName, Resolved, resolve};

/// A flag whose value is one of `names`, parsed by the library type's own
/// `FromStr` (so the names are the library's, spelled once there); `--help`
/// lists them.
pub fn choice<T>(names: impl IntoIterator<Item = &'static str>) -> impl TypedValueParser<Value = T>
where
    T: FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names).try_map(|name| name.parse::<T>())
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
    /// A data set by name: mnist-10k (embedded in manabi, the default), or mnist and
    /// fashion-mnist, read from the cache folder ($MANABI_DATA, else e.g. ~/.cache/manabi)
    /// after `manabi data fetch NAME`; fashion-mnist also from Debian's
    /// dataset-fashion-mnist package if installed.
    #[arg(long, value_name = "NAME", value_parser = choice::<DatasetName>(DatasetName::ALL.map(DatasetName::as_str)))]
    pub dataset: Option<DatasetName>,
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
        let name = self.dataset.unwrap_or(DatasetName::Mnist10k);
        Ok(match resolve(name, &DataHome::from_env())? {
            Resolved::Embedded => None,
            Resolved::Folder(dir) => Some(dir),
        })
    }

    /// The flag that chose `dir`, for error messages.
    fn flag(&self, dir: &std::path::Path) -> String {
        match (&self.data_dir, self.dataset) {
            (Some(_), _) | (None, None) => format!("--data-dir {}", dir.display()),
            (None, Some(d)) => format!("--dataset {d} ({})", dir.display()),
        }
    }
}
