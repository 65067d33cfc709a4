//! `tinhso backup`: a consistent copy while the server keeps running. On SQLite the copy is
//! made with `VACUUM INTO` inside one read transaction (writers carry on; the copy is a
//! snapshot) and then checked with `PRAGMA integrity_check`. On PostgreSQL the server is
//! checked to be reachable and `pg_dump` makes the copy.

use std::path::PathBuf;
use std::process::ExitCode;

use kernel::config::Config;
use kernel::db::{Db, q};

pub async fn run(c: &Config, output: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let url = c.database_url();
    let db = Db::connect(&url, 2).await.map_err(|e| anyhow::anyhow!("cannot reach the database {}: {e}", kernel::db::redact_url(&url)))?;
    db.ping().await?;
    let stamp = kernel::time::vn_datetime(kernel::time::now_ms());
    let name = format!(
        "tinhso-{:04}{:02}{:02}-{:02}{:02}{:02}",
        stamp.year(),
        stamp.month() as u8,
        stamp.day(),
        stamp.hour(),
        stamp.minute(),
        stamp.second()
    );
    let code = match &db {
        Db::Sqlite(_) => {
            let out = output.unwrap_or_else(|| c.data_dir.join("backups").join(format!("{name}.db")));
            if out.exists() {
                anyhow::bail!("{} already exists; choose another --output", out.display());
            }
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let target = out.to_str().ok_or_else(|| anyhow::anyhow!("the output path must be valid UTF-8"))?;
            eprintln!("copying {} to {} ...", kernel::db::redact_url(&url), out.display());
            q("VACUUM INTO $1").bind(target).execute(&db).await?;
            let copy = Db::connect(&format!("sqlite://{target}"), 2).await?;
            let check = q("PRAGMA integrity_check").fetch_one(&copy).await?.get_idx::<String>(0)?;
            copy.close().await;
            if check != "ok" {
                anyhow::bail!("the copy failed its integrity check: {check}");
            }
            let size = std::fs::metadata(&out)?.len();
            println!("backup written: {} ({:.1} MB, integrity ok)", out.display(), size as f64 / 1_048_576.0);
            ExitCode::SUCCESS
        }
        Db::Postgres(_) => {
            let out = output.unwrap_or_else(|| c.data_dir.join("backups").join(format!("{name}.dump")));
            if let Some(dir) = out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            eprintln!("PostgreSQL at {} is reachable; running pg_dump ...", kernel::db::redact_url(&url));
            let status = std::process::Command::new("pg_dump").arg("--format=custom").arg("--file").arg(&out).arg(&url).status();
            match status {
                Ok(s) if s.success() => {
                    println!("backup written: {} (pg_dump custom format; restore with pg_restore)", out.display());
                    ExitCode::SUCCESS
                }
                Ok(s) => {
                    eprintln!("pg_dump failed ({s}); see docs/operations.md");
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("pg_dump could not be started ({e}). Install the PostgreSQL client (Debian: postgresql-client) or run:");
                    eprintln!("  pg_dump --format=custom --file {} '{}'", out.display(), kernel::db::redact_url(&url));
                    ExitCode::FAILURE
                }
            }
        }
    };
    db.close().await;
    Ok(code)
}
