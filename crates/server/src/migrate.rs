//! Migrations embedded in the binary, one tree per backend (`migrations/sqlite`,
//! `migrations/postgres`), applied by sqlx's migrator (checksums recorded; on PostgreSQL an
//! advisory lock keeps several nodes starting at once from racing).

use std::borrow::Cow;

use kernel::db::Db;
use kernel::sqlx::migrate::{Migration, MigrationType, Migrator};
use kernel::sqlx::{AssertSqlSafe, SqlSafeStr};

macro_rules! migrations {
    ($backend:literal: $($version:literal => $name:literal),* $(,)?) => {
        vec![$(
            Migration::new(
                $version,
                Cow::Borrowed($name),
                MigrationType::Simple,
                AssertSqlSafe(include_str!(concat!("../../../migrations/", $backend, "/", $name, ".sql"))).into_sql_str(),
                false,
            ),
        )*]
    };
}

fn sqlite() -> Vec<Migration> {
    migrations!("sqlite": 1 => "0001_kernel", 2 => "0002_catalog", 3 => "0003_identity", 4 => "0004_oidc", 5 => "0005_external_idp", 6 => "0006_outbox", 7 => "0007_verification", 8 => "0008_onestop", 9 => "0009_ratings", 10 => "0010_lgsp", 11 => "0011_docflow", 12 => "0012_lgsp_at", 13 => "0013_lgsp_quota", 14 => "0014_lgsp_rate", 15 => "0015_lgsp_archive_records", 16 => "0016_lgsp_sftp", 17 => "0017_lgsp_log_rowid", 18 => "0018_lgsp_replica_runs", 19 => "0019_lgsp_deliveries_never", 20 => "0020_lgsp_delivery_mode", 21 => "0021_lgsp_access_once")
}

fn postgres() -> Vec<Migration> {
    migrations!("postgres": 1 => "0001_kernel", 2 => "0002_catalog", 3 => "0003_identity", 4 => "0004_oidc", 5 => "0005_external_idp", 6 => "0006_outbox", 7 => "0007_verification", 8 => "0008_onestop", 9 => "0009_ratings", 10 => "0010_lgsp", 11 => "0011_docflow", 12 => "0012_lgsp_at", 13 => "0013_lgsp_quota", 14 => "0014_lgsp_rate", 15 => "0015_lgsp_archive_records", 16 => "0016_lgsp_sftp", 17 => "0017_lgsp_log_rowid", 18 => "0018_lgsp_replica_runs", 19 => "0019_lgsp_deliveries_never", 20 => "0020_lgsp_delivery_mode", 21 => "0021_lgsp_access_once")
}

/// Applies every pending migration. Returns how many the database now has.
pub async fn run(db: &Db) -> anyhow::Result<usize> {
    match db {
        Db::Sqlite(pool) => {
            let m = Migrator::with_migrations(sqlite());
            m.run(&pool.pool).await?;
            Ok(m.iter().count())
        }
        Db::Postgres(pool) => {
            let m = Migrator::with_migrations(postgres());
            m.run(pool).await?;
            Ok(m.iter().count())
        }
    }
}
