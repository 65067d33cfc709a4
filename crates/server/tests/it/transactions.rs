//! Transactions under concurrency, on both backends. On SQLite they commit in groups on the
//! write gate's own connection (kernel/src/db/writer.rs): a transaction that rolls back or
//! fails must leave the others of its group whole, and one whose caller said "committed" must
//! be readable by everybody at once.

use std::time::Duration;

use kernel::db::{Db, next_counter, q};
use testkit::{TestApp, storage_test};

async fn setting(db: &Db, key: &str) -> Option<String> {
    q("SELECT value FROM settings WHERE key = $1").bind(key).fetch_optional(db).await.unwrap().map(|r| r.text("value").unwrap())
}

async fn put(tx: &mut kernel::db::Tx, key: &str) -> kernel::Result<u64> {
    q("INSERT INTO settings (key, value, updated_at) VALUES ($1, $1, 0)").bind(key).execute(tx).await
}

storage_test!(concurrent_transactions_keep_their_own_outcome, |app: &TestApp| {
    let db = app.app.db.clone();
    async move {
        q("INSERT INTO settings (key, value, updated_at) VALUES ('taken', 'x', 0)").execute(&db).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..60usize {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                let key = format!("k{i}");
                let mut tx = db.begin().await.unwrap();
                let n = next_counter(&mut tx, "test", "day").await.unwrap();
                put(&mut tx, &key).await.unwrap();
                tokio::task::yield_now().await;
                match i % 6 {
                    // Rolled back on purpose.
                    0 => {
                        tx.rollback().await.unwrap();
                        (key, None)
                    }
                    // Abandoned: dropped without a word.
                    1 => {
                        drop(tx);
                        (key, None)
                    }
                    // A duplicate key: the statement fails, the transaction is given up.
                    2 => {
                        let e = put(&mut tx, "taken").await.unwrap_err();
                        assert!(e.is_unique_violation(), "{e}");
                        (key, None)
                    }
                    // A second change of its own before committing.
                    3 => {
                        let changed =
                            q("UPDATE settings SET value = key WHERE key = $1").bind(key.as_str()).execute(&mut tx).await.unwrap();
                        assert_eq!(changed, 1);
                        tx.commit().await.unwrap();
                        // Said committed: everybody reads it at once.
                        assert_eq!(setting(&db, &key).await.as_deref(), Some(key.as_str()));
                        (key, Some(n))
                    }
                    _ => {
                        tx.commit().await.unwrap();
                        assert_eq!(setting(&db, &key).await.as_deref(), Some(key.as_str()));
                        (key, Some(n))
                    }
                }
            }));
        }
        let mut kept = Vec::new();
        for t in tasks {
            let (key, n) = t.await.unwrap();
            match n {
                Some(n) => {
                    assert_eq!(setting(&db, &key).await.as_deref(), Some(key.as_str()));
                    kept.push(n);
                }
                None => assert_eq!(setting(&db, &key).await, None, "{key} was not committed"),
            }
        }
        // The counter values of the transactions that committed are 1..=n: the others gave
        // theirs back, and nobody got a value twice.
        kept.sort();
        assert_eq!(kept, (1..=kept.len() as i64).collect::<Vec<_>>());
        assert_eq!(kept.len(), 30);
        let count = q("SELECT COUNT(*) FROM settings WHERE key LIKE 'k%'").fetch_i64(&db).await.unwrap();
        assert_eq!(count, 30);
    }
});

