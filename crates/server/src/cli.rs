//! The command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use kernel::config::{Config, LogFormat};

#[derive(Parser, Debug)]
#[command(
    name = "tinhso",
    version,
    about = "Tỉnh Số: the core of a province's e-government in one program",
    long_about = "Tỉnh Số (\"digital province\") runs a province's public service portal, one-stop dossier system, \
shared catalogs and integration platform. It stores its data in SQLite under ./tinhso-data by default, or in \
PostgreSQL with --database-url.\n\nStart with `tinhso demo` to see a seeded demo province at http://127.0.0.1:8080.\n\n\
Settings come from tinhso.toml (if present), TINHSO_* environment variables (e.g. TINHSO_DATABASE_URL) and these flags."
)]
pub struct Cli {
    /// Configuration file (default: ./tinhso.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB (default: SQLite in the data directory).
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Directory for the SQLite database, files and generated secrets (default: ./tinhso-data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log as JSON lines instead of text.
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Seed the invented demo province (tỉnh Thái An) and run the server.
    Demo {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Import procedures, agencies or administrative units from a JSON or CSV file. Every row
    /// is checked first; if any row is bad, each is printed with the reason and nothing is written.
    Import {
        /// What the file holds.
        kind: ImportKind,
        /// A .json file (an array of objects) or a .csv file with a header row.
        file: PathBuf,
        /// For procedures already in the catalog, record the rows as new versions instead of refusing them.
        #[arg(long)]
        new_versions: bool,
    },
    /// The integration platform (LGSP): check or seal the message log.
    Lgsp {
        #[command(subcommand)]
        action: LgspAction,
    },
    /// Make a consistent copy of the database, also while the server runs.
    Backup {
        /// Where to write the copy (default: <data dir>/backups/tinhso-<time>.db, or .dump for PostgreSQL).
        #[arg(long, value_name = "PATH")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum LgspAction {
    /// Prove the message log is whole: every batch's signature and chain, every record against
    /// the hash its batch signed, numbering without gaps. Names each edited, inserted or
    /// deleted record; exits with 1 when anything is wrong.
    VerifyLog {
        /// Also trust this Ed25519 public key (raw 32 bytes or base64), e.g. a retired one.
        #[arg(long, value_name = "FILE")]
        trust: Vec<PathBuf>,
        /// Check this archive file (made by `tinhso lgsp archive`) instead of the database.
        #[arg(long, value_name = "FILE")]
        archive: Option<PathBuf>,
    },
    /// Seal the records not in a batch yet, now.
    Seal,
    /// Retention: move the batches sealed before a day, with their records, into an archive
    /// file (JSON Lines, signatures included); the log's chain goes on from the last of them.
    Archive {
        /// Archive batches sealed before this day (YYYY-MM-DD, Vietnam time).
        #[arg(long, value_name = "DAY")]
        before: String,
        /// The archive file to write (it must not exist).
        #[arg(long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ImportKind {
    Procedures,
    Agencies,
    Units,
}

fn config(cli: &Cli) -> anyhow::Result<Config> {
    let mut c = Config::load(cli.config.as_deref()).map_err(anyhow::Error::msg)?;
    if let Some(u) = &cli.database_url {
        c.database_url = Some(u.clone());
    }
    if let Some(d) = &cli.data_dir {
        c.data_dir = d.clone();
    }
    if cli.log_json {
        c.log_format = LogFormat::Json;
    }
    Ok(c)
}

fn init_logs(c: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("TINHSO_LOG").unwrap_or_else(|_| EnvFilter::new(&c.log_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    let _ = match c.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut c = config(&cli)?;
    init_logs(&c);
    match cli.command {
        Command::Serve { listen } => {
            if let Some(l) = listen {
                c.listen = l;
            }
            serve(c, false).await
        }
        Command::Demo { listen } => {
            if let Some(l) = listen {
                c.listen = l;
            }
            serve(c, true).await
        }
        Command::Migrate => {
            let db = crate::serve::open(&c).await?;
            println!("database {} is up to date", kernel::db::redact_url(&c.database_url()));
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { kind, file, new_versions } => crate::import::run(&c, kind, &file, new_versions).await,
        Command::Backup { output } => crate::backup::run(&c, output).await,
        Command::Lgsp { action } => lgsp_command(&c, action).await,
    }
}

async fn lgsp_command(c: &Config, action: LgspAction) -> anyhow::Result<ExitCode> {
    let db = crate::serve::open(c).await?;
    let key = lgsp::log::SealKey::load_or_create(&c.data_dir.join("lgsp-signing.pk8"))?;
    let code = match action {
        LgspAction::Seal => {
            let mut n = 0;
            while lgsp::log::seal(&db, &key, 10_000).await?.is_some() {
                n += 1;
            }
            println!("sealed {n} batch(es)");
            ExitCode::SUCCESS
        }
        LgspAction::Archive { before, output } => {
            let day = kernel::time::parse_date(&before).ok_or_else(|| anyhow::anyhow!("--before {before}: write the day as YYYY-MM-DD"))?;
            let before_ms = lgsp::retention::midnight_ms(day);
            match lgsp::log::archive(&db, &key, before_ms, &output).await? {
                None => println!("no batch was sealed before {before}; nothing archived"),
                Some(a) => println!("archived {} batch(es), {} record(s) into {} (SHA-256 {})", a.batches, a.records, a.file, a.sha256),
            }
            ExitCode::SUCCESS
        }
        LgspAction::VerifyLog { trust, archive } => {
            let mut keys = vec![key.public()];
            for f in trust {
                let raw = std::fs::read(&f)?;
                let text = String::from_utf8_lossy(&raw).trim().to_owned();
                keys.push(if raw.len() == 32 { raw } else { data_encoding::BASE64.decode(text.as_bytes())? });
            }
            let v = match archive {
                Some(file) => lgsp::log::verify_archive(&std::fs::read_to_string(&file)?, &keys),
                None => lgsp::log::verify(&db, &keys).await?,
            };
            println!("message log: {} batch(es), {} sealed record(s), {} not sealed yet", v.batches, v.sealed_records, v.unsealed_records);
            for p in &v.problems {
                println!("PROBLEM: {p}");
            }
            if v.problems.is_empty() {
                println!("the log is whole: every signature, chain link and record checks out");
                ExitCode::SUCCESS
            } else {
                println!("{} problem(s) found", v.problems.len());
                ExitCode::from(1)
            }
        }
    };
    db.close().await;
    Ok(code)
}

async fn serve(mut c: Config, demo: bool) -> anyhow::Result<ExitCode> {
    if demo && c.province_name == Config::default().province_name {
        c.province_name = catalog::seed::DEMO_PROVINCE_NAME.into();
    }
    if demo && c.lgsp_room.is_none() {
        // The demo province's People's Committee hosts the platform's event room.
        c.lgsp_room = Some("VN/GOV/000.00.00.H99/lgsp".into());
    }
    let db = crate::serve::open(&c).await?;
    let catalog = catalog::Catalog::new(db.clone());
    catalog::seed::system(&catalog).await?;
    if demo {
        catalog::seed::demo(&catalog).await?;
    }
    let token = crate::serve::admin_token(&c)?;
    if demo {
        let id = identity::Identity::new(db.clone(), catalog.clone(), &token, &c.public_url());
        identity::seed::demo(&id).await?;
    }
    let listener = tokio::net::TcpListener::bind(&c.listen).await.map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", c.listen))?;
    let addr = listener.local_addr()?;
    if c.public_url.is_none() {
        c.public_url = Some(format!("http://{addr}"));
    }
    let base = c.public_url();
    let app = crate::App::new(db, c.clone(), token.clone());
    if demo {
        docflow::seed::demo(&app.docflow).await?;
        crate::serve::demo_dossiers(&app).await?;
        lgsp::seed::demo(&app.lgsp, &c.data_dir).await?;
    }
    let exchange = if demo { Some(crate::serve::demo_exchange(&app, &base, &c.data_dir).await?) } else { None };
    let running = crate::serve::start(app, listener).await?;
    println!("Tỉnh Số is running{}", if demo { " with the demo province (tỉnh Thái An)" } else { "" });
    println!("  portal:        {base}/");
    println!("  procedures:    {base}/procedures");
    println!("  dossiers:      {base}/dossiers    (citizens: their own; officials: the inbox, counter reception)");
    println!("  internal work: {base}/cases       (officials: outgoing letters, award proposals, purchases)");
    println!("  documents:     {base}/documents   (officials: registers, inbox, exchange)");
    println!("  API docs:      {base}/api/docs");
    println!("  OpenAPI:       {base}/api/openapi.json");
    println!("  health:        {base}/healthz   readiness: {base}/readyz   metrics: {base}/metrics");
    println!("  database:      {}", kernel::db::redact_url(&c.database_url()));
    if c.admin_token.is_some() {
        println!("  admin token:   (from the configuration)");
    } else {
        println!("  admin token:   {token}  (kept in {})", c.data_dir.join("admin-token").display());
    }
    println!("  sign in:       {base}/login");
    if let Some((path, client, file)) = &exchange {
        println!("  LGSP gateway:  {base}{path}   (client {client}, its OAuth2 credentials in {file}; docs/lgsp.md#the-demos-exchange)");
    }
    if demo {
        for line in identity::seed::describe() {
            println!("  {line}");
        }
    }
    println!("Stop with Ctrl-C.");
    crate::serve::signal().await;
    println!("stopping: finishing requests in flight...");
    let _ = running.shutdown.send(true);
    let _ = running.done.await;
    println!("stopped");
    Ok(ExitCode::SUCCESS)
}
