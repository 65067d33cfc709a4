//! Running the server: open the database, migrate, seed the system lists, listen, run the
//! background worker, and stop gracefully on Ctrl-C or SIGTERM (in-flight requests finish).

use std::net::SocketAddr;
use std::time::Duration;

use kernel::config::Config;
use kernel::db::Db;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::App;

/// Opens the database named by the configuration and applies migrations.
pub async fn open(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", config.data_dir.display()))?;
    }
    let db = Db::connect(&url, config.db_max_connections)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", kernel::db::redact_url(&url)))?;
    crate::migrate::run(&db).await?;
    Ok(db)
}

/// The bootstrap administrator token: from the configuration, else kept in
/// `<data_dir>/admin-token` (created with a random value, readable by the owner only).
pub fn admin_token(config: &Config) -> anyhow::Result<String> {
    if let Some(t) = config.admin_token.as_ref().filter(|t| !t.is_empty()) {
        return Ok(t.clone());
    }
    let path = config.data_dir.join("admin-token");
    if let Ok(t) = std::fs::read_to_string(&path)
        && !t.trim().is_empty()
    {
        return Ok(t.trim().to_owned());
    }
    std::fs::create_dir_all(&config.data_dir)?;
    let token = kernel::id::random_token(24);
    std::fs::write(&path, &token)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(token)
}

