//! Sweeps: what each parameter changes, shards merged bit for bit, and bad
//! grids, shards and merges rejected with nothing written.

use std::path::{Path, PathBuf};

use crate::common::{ok, root};
use carecast::io::model_file;
use carecast::sweep::{apply, Axis, Grid, Parameter, Value};
use carecast::{demand_forms, Stochastic};

/// Writes a sweep file into `dir` whose model is the repository's Jiaxing.
fn grid_file(dir: &Path, name: &str, sweep_extra: &str, grid: &str) -> PathBuf {
    let model = root().join("models/jiaxing.toml");
    let text = format!(
        "[sweep]\nmodel = {:?}\ntrajectories = 300\nseed = 11\nyears = [2025, 2030]\n{sweep_extra}\n[grid]\n{grid}\n",
        model.display().to_string()
    );
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs carecast expecting exit status 1, `needles` in the message and
/// nothing written to `out`.
fn fails(args: &[&str], needles: &[&str], out: &Path) {
    crate::common::fails(args, 1, needles, out);
}

#[test]
fn shards_merge_into_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = grid_file(
        d,
        "g.toml",
        "",
        "tfr = [0.81, 1.3]\ne0_gain = [0, 2]\nmigration = [0, 3000]",
    );
    let g = grid.to_str().unwrap();
    let single = d.join("single");
    let summary = ok(&["sweep", "--grid", g, "--out", single.to_str().unwrap()]);
    assert!(summary.contains("8 of 8 points"), "{summary}");
    let mut shards = Vec::new();
    for (k, threads) in [(1, "1"), (2, "2"), (3, "1")] {
        let out = d.join(format!("shard{k}"));
        ok(&[
            "sweep",
            "--grid",
            g,
            "--shard",
            &format!("{k}/3"),
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
            "-q",
        ]);
        shards.push(out);
    }
    let merged = d.join("merged");
    // Shards in any order.
    ok(&[
        "merge",
        shards[2].to_str().unwrap(),
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
        "-q",
    ]);
    for f in ["sweep.csv", "sweep.parquet", "sweep_manifest.toml"] {
        assert_eq!(
            std::fs::read(single.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
            "{f}"
        );
    }
    let (header, rows) = crate::common::read_csv(&single.join("sweep.csv"));
    assert_eq!(
        header[..5],
        ["point", "tfr", "e0_gain", "migration", "year"]
    );
    // Every point has every indicator and the caregivers' gap in both years.
    for p in 0..8 {
        for year in ["2025", "2030"] {
            let has = |q: &str| {
                rows.iter()
                    .any(|r| r[0] == p.to_string() && r[4] == year && r[6] == q)
            };
            assert!(has("births") && has("share_60plus") && has("caregivers"));
        }
    }
    // More fertility, more births; the same point twice gives the same row.
    let births = |tfr: &str| -> f64 {
        rows.iter()
            .find(|r| {
                r[1] == tfr && r[2] == "0.0" && r[3] == "0.0" && r[4] == "2030" && r[6] == "births"
            })
            .unwrap()[8]
            .parse()
            .unwrap()
    };
    assert!(births("1.3") > 1.4 * births("0.81"));
}

#[test]
fn parameters_change_what_they_name() {
    let model = model_file::load(&root().join("models/jiaxing.toml")).unwrap();
    let plan = model.scenario("plan").unwrap();
    let grid = Grid::new(vec![
        Axis {
            parameter: Parameter::Tfr,
            values: vec![Value::Number(1.62)],
        },
        Axis {
            parameter: Parameter::E0Gain,
            values: vec![Value::Number(0.0), Value::Number(2.0)],
        },
        Axis {
            parameter: Parameter::Standard("caregivers".into()),
            values: vec![Value::Number(30.0)],
        },
    ])
    .unwrap();
    let setup = |i| apply(&model, plan, &grid.point(i), Stochastic::default()).unwrap();
    let (a, b) = (setup(0), setup(1));
    // tfr = 1.62 is the model's own "TFR held at 1.62" scenario.
    let held = model.scenario("tfr_1.62").unwrap();
    for year in [2021, 2030, 2049] {
        let (x, y) = (
            a.assumptions.step_rates(year).unwrap(),
            held.assumptions.step_rates(year).unwrap(),
        );
        assert_eq!(x.tfr, y.tfr);
        assert_eq!(x.asfr, y.asfr);
    }
    // e0 gain: phased in linearly to the end year.
    for (year, share) in [(2021, 0.0), (2035, 14.0 / 29.0), (2049, 28.0 / 29.0)] {
        let (x, y) = (
            a.assumptions.step_rates(year).unwrap(),
            b.assumptions.step_rates(year).unwrap(),
        );
        for s in 0..2 {
            let gain = y.e0[s] - x.e0[s];
            assert!((gain - 2.0 * share).abs() < 0.01, "{year}: {gain}");
        }
    }
    // The caregiver standard's 2025 target becomes 30 per 10,000 elderly.
    let forms = demand_forms(&a.services, model.base.grid(), &[2025, 2030]).unwrap();
    let care = forms
        .iter()
        .find(|f| f.service == "caregivers" && f.primary)
        .unwrap();
    assert_eq!(care.scale, vec![30.0 / 10_000.0; 2]);
}

#[test]
fn bad_grids_and_shards() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    let o = out.to_str().unwrap();
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "",
            "",
            vec!["grid", "no parameters", "expected at least one parameter"],
        ),
        (
            "",
            "tfr = []",
            vec!["grid parameter tfr", "empty list", "at least one value"],
        ),
        (
            "",
            "fertility = [1.0]",
            vec![
                "grid parameter",
                "\"fertility\"",
                "expected one of",
                "e0_gain",
            ],
        ),
        (
            "",
            "\"standard.cooks\" = [3]",
            vec!["standard.cooks", "service \"cooks\"", "caregivers"],
        ),
        ("", "tfr = [0.0]", vec!["grid parameter tfr", "TFR"]),
        (
            "trajectories = 0",
            "tfr = [1.0]",
            vec!["trajectories", "at least 1"],
        ),
        (
            "",
            "tfr = [\"high\"]",
            vec!["grid parameter tfr", "finite numbers"],
        ),
    ];
    for (i, (setting, grid, needles)) in cases.into_iter().enumerate() {
        let path = grid_file(d, &format!("bad{i}.toml"), "", grid);
        if !setting.is_empty() {
            // Replace the default setting of the same key.
            let key = setting.split(' ').next().unwrap();
            let t: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .map(|l| if l.starts_with(key) { setting } else { l })
                .collect::<Vec<_>>()
                .join("\n");
            std::fs::write(&path, t).unwrap();
        }
        fails(
            &["sweep", "--grid", path.to_str().unwrap(), "--out", o],
            &needles,
            &out,
        );
    }
    let good = grid_file(d, "good.toml", "", "tfr = [1.0, 1.2]");
    let g = good.to_str().unwrap();
    for shard in ["3/2", "0/2", "2", "1/0"] {
        fails(
            &["sweep", "--grid", g, "--shard", shard, "--out", o],
            &["--shard", "K/N"],
            &out,
        );
    }
    // Shards of different sweeps (another seed) are not merged.
    let other = grid_file(d, "other.toml", "", "tfr = [1.0, 1.2]");
    let t = std::fs::read_to_string(&other)
        .unwrap()
        .replace("seed = 11", "seed = 12");
    std::fs::write(&other, t).unwrap();
    let (s1, s2) = (d.join("s1"), d.join("s2"));
    ok(&[
        "sweep",
        "--grid",
        g,
        "--shard",
        "1/2",
        "--out",
        s1.to_str().unwrap(),
        "-q",
    ]);
    ok(&[
        "sweep",
        "--grid",
        other.to_str().unwrap(),
        "--shard",
        "2/2",
        "--out",
        s2.to_str().unwrap(),
        "-q",
    ]);
    fails(
        &[
            "merge",
            s1.to_str().unwrap(),
            s2.to_str().unwrap(),
            "--out",
            o,
        ],
        &["expected shards of one sweep"],
        &out,
    );
    fails(
        &["merge", s1.to_str().unwrap(), "--out", o],
        &["missing shards 2/2"],
        &out,
    );
    fails(
        &["merge", d.to_str().unwrap(), "--out", o],
        &[
            "sweep_manifest.toml",
            "expected the output folder of a sweep",
        ],
        &out,
    );
}

