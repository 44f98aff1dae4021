//! The error type of this crate: which operation failed, the OS error, and a hint.

use std::fmt;
use std::io;

/// A failed operation: what was being done, the OS error, and (where useful) how to fix it.
#[derive(Debug)]
pub struct Error {
    /// The operation, e.g. `add address 192.0.2.1/24 to ifindex 3`.
    pub operation: String,
    /// The OS (or netlink) error.
    pub source: io::Error,
    /// A hint for the person running the code, e.g. how to get the needed privilege.
    pub hint: Option<&'static str>,
}

impl Error {
    /// An error for `operation` from `source`.
    pub fn new(operation: impl Into<String>, source: io::Error) -> Self {
        Error {
            operation: operation.into(),
            source,
            hint: None,
        }
    }

    /// An error for `operation` from the current `errno`.
    pub fn last_os(operation: impl Into<String>) -> Self {
        Error::new(operation, io::Error::last_os_error())
    }

    /// Attach a hint.
    pub fn with_hint(mut self, hint: &'static str) -> Self {
        self.hint = Some(hint);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.source)?;
        if let Some(hint) = self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        io::Error::new(e.source.kind(), e.to_string())
    }
}
