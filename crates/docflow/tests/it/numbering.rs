//! Register numbers under load: eight clerks' clients register incoming documents of one
//! agency at once through two application nodes sharing one database (SQLite and PostgreSQL).
//! No number is given twice in a register and year, and the numbers have no gap.

use crate::common::*;
use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(demo eight_clients_on_two_nodes_never_share_a_register_number, async |app: &TestApp| {
    let (other_base, other) = app.another_node().await;
    let clerk = official(app, "vanthu.stp").await;
    let mut tasks = Vec::new();
    for client in 0..8 {
        let base = if client % 2 == 0 { app.base.clone() } else { other_base.clone() };
        let s = clerk.clone();
        let http = app.http.clone();
        tasks.push(tokio::spawn(async move {
            let mut numbers = Vec::new();
            for i in 0..6 {
                let r = http
                    .post(format!("{base}/api/docflow/documents/incoming"))
                    .header("cookie", &s.cookie)
                    .header("x-csrf-token", &s.csrf)
                    .json(&json!({"kind": 1, "subject": format!("Công văn {client}-{i}"), "sender_name": "UBND tỉnh"}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(status, 201, "{body}");
                numbers.push((body["reg_year"].as_i64().unwrap(), body["reg_number"].as_i64().unwrap()));
            }
            numbers
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.extend(t.await.unwrap());
    }
    let _ = other.shutdown.send(true);
    let _ = other.done.await;
    numbers.sort();
    let year = numbers[0].0;
    // A run across New Year's midnight starts the new year's register at 1: check per year.
    let this_year: Vec<i64> = numbers.iter().filter(|(y, _)| *y == year).map(|(_, n)| *n).collect();
    let next_year: Vec<i64> = numbers.iter().filter(|(y, _)| *y != year).map(|(_, n)| *n).collect();
    assert_eq!(this_year, (1..=this_year.len() as i64).collect::<Vec<_>>());
    assert_eq!(next_year, (1..=next_year.len() as i64).collect::<Vec<_>>());
    assert_eq!(numbers.len(), 48);
});
