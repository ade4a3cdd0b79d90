//! The page itself — HTML, CSS and the JavaScript modules from
//! `assets/dashboard/` — compiled into the program, so `manabi` serves it
//! with no network, no CDN and no build step.

use super::http::Response;

/// Every file of the page: its name, type and content.
pub const FILES: [(&str, &str, &str); 8] = [
    (
        "index.html",
        "text/html; charset=utf-8",
        include_str!("../../assets/dashboard/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/dashboard/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/app.js"),
    ),
    (
        "panels.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/panels.js"),
    ),
    (
        "draw.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/draw.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/i18n.js"),
    ),
    (
        "chart.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/dashboard/chart.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_str!("../../assets/dashboard/favicon.svg"),
    ),
];

/// The answer for the page's file `name`, if there is one.
pub fn response(name: &str) -> Option<Response> {
    let (_, content_type, text) = FILES.iter().find(|(n, _, _)| *n == name)?;
    let mut r = Response::ok(content_type, text.as_bytes());
    // Revalidate, so a newer manabi's page is never mixed with an older one's.
    r.cache = "no-cache";
    Some(r)
}