/// The demo's dossiers ([`onestop::seed::demo`]), made by the demo accounts as each is when it
/// signs in with its second factor.
pub async fn demo_dossiers(app: &App) -> anyhow::Result<()> {
    let mut who = std::collections::HashMap::new();
    for login in onestop::seed::ACTORS {
        let id = kernel::db::q("SELECT id FROM accounts WHERE login = $1")
            .bind(*login)
            .fetch_optional(&app.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no demo account {login}"))?
            .text("id")?;
        who.insert(*login, app.identity.principal(&id, true).await?);
    }
    let find = |login: &str| who.get(login).cloned().ok_or_else(|| kernel::Error::not_found(format!("demo account {login}")));
    onestop::seed::demo(&app.onestop, &find).await?;
    // The overdue one flagged now rather than at the watcher's next round.
    app.onestop.watch_deadlines().await?;
    Ok(())
}

/// The demo's exchange through the LGSP gateway ([`lgsp::seed::demo_exchange`]), with the OAuth2
/// client its client subsystem signs in as. The client's secret is kept in `DATA/lgsp-demo-client`
/// (`client_id:secret`, readable by the owner only), like the administrator's token: made on the
/// first start, read again on the next; should the file be gone, the client gets a new secret
/// (the old one cannot be shown again). Returns the service's gateway path, the client
/// subsystem and that file.
pub async fn demo_exchange(app: &App, base: &str, data_dir: &std::path::Path) -> anyhow::Result<(String, String, String)> {
    const CLIENT_ID: &str = "demo-motcua";
    let file = data_dir.join("lgsp-demo-client");
    let secret = if identity::oidc::clients::get(&app.db, CLIENT_ID).await?.is_none() {
        let input = identity::oidc::clients::ClientInput {
            name: "Một cửa điện tử phường Thái An (demo)".into(),
            confidential: true,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["lgsp:call".into()],
        };
        let (_, secret) = identity::oidc::clients::create(&app.db, &input, Some(CLIENT_ID)).await?;
        Some(secret.ok_or_else(|| anyhow::anyhow!("a confidential client without a secret"))?)
    } else if !file.exists() {
        // The secret cannot be read back: the file was removed, so the client gets a new one.
        Some(identity::oidc::clients::renew_secret(&app.db, CLIENT_ID).await?)
    } else {
        None
    };
    if let Some(secret) = secret {
        std::fs::write(&file, format!("{CLIENT_ID}:{secret}\n"))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    let (path, client) = lgsp::seed::demo_exchange(&app.lgsp, base, CLIENT_ID).await?;
    Ok((path, client, file.display().to_string()))
}

/// A server that is listening; `shutdown` stops it and `done` resolves when it has stopped.
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: watch::Sender<bool>,
    pub done: tokio::task::JoinHandle<()>,
}

/// Starts the application on `listener` with the background worker.
pub async fn start(app: App, listener: TcpListener) -> anyhow::Result<Running> {
    let addr = listener.local_addr()?;
    let (tx, rx) = watch::channel(false);
    let router = crate::build_router(app.clone());
    let tls = crate::tls::acceptor(&app.config)?;
    let worker = tokio::spawn(background(app.clone(), rx.clone()));
    let consumers = start_consumers(&app, &rx).await?;
    let deadlines = tokio::spawn(deadline_watch(app.clone(), rx.clone()));
    app.lgsp.start_log_writer(&app.config.data_dir.join("lgsp-journal")).await?;
    let sealer = tokio::spawn(seal_log(app.clone(), rx.clone()));
    let archiver = tokio::spawn(archive_log(app.clone(), rx.clone()));
    let quotas = tokio::spawn(sync_quotas(app.clone(), rx.clone()));
    let pusher = tokio::spawn(push_events(app.clone(), rx.clone()));
    let exchange = {
        let (d, stop) = (app.docflow.clone(), rx.clone());
        tokio::spawn(async move { d.run_exchange(stop, std::time::Duration::from_secs(2)).await })
    };
    if let Some(r) = tls.as_ref().and_then(|t| t.revocation.clone()) {
        tokio::spawn(r.watch(rx.clone()));
    }
    if let Some(s) = tls.as_ref().and_then(|t| t.stapler.clone()) {
        // The first answer is asked for before serving, so the first clients get it.
        let first = s.attempt().await;
        tokio::spawn(s.keep(first, rx.clone()));
    }
    let threads = crate::cores::spawn(listener, router, app.clone(), tls, rx.clone())?;
    let done = tokio::spawn(async move {
        // The serving threads end once stopped and done with the requests in hand.
        let joined = tokio::task::spawn_blocking(move || threads.into_iter().any(|t| t.join().is_err())).await;
        if !matches!(joined, Ok(false)) {
            tracing::error!("a serving thread stopped with an error");
        }
        worker.abort();
        deadlines.abort();
        sealer.abort();
        let _ = archiver.await;
        let _ = quotas.await;
        if let Err(e) = app.lgsp.sync_quotas().await {
            tracing::warn!(error = %e, "adding up the LGSP clients' daily usage at shutdown failed");
        }
        let _ = pusher.await;
        let _ = exchange.await;
        // Every exchange answered is in the log, and sealed, before the database closes.
        app.lgsp.stop_log_writer().await;
        if let Err(e) = app.lgsp.seal_pending().await {
            tracing::warn!(error = %e, "sealing the LGSP message log at shutdown failed");
        }
        for c in consumers {
            let _ = c.await;
        }
        app.db.close().await;
    });
    Ok(Running { addr, shutdown: tx, done })
}

/// Subscribes every outbox consumer to its topics and starts its worker; workers finish the
/// delivery in hand and stop when the server stops.
async fn start_consumers(app: &App, stop: &watch::Receiver<bool>) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut consumers: Vec<std::sync::Arc<dyn kernel::outbox::Consumer>> = vec![std::sync::Arc::new(app.notify.clone())];
    if let Some(room) = &app.config.lgsp_room {
        let room = lgsp::model::SubsystemId::parse(room)
            .ok_or_else(|| anyhow::anyhow!("lgsp_room «{room}» is not INSTANCE/CLASS/MEMBER/SUBSYSTEM"))?;
        app.lgsp.ensure_room(&room, &app.config.province_name).await?;
        consumers.push(std::sync::Arc::new(lgsp::sync::DossierStatusSync { lgsp: app.lgsp.clone(), room }));
    }
    let poll = Duration::from_millis(app.config.outbox_poll_ms.max(10));
    let mut handles = Vec::new();
    for c in consumers {
        for t in c.topics() {
            kernel::outbox::subscribe(&app.db, c.name(), t).await?;
        }
        // Each consumer on a thread of its own: on SQLite its writes run in place on the
        // thread holding the write turn, which should not be one that serves requests.
        let rt = tokio::runtime::Handle::current();
        let run = kernel::outbox::run(app.db.clone(), c, stop.clone(), poll);
        handles.push(tokio::task::spawn_blocking(move || rt.block_on(run)));
    }
    Ok(handles)
}

