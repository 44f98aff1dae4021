//! `export --format packetdrill --out DIR`: every vector packetdrill can express as a Linux
//! packetdrill script, `DIR/<id>.pkt`, and `DIR/not-exported.txt` listing the others with the
//! reason (see `tcp_vectors::packetdrill`).

use anyhow::{anyhow, Context, Result};
use clap::{Args, ValueEnum};
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use tcp_vectors::packetdrill::export_dir;
use tcp_vectors::path::relative_path;

/// The formats `export` writes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// Linux packetdrill scripts (`.pkt`).
    Packetdrill,
}

/// Options of `export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// What to write.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The folder to write into (created if missing); each script goes where its id says.
    #[arg(long)]
    pub out: PathBuf,
    /// The vectors to export.
    #[arg(long, default_value = "vectors")]
    pub vectors: PathBuf,
}

/// Run `export`.
pub fn run(args: &ExportArgs) -> Result<ExitCode> {
    let Format::Packetdrill = args.format;
    let export = export_dir(&args.vectors)
        .map_err(|e| anyhow!("export: {e} (in {})", args.vectors.display()))?;
    for (id, script) in &export.scripts {
        let path = args
            .out
            .join(relative_path(id).map_err(|e| anyhow!("vector id {id:?}: {e}"))?)
            .with_extension("pkt");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, script).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut listing = String::from(
        "# Vectors with no packetdrill script: id, reason, the step (1-based) that cannot be \
         expressed.\n",
    );
    for (id, why) in &export.not_exported {
        let step = why
            .step
            .map(|s| format!(" (step {})", s + 1))
            .unwrap_or_default();
        let _ = writeln!(listing, "{id}: {}{step}: {}", why.reason, why.reason.text());
    }
    let listing_path = args.out.join("not-exported.txt");
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    std::fs::write(&listing_path, listing)
        .with_context(|| format!("writing {}", listing_path.display()))?;
    println!(
        "exported {} vectors as packetdrill scripts into {}; not exported: {} (listed in {})",
        export.scripts.len(),
        args.out.display(),
        export.not_exported.len(),
        listing_path.display()
    );
    for (reason, n) in export.by_reason() {
        if n > 0 {
            println!("  {n:>5}  {reason}: {}", reason.text());
        }
    }
    Ok(ExitCode::SUCCESS)
}
