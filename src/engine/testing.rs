//! The one door tests and benchmarks use into the engines' insides: not
//! part of the library's interface, and hidden from its documentation.
//!
//! It offers the fast engine's pieces — its layout ([`FastNet`], [`Grads`],
//! [`Batch`]), its passes ([`forward`], [`backward`], [`forward_backward`],
//! [`sgd_update`], [`accuracy`]), its kernels' types — and the record of
//! which kernel levels the tests ran:
//!
//! - [`runs`] / [`runs_amx`]: whether this processor runs a level; if it
//!   does, the level is recorded as exercised (an empty file
//!   `target/kernel-levels/<level>`, which `.ci/run` lists at the end); if
//!   not, a line `skipped: <level> kernels untested (this processor lacks …)`
//!   is printed, even from a passing test, so none passes silently for want
//!   of a processor;
//! - [`at_each_level`]: a test run at every [`Level`] of this build.
//!
//! A new level needs nothing here: it is a new [`Level`].

use std::path::PathBuf;

pub use super::fast::FastEngine;
pub use super::fast::backward::{BackwardScratch, backward, forward_backward};
pub use super::fast::batch::{Batch, scale_table};
pub use super::fast::evaluate::accuracy;
pub use super::fast::forward::{Activations, forward, forward_again, hidden_layer};
pub use super::fast::kernels::aligned::Aligned;
pub use super::fast::kernels::amx::{MAX_D, W1Planes};
pub use super::fast::kernels::float::Float;
pub use super::fast::kernels::panel::Panels;
pub use super::fast::kernels::{Level, level};
pub use super::fast::layout::{FastNet, Grads, Slot};
pub use super::fast::update::sgd_update;

use super::fast::kernels::amx;

/// Whether f32's x·W1 runs on the AMX tile unit here.
pub fn amx_available() -> bool {
    amx::available()
}

/// Whether this processor runs the kernels of `level`: recorded as
/// exercised if it does, said on standard error if it does not.
pub fn runs(level: Level) -> bool {
    if level.supported() {
        exercised(level.name());
        true
    } else {
        let why = if cfg!(target_arch = "x86_64") {
            format!("this processor lacks {}", level.needs())
        } else {
            format!("an x86-64 level; this is {}", std::env::consts::ARCH)
        };
        untested(level.name(), &why);
        false
    }
}

/// Whether f32's x·W1 runs on AMX here ([`runs`], for AMX).
pub fn runs_amx() -> bool {
    if amx::available() {
        exercised("amx");
        true
    } else {
        let why = match std::env::var("MANABI_SIMD") {
            Ok(asked) if !asked.is_empty() => format!("MANABI_SIMD={asked} keeps it off"),
            _ if !cfg!(target_arch = "x86_64") => {
                format!("an x86-64 level; this is {}", std::env::consts::ARCH)
            }
            _ => "this processor lacks AMX-TILE and AMX-INT8, or Linux did not grant the \
                  tile state"
                .to_string(),
        };
        untested("amx", &why);
        false
    }
}

/// Runs `test` at every kernel level this processor has, widest first;
/// the others are said to be untested.
pub fn at_each_level(mut test: impl FnMut(Level)) {
    for level in Level::ALL {
        if runs(level) {
            test(level);
        }
    }
}

/// Records that a test ran the kernels of level `name`: an empty file
/// `kernel-levels/<name>` in the target folder of the test binary (or
/// `CARGO_TARGET_DIR`). Nothing is recorded outside a target folder.
pub fn exercised(name: &str) {
    if let Some(dir) = levels_dir() {
        // A record that cannot be written only leaves the summary shorter.
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(name), "");
    }
}

/// `skipped: <name> kernels untested (<why>)`, `why` such as "this
/// processor lacks AVX2 and FMA", on standard error, written past the test
/// harness's capture of `eprintln!` so that it shows even when the test
/// passes.
pub fn untested(name: &str, why: &str) {
    use std::io::Write;
    let line = format!("skipped: {name} kernels untested ({why})\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// `<target>/kernel-levels`: the target folder from `CARGO_TARGET_DIR`, or
/// the one holding this test binary (`<target>/<profile>/deps/<binary>`).
fn levels_dir() -> Option<PathBuf> {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let exe = std::env::current_exe().ok()?;
            let deps = exe.parent()?;
            if deps.file_name()? != "deps" {
                return None;
            }
            deps.parent()?.parent()?.to_path_buf()
        }
    };
    Some(target.join("kernel-levels"))
}