#[test]
fn the_shipped_sweep_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let text = ok(&[
        "sweep",
        "--grid",
        "models/sweeps/jiaxing_tfr_e0.toml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(text.contains("30 of 30 points"), "{text}");
    let (header, rows) = crate::common::read_csv(&out.join("sweep.csv"));
    let caregivers_2025: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[6] == "caregivers" && r[4] == "2025")
        .collect();
    assert_eq!(caregivers_2025.len(), 30);
    // With the supply's delivery and attrition drawn, a stricter caregiver
    // standard (30 per 10,000) than the supply was planned for (27) is more
    // often short than the plan's own, point for point.
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (standard, p) = (col("standard.caregivers"), col("p_shortfall"));
    for strict in caregivers_2025.iter().filter(|r| r[standard] == "30") {
        let planned = caregivers_2025
            .iter()
            .find(|r| r[standard] == "27" && r[1..standard] == strict[1..standard])
            .unwrap();
        let (a, b): (f64, f64) = (planned[p].parse().unwrap(), strict[p].parse().unwrap());
        assert!(b > a && b > 0.5, "{planned:?} vs {strict:?}");
    }
    // Supply as planned: the plan's own standard is met, the stricter one
    // is not, so caregivers are short in 2025 at those points only.
    let grid = dir.path().join("certain.toml");
    std::fs::write(
        &grid,
        std::fs::read_to_string(crate::common::root().join("models/sweeps/jiaxing_tfr_e0.toml"))
            .unwrap()
            .replace(
                "../jiaxing.toml",
                &crate::common::root()
                    .join("models/jiaxing.toml")
                    .display()
                    .to_string(),
            )
            .replace("threshold = 0.5", "threshold = 0.5\ncertain_supply = true"),
    )
    .unwrap();
    let text = ok(&[
        "sweep",
        "--grid",
        grid.to_str().unwrap(),
        "--out",
        dir.path().join("certain").to_str().unwrap(),
    ]);
    assert!(text.contains("caregivers 2025: 15 points"), "{text}");
}

