//! Shared helpers for integration tests: where the shared data lives, and
//! tolerances in one place.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared` next to the checkout.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
}

/// The UN WPP 2019 folder.
pub fn wpp_dir() -> PathBuf {
    shared().join("data").join("wpp2019")
}

/// UN country codes.
pub const CHINA: u32 = 156;
pub const JAPAN: u32 = 392;

/// Relative difference.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}
