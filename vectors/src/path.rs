//! The one rule that ties a vector's id to its file: the vector with id
//! `established/active/rst-seq-exact` is the file `established/active/rst-seq-exact.yaml` below a
//! vectors root (the `vectors/` folder of this crate).
//!
//! An id is one or more `/`-separated segments of lowercase ASCII letters, digits and `-`; its
//! first segment may not name one of the crate's own folders ([`RESERVED`]), which share the root
//! with the vector folders.

use crate::ParseError;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// The extension of a vector file.
pub const EXTENSION: &str = "yaml";

/// First id segments that are not allowed: the crate's own folders beside the vectors (and
/// those cargo looks into), which [`yaml_files`] does not search at a root.
pub const RESERVED: [&str; 5] = ["src", "target", "tests", "examples", "benches"];

/// Check that `id` is a vector id: non-empty `/`-separated segments of `[a-z0-9-]`, relative,
/// without `.` or `..`, not starting with a [`RESERVED`] folder.
pub fn check_id(id: &str) -> Result<(), ParseError> {
    let bad = |why: &str| Err(ParseError(format!("bad vector id {id:?}: {why}")));
    if id.is_empty() {
        return bad("it is empty");
    }
    if id.starts_with('/') {
        return bad("it is an absolute path; ids are relative, e.g. `established/active/abort`");
    }
    if id.split('/').any(|s| s == "." || s == "..") {
        return bad("`.` and `..` segments are not allowed");
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-' || *c == '/'))
    {
        return bad(&format!(
            "{c:?} is not allowed (only lowercase letters, digits, `-` and `/`)"
        ));
    }
    if id.split('/').any(str::is_empty) {
        return bad("empty segment (a leading, trailing or doubled `/`)");
    }
    let first = id.split('/').next().unwrap_or_default();
    if RESERVED.contains(&first) {
        return bad(&format!(
            "the first segment {first:?} is a folder of the crate, not a vector folder"
        ));
    }
    Ok(())
}

/// The file of the vector `id`, relative to a vectors root: `<id>.yaml`, one folder per
/// segment but the last.
pub fn relative_path(id: &str) -> Result<PathBuf, ParseError> {
    check_id(id)?;
    let mut path: PathBuf = id.split('/').collect();
    path.set_extension(EXTENSION);
    Ok(path)
}

/// The id of the vector stored at `path` (relative to a vectors root), or `None` when no valid
/// id maps to that path (absolute, not `.yaml`, not UTF-8, a segment outside `[a-z0-9-]`).
pub fn id_from_relative_path(path: &Path) -> Option<String> {
    if path.extension()? != EXTENSION {
        return None;
    }
    let stem = path.with_extension("");
    let mut segments = Vec::new();
    for c in stem.components() {
        match c {
            Component::Normal(s) => segments.push(s.to_str()?),
            _ => return None,
        }
    }
    let id = segments.join("/");
    check_id(&id).ok().map(|()| id)
}

/// A name for the vector `id` in one flat folder (pcap files): `/` written `__`. Ids have no
/// `_`, so the name is unambiguous.
pub fn flat_name(id: &str) -> String {
    id.replace('/', "__")
}

/// Whether `dir` is a vectors root: the folder of this crate's manifest (a `Cargo.toml` whose
/// package is named `tcp-vectors`), where the generated vectors live.
pub fn is_root(dir: &Path) -> bool {
    let name = format!("name = \"{}\"", env!("CARGO_PKG_NAME"));
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|manifest| manifest.lines().any(|l| l.trim() == name))
}

/// An I/O error on a file or folder, with its path.
#[derive(Debug)]
pub struct FileError {
    /// The file or folder.
    pub path: PathBuf,
    /// What the operating system said.
    pub source: std::io::Error,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.source)
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Every vector file below `dir` (`.yaml`, and `.yml` which only hand-written folders use),
/// sorted. Hidden folders are skipped, and so are the [`RESERVED`] folders directly in `dir`.
pub fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, FileError> {
    let mut out = Vec::new();
    walk(dir, true, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, root: bool, out: &mut Vec<PathBuf>) -> Result<(), FileError> {
    let error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| FileError { path, source }
    };
    for entry in std::fs::read_dir(dir).map_err(error(dir))? {
        let entry = entry.map_err(error(dir))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type().map_err(error(&path))?.is_dir() {
            let skip = name.starts_with('.') || (root && RESERVED.contains(&name.as_ref()));
            if !skip {
                walk(&path, false, out)?;
            }
        } else if path
            .extension()
            .is_some_and(|x| x == EXTENSION || x == "yml")
        {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_paths_map_both_ways() {
        let id = "established/active/rst-seq-exact";
        let path = relative_path(id).unwrap();
        assert_eq!(path, Path::new("established/active/rst-seq-exact.yaml"));
        assert_eq!(id_from_relative_path(&path).as_deref(), Some(id));
        assert_eq!(
            relative_path("scenario/simultaneous-open").unwrap(),
            Path::new("scenario/simultaneous-open.yaml")
        );
        assert_eq!(flat_name(id), "established__active__rst-seq-exact");
    }

    #[test]
    fn the_crate_folder_is_a_root() {
        assert!(is_root(Path::new(env!("CARGO_MANIFEST_DIR"))));
        assert!(!is_root(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src")));
        assert!(!is_root(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..")));
    }

    #[test]
    fn bad_ids_are_rejected_with_the_reason() {
        for (id, why) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("a/../b", "`..`"),
            ("a/./b", "`.`"),
            ("a//b", "empty segment"),
            ("a/b/", "empty segment"),
            ("Established/x", "'E' is not allowed"),
            ("a_b", "'_' is not allowed"),
            ("a b", "' ' is not allowed"),
            ("src/x", "folder of the crate"),
        ] {
            let e = relative_path(id).expect_err(id);
            assert!(e.0.contains(why), "{id:?}: {e}");
            assert!(e.0.contains(&format!("{id:?}")), "names the id: {e}");
        }
    }

    #[test]
    fn paths_without_an_id_give_none() {
        for p in [
            "/abs/x.yaml",
            "a/x.yml",
            "a/../x.yaml",
            "a/x_y.yaml",
            "README.md",
            "x",
            "src/lib.yaml",
        ] {
            assert_eq!(id_from_relative_path(Path::new(p)), None, "{p}");
        }
    }

    #[test]
    fn yaml_files_skip_the_crate_folders() {
        let dir = std::env::temp_dir().join(format!("tcp-vectors-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for f in [
            "a/b/c.yaml",
            "a/d.yml",
            "src/x.yaml",
            ".hidden/y.yaml",
            "a/src/e.yaml",
            "top.yaml",
            "notes.txt",
        ] {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        let found: Vec<String> = yaml_files(&dir)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, ["a/b/c.yaml", "a/d.yml", "a/src/e.yaml", "top.yaml"]);
        let e = yaml_files(&dir).expect_err("gone");
        assert!(e.to_string().contains("tcp-vectors-walk"), "{e}");
    }
}
