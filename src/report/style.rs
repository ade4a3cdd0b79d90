//! The look shared by every figure: colours and number formats.

use plotters::style::RGBColor;

/// Training curves, raw values.
pub const BLUE_LIGHT: RGBColor = RGBColor(158, 202, 225);
/// Training curves, the line to read.
pub const BLUE_DARK: RGBColor = RGBColor(31, 100, 170);
/// Test curves.
pub const ORANGE: RGBColor = RGBColor(230, 110, 20);
/// Guides: axes through the origin, tangent points.
pub const GREY: RGBColor = RGBColor(110, 110, 110);
/// Errors, diverging paths.
pub const RED: RGBColor = RGBColor(200, 40, 40);

/// 12345 → "12,345": counts a reader takes in at a glance.
///
/// ```
/// assert_eq!(manabi::report::fmt_count(10000), "10,000");
/// assert_eq!(manabi::report::fmt_count(999), "999");
/// ```
pub fn fmt_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
