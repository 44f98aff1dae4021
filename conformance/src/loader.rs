//! Load a directory of vector files; errors name the file and the line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use tcp_model::vector::Vector;

/// A vector and the file it came from.
#[derive(Clone, Debug)]
pub struct LoadedVector {
    /// The file.
    pub path: PathBuf,
    /// The parsed vector.
    pub vector: Vector,
}

/// Why the vectors could not be loaded.
#[derive(Debug)]
pub struct LoadError {
    /// The file (or directory) concerned.
    pub path: PathBuf,
    /// Line, when known (1-based).
    pub line: Option<usize>,
    /// Column, when known (1-based).
    pub column: Option<usize>,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for LoadError {}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> LoadError {
    LoadError {
        path: path.to_path_buf(),
        line: None,
        column: None,
        message: format!("{what}: {e}"),
    }
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| io_error(dir, "cannot read vector directory", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "cannot read vector directory", e))?;
        let path = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| io_error(&path, "cannot stat", e))?;
        if kind.is_dir() {
            collect_yaml(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            out.push(path);
        }
    }
    Ok(())
}

/// Parse one vector file.
pub fn load_file(path: &Path) -> Result<LoadedVector, LoadError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| io_error(path, "cannot read vector file", e))?;
    let vector = Vector::from_yaml(&text).map_err(|e| LoadError {
        path: path.to_path_buf(),
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    Ok(LoadedVector {
        path: path.to_path_buf(),
        vector,
    })
}

/// Load every `*.yaml` vector under `dir` (recursively), sorted by id, keeping those whose id
/// contains `filter`. Duplicate ids are an error naming both files.
pub fn load_dir(dir: &Path, filter: Option<&str>) -> Result<Vec<LoadedVector>, LoadError> {
    let mut paths = Vec::new();
    collect_yaml(dir, &mut paths)?;
    paths.sort();
    let mut by_id: BTreeMap<String, LoadedVector> = BTreeMap::new();
    for path in paths {
        let loaded = load_file(&path)?;
        if let Some(previous) = by_id.get(&loaded.vector.id) {
            return Err(LoadError {
                path,
                line: None,
                column: None,
                message: format!(
                    "duplicate vector id {:?} (also in {})",
                    loaded.vector.id,
                    previous.path.display()
                ),
            });
        }
        by_id.insert(loaded.vector.id.clone(), loaded);
    }
    Ok(by_id
        .into_values()
        .filter(|v| filter.is_none_or(|f| v.vector.id.contains(f)))
        .collect())
}
