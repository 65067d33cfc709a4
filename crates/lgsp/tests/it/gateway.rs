//! The gateway end to end, on SQLite and PostgreSQL: a member system calls another's service
//! through `/r1/...` with its client-credentials token; everything a caller can get wrong is
//! refused with the right X-Road error and nothing forwarded; the exchange is in the message
//! log, which is sealed, verified, and catches every edit, insertion and deletion.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use data_encoding::BASE64;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};
use testkit::{TestApp, storage_test};

use crate::common::*;

storage_test!(a_member_system_calls_a_service_through_the_gateway, async |app: &TestApp| {
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;
    let (service_id, token) = setup(app, &up).await;

    // Not published yet: unknown to callers.
    let r = app.raw(call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/001090012345"), Some(&token))).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (404, Some("Server.ServerProxy.UnknownService")), "{}", r.text);
    publish(app, &service_id).await;
    let r = app.post(&format!("/api/lgsp/services/{service_id}/state"), &json!({"state": "draft"})).await;
    assert_eq!(r.status, 409, "published cannot go back to draft");
    let detail = app.get_admin(&format!("/api/lgsp/services/{service_id}")).await.json();
    let states: Vec<&str> = detail["history"].as_array().unwrap().iter().map(|h| h["to_state"].as_str().unwrap()).collect();
    assert_eq!(states, ["draft", "testing", "published"]);

    // The call, with a hop-by-hop header named in Connection and a user id.
    let person = || {
        call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/001090012345?fields=name"), Some(&token))
            .header("X-Road-UserId", "VN001090012345")
            .header("X-Secret-Hop", "do not pass")
            .header("Connection", "X-Secret-Hop")
    };
    let r = app.raw(person()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = r.json();
    assert_eq!(body["id"], "001090012345");
    let seen = &body["headers"];
    assert_eq!(seen["x-road-client"], CLIENT);
    assert_eq!(seen["x-road-userid"], "VN001090012345");
    assert!(seen.get("authorization").is_none(), "the caller's token stays at the gateway");
    assert!(seen.get("x-secret-hop").is_none(), "headers named in Connection are not forwarded");
    assert_eq!(r.header("x-road-client"), Some(CLIENT));
    assert_eq!(r.header("x-road-service"), Some("VN/GOV/000.00.13.H99/tuphap/persons"));
    assert_eq!(r.header("x-road-request-hash"), Some(BASE64.encode(&Sha512::digest(b"")).as_str()));
    let request_id = r.header("x-road-request-id").unwrap().to_owned();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The token is known now: the same call again takes the direct path, with the same answer.
    let direct = app.app.lgsp.direct_calls();
    let again = app.raw(person()).await;
    assert_eq!(app.app.lgsp.direct_calls(), direct + 1, "taken by the direct path");
    assert_eq!(again.status, 200, "{}", again.text);
    let (mut first, mut second) = (body["headers"].clone(), again.json()["headers"].clone());
    for h in [&mut first, &mut second] {
        let h = h.as_object_mut().unwrap();
        h.remove("x-road-id");
        h.remove("x-road-request-id");
    }
    assert_eq!(first, second, "the upstream sees the same headers on both paths");
    for h in ["x-road-client", "x-road-service", "x-road-request-hash", "content-type"] {
        assert_eq!(again.header(h), r.header(h), "{h}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A POST body passes through, hashed.
    let r = app.raw(call(app, reqwest::Method::POST, &format!("{SERVICE}/echo"), Some(&token)).body("xin chào")).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, "xin chào"));
    assert_eq!(r.header("x-road-request-hash"), Some(BASE64.encode(&Sha512::digest("xin chào".as_bytes())).as_str()));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // Refusals: each with its X-Road error, nothing forwarded.
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (app.http.get(app.url(&format!("{SERVICE}/persons/1"))).bearer_auth(&token), 400, "Client.MissingClientHeader"),
        (
            app.http.get(app.url(&format!("{SERVICE}/persons/1"))).header("X-Road-Client", "VN/GOV/nobody").bearer_auth(&token),
            400,
            "Client.InvalidClientIdentifier",
        ),
        (
            app.http
                .get(app.url(&format!("{SERVICE}/persons/1")))
                .header("X-Road-Client", "VN/GOV/000.00.99.H99/ghost")
                .bearer_auth(&token),
            403,
            "Client.UnknownClient",
        ),
        (call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/1"), None), 401, "Client.AuthenticationFailed"),
        (call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/1"), Some("abc.def.ghi")), 401, "Client.AuthenticationFailed"),
        (call(app, reqwest::Method::GET, "/r1/VN/GOV", Some(&token)), 400, "Client.InvalidRequestPath"),
        (call(app, reqwest::Method::GET, "/r1", Some(&token)), 400, "Client.InvalidRequestPath"),
        (
            call(app, reqwest::Method::GET, "/r1/VN/GOV/000.00.13.H99/tuphap/nothing", Some(&token)),
            404,
            "Server.ServerProxy.UnknownService",
        ),
        (call(app, reqwest::Method::DELETE, &format!("{SERVICE}/persons/1"), Some(&token)), 403, "Server.ServerProxy.AccessDenied"),
        (call(app, reqwest::Method::POST, &format!("{SERVICE}/persons/1"), Some(&token)).body("x"), 403, "Server.ServerProxy.AccessDenied"),
        (call(app, reqwest::Method::POST, &format!("{SERVICE}/echo"), Some(&token)).body(vec![b'a'; 4096]), 413, "Client.RequestTooLarge"),
    ];
    for (i, (req, status, kind)) in cases.into_iter().enumerate() {
        let r = app.raw(req).await;
        assert_eq!((r.status.as_u16(), r.header("x-road-error")), (status, Some(kind)), "case {i}: {}", r.text);
        let b = r.json();
        assert_eq!(b["type"], kind);
        assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // A body without a declared length that grows past the limit is cut off, not forwarded whole.
    let chunks = futures_util::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![b'b'; 512])));
    let r =
        app.raw(call(app, reqwest::Method::POST, &format!("{SERVICE}/echo"), Some(&token)).body(reqwest::Body::wrap_stream(chunks))).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (413, Some("Client.RequestTooLarge")), "{}", r.text);
    // A slow service times out; a redirect is handed back, not followed.
    let r = app.raw(call(app, reqwest::Method::GET, &format!("{SERVICE}/slow"), Some(&token))).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (504, Some("Server.ServerProxy.Timeout")));
    let r = app.raw(call(app, reqwest::Method::GET, &format!("{SERVICE}/moved"), Some(&token))).await;
    assert_eq!(r.status.as_u16(), 303);
    assert_eq!(r.header("location"), Some("http://127.0.0.1:9/elsewhere"));
    assert_eq!(calls.load(Ordering::SeqCst), 4, "only the slow call reached the service among the refusals");
    // Envelopes are posted; another method is told so in X-Road's form (not logged: no call).
    let r = app.raw(call(app, reqwest::Method::GET, "/lgsp/v1/envelopes", Some(&token))).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error"), r.header("allow")), (405, Some("Client.MethodNotAllowed"), Some("POST")));
    // A right to GET also covers HEAD (the same answer without its body).
    let r = app.raw(call(app, reqwest::Method::HEAD, &format!("{SERVICE}/persons/1"), Some(&token))).await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, ""), "{:?}", r.headers);
    assert_eq!(calls.load(Ordering::SeqCst), 5);

    // Metaservices.
    let clients = app.raw(app.http.get(app.url("/listClients"))).await.json();
    assert_eq!(clients["member"].as_array().unwrap().len(), 2);
    let methods = app.raw(call(app, reqwest::Method::GET, "/r1/VN/GOV/000.00.13.H99/tuphap/listMethods", Some(&token))).await.json();
    assert_eq!(methods["service"][0]["service_code"], "persons");
    let allowed = app.raw(call(app, reqwest::Method::GET, "/r1/VN/GOV/000.00.13.H99/tuphap/allowedMethods", Some(&token))).await.json();
    assert_eq!(allowed["service"].as_array().unwrap().len(), 1);
    let spec =
        app.raw(call(app, reqwest::Method::GET, "/r1/VN/GOV/000.00.13.H99/tuphap/getOpenAPI?serviceCode=persons", Some(&token))).await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.json()["info"]["title"], "Tra cứu công dân");
    assert!(spec.header("x-road-request-id").is_some());
    let missing = app.raw(call(app, reqwest::Method::GET, "/r1/VN/GOV/000.00.13.H99/tuphap/getOpenAPI", Some(&token))).await;
    assert_eq!((missing.status.as_u16(), missing.header("x-road-error")), (400, Some("Client.InvalidRequest")), "{}", missing.text);
    let refused_meta = missing.json()["detail"].as_str().unwrap().to_owned();

    // Monitoring: the client sees its own exchanges, never payloads; the administrator sees all.
    let exchanges = 1 + 3 + 11 + 1 + 3 + 4;
    wait_for_log(app, exchanges).await;
    let unauthenticated = kernel::db::q("SELECT COUNT(*) FROM lgsp_messages WHERE error LIKE 'Client.AuthenticationFailed%'")
        .fetch_i64(&app.app.db)
        .await
        .unwrap();
    assert_eq!(unauthenticated, 2, "the call without a token and the one with a token that does not verify, both logged");
    // Metaservice calls are exchanges too, refused ones under the request id their answer gave.
    let meta = kernel::db::q(
        "SELECT COUNT(*) FROM lgsp_messages WHERE service IN ('VN/GOV/000.00.13.H99/tuphap/listMethods',
             'VN/GOV/000.00.13.H99/tuphap/allowedMethods', 'VN/GOV/000.00.13.H99/tuphap/getOpenAPI')",
    )
    .fetch_i64(&app.app.db)
    .await
    .unwrap();
    assert_eq!(meta, 4);
    let refused = kernel::db::q("SELECT status FROM lgsp_messages WHERE request_id = $1").bind(&refused_meta).fetch_i64(&app.app.db).await;
    assert_eq!(refused.ok(), Some(400));
    let mine = app.raw(app.http.get(app.url("/api/lgsp/monitoring?limit=1000")).bearer_auth(&token)).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    let mine = mine.json();
    let records = mine["records"].as_array().unwrap();
    assert!(records.iter().all(|r| r["client"] == CLIENT), "only its own records");
    assert!(records.iter().any(|r| r["request_id"] == request_id.as_str() && r["status"] == 200));
    assert!(!mine.to_string().contains("Nguyễn Văn An"), "no payloads in monitoring");
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("from=2000&to=1000", "to"),
        ("client=garbage", "client"),
        ("service=a/b", "service"),
    ] {
        let r = app.get_admin(&format!("/api/lgsp/monitoring?{query}")).await;
        assert_eq!((r.status.as_u16(), r.error_fields()), (422, vec![field.to_owned()]), "{query}: {}", r.text);
    }
    let all = app.get_admin("/api/lgsp/monitoring?limit=1000").await.json();
    assert!(all["records"].as_array().unwrap().len() > records.len(), "the administrator also sees the refused strangers");
    let persons =
        all["by_service"].as_array().unwrap().iter().find(|s| s["service"] == "VN/GOV/000.00.13.H99/tuphap/persons").cloned().unwrap();
    assert!(persons["exchanges"].as_i64().unwrap() >= 10 && persons["errors"].as_i64().unwrap() >= 5, "{persons}");

    // The monitoring page: charts and the figures per service, for administrators only.
    let unreadable = app.get_admin("/admin/lgsp?hours=abc").await;
    assert_eq!(unreadable.status, 200, "a period the page cannot read shows the default: {}", unreadable.text);
    assert!(unreadable.text.contains("Đang cung cấp") && !unreadable.text.contains(">published<"), "states by name: {}", unreadable.text);
    let page = app.get_admin("/admin/lgsp?hours=1").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("VN/GOV/000.00.13.H99/tuphap/persons") && page.text.matches("<svg").count() >= 3, "{}", page.text);
    assert!(page.text.contains("Server.ServerProxy.AccessDenied"), "recent failures listed");
    assert!(!page.text.contains("Nguyễn Văn An"), "no payloads");
    let r = app.raw(app.http.get(app.url("/admin/lgsp")).bearer_auth(&token)).await;
    assert_eq!(r.status, 403, "a member system does not see the platform's page");
    // The same figures as CSV, by service and by hour, for administrators only.
    assert!(page.text.contains("/admin/lgsp/monitoring.csv?hours=1&amp;by=hour"), "the page links its exports");
    // Two hours, so that an hour turning during the test loses nothing.
    let csv = app.get_admin("/admin/lgsp/monitoring.csv?hours=2").await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.header("content-type").is_some_and(|c| c.starts_with("text/csv")) && csv.header("content-disposition").is_some());
    let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
    let row = lines.iter().find(|l| l.starts_with("VN/GOV/000.00.13.H99/tuphap/persons,")).unwrap_or_else(|| panic!("{}", csv.text));
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(
        (cells[1].parse::<i64>().ok(), cells[2].parse::<i64>().ok()),
        (persons["exchanges"].as_i64(), persons["errors"].as_i64()),
        "the CSV holds what the monitoring API counts: {row}"
    );
    let hourly = app.get_admin("/admin/lgsp/monitoring.csv?hours=3&by=hour").await;
    let hours: Vec<&str> = hourly.text.trim_start_matches('\u{feff}').lines().skip(1).collect();
    assert_eq!(hours.len(), 3, "every hour, empty ones too: {}", hourly.text);
    let counted: i64 = hours.iter().map(|l| l.split(',').nth(1).unwrap().parse::<i64>().unwrap()).sum();
    assert!(counted >= exchanges, "{}", hourly.text);
    let r = app.raw(app.http.get(app.url("/admin/lgsp/monitoring.csv")).bearer_auth(&token)).await;
    assert_eq!(r.status, 403, "nor its export");

    // The log: sealed as it was written, whole, evidence for one exchange.
    let sealed = app.post("/api/lgsp/log/seal", &json!({})).await.json();
    assert_eq!(sealed["batches"], 0, "the writer seals what it writes: {sealed}");
    let v = app.get_admin("/api/lgsp/log/verify").await.json();
    assert_eq!(v["problems"], json!([]), "{v}");
    assert!(v["batches"].as_i64().unwrap() >= 1 && v["unsealed_records"] == 0, "{v}");
    assert_eq!(v["sealed_records"].as_i64(), Some(exchanges));
    let ev = app.get_admin(&format!("/api/lgsp/log/{request_id}/evidence")).await.json();
    assert_eq!(ev["sealed"], true);
    assert_eq!(ev["record"]["status"], 200);
    assert_eq!(ev["record"]["request_id"], request_id.as_str());
    // Another moment's id, an id of another kind, no id at all: none is an exchange.
    for other in [kernel::id::new_id(), "0b7e7a0e-9c1a-4f4e-8a57-1a2b3c4d5e6f".to_owned(), "khong-co".to_owned()] {
        let r = app.get_admin(&format!("/api/lgsp/log/{other}/evidence")).await;
        assert_eq!(r.status, 404, "{other}: {}", r.text);
    }
    let body = kernel::db::q("SELECT response_body FROM lgsp_messages WHERE request_id = $1")
        .bind(request_id.as_str())
        .fetch_one(&app.app.db)
        .await
        .unwrap();
    let kept: Vec<u8> = body.get("response_body").unwrap();
    assert!(String::from_utf8_lossy(&kept).contains("Nguyễn Văn An"), "the service asked for bodies in the log");
});