/// Every few seconds: the LGSP message log's new records are sealed into a signed batch (and
/// once more when the server stops).
async fn seal_log(app: App, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(app.config.lgsp_seal_secs.max(1))) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        if let Err(e) = app.lgsp.seal_pending().await {
            tracing::warn!(error = %e, "sealing the LGSP message log failed");
        }
        // File replicas of national data look at their directories on their own schedules.
        match app.lgsp.run_due_replicas().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(files = n, "replica files imported"),
            Err(e) => tracing::warn!(error = %e, "importing replicas failed"),
        }
    }
}

/// Retention: every `lgsp_archive_check_secs` (an hour by default), the message log's batches
/// sealed before the retention period move into archive files. The file in hand is finished
/// before the server stops, so none is left half written.
async fn archive_log(app: App, mut stop: watch::Receiver<bool>) {
    if app.config.lgsp_retention_days.is_none() {
        return;
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(app.config.lgsp_archive_check_secs.max(1))) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        // A file at a time, so that a long backlog does not hold up stopping.
        loop {
            match app.lgsp.archive_due(1).await {
                Ok(files) if !files.is_empty() && !*stop.borrow() => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::error!(error = %e, "archiving the LGSP message log failed");
                    break;
                }
            }
        }
    }
}

/// LGSP daily quotas: every second this node adds the calls it took to each client's usage
/// of the day and reads back all nodes' totals (and once more when the serving threads are
/// done, in `start`).
async fn sync_quotas(app: App, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
        if let Err(e) = app.lgsp.sync_quotas().await {
            tracing::warn!(error = %e, "adding up the LGSP clients' daily usage failed");
        }
    }
}

/// LGSP pub/sub: push deliveries that are due go to their subscribers' URLs; the worker
/// finishes the batch in hand when the server stops.
async fn push_events(app: App, mut stop: watch::Receiver<bool>) {
    let poll = Duration::from_millis(app.config.outbox_poll_ms.max(10));
    loop {
        let busy = match app.lgsp.push_due(64).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "pushing LGSP events failed");
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = app.lgsp.published() => {}
                _ = stop.wait_for(|v| *v) => return,
            }
        }
    }
}

/// Every five minutes: dossiers in processing that are due soon or overdue are flagged, once,
/// with an event.
async fn deadline_watch(app: App, mut stop: watch::Receiver<bool>) {
    loop {
        match app.onestop.watch_deadlines().await {
            Ok((0, 0)) => {}
            Ok((soon, late)) => tracing::info!(due_soon = soon, overdue = late, "dossier deadlines flagged"),
            Err(e) => tracing::warn!(error = %e, "watching dossier deadlines failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(300)) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
    }
}

/// Periodic work: versions of procedures whose effective date has come are put in force, and
/// next year's holidays are seeded ahead of time.
async fn background(app: App, mut stop: watch::Receiver<bool>) {
    loop {
        match app.catalog.promote_due_versions().await {
            Ok(n) if n > 0 => tracing::info!(count = n, "procedure versions came into force"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "promoting procedure versions failed"),
        }
        let year = kernel::time::today_vn().year();
        for y in year..=year + 1 {
            if let Err(e) = app.catalog.seed_holidays(y).await {
                tracing::warn!(error = %e, year = y, "seeding holidays failed");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
            _ = stop.wait_for(|v| *v) => return,
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