/// The three output files of a sweep folder.
fn outputs(dir: &Path) -> Vec<Vec<u8>> {
    ["sweep.csv", "sweep.parquet", "sweep_manifest.toml"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")))
        .collect()
}

/// A 12-point grid for the kill tests, run in chunks of 2 points.
fn kill_grid(d: &Path) -> PathBuf {
    grid_file(
        d,
        "kill.toml",
        "",
        "tfr = [0.81, 1.0, 1.3]\ne0_gain = [0, 2]\nmigration = [0, 3000]",
    )
}

fn sweep_args<'a>(grid: &'a str, out: &'a str) -> Vec<&'a str> {
    vec!["sweep", "--grid", grid, "--out", out, "--chunk-points", "2"]
}

/// Runs a kill-test sweep that aborts in the middle of writing its
/// `nth` chunk; asserts that it did not succeed.
fn aborted_sweep(grid: &str, out: &str, nth: &str, extra: &[&str]) {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_carecast"))
        .args(sweep_args(grid, out))
        .arg("-q")
        .args(extra)
        .env(carecast::io::sweep_progress::ABORT_IN_CHUNK_ENV, nth)
        .output()
        .unwrap();
    assert!(!o.status.success(), "chunk {nth}: the abort did not happen");
}

#[test]
fn a_sweep_aborted_while_writing_a_chunk_resumes_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = kill_grid(d);
    let g = grid.to_str().unwrap();
    let whole = d.join("whole");
    ok(&["sweep", "--grid", g, "--out", whole.to_str().unwrap(), "-q"]);
    let expected = outputs(&whole);
    // Abort in the middle of the 1st, 3rd and 6th chunk written (the last
    // one: every other chunk is done).
    for nth in ["1", "3", "6"] {
        let out = d.join(format!("abort{nth}"));
        aborted_sweep(g, out.to_str().unwrap(), nth, &[]);
        // Nothing of the tables is written; the half-written chunk is a
        // temporary, never a chunk file.
        assert!(!out.join("sweep.csv").exists() && !out.join("sweep.parquet").exists());
        let progress = out.join(carecast::io::sweep_progress::PROGRESS_DIR);
        let names: Vec<String> = std::fs::read_dir(&progress)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().any(|n| n.contains(".tmp-")),
            "chunk {nth}: no temporary left by the abort: {names:?}"
        );
        let finished = names.iter().filter(|n| n.starts_with("chunk-")).count();
        assert!(finished < 6, "chunk {nth}: {names:?}");
        // The same command again: resumes, computes the rest.
        let summary = ok(&sweep_args(g, out.to_str().unwrap()));
        if finished > 0 {
            assert!(
                summary.contains(&format!("{} resumed", 2 * finished)),
                "{summary}"
            );
        }
        assert_eq!(outputs(&out), expected, "aborted in chunk {nth}");
        assert!(
            !progress.exists(),
            "the progress folder stays after the tables"
        );
    }
}

