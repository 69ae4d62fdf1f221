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

use std::path::Path;
use std::process::{Command, Output};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the carecast binary.
pub fn carecast(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_carecast"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run carecast")
}

/// Runs carecast expecting success; returns its stdout.
pub fn ok(args: &[&str]) -> String {
    let o = carecast(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "carecast {args:?} failed: {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs carecast expecting failure with exit status `code`, every one of
/// `needles` in its message and no panic or backtrace; returns stderr.
pub fn fails_with(args: &[&str], code: i32, needles: &[&str]) -> String {
    let o = carecast(args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{args:?}: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks {n:?}: {err}");
    }
    err
}

/// [`fails_with`], and `out` was not written.
pub fn fails(args: &[&str], code: i32, needles: &[&str], out: &Path) -> String {
    let err = fails_with(args, code, needles);
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
    err
}

/// A copy of the default model and its data in a temporary folder, with
/// the same layout (models/, data/), so tests can break one piece.
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        for rel in [
            "models/jiaxing.toml",
            "data/jiaxing/base_2021.csv",
            "data/jiaxing/synthesis.toml",
            "data/reference/china_population_2020.csv",
            "data/reference/china_mx_2015_2020.csv",
            "data/reference/china_fertility_2015_2020.csv",
            "data/reference/dementia_prevalence_china.csv",
            "data/reference/adl_dependency_china.csv",
            "data/reference/severe_dependency_china.csv",
            "data/reference/wpp2019_bounds_158.csv",
        ] {
            let to = dir.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root().join(rel), to).unwrap();
        }
        // The shipped model names built-in tables; the fixture reads the
        // copied files instead, so tests can break them.
        let model = dir.path().join("models/jiaxing.toml");
        let text = std::fs::read_to_string(&model).unwrap();
        let mut files = String::new();
        let mut rest = text.as_str();
        while let Some(i) = rest.find("\"builtin:") {
            files.push_str(&rest[..i]);
            let end = rest[i + 1..].find('"').unwrap() + i + 1;
            let name = &rest[i + 9..end];
            files.push_str(&format!(
                "\"../data/reference/{}.csv",
                name.replace('-', "_")
            ));
            rest = &rest[end..];
        }
        files.push_str(rest);
        std::fs::write(&model, files).unwrap();
        Fixture { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn model(&self) -> String {
        self.path("models/jiaxing.toml").display().to_string()
    }

    /// Rewrites a file with `edit`.
    pub fn edit(&self, rel: &str, edit: impl FnOnce(String) -> String) {
        let p = self.path(rel);
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, edit(text)).unwrap();
    }
}

/// Parses a CSV file into rows of cells (double-quoted cells may hold
/// commas and doubled quotes; no cell spans lines in our tables).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header = split_csv_line(lines.next().unwrap());
    let rows = lines.map(split_csv_line).collect();
    (header, rows)
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    cells.push(cell);
    cells
}

/// The standard normal distribution function (Abramowitz & Stegun 7.1.26,
/// absolute error below 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}
