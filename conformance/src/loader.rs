//! Load a directory of vector files; errors name the file and the line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use tcp_vectors::path::{is_root, relative_path, yaml_files};
use tcp_vectors::Vector;

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

/// The generated vectors' root that `start` lies in, if any: the nearest folder at or above it
/// that holds the `tcp-vectors` crate's manifest (see [`tcp_vectors::path::is_root`]). Below such
/// a root a vector's file must be the one its id names; elsewhere (hand-written fixtures) any
/// name goes.
pub fn vectors_root(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .find(|dir| is_root(dir))
        .map(Path::to_path_buf)
}

/// Under a vectors root, the file must be at the path the vector's id names.
fn check_path(root: &Path, loaded: &LoadedVector) -> Result<(), LoadError> {
    let id = &loaded.vector.id;
    let expected = relative_path(id).map_err(|e| LoadError {
        path: loaded.path.clone(),
        line: None,
        column: None,
        message: e.0,
    })?;
    let actual = std::fs::canonicalize(&loaded.path)
        .ok()
        .and_then(|p| p.strip_prefix(root).ok().map(Path::to_path_buf));
    if actual.as_deref() == Some(expected.as_path()) {
        return Ok(());
    }
    Err(LoadError {
        path: loaded.path.clone(),
        line: None,
        column: None,
        message: format!(
            "holds vector {id:?}, whose file is {}; regenerate with \
             `cargo run --release -- generate`",
            root.join(&expected).display()
        ),
    })
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
/// contains `filter`. Duplicate ids are an error naming both files. Below a generated vectors
/// root (see [`vectors_root`]) a file must also sit at the path its id names.
pub fn load_dir(dir: &Path, filter: Option<&str>) -> Result<Vec<LoadedVector>, LoadError> {
    let paths = yaml_files(dir).map_err(|e| io_error(&e.path, "cannot read", e.source))?;
    let root = vectors_root(dir);
    let mut by_id: BTreeMap<String, LoadedVector> = BTreeMap::new();
    for path in paths {
        let loaded = load_file(&path)?;
        if let Some(root) = &root {
            check_path(root, &loaded)?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &str =
        "version: 2\nid: established/active/abort\ncovers: []\nrole: active\nsteps: []\n";

    fn temp_root(name: &str, manifest: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("established/active")).expect("temp dir");
        std::fs::write(dir.join("Cargo.toml"), manifest).expect("manifest");
        dir
    }

    #[test]
    fn below_a_vectors_root_a_file_sits_where_its_id_says() {
        let dir = temp_root("loader-root", "[package]\nname = \"tcp-vectors\"\n");
        std::fs::write(dir.join("established/active/abort.yaml"), VECTOR).expect("vector");
        let loaded = load_dir(&dir, None).expect("in place");
        assert_eq!(loaded.len(), 1);
        let from_below = load_dir(&dir.join("established"), None).expect("a sub-folder");
        assert_eq!(
            from_below.len(),
            1,
            "the root is found above the folder given"
        );
        std::fs::write(dir.join("established/abort.yaml"), VECTOR).expect("misplaced copy");
        let e = load_dir(&dir, None).expect_err("misplaced");
        let text = e.to_string();
        assert!(
            text.contains("established/abort.yaml: holds vector"),
            "{text}"
        );
        assert!(
            text.contains("whose file is /") && text.contains("/established/active/abort.yaml;"),
            "names the expected path: {text}"
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn elsewhere_any_file_name_goes() {
        let dir = temp_root("loader-fixtures", "[package]\nname = \"fixtures\"\n");
        std::fs::write(dir.join("established/any-name.yaml"), VECTOR).expect("vector");
        assert_eq!(load_dir(&dir, None).expect("no root").len(), 1);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn the_generated_vectors_load_from_their_nested_folders() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors");
        assert!(vectors_root(&root).is_some());
        let all = load_dir(&root, None).expect("the checked-in vectors load");
        assert!(all.len() >= 700, "{} vectors", all.len());
        let some = load_dir(&root, Some("scenario/")).expect("filtered");
        assert!(some
            .iter()
            .all(|v| v.path.starts_with(root.join("scenario"))));
    }
}
