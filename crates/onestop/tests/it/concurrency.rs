//! Dossier codes under load: eight clients accept dossiers of one agency at once, through two
//! application nodes sharing one database. Every code is unique and the day's sequence has no
//! gap.

use identity::seed::DEMO_PASSWORD;
use serde_json::json;
use testkit::{TestApp, storage_test};

storage_test!(demo eight_clients_on_two_nodes_get_unique_consecutive_codes, async |app: &TestApp| {
    let (other_base, other) = app.another_node().await;
    let reception = app.session("tiepnhan.pta", DEMO_PASSWORD, None).await;
    let walk_in = json!({"procedure_code": "1.001193", "agency_code": "000.00.51.H99", "channel": "in_person",
        "applicant": {"kind": "citizen", "name": "Lê Văn Dũng", "citizen_id": "094300001122"},
        "form": {"ho_ten": "Lê Văn Dũng", "so_dinh_danh": "094300001122", "ho_ten_nguoi_duoc_dang_ky": "Lê Minh Khang"}});
    let mut ids = Vec::new();
    for _ in 0..40 {
        let r = app.post_as(&reception, "/api/onestop/dossiers", &walk_in).await;
        assert_eq!(r.status, 201, "{}", r.text);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    // Eight clients, alternating between the two nodes, each accepting its share.
    let mut tasks = Vec::new();
    for client in 0..8 {
        let base = if client % 2 == 0 { app.base.clone() } else { other_base.clone() };
        let mine: Vec<String> = ids.iter().skip(client).step_by(8).cloned().collect();
        let s = reception.clone();
        let http = app.http.clone();
        tasks.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            for id in mine {
                let r = http
                    .post(format!("{base}/api/onestop/dossiers/{id}/accept"))
                    .header("cookie", &s.cookie)
                    .header("x-csrf-token", &s.csrf)
                    .json(&json!({"version": 1}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap();
                assert_eq!(status, 200, "{body}");
                codes.push(body["code"].as_str().unwrap().to_owned());
            }
            codes
        }));
    }
    let mut codes = Vec::new();
    for t in tasks {
        codes.extend(t.await.unwrap());
    }
    let _ = other.shutdown.send(true);
    let _ = other.done.await;
    codes.sort();
    // Per agency and day (a run across midnight starts a new day at 0001).
    let mut by_day: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for c in &codes {
        let (day, seq) = c.rsplit_once('-').unwrap();
        by_day.entry(day.to_owned()).or_default().push(seq.to_owned());
    }
    assert_eq!(by_day.values().map(Vec::len).sum::<usize>(), 40);
    for (day, seqs) in by_day {
        let expected: Vec<String> = (1..=seqs.len()).map(|n| format!("{n:04}")).collect();
        assert_eq!(seqs, expected, "codes of {day} unique and consecutive");
    }
});
