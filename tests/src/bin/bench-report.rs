//! Gathers the benchmarks' JSON results into one report.
//!
//! `bench-report --baselines bench/baselines.json --out bench name=file.json…`
//! flattens each result into figures named `name.key` (nested objects
//! add `.key`), compares the figures `baselines.json` lists with their
//! baseline (a number, or another figure of the same run) and writes
//! `report.md` (a table) and `report.json` (every figure, so two runs can
//! be put side by side). `bench-report --compare old.json new.json`
//! prints that side-by-side table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Errors as text: this is a command-line tool.
type Result<T> = std::result::Result<T, String>;

#[derive(Debug, Parser)]
struct Cli {
    /// The figures to report and what each is compared with.
    #[arg(long, default_value = "bench/baselines.json")]
    baselines: PathBuf,
    /// Where report.md and report.json go.
    #[arg(long, default_value = "bench")]
    out: PathBuf,
    /// Two report.json files to put side by side instead.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    compare: Option<Vec<PathBuf>>,
    /// Results as name=path.json; a missing file is reported as missing.
    results: Vec<String>,
}

/// One figure the report shows.
#[derive(Debug, Clone, Deserialize, Serialize)]
struct Baseline {
    figure: String,
    label: String,
    unit: String,
    /// `lower` or `higher`.
    better: String,
    #[serde(default)]
    baseline: Option<f64>,
    /// Another figure of the same run to compare with.
    #[serde(default)]
    baseline_figure: Option<String>,
    against: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Row {
    figure: String,
    label: String,
    unit: String,
    value: Option<f64>,
    baseline: Option<f64>,
    ratio: Option<f64>,
    better: String,
    against: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Report {
    commit: String,
    generated: String,
    rows: Vec<Row>,
    figures: BTreeMap<String, f64>,
    missing: Vec<String>,
}

fn flatten(prefix: &str, value: &Value, into: &mut BTreeMap<String, f64>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                flatten(&format!("{prefix}.{key}"), value, into);
            }
        }
        Value::Number(n) => {
            if let Some(n) = n.as_f64() {
                into.insert(prefix.to_owned(), n);
            }
        }
        _ => {}
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid: {e}", path.display()))
}

fn number(value: f64) -> String {
    if value.abs() >= 1000.0 {
        let whole = value.round() as i64;
        let digits = whole.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if whole < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.3}")
    }
}

fn shown(value: Option<f64>) -> String {
    value.map_or_else(|| "missing".to_owned(), number)
}

fn report(cli: &Cli) -> Result<()> {
    let baselines: Vec<Baseline> = read_json(&cli.baselines)?;
    let mut figures = BTreeMap::new();
    let mut missing = Vec::new();
    for result in &cli.results {
        let (name, path) = result
            .split_once('=')
            .ok_or_else(|| format!("{result}: expected name=path.json"))?;
        match read_json::<Value>(Path::new(path)) {
            Ok(value) => flatten(name, &value, &mut figures),
            Err(error) => {
                eprintln!("{error}");
                missing.push(name.to_owned());
            }
        }
    }
    let rows: Vec<Row> = baselines
        .iter()
        .map(|b| {
            let value = figures.get(&b.figure).copied();
            let baseline = b.baseline.or_else(|| {
                b.baseline_figure
                    .as_ref()
                    .and_then(|f| figures.get(f).copied())
            });
            let ratio = value.zip(baseline).map(|(v, b)| v / b);
            Row {
                figure: b.figure.clone(),
                label: b.label.clone(),
                unit: b.unit.clone(),
                value,
                baseline,
                ratio,
                better: b.better.clone(),
                against: b.against.clone(),
            }
        })
        .collect();
    let commit = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let report = Report {
        commit,
        generated: k8s_openapi::jiff::Timestamp::now()
            .strftime("%Y-%m-%d %H:%M UTC")
            .to_string(),
        rows,
        figures,
        missing,
    };

    let mut md = format!(
        "# Benchmark report\n\nCommit `{}`, {}. Made by `make bench`; the \
         figures are from this machine and this run. A ratio is the figure \
         over its baseline: below 1 is better where lower is better, above 1 \
         where higher is.\n\n| Figure | Value | Unit | Baseline | Ratio | Better | Compared with |\n\
         |---|---:|---|---:|---:|---|---|\n",
        report.commit, report.generated
    );
    for row in &report.rows {
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            row.label,
            shown(row.value),
            row.unit,
            shown(row.baseline),
            row.ratio
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.2}")),
            row.better,
            row.against
        ));
    }
    if !report.missing.is_empty() {
        md.push_str(&format!(
            "\nMissing results (their benchmark did not run or failed): {}.\n",
            report.missing.join(", ")
        ));
    }
    md.push_str("\nEvery figure of the run is in `report.json`; compare two runs with\n`cargo run -p tests --bin bench-report -- --compare old.json new.json`.\n");
    std::fs::create_dir_all(&cli.out).map_err(|e| e.to_string())?;
    std::fs::write(cli.out.join("report.md"), &md).map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(cli.out.join("report.json"), json).map_err(|e| e.to_string())?;
    print!("{md}");
    if report.missing.is_empty() {
        Ok(())
    } else {
        Err(format!("results missing: {}", report.missing.join(", ")))
    }
}

fn compare(old: &Path, new: &Path) -> Result<()> {
    let old: Report = read_json(old)?;
    let new: Report = read_json(new)?;
    println!(
        "| Figure | {} | {} | New / old |\n|---|---:|---:|---:|",
        old.commit, new.commit
    );
    let names: std::collections::BTreeSet<&String> =
        old.figures.keys().chain(new.figures.keys()).collect();
    for name in names {
        let (a, b) = (
            old.figures.get(name).copied(),
            new.figures.get(name).copied(),
        );
        let ratio = a
            .zip(b)
            .filter(|(a, _)| *a != 0.0)
            .map_or_else(|| "-".to_owned(), |(a, b)| format!("{:.2}", b / a));
        println!("| {name} | {} | {} | {ratio} |", shown(a), shown(b));
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match &cli.compare {
        Some(files) => compare(&files[0], &files[1]),
        None => report(&cli),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-report: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
