//! Finding the data a saved run was trained on again, for `--resume` and
//! `manabi eval`.

use std::path::Path;

use anyhow::{Context, Result, bail};

use manabi::data::Dataset;
use manabi::report::RunConfig;

/// The name of the data set compiled into manabi.
const EMBEDDED: &str = "mnist-10k";

/// Loads the data set recorded in `config` (or the folder `override_dir`),
/// whole, and checks its checksum against the recorded one: a mismatch is an
/// error when `require_same`, a warning otherwise.
pub fn load_run_data(
    config: &RunConfig,
    override_dir: Option<&Path>,
    require_same: bool,
) -> Result<Dataset> {
    let recorded = &config.dataset;
    let (data, flag) = match override_dir.or(recorded.dir.as_deref()) {
        Some(dir) => {
            let flag = if override_dir.is_some() {
                format!("--data-dir {}", dir.display())
            } else {
                format!("the run's data folder {}", dir.display())
            };
            let data = Dataset::from_dir(dir).with_context(|| {
                format!(
                    "{flag} (point --data-dir at the data set {} if it moved)",
                    recorded.name
                )
            })?;
            (data, flag)
        }
        None if recorded.name == EMBEDDED => (Dataset::embedded(), EMBEDDED.to_string()),
        None => bail!(
            "the run's data set {} has no folder recorded; name it with --data-dir",
            recorded.name
        ),
    };
    if data.checksum() != recorded.sha256 {
        let what = format!(
            "{flag}: not the data the run was trained on ({} has another sha256 than the one in config.json)",
            data.name
        );
        if require_same {
            bail!("{what}; a resumed run must see the same data");
        }
        eprintln!("manabi: warning: {what}");
    }
    Ok(data)
}
