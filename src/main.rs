//! The `manabi` command: train a network, check its gradient, look at data.
#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
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

/// `manabi train | head -3`: when the reader of standard output goes away,
/// stop quietly as command-line tools do (exit status 141, as if by
/// SIGPIPE), instead of a panic message about a broken pipe from the next
/// `println!`. Every other panic is reported as usual.
fn quiet_on_closed_stdout() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        report(info)
    }));
}
