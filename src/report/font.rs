//! The one font every figure uses, compiled into the program.
//!
//! plotters can ask the system for fonts (fontconfig, FreeType), but then a
//! figure depends on what the machine has installed. With its `ab_glyph`
//! feature it draws text from font bytes handed to it instead, so manabi
//! carries DejaVu Sans (`assets/fonts/`, licence beside it: free to bundle)
//! and registers it once, before the first figure.

#[cfg(not(target_arch = "wasm32"))]
use std::sync::Once;

#[cfg(not(target_arch = "wasm32"))]
use plotters::style::FontStyle;

/// The family name figures ask for; SVG viewers fall back to their own
/// sans-serif font, PNGs use the bundled one.
pub const FAMILY: &str = "sans-serif";

#[cfg(not(target_arch = "wasm32"))]
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Makes the bundled font available to plotters. Cheap after the first call.
/// In WebAssembly (the lab, `web/`), which draws no figure files, plotters
/// has no font registry and the program carries no font: nothing to do.
#[cfg(target_arch = "wasm32")]
pub fn register_font() {}

/// Makes the bundled font available to plotters. Cheap after the first call.
#[cfg(not(target_arch = "wasm32"))]
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are fixed at compile time and a test draws with them, so
        // a failure here is a broken build, not bad input.
        if plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_err() {
            panic!("the bundled DejaVu Sans font does not parse");
        }
    });
}
