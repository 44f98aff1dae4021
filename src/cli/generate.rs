//! `generate`: write the conformance vectors, one YAML file per vector.

use anyhow::{Context, Result};
use clap::Args;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tcp_model::generate::generate;

/// Options of `generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Directory to write into (its other `.yaml` files are removed: vectors are generated,
    /// never hand-edited).
    #[arg(long, default_value = "vectors")]
    pub out: PathBuf,
}

/// What a write changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteSummary {
    /// Files written with new content.
    pub changed: usize,
    /// Files already up to date.
    pub unchanged: usize,
    /// Stale vector files removed.
    pub removed: usize,
}

/// Write `files` (name, content) into `dir`, removing other `.yaml` files there.
pub fn write_files(dir: &Path, files: &[(String, String)]) -> Result<WriteSummary> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut summary = WriteSummary::default();
    let names: BTreeSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".yaml") && !names.contains(name) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            summary.removed += 1;
        }
    }
    for (name, text) in files {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).is_ok_and(|old| &old == text) {
            summary.unchanged += 1;
            continue;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        summary.changed += 1;
    }
    Ok(summary)
}

/// Run `generate`.
pub fn run(args: &GenerateArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let generated = generate();
    let files = generated
        .vectors
        .iter()
        .map(|v| Ok((v.file_name(), v.to_yaml()?)))
        .collect::<Result<Vec<_>>>()?;
    let summary = write_files(&args.out, &files)?;
    println!(
        "{} vectors in {} ({} changed, {} unchanged, {} removed) in {:.2} s",
        files.len(),
        args.out.display(),
        summary.changed,
        summary.unchanged,
        summary.removed,
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
