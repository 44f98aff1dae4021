//! The two errors of this crate: a bad symbolic field, and a vector file that cannot be read.

use std::fmt;

/// Error from parsing a symbolic field of a vector (flags, a sequence expression, a duration, a
/// window or option pattern, an id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

/// Why a vector could not be read (or written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorError {
    /// 1-based line of the error, when known.
    pub line: Option<usize>,
    /// 1-based column of the error, when known.
    pub column: Option<usize>,
    /// What was wrong.
    pub message: String,
}

impl VectorError {
    /// An error at a 1-based line (column 1), or without a place when the line is unknown.
    pub fn at_line(line: Option<usize>, message: impl Into<String>) -> Self {
        VectorError {
            line,
            column: line.map(|_| 1),
            message: message.into(),
        }
    }
}

impl fmt::Display for VectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l}, column {c}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for VectorError {}