storage_test!(the_message_log_names_every_edited_inserted_and_deleted_record, async |app: &TestApp| {
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;
    let (service_id, token) = setup(app, &up).await;
    publish(app, &service_id).await;
    for i in 0..6 {
        let r = app.raw(call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/{i}"), Some(&token))).await;
        assert_eq!(r.status, 200);
    }
    wait_for_log(app, 6).await;
    let db = &app.app.db;
    app.app.lgsp.seal_pending().await.unwrap();
    assert!(lgsp::log::verify(db, &[app.app.lgsp.key().public()]).await.unwrap().problems.is_empty());
    // A stranger's key does not verify the batches.
    let stranger = lgsp::log::verify(db, &[vec![7u8; 32]]).await.unwrap();
    assert!(stranger.problems.iter().any(|p| p.contains("signature")), "{:?}", stranger.problems);

    kernel::db::q("UPDATE lgsp_messages SET status = 201 WHERE seq = 2").execute(db).await.unwrap();
    kernel::db::q("DELETE FROM lgsp_messages WHERE seq = 4").execute(db).await.unwrap();
    kernel::db::q(
        "INSERT INTO lgsp_messages (seq, request_id, at, client, service, method, path, status, request_hash, response_hash, request_bytes, response_bytes, duration_ms, batch_seq)
         VALUES (100, 'forged', 0, 'x', 'y', 'GET', '/', 200, '', '', 0, 0, 0, 1)",
    )
    .execute(db)
    .await
    .unwrap();
    let v = lgsp::log::verify(db, &[app.app.lgsp.key().public()]).await.unwrap();
    let text = v.problems.join("\n");
    assert!(text.contains("record 2: edited"), "{text}");
    assert!(text.contains("record 4: deleted"), "{text}");
    assert!(text.contains("record 100: inserted"), "{text}");
    assert_eq!(v.problems.len(), 3, "{text}");
});

storage_test!(the_log_seals_as_it_writes_in_one_chain_even_with_concurrent_writers, async |app: &TestApp| {
    let (db, key) = (&app.app.db, app.app.lgsp.key());
    let x = |i: usize| lgsp::log::Exchange {
        request_id: format!("t-{i}"),
        at: 1_700_000_000_000 + i as i64,
        client: "VN/GOV/000.00.51.H99/motcua".into(),
        service: "VN/GOV/000.00.13.H99/tuphap/persons".into(),
        method: "GET".into(),
        path: format!("/r1/VN/GOV/000.00.13.H99/tuphap/persons/{i}"),
        status: 200,
        request_body: i.is_multiple_of(2).then(Vec::new),
        response_body: i.is_multiple_of(3).then(|| format!("{{\"n\":{i}}}").into_bytes()),
        ..Default::default()
    };
    // Records written unsealed (by `tinhso` tools) are sealed first by the next sealed write,
    // so batches keep the records' order.
    lgsp::log::record(db, &x(1)).await.unwrap();
    lgsp::log::record(db, &x(2)).await.unwrap();
    lgsp::log::record_sealed(db, key, &[x(3), x(4), x(5)]).await.unwrap();
    let v = lgsp::log::verify(db, &[key.public()]).await.unwrap();
    assert_eq!((v.batches, v.sealed_records, v.unsealed_records), (2, 5, 0), "{v:?}");
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    // Text and bytes the log's batched write must carry as they are: backslashes, tabs, line
    // ends, `\N` (NULL in PostgreSQL's COPY format), every byte value.
    let awkward = lgsp::log::Exchange {
        path: "/r1/a\tb\\c/\\N".into(),
        error: Some("dòng 1\ndòng 2\r\t\\".into()),
        user_id: Some("\\N".into()),
        request_body: Some((0..=255u8).collect()),
        response_body: Some(b"\\x00\t\n".to_vec()),
        ..x(6)
    };
    lgsp::log::record_sealed(db, key, &[awkward.clone(), x(7)]).await.unwrap();
    let back = kernel::db::q("SELECT path, error, user_id, request_body, response_body FROM lgsp_messages WHERE request_id = 't-6'")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(back.text("path").unwrap(), awkward.path);
    assert_eq!(back.opt_text("error").unwrap(), awkward.error);
    assert_eq!(back.opt_text("user_id").unwrap(), awkward.user_id);
    assert_eq!(back.get::<Option<Vec<u8>>>("request_body").unwrap(), awkward.request_body);
    assert_eq!(back.get::<Option<Vec<u8>>>("response_body").unwrap(), awkward.response_body);
    // Eight writers at once (the writers of several nodes): one chain, every record once.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (db, app) = (db.clone(), app.app.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..5 {
                let xs: Vec<_> = (0..3).map(|k| x(100 + w * 100 + round * 10 + k)).collect();
                lgsp::log::record_sealed(&db, app.lgsp.key(), &xs).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let v = lgsp::log::verify(db, &[key.public()]).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!((v.batches, v.sealed_records, v.unsealed_records), (43, 127, 0), "{v:?}");
    // Archiving takes only the unbroken run of old batches from the oldest: a batch stamped
    // later (by a node whose clock runs ahead) stops it, and the log stays whole.
    kernel::db::q("UPDATE lgsp_batches SET sealed_at = $1 WHERE seq = 10").bind(4_000_000_000_000i64).execute(db).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("archive.jsonl");
    // Someone else's file is never overwritten: the archive is refused and nothing moves.
    let foreign = dir.path().join("notes.txt");
    std::fs::write(&foreign, "not an archive\n").unwrap();
    let refused = lgsp::log::archive(db, key, kernel::time::now_ms() + 60_000, &foreign).await.unwrap_err();
    assert!(refused.to_string().contains("already exists"), "{refused}");
    assert_eq!(std::fs::read_to_string(&foreign).unwrap(), "not an archive\n");
    // A run stopped after writing its file and before committing left the file of these same
    // batches, unrecorded: the next run replaces it instead of refusing the range for good.
    std::fs::write(&file, "{\"format\":\"tinhso-lgsp-archive/1\",\"from_batch\":1,\"to_batch\":9}\n{\"batch\":").unwrap();
    // A run that stopped while writing left a partial file an hour ago: it goes. One written a
    // moment ago may be another node's run at work: it stays.
    let stale = dir.path().join("archive.jsonl.part-01STALE");
    std::fs::write(&stale, "{\"format\"").unwrap();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&stale).unwrap().set_modified(hour_ago).unwrap();
    let busy = dir.path().join("archive.jsonl.part-01BUSY");
    std::fs::write(&busy, "{\"format\"").unwrap();
    let done = lgsp::log::archive(db, key, kernel::time::now_ms() + 60_000, &file).await.unwrap().unwrap();
    assert!(!stale.exists() && busy.exists());
    std::fs::remove_file(&busy).unwrap();
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains(".part")));
    assert_eq!(done.batches, 9, "{done:?}");
    let v = lgsp::log::verify(db, &[key.public()]).await.unwrap();
    assert!(v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!(v.batches, 34);
    let archived = lgsp::log::verify_archive(&std::fs::read_to_string(&file).unwrap(), &[key.public()]);
    assert!(archived.problems.is_empty() && archived.batches == 9, "{archived:?}");
    // An edit is still named, in whichever batch sealed the record.
    kernel::db::q("UPDATE lgsp_messages SET status = 500 WHERE seq = (SELECT MAX(seq) FROM lgsp_messages)").execute(db).await.unwrap();
    let v = lgsp::log::verify(db, &[key.public()]).await.unwrap();
    assert_eq!(v.problems.len(), 1, "{:?}", v.problems);
    assert!(v.problems[0].contains("edited"), "{:?}", v.problems);
});

