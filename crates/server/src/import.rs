//! `tinhso import`: checks every row of a file and writes all of them or none.

use std::path::Path;
use std::process::ExitCode;

use catalog::import::{Kind, Outcome};
use kernel::config::Config;

use crate::cli::ImportKind;

pub async fn run(c: &Config, kind: ImportKind, file: &Path, new_versions: bool) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let kind = match kind {
        ImportKind::Procedures => Kind::Procedures,
        ImportKind::Agencies => Kind::Agencies,
        ImportKind::Units => Kind::Units,
    };
    let format = catalog::import::Format::from_path(file)?;
    let db = crate::serve::open(c).await?;
    let cat = catalog::Catalog::new(db.clone());
    catalog::seed::system(&cat).await?;
    eprintln!("checking {} ...", file.display());
    let outcome = catalog::import::import(&cat, kind, format, &text, new_versions).await?;
    db.close().await;
    match outcome {
        Outcome::Written(n) => {
            println!("imported {n} rows from {}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Rejected(rows) => {
            eprintln!("{} is not imported: {} problem(s), nothing was written", file.display(), rows.len());
            for r in rows {
                eprintln!("  {r}");
            }
            Ok(ExitCode::from(2))
        }
    }
}