#[test]
fn a_sweep_killed_with_sigkill_resumes_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = kill_grid(d);
    let g = grid.to_str().unwrap();
    let whole = d.join("whole");
    ok(&["sweep", "--grid", g, "--out", whole.to_str().unwrap(), "-q"]);
    let expected = outputs(&whole);
    // Kill when 1, 3 and 5 of the 6 chunks are on disk.
    for finished in [1usize, 3, 5] {
        let out = d.join(format!("kill{finished}"));
        let progress = out.join(carecast::io::sweep_progress::PROGRESS_DIR);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_carecast"))
            .args(sweep_args(g, out.to_str().unwrap()))
            .args(["-q", "--threads", "1"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let chunks = || {
            std::fs::read_dir(&progress).map_or(0, |entries| {
                entries
                    .flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with("chunk-"))
                    .count()
            })
        };
        let t0 = std::time::Instant::now();
        while chunks() < finished && t0.elapsed().as_secs() < 60 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // SIGKILL: no handler runs, nothing is cleaned up.
        let _ = child.kill();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the sweep ended before the kill");
        assert!(!out.join("sweep.csv").exists());
        let summary = ok(&sweep_args(g, out.to_str().unwrap()));
        assert!(summary.contains("resumed"), "{summary}");
        assert_eq!(outputs(&out), expected, "killed after {finished} chunks");
    }
}

#[test]
fn a_resume_of_another_sweep_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = kill_grid(d);
    let g = grid.to_str().unwrap();
    let out = d.join("out");
    let o = out.to_str().unwrap();
    aborted_sweep(g, o, "4", &[]);
    let progress = out.join(carecast::io::sweep_progress::PROGRESS_DIR);
    let before: Vec<_> = std::fs::read_dir(&progress).unwrap().collect();
    // Another seed, another grid, another shard: refused, progress kept.
    let mut other_seed = sweep_args(g, o);
    other_seed.extend(["--seed", "12"]);
    let changed = grid_file(
        d,
        "kill.toml",
        "",
        "tfr = [0.81, 1.0, 1.4]\ne0_gain = [0, 2]\nmigration = [0, 3000]",
    );
    let c = changed.to_str().unwrap().to_string();
    let mut other_shard = sweep_args(g, o);
    other_shard.extend(["--shard", "1/2"]);
    for args in [other_seed, sweep_args(&c, o), other_shard] {
        crate::common::fails_with(
            &args,
            1,
            &["unfinished progress of another sweep", "--restart"],
        );
        assert!(!out.join("sweep.csv").exists());
        assert_eq!(std::fs::read_dir(&progress).unwrap().count(), before.len());
    }
    // --restart discards it and runs the changed grid from scratch.
    let mut restart = sweep_args(&c, o);
    restart.push("--restart");
    let summary = ok(&restart);
    assert!(!summary.contains("resumed"), "{summary}");
    let fresh = d.join("fresh");
    ok(&[
        "sweep",
        "--grid",
        &c,
        "--out",
        fresh.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(outputs(&out), outputs(&fresh));
}

#[test]
fn a_damaged_chunk_is_computed_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grid = kill_grid(d);
    let g = grid.to_str().unwrap();
    let whole = d.join("whole");
    ok(&["sweep", "--grid", g, "--out", whole.to_str().unwrap(), "-q"]);
    let out = d.join("out");
    let o = out.to_str().unwrap();
    aborted_sweep(g, o, "5", &["--threads", "1"]);
    let progress = out.join(carecast::io::sweep_progress::PROGRESS_DIR);
    let chunk = std::fs::read_dir(&progress)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("chunk-")
        })
        .expect("a finished chunk");
    let bytes = std::fs::read(&chunk).unwrap();
    std::fs::write(&chunk, &bytes[..bytes.len() / 3]).unwrap();
    let o2 = crate::common::carecast(&sweep_args(g, o));
    let err = String::from_utf8_lossy(&o2.stderr);
    assert!(o2.status.success(), "{err}");
    assert!(
        err.contains("warning")
            && err.contains(&chunk.file_name().unwrap().to_string_lossy().to_string())
            && err.contains("computed again"),
        "{err}"
    );
    assert_eq!(outputs(&out), outputs(&whole));
}

