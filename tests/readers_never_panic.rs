//! Readers that never panic: property-based tests feed every reader
//! arbitrary bytes, truncated files and mutated valid files (CSV, GBK CSV,
//! Parquet and xlsx tables, model TOML, sweep grid, synthesis spec, WPP
//! text files, sweep manifests and tables). Every case must end in `Ok` or
//! in an error naming the file: never a panic (proptest fails the case) and
//! never a hang (each case is small; the suite runs in seconds).
//!
//! Cases per property: [`CASES`] (6 properties over 9 kinds of file:
//! 1,800 cases in all, in every CI run).

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use carecast::io::{model_file, read_text_table, sweep_file, synthesis_file, tables, wpp};

use crate::common::{carecast, root, wpp_dir, Fixture};

/// Cases per reader.
const CASES: u32 = 300;

/// One change to a file's bytes; positions are fractions of the length.
#[derive(Debug, Clone)]
enum Mutation {
    /// Keep the first part of the file.
    Truncate(f64),
    /// Replace one byte.
    Flip(f64, u8),
    /// Insert bytes.
    Insert(f64, Vec<u8>),
    /// Remove a run of bytes.
    Delete(f64, usize),
    /// Duplicate a run of bytes (repeated rows and keys).
    Repeat(f64, usize),
    /// Replace the whole file by arbitrary bytes.
    Replace(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        at.clone().prop_map(Mutation::Truncate),
        (at.clone(), any::<u8>()).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (
            at.clone(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..16),
                // Text that readers treat specially.
                prop::sample::select(vec![
                    b"\n".to_vec(),
                    b",".to_vec(),
                    b"\"".to_vec(),
                    b"#".to_vec(),
                    b"=".to_vec(),
                    b"[".to_vec(),
                    b"-1".to_vec(),
                    b"1e308".to_vec(),
                    b"NaN".to_vec(),
                    b"inf".to_vec(),
                    "男".as_bytes().to_vec(),
                    b"\xEF\xBB\xBF".to_vec(),
                    b"\t".to_vec(),
                ]),
            ]
        )
            .prop_map(|(a, b)| Mutation::Insert(a, b)),
        (at.clone(), 1..64usize).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (at, 1..200usize).prop_map(|(a, n)| Mutation::Repeat(a, n)),
        prop::collection::vec(any::<u8>(), 0..256).prop_map(Mutation::Replace),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 1..4)
}