storage_test!(an_exchange_envelope_is_checked_and_routed_by_its_receiver, async |app: &TestApp| {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let inbox = Router::new().route(
        "/inbox",
        post(move |h: HeaderMap, body: axum::Json<Value>| async move {
            seen.fetch_add(1, Ordering::SeqCst);
            axum::Json(
                json!({"received": body["documentCode"], "from": h.get("x-road-client").and_then(|v| v.to_str().ok()).unwrap_or("")}),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, inbox).await.unwrap() });
    let up = upstream(Arc::new(AtomicUsize::new(0))).await;
    let (_, token) = setup(app, &up).await;
    // The receiving system: the Department of Justice's document system, with its envelope service.
    app.post("/api/lgsp/members/VN/GOV/000.00.13.H99/subsystems", &json!({"code": "qlvb", "name": "Quản lý văn bản"})).await;
    let s = app
        .post(
            "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/qlvb/services",
            &json!({"code": "envelope", "version": "1", "name": "Nhận phong bì", "upstream_url": format!("http://{addr}/inbox")}),
        )
        .await;
    let sid = s.json()["id"].as_str().unwrap().to_owned();
    for st in ["testing", "published"] {
        app.post(&format!("/api/lgsp/services/{sid}/state"), &json!({"state": st})).await;
    }
    let content = BASE64.encode("<edXML>...</edXML>".as_bytes());
    let good = json!({"receiverId": "VN/GOV/000.00.13.H99/qlvb", "senderId": CLIENT, "documentCode": "123/UBND-VP", "documentType": "edxml",
                      "content": content, "attachments": [{"id": "1", "name": "to-trinh.pdf", "description": "Tờ trình", "content": BASE64.encode(b"%PDF-1.4")}]});
    let send =
        |body: Value| app.raw(app.http.post(app.url("/lgsp/v1/envelopes")).header("X-Road-Client", CLIENT).bearer_auth(&token).json(&body));
    // No right yet on the receiver's envelope service: refused, nothing delivered.
    let r = send(good.clone()).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (403, Some("Server.ServerProxy.AccessDenied")), "{}", r.text);
    app.post(&format!("/api/lgsp/services/{sid}/access"), &json!({"client": CLIENT, "method": "POST"})).await;
    let r = send(good.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["received"], "123/UBND-VP");
    assert_eq!(r.json()["from"], CLIENT);
    // Bad envelopes: every problem named, nothing delivered.
    let mut bad = good.clone();
    bad["content"] = json!("không phải base64!");
    bad["senderId"] = json!("VN/GOV/000.00.99.H99/gia-mao");
    bad["attachments"][0]["name"] = json!("");
    bad.as_object_mut().unwrap().remove("receiverId");
    let r = send(bad).await;
    assert_eq!((r.status.as_u16(), r.header("x-road-error")), (400, Some("Client.InvalidEnvelope")));
    let msg = r.json()["message"].as_str().unwrap().to_owned();
    for field in ["receiverId", "senderId", "content", "attachments[0].name"] {
        assert!(msg.contains(field), "{field} in {msg}");
    }
    let mut unknown = good.clone();
    unknown["receiverId"] = json!("VN/GOV/000.00.13.H99/khong-co");
    assert_eq!(send(unknown).await.status, 404);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "only the good envelope reached the receiver");
});
