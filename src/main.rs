//! The `manabi` command: train a network, check its gradient, look at data.
#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the cause chain joined, e.g. "loading --data-dir x: …".
            eprintln!("manabi: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