fn apply(seed: &[u8], changes: &[Mutation]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for m in changes {
        let pos = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        match m {
            Mutation::Truncate(f) => bytes.truncate(pos(*f, bytes.len())),
            Mutation::Flip(f, b) => {
                if !bytes.is_empty() {
                    let i = pos(*f, bytes.len() - 1);
                    bytes[i] = *b;
                }
            }
            Mutation::Insert(f, b) => {
                let i = pos(*f, bytes.len());
                bytes.splice(i..i, b.iter().copied());
            }
            Mutation::Delete(f, n) => {
                let i = pos(*f, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Mutation::Repeat(f, n) => {
                let i = pos(*f, bytes.len());
                let end = (i + n).min(bytes.len());
                let run = bytes[i..end].to_vec();
                bytes.splice(end..end, run);
            }
            Mutation::Replace(b) => bytes = b.clone(),
        }
    }
    bytes
}

/// An error must name the file it is about.
fn names(e: &dyn std::fmt::Display, file: &Path) -> std::result::Result<(), TestCaseError> {
    let text = e.to_string();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    prop_assert!(text.contains(&name), "error does not name {name}: {text}");
    Ok(())
}

fn config() -> ProptestConfig {
    ProptestConfig {
        // PROPTEST_CASES=N runs more (a longer hunt than CI's).
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Seeds of the table readers: (extension, bytes).
fn table_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let csv = std::fs::read(root().join("data/jiaxing/base_2021.csv")).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    let gbk = encoding_rs::GBK
        .encode(
            &text
                .replace("year,sex,age,population", "年份,性别,年龄,人口")
                .replace(",male,", ",男,"),
        )
        .0
        .into_owned();
    let table = read_text_table(&root().join("data/jiaxing/base_2021.csv")).unwrap();
    let columns: Vec<(String, tables::ColumnData)> = (0..table.columns().len())
        .map(|c| {
            let cells = (0..table.height())
                .map(|r| table.text(r, c).unwrap().to_string())
                .collect();
            (table.columns()[c].clone(), tables::ColumnData::Text(cells))
        })
        .collect();
    let t = tables::Table::new(columns);
    let parquet = t.encode(carecast::io::Format::Parquet).unwrap();
    let xlsx = t.encode(carecast::io::Format::Xlsx).unwrap();
    vec![
        ("csv", csv),
        ("csv", gbk),
        ("parquet", parquet),
        ("xlsx", xlsx),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn table_readers(seed in 0..4usize, changes in mutations()) {
        thread_local! {
            static SEEDS: Vec<(&'static str, Vec<u8>)> = table_seeds();
        }
        let (ext, bytes) = SEEDS.with(|s| s[seed].clone());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("base.{ext}"));
        std::fs::write(&file, apply(&bytes, &changes)).unwrap();
        if let Err(e) = tables::read_population(&file, "population", 100, Some(2021)) {
            names(&e, &file)?;
        }
    }

    #[test]
    fn model_files(changes in mutations()) {
        let fx = Fixture::new();
        let model = fx.path("models/jiaxing.toml");
        let bytes = std::fs::read(&model).unwrap();
        std::fs::write(&model, apply(&bytes, &changes)).unwrap();
        if let Err(e) = model_file::load(&model) {
            names(&e, &model)?;
        }
    }

    #[test]
    fn sweep_grids(changes in mutations()) {
        let fx = Fixture::new();
        let grid = fx.path("models/sweeps/grid.toml");
        std::fs::create_dir_all(grid.parent().unwrap()).unwrap();
        let bytes = std::fs::read(root().join("models/sweeps/jiaxing_tfr_e0.toml")).unwrap();
        std::fs::write(&grid, apply(&bytes, &changes)).unwrap();
        if let Err(e) = sweep_file::read_sweep(&grid) {
            names(&e, &grid)?;
        }
    }

    #[test]
    fn synthesis_specs(changes in mutations()) {
        let fx = Fixture::new();
        let spec = fx.path("data/jiaxing/synthesis.toml");
        let bytes = std::fs::read(&spec).unwrap();
        std::fs::write(&spec, apply(&bytes, &changes)).unwrap();
        if let Err(e) = synthesis_file::synthesize(&spec) {
            names(&e, &spec)?;
        }
    }

    #[test]
    fn wpp_files(file in 0..WPP_FILES.len(), changes in mutations()) {
        let dir = wpp_subset();
        let path = dir.path().join(WPP_FILES[file]);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, apply(&bytes, &changes)).unwrap();
        let read = wpp::read_country(dir.path(), 156, 2020)
            .and_then(|_| wpp::read_calibration(dir.path(), 156).map(|_| ()));
        if let Err(e) = read {
            // The error names a WPP file of the folder (not always the one
            // mutated: a cut file may leave a country missing elsewhere).
            let text = e.to_string();
            prop_assert!(
                WPP_FILES.iter().any(|f| text.contains(f)) || text.contains("proj*.txt"),
                "error names no file: {text}"
            );
        }
    }

    #[test]
    fn sweep_manifests_and_tables(which in 0..2usize, changes in mutations()) {
        let shard = sweep_shard();
        let dir = tempfile::tempdir().unwrap();
        for f in ["sweep_manifest.toml", "sweep.csv"] {
            std::fs::copy(shard.join(f), dir.path().join(f)).unwrap();
        }
        let target = dir.path().join(["sweep_manifest.toml", "sweep.csv"][which]);
        let bytes = std::fs::read(&target).unwrap();
        std::fs::write(&target, apply(&bytes, &changes)).unwrap();
        if which == 0 {
            if let Err(e) = sweep_file::Manifest::read(dir.path()) {
                names(&e, &target)?;
            }
        } else if let Err(e) = sweep_file::read_sweep_table(&target) {
            names(&e, &target)?;
        }
    }
}

/// The WPP files `read_country` and `read_calibration` read.
const WPP_FILES: &[&str] = &[
    "popM.txt",
    "popF.txt",
    "mxM.txt",
    "mxF.txt",
    "percentASFR.txt",
    "tfr.txt",
    "tfrprojMed.txt",
    "sexRatio.txt",
    "migration.txt",
    "tfrproj80l.txt",
    "tfrproj80u.txt",
    "tfrproj95l.txt",
    "tfrproj95u.txt",
    "e0Mproj.txt",
    "e0Mproj80l.txt",
    "e0Mproj80u.txt",
    "e0Mproj95l.txt",
    "e0Mproj95u.txt",
    "e0Fproj.txt",
    "e0Fproj80l.txt",
    "e0Fproj80u.txt",
    "e0Fproj95l.txt",
    "e0Fproj95u.txt",
];

/// A folder with the header and China's rows of every WPP file (copied
/// fresh for each case from a subset made once).
fn wpp_subset() -> tempfile::TempDir {
    static SUBSET: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    let files = SUBSET.get_or_init(|| {
        let src = wpp_dir();
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&src).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".txt") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let mut lines = text.lines();
            let mut kept = format!("{}\n", lines.next().unwrap_or(""));
            for line in lines.filter(|l| l.starts_with("156\t") || l.starts_with("China\t")) {
                kept.push_str(line);
                kept.push('\n');
            }
            out.push((name, kept.into_bytes()));
        }
        out
    });
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// The output folder of one shard of the shipped sweep (made once).
fn sweep_shard() -> PathBuf {
    static SHARD: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    SHARD
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let o = carecast(&[
                "sweep",
                "--grid",
                "models/sweeps/jiaxing_tfr_e0.toml",
                "--shard",
                "1/10",
                "--out",
                dir.path().to_str().unwrap(),
                "-q",
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            dir
        })
        .path()
        .to_path_buf()
}

#[test]
fn the_seeds_read_cleanly() {
    for (ext, bytes) in table_seeds() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(format!("base.{ext}"));
        std::fs::write(&file, bytes).unwrap();
        tables::read_population(&file, "population", 100, Some(2021))
            .unwrap_or_else(|e| panic!("{ext}: {e}"));
    }
    let dir = wpp_subset();
    wpp::read_country(dir.path(), 156, 2020).unwrap();
    wpp::read_calibration(dir.path(), 156).unwrap();
    sweep_file::Manifest::read(&sweep_shard()).unwrap();
}
