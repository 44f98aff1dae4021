//! `generate`: write the conformance vectors, one YAML file per vector at the path its id names
//! (`established/active/abort` -> `established/active/abort.yaml`, see `tcp_vectors::path`).

use anyhow::{Context, Result};
use clap::Args;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tcp_model::generate::generate;
use tcp_vectors::path::{relative_path, yaml_files};

/// Options of `generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Directory to write into. Vector files below it that are no longer generated are removed
    /// (vectors are generated, never hand-edited); other files, and the `tcp-vectors` crate's
    /// own folders (`src/`, ...), are left alone.
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

/// Whether a file's text is a vector's (it has top-level `id` and `steps` keys, whatever its
/// schema version): only such files are removed as stale, never other YAML that happens to
/// live below the output folder.
fn is_vector_text(text: &str) -> bool {
    let has = |key: &str| text.lines().any(|l| l.starts_with(key));
    has("id:") && has("steps:")
}

/// Remove `dir` and its parents up to (not including) `root` while they are empty.
fn remove_empty_dirs(root: &Path, dir: &Path) {
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| *d != root && d.starts_with(root)) {
        if std::fs::remove_dir(d).is_err() {
            break; // not empty (or not ours to remove): stop here
        }
        at = d.parent();
    }
}

/// The folder below the vectors root where `fuzz` saves the walks it shrank.
pub const FOUND: &str = "found";

/// Write `files` (path relative to `dir`, content) below `dir`, removing the vector files there
/// that are not among them, and the folders that leaves empty.
pub fn write_files(dir: &Path, files: &[(PathBuf, String)]) -> Result<WriteSummary> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut summary = WriteSummary::default();
    let wanted: BTreeSet<PathBuf> = files.iter().map(|(p, _)| dir.join(p)).collect();
    for path in yaml_files(dir)? {
        // `fuzz` writes the shrunk walks it found under found/: they are not generated, and
        // generating never removes them.
        if wanted.contains(&path) || path.starts_with(dir.join(FOUND)) {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if is_vector_text(&text) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            summary.removed += 1;
            if let Some(parent) = path.parent() {
                remove_empty_dirs(dir, parent);
            }
        }
    }
    for (relative, text) in files {
        let path = dir.join(relative);
        if std::fs::read_to_string(&path).is_ok_and(|old| &old == text) {
            summary.unchanged += 1;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        summary.changed += 1;
    }
    Ok(summary)
}

/// Run `generate`.
pub fn run(args: &GenerateArgs) -> Result<ExitCode> {
    let start = Instant::now();
    let generated = generate()?;
    let files = generated
        .vectors
        .iter()
        .map(|v| {
            let text = v
                .to_yaml()
                .with_context(|| format!("writing vector {}", v.id))?;
            Ok((relative_path(&v.id)?, text))
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generating_removes_stale_vectors_but_keeps_found_walks() {
        let dir = std::env::temp_dir().join(format!("tcpspec-gen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let vector = "version: 2\nid: x\nsteps: []\n";
        for rel in ["established/active/stale.yaml", "found/impl-s1-w3.yaml"] {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, vector).unwrap();
        }
        let summary = write_files(&dir, &[]).unwrap();
        assert_eq!(summary.removed, 1);
        assert!(!dir.join("established/active/stale.yaml").exists());
        assert!(dir.join("found/impl-s1-w3.yaml").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
