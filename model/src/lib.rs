//! TCP model.
pub mod vector;