#[test]
fn the_streamed_table_equals_the_table_written_at_once() {
    use carecast::io::sweep_file::{
        read_sweep_table, sweep_table, SweepTableWriter, SWEEP_ROWS_PER_GROUP,
    };
    use carecast::io::tables::Format;
    use carecast::sweep::{GapColumns, SweepRow};
    let parameters = vec![Parameter::Tfr];
    let n = SWEEP_ROWS_PER_GROUP + SWEEP_ROWS_PER_GROUP / 3;
    let rows: Vec<SweepRow> = (0..n)
        .map(|i| SweepRow {
            region: None,
            point: i / 7,
            values: vec![Value::Number(0.8 + (i / 7) as f64 * 1e-4)],
            year: 2025 + (i % 7) as i32,
            kind: if i % 2 == 0 { "indicator" } else { "service" }.into(),
            quantity: format!("q{}", i % 5),
            p05: i as f64 * 0.1,
            p50: i as f64 / 3.0,
            p95: (i as f64).sqrt(),
            mean: 1.0 / (1.0 + i as f64),
            gap: (i % 2 == 1).then_some(GapColumns {
                p_shortfall: (i % 100) as f64 / 100.0,
                shortfall_p50: -(i as f64),
                shortfall_p90: i as f64 * 1.5,
                capacity_needed_p90: i as f64 + 0.25,
                supply: 1000.0,
            }),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, pieces: &[usize]| -> PathBuf {
        let out = dir.path().join(name);
        let mut set = carecast::io::OutputSet::new(&out).unwrap();
        let mut w = SweepTableWriter::new(&mut set, &parameters, false);
        let mut from = 0;
        for &p in pieces.iter().chain(std::iter::once(&n)) {
            let to = p.min(n);
            w.push(rows[from..to].to_vec()).unwrap();
            from = to;
        }
        w.finish().unwrap();
        set.commit().unwrap();
        out
    };
    let once = write("once", &[]);
    let pieces = write("pieces", &[1, 17, 40_000, 65_536, 70_001]);
    for f in ["sweep.csv", "sweep.parquet"] {
        assert_eq!(
            std::fs::read(once.join(f)).unwrap(),
            std::fs::read(pieces.join(f)).unwrap(),
            "{f}"
        );
    }
    // The CSV is the table written at once; the Parquet holds every bit.
    assert_eq!(
        std::fs::read(once.join("sweep.csv")).unwrap(),
        sweep_table(&parameters, &rows, Format::Csv).unwrap()
    );
    let (params, back) = read_sweep_table(&once.join("sweep.parquet")).unwrap();
    assert_eq!(params, parameters);
    assert_eq!(back, rows);
}

#[test]
fn the_benchmark_grids_have_their_points() {
    for (name, points) in [("bench_1k", 1010), ("bench_10k", 10_100)] {
        let spec = carecast::io::sweep_file::read_sweep(
            &root().join(format!("models/sweeps/{name}.toml")),
        )
        .unwrap();
        assert_eq!(spec.grid.len(), points, "{name}");
        assert_eq!(spec.trajectories, 1000, "{name}");
        assert_eq!(
            spec.grid.label(0),
            "tfr=0.7;e0_gain=0;standard.caregivers=".to_string()
                + if name == "bench_1k" { "27" } else { "18" }
        );
    }
}
