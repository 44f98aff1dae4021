//! The subcommands.

pub mod attack;
pub mod check;
pub mod coverage;
pub mod explore;
pub mod export;
pub mod fuzz;
pub mod generate;
pub mod rfc_table;