storage_test!(a_commit_whose_caller_stops_waiting_still_lands_or_not_at_all, |app: &TestApp| {
    let db = app.app.db.clone();
    async move {
        let mut a = db.begin().await.unwrap();
        put(&mut a, "cancelled").await.unwrap();
        // Another transaction queues for the write turn (on SQLite it joins a's group) and
        // holds it a while.
        let other = {
            let db = db.clone();
            tokio::spawn(async move {
                let mut b = db.begin().await.unwrap();
                put(&mut b, "other").await.unwrap();
                tokio::time::sleep(Duration::from_millis(150)).await;
                b.rollback().await.unwrap();
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        // The caller gives up waiting for its commit (a cancelled request).
        let waited = tokio::time::timeout(Duration::from_millis(20), a.commit()).await;
        other.await.unwrap();
        let mut seen = None;
        for _ in 0..100 {
            seen = setting(&db, "cancelled").await;
            if seen.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        match db.backend() {
            // Released into its group before the caller left: the group is committed anyway,
            // by the other transaction when it found the group old, or else by a task of the
            // caller's once the other gave the turn back.
            kernel::db::Backend::Sqlite => {
                eprintln!("the caller {} for the commit", if waited.is_err() { "stopped waiting" } else { "waited" });
                assert_eq!(seen.as_deref(), Some("cancelled"));
            }
            // Cancelled while COMMIT was on its way: either outcome, but whole.
            kernel::db::Backend::Postgres => {}
        }
        assert_eq!(setting(&db, "other").await, None);
        // The database takes new transactions afterwards.
        let mut c = db.begin().await.unwrap();
        put(&mut c, "after").await.unwrap();
        c.commit().await.unwrap();
        assert_eq!(setting(&db, "after").await.as_deref(), Some("after"));
    }
});

storage_test!(the_write_ahead_log_is_copied_back_while_writes_go_on, |app: &TestApp| {
    let db = app.app.db.clone();
    let wal = app.app.config.data_dir.join("test.db-wal");
    async move {
        // Short reads that never stop (on threads of their own, beside the writers), as the
        // reads of pages and API calls under load.
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (db, done) = (db.clone(), done.clone());
                tokio::spawn(async move {
                    let mut reads = 0u64;
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        q("SELECT COUNT(*) FROM settings WHERE key BETWEEN 'w0' AND 'w1'").long().fetch_one(&db).await.unwrap();
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        // Four writers back to back, as under load: a new group begins as soon as the last
        // one committed.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (db, wal) = (db.clone(), wal.clone());
                tokio::spawn(async move {
                    let value = "v".repeat(6000);
                    let mut largest = 0u64;
                    for i in 0..4000 {
                        let mut tx = db.begin().await.unwrap();
                        q("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, 0)")
                            .bind(format!("w{w}-{i:03}"))
                            .bind(value.as_str())
                            .execute(&mut tx)
                            .await
                            .unwrap();
                        tx.commit().await.unwrap();
                        largest = largest.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
                    }
                    largest
                })
            })
            .collect();
        let mut largest = 0u64;
        for w in writers {
            largest = largest.max(w.await.unwrap());
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut reads = 0;
        for r in readers {
            reads += r.await.unwrap();
        }
        assert_eq!(q("SELECT COUNT(*) FROM settings WHERE key LIKE 'w%'").fetch_i64(&db).await.unwrap(), 16000);
        if db.backend() == kernel::db::Backend::Sqlite {
            // 16,000 commits of a 6 kB value write some 64,000 pages (256 MB) to the WAL;
            // checkpoints make SQLite start it over from the beginning instead of growing it.
            eprintln!("largest WAL: {:.1} MB ({reads} reads beside the writes)", largest as f64 / 1_048_576.0);
            assert!(largest > 0, "no WAL seen at {}", wal.display());
            assert!(largest < 100 * 1_048_576, "the WAL grew to {largest} bytes");
        }
    }
});

storage_test!(reads_outside_transactions_see_every_commit_and_never_write_themselves, |app: &TestApp| {
    let db = app.app.db.clone();
    async move {
        // A statement that writes, fetched outside a transaction (`INSERT ... RETURNING`): on
        // SQLite the reading connection refuses it and the writer runs it, in autocommit.
        let row = q("INSERT INTO settings (key, value, updated_at) VALUES ('r', 'returned', 7) RETURNING value, updated_at")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(row.text("value").unwrap(), "returned");
        assert_eq!(row.int("updated_at").unwrap(), 7);
        assert_eq!(setting(&db, "r").await.as_deref(), Some("returned"));
        // Its duplicate is the same error as inside a transaction.
        let e = q("INSERT INTO settings (key, value, updated_at) VALUES ('r', 'again', 8) RETURNING value")
            .fetch_one(&db)
            .await
            .err()
            .expect("a duplicate key");
        assert!(e.is_unique_violation(), "{e}");
        assert_eq!(setting(&db, "r").await.as_deref(), Some("returned"));

        // Readers beside writers: each commit is seen by the next read, in place or long.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let db = db.clone();
                tokio::spawn(async move {
                    for i in 0..50 {
                        let key = format!("rw{w}-{i:02}");
                        let mut tx = db.begin().await.unwrap();
                        put(&mut tx, &key).await.unwrap();
                        tx.commit().await.unwrap();
                        assert_eq!(setting(&db, &key).await.as_deref(), Some(key.as_str()));
                        let long =
                            q("SELECT COUNT(*) FROM settings WHERE key = $1").bind(key.as_str()).long().fetch_i64(&db).await.unwrap();
                        assert_eq!(long, 1);
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.unwrap();
        }
        let rows = q("SELECT key FROM settings WHERE key LIKE 'rw%' ORDER BY key").long().fetch_all(&db).await.unwrap();
        assert_eq!(rows.len(), 200);
        assert_eq!(rows[0].text("key").unwrap(), "rw0-00");
        // A bad statement is an error, not a panic, on either path.
        assert!(q("SELECT nothing FROM nowhere").fetch_all(&db).await.is_err());
        assert!(q("SELECT nothing FROM nowhere").long().fetch_all(&db).await.is_err());
    }
});
