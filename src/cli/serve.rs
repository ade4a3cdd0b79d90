//! `manabi serve [RUNS_DIR]`: the dashboard for finished runs, and the
//! pieces `manabi train --serve` uses to show a run while it trains.
//!
//! Both listen on 127.0.0.1:7878 unless given another address; a port in
//! use is an error naming the flag and a port to try instead (a page left
//! open on the usual address never silently shows another server's runs).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use manabi::data::Dataset;
use manabi::report::{RunConfig, class_names};
use manabi::serve::{self, App, Live, LiveObserver, LiveRun, RunsDir, Server};
use manabi::train::{History, TrainConfig};

/// `127.0.0.1:7878`: this machine only.
const DEFAULT_ADDR: &str = "127.0.0.1:7878";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The folder of run folders to show (each made by `manabi train`).
    #[arg(value_name = "RUNS_DIR", default_value = "runs")]
    runs_dir: PathBuf,
    /// Where to listen: HOST:PORT or PORT. The default is this machine
    /// only; 0.0.0.0:PORT shows the runs to every machine that can reach
    /// this one.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_ADDR)]
    addr: String,
}

/// Serves the runs folder until Ctrl-C.
pub fn run(args: ServeArgs) -> Result<()> {
    let listener = bind("--addr", &args.addr)?;
    let runs = runs_dir(&args.runs_dir)?;
    let count = runs.list().as_array().map_or(0, Vec::len);
    let server = Server::start(
        listener,
        App {
            live: None,
            runs: Some(runs),
        },
    )?;
    println!(
        "serving {count} run{} from {}",
        if count == 1 { "" } else { "s" },
        args.runs_dir.display()
    );
    announce(&server);
    println!("Ctrl-C to stop");
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .map_err(|e| anyhow!("cannot catch Ctrl-C: {e}"))?;
    wait_for(&stop);
    server.stop();
    Ok(())
}

/// The runs folder, with errors that say what to do.
fn runs_dir(dir: &Path) -> Result<RunsDir> {
    if !dir.exists() {
        bail!(
            "{}: no such folder; train a run first (manabi train), or name the folder that holds your runs",
            dir.display()
        );
    }
    if dir.join(manabi::report::CONFIG_FILE).is_file() {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        bail!(
            "{}: this is one run's folder; give the folder that holds it: manabi serve {}",
            dir.display(),
            parent.display()
        );
    }
    RunsDir::new(dir).map_err(|e| anyhow!("{}: {e}", dir.display()))
}

/// Binds the address given to `flag`, before anything slow happens, so a
/// port in use is reported at once.
pub fn bind(flag: &str, addr: &str) -> Result<TcpListener> {
    let addr = serve::parse_addr(flag, addr).map_err(|e| anyhow!(e))?;
    serve::bind(flag, addr).map_err(|e| anyhow!(e))
}

/// The default address of `--serve` without a value.
pub fn default_addr() -> &'static str {
    DEFAULT_ADDR
}

fn announce(server: &Server) {
    println!("watch it learn: {}", server.url());
    if !server.addr().ip().is_loopback() {
        println!(
            "note: listening on {}: anyone who can reach this machine can read these runs",
            server.addr()
        );
    }
}

/// The server of `manabi train --serve`.
pub struct LiveServer {
    server: Server,
}

/// Starts serving the run about to train, and returns the server and the
/// observer that feeds it: `record` and `config` describe
/// it, `data` is what it learns from, `history` what a resumed run has
/// already measured, `run_folder` where it is written (its parent folder's
/// runs are offered for comparison). `say` prints a line where the run's
/// messages go.
pub fn start_live(
    listener: TcpListener,
    record: &RunConfig,
    config: &TrainConfig,
    data: &Dataset,
    history: &History,
    run_folder: Option<&Path>,
    say: impl Fn(&str),
) -> Result<(LiveServer, LiveObserver)> {
    let live = Live::new(LiveRun {
        config: serde_json::to_value(record)?,
        iters: config.iters,
        batch_size: config.batch_size,
        iter_per_epoch: config.iter_per_epoch(data.train.len()),
        test: &data.test,
        classes: class_names(&data.name),
        history,
    });
    let runs = run_folder
        .and_then(Path::parent)
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .and_then(|p| RunsDir::new(p).ok());
    let server = Server::start(
        listener,
        App {
            live: Some(live.clone()),
            runs,
        },
    )?;
    say(&format!("watch it learn: {}", server.url()));
    if !server.addr().ip().is_loopback() {
        say(&format!(
            "note: listening on {}: anyone who can reach this machine can watch",
            server.addr()
        ));
    }
    Ok((LiveServer { server }, LiveObserver::new(live)))
}

impl LiveServer {
    /// Tells open pages, through the run's `observer`, how the run ended
    /// ("completed", "interrupted", "diverged"). Unless it was interrupted, keeps the page up until
    /// Ctrl-C (`stop`), so a run that ended before the browser opened can
    /// still be looked at.
    pub fn finish(
        self,
        observer: LiveObserver,
        status: &str,
        stop: &AtomicBool,
        say: impl Fn(&str),
    ) {
        observer.finish(status);
        if status != "interrupted" {
            say(&format!(
                "the page stays up at {}; Ctrl-C to stop",
                self.server.url()
            ));
            wait_for(stop);
        }
        self.server.stop();
    }
}

fn wait_for(stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(100));
    }
}
