//! The direct path's HTTP/1.1, on SQLite and PostgreSQL, over raw TCP against an upstream
//! written by hand: every way of framing an answer, pipelining, interim answers,
//! `Expect: 100-continue`, chunked request bodies and closing.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use data_encoding::BASE64;
use serde_json::json;
use sha2::{Digest, Sha512};
use testkit::{TestApp, storage_test};

use crate::common::*;

/// An upstream speaking HTTP/1.1 by hand, to give the gateway each way of framing an answer:
/// by length, chunked (with a trailer), until the connection closes, after an interim 100.
async fn raw_upstream() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let (method, path, head_len, used, client, expect) = loop {
                        let mut f = [httparse::EMPTY_HEADER; 64];
                        let mut r = httparse::Request::new(&mut f);
                        if let Ok(httparse::Status::Complete(n)) = r.parse(&buf) {
                            let len = lgsp::h1::content_length(r.headers).unwrap().unwrap_or(0) as usize;
                            let client = lgsp::h1::field(r.headers, "x-road-client").unwrap_or("").to_owned();
                            let expect = lgsp::h1::value(r.headers, "expect").is_some();
                            break (r.method.unwrap().to_owned(), r.path.unwrap().to_owned(), n, n + len, client, expect);
                        }
                        let mut chunk = [0u8; 4096];
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    while buf.len() < used {
                        let mut chunk = [0u8; 4096];
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = buf.drain(..used).collect::<Vec<u8>>().split_off(head_len);
                    let answer: Vec<u8> = match path.as_str() {
                        "/chunked" => {
                            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nxin c\r\n4\r\nh\xc3\xa0o\r\n0\r\nX-T: 1\r\n\r\n"
                                .to_vec()
                        }
                        "/contradictory" => b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!".to_vec(),
                        "/interim" => b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".to_vec(),
                        "/close" => {
                            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end").await;
                            return;
                        }
                        // The caller's expectation is the gateway's to meet, never passed on.
                        "/echo" if expect => b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n".to_vec(),
                        "/echo" => {
                            let mut a = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
                            a.extend_from_slice(&body);
                            a
                        }
                        _ => {
                            let text = format!("{method} {path} {client}");
                            format!("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{text}", text.len())
                                .into_bytes()
                        }
                    };
                    if s.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

/// Reads one answer from `s` (what was read past it stays in `buf`): status, headers with
/// lowercase names, the body decoded.
async fn read_answer(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, head_request: bool) -> (u16, HashMap<String, String>, Vec<u8>) {
    use lgsp::h1::{Dechunk, Framing};
    use tokio::io::AsyncReadExt;
    async fn more(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> usize {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut chunk)).await.expect("an answer in time").unwrap();
        buf.extend_from_slice(&chunk[..n]);
        n
    }
    loop {
        let mut f = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Response::new(&mut f);
        if let Ok(httparse::Status::Complete(n)) = r.parse(buf) {
            let status = r.code.unwrap();
            let headers: HashMap<String, String> =
                r.headers.iter().map(|h| (h.name.to_ascii_lowercase(), String::from_utf8_lossy(h.value).into_owned())).collect();
            let framing = lgsp::h1::response_framing(head_request, status, r.headers).unwrap();
            buf.drain(..n);
            let mut body = Vec::new();
            match framing {
                Framing::Empty => {}
                Framing::Length(len) => {
                    while (buf.len() as u64) < len {
                        assert!(more(s, buf).await > 0, "the answer ended early");
                    }
                    body = buf.drain(..len as usize).collect();
                }
                Framing::Chunked => {
                    let mut d = Dechunk::default();
                    loop {
                        let used = d.feed(buf, |c| body.extend_from_slice(c)).unwrap();
                        buf.drain(..used);
                        if d.done() {
                            break;
                        }
                        assert!(more(s, buf).await > 0, "the chunked answer ended early");
                    }
                }
                Framing::Close => {
                    while more(s, buf).await > 0 {}
                    body = std::mem::take(buf);
                }
            }
            return (status, headers, body);
        }
        assert!(more(s, buf).await > 0, "no answer");
    }
}

storage_test!(the_direct_path_speaks_http_1_1_itself, async |app: &TestApp| {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let up = upstream(Arc::new(AtomicUsize::new(0))).await;
    let (persons, token) = setup(app, &up).await;
    let raw = raw_upstream().await;
    let r = app
        .post(
            "/api/lgsp/subsystems/VN/GOV/000.00.13.H99/tuphap/services",
            &json!({"code": "raw", "version": "1.0", "name": "HTTP/1.1 by hand", "upstream_url": raw, "timeout_ms": 2000,
                    "max_body_bytes": 1_000_000, "description_kind": "none"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    for (service, to) in [(&id, "testing"), (&id, "published"), (&persons, "testing"), (&persons, "published")] {
        assert_eq!(app.post(&format!("/api/lgsp/services/{service}/state"), &json!({"state": to})).await.status, 200);
    }
    assert_eq!(app.post(&format!("/api/lgsp/services/{id}/access"), &json!({"client": CLIENT})).await.status, 201);

    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = Vec::new();
    let ask = |method: &str, path: &str, extra: &str| {
        format!(
            "{method} /r1/VN/GOV/000.00.13.H99/tuphap/raw{path} HTTP/1.1\r\nHost: x\r\nX-Road-Client: {CLIENT}\r\nAuthorization: Bearer {token}\r\n{extra}\r\n"
        )
    };
    // A page first, then the gateway on the same connection: the first call (a token not seen
    // yet) through the router, the next ones by the direct path.
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.0, 200);
    s.write_all(ask("GET", "/persons/1", "").as_bytes()).await.unwrap();
    let (status, _, body) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, String::from_utf8_lossy(&body).as_ref()), (200, format!("GET /persons/1 {CLIENT}").as_str()));
    let direct = app.app.lgsp.direct_calls();

    // Four calls sent at once, answered in order: by length, chunked, a HEAD, a body echoed.
    let mut four = ask("GET", "/persons/2", "") + &ask("GET", "/chunked", "") + &ask("HEAD", "/persons/3", "");
    four += &ask("POST", "/echo", "Content-Length: 9\r\n");
    four += "xin chào";
    s.write_all(four.as_bytes()).await.unwrap();
    let (status, h, body) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, body), (200, format!("GET /persons/2 {CLIENT}").into_bytes()));
    assert_eq!(h.get("x-road-client").map(String::as_str), Some(CLIENT));
    assert_eq!(h.get("x-road-service").map(String::as_str), Some("VN/GOV/000.00.13.H99/tuphap/raw"));
    assert_eq!(h.get("x-road-request-hash"), Some(&BASE64.encode(&Sha512::digest(b""))));
    let chunked_id = {
        let (status, h, body) = read_answer(&mut s, &mut buf, false).await;
        assert_eq!(
            (status, body.as_slice(), h.get("transfer-encoding").map(String::as_str)),
            (200, "xin chào".as_bytes(), Some("chunked"))
        );
        h["x-road-request-id"].clone()
    };
    let (status, h, body) = read_answer(&mut s, &mut buf, true).await;
    assert_eq!((status, body.len()), (200, 0), "a HEAD's answer has no body");
    assert!(h.contains_key("content-length"), "but says how long the body would be");
    let (status, h, body) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, body.as_slice()), (200, "xin chào".as_bytes()));
    assert_eq!(h.get("x-road-request-hash"), Some(&BASE64.encode(&Sha512::digest("xin chào".as_bytes()))));

    // An interim 100 is read past; a body delimited by the upstream closing its connection
    // reaches the caller chunked, and the caller's connection goes on.
    s.write_all((ask("GET", "/interim", "") + &ask("GET", "/close", "")).as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.2, b"ok");
    let (status, h, body) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!(
        (status, body.as_slice(), h.get("transfer-encoding").map(String::as_str)),
        (200, "until the end".as_bytes(), Some("chunked"))
    );
    assert_eq!(app.app.lgsp.direct_calls(), direct + 6, "all by the direct path");

    // An answer whose length cannot be told (two Content-Lengths) is refused, not relayed.
    s.write_all(ask("GET", "/contradictory", "").as_bytes()).await.unwrap();
    let (status, h, _) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, h.get("x-road-error").map(String::as_str)), (502, Some("Server.ServerProxy.ServiceFailed")));

    // `Expect: 100-continue` (curl's way with POST bodies): the call is checked, the caller told
    // to go on, the body forwarded; the expectation is the gateway's, not the upstream's. The
    // same for a request the router answers; the connection stays on the direct path.
    let expecting = ask("POST", "/echo", "Content-Length: 5\r\nExpect: 100-continue\r\n");
    s.write_all(expecting.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.0, 100, "told to go on before the body is sent");
    s.write_all(b"hello").await.unwrap();
    let (status, _, body) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, body.as_slice()), (200, b"hello".as_slice()));
    s.write_all(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n").await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.0, 100);
    s.write_all(b"{}").await.unwrap();
    let routed = read_answer(&mut s, &mut buf, false).await.0;
    assert!((400..500).contains(&routed), "the router's own answer, {routed}");
    s.write_all(ask("GET", "/persons/5", "").as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.2, format!("GET /persons/5 {CLIENT}").into_bytes());
    assert_eq!(app.app.lgsp.direct_calls(), direct + 9, "both calls by the direct path");

    // A chunked request body (here with a chunk extension and a trailer, arriving in pieces) is
    // decoded by the loop and the call routed; the connection stays with the loop, so the next
    // call takes the direct path. With `Expect: 100-continue`, the 100 comes first.
    let chunked = ask("POST", "/echo", "Transfer-Encoding: chunked\r\n").replacen("/raw/", "/persons/", 1);
    s.write_all(chunked.as_bytes()).await.unwrap();
    s.write_all(b"3;note=x\r\nab").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    s.write_all(b"c\r\n0\r\nX-Trailer: 1\r\n\r\n").await.unwrap();
    let (status, h, body) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, body.as_slice()), (200, b"abc".as_slice()));
    assert_eq!(h.get("x-road-request-hash"), Some(&BASE64.encode(&Sha512::digest(b"abc"))));
    assert_eq!(app.app.lgsp.direct_calls(), direct + 9, "routed");
    s.write_all(ask("GET", "/persons/6", "").as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.2, format!("GET /persons/6 {CLIENT}").into_bytes());
    assert_eq!(app.app.lgsp.direct_calls(), direct + 10, "the next call direct on the same connection");
    let expecting = ask("POST", "/echo", "Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n").replacen("/raw/", "/persons/", 1);
    s.write_all(expecting.as_bytes()).await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.0, 100);
    s.write_all(b"2\r\nxy\r\n0\r\n\r\n").await.unwrap();
    assert_eq!(read_answer(&mut s, &mut buf, false).await.2, b"xy");

    // A broken chunked coding, chunks with a declared length beside them (the shape of request
    // smuggling) and a body whose last coding is not chunked are refused with 400, the
    // connection closed, and nothing is forwarded.
    for (extra, body) in [
        ("Transfer-Encoding: chunked\r\n", "zz\r\nabc\r\n0\r\n\r\n"),
        ("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "3\r\nabc\r\n0\r\n\r\n"),
        ("Transfer-Encoding: chunked, gzip\r\n", "3\r\nabc\r\n0\r\n\r\n"),
    ] {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let mut buf = Vec::new();
        s.write_all((ask("POST", "/echo", extra) + body).as_bytes()).await.unwrap();
        let (status, h, _) = read_answer(&mut s, &mut buf, false).await;
        assert_eq!((status, h.get("connection").map(String::as_str)), (400, Some("close")), "{extra}");
        assert_eq!(s.read(&mut [0u8; 16]).await.unwrap(), 0, "closed after the refusal");
    }
    assert_eq!(app.app.lgsp.direct_calls(), direct + 10);

    // Another expectation than 100-continue is ignored (RFC 9110 allows it; hyper does the same)
    // and the call answered by the direct path, its body sent without waiting.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = Vec::new();
    s.write_all((ask("POST", "/echo", "Content-Length: 2\r\nExpect: something-else\r\n") + "ok").as_bytes()).await.unwrap();
    let (status, _, body) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
    assert_eq!(app.app.lgsp.direct_calls(), direct + 11);

    // Asked to close: answered with `Connection: close`, then closed.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut buf = Vec::new();
    s.write_all(ask("GET", "/persons/4", "Connection: close\r\n").as_bytes()).await.unwrap();
    let (status, h, _) = read_answer(&mut s, &mut buf, false).await;
    assert_eq!((status, h.get("connection").map(String::as_str)), (200, Some("close")));
    assert_eq!(s.read(&mut [0u8; 16]).await.unwrap(), 0, "closed after the answer");

    // The log has the chunked answer's hash, of the body as decoded.
    wait_for_log(app, 10).await;
    let hash = kernel::db::q("SELECT response_hash FROM lgsp_messages WHERE request_id = $1")
        .bind(&chunked_id)
        .fetch_one(&app.app.db)
        .await
        .unwrap()
        .text("response_hash")
        .unwrap();
    assert_eq!(hash, BASE64.encode(&Sha512::digest("xin chào".as_bytes())));
});

storage_test!(dot_segments_however_written_are_refused_and_nothing_is_forwarded, async |app: &TestApp| {
    use tokio::io::AsyncWriteExt;
    let calls = Arc::new(AtomicUsize::new(0));
    let up = upstream(calls.clone()).await;
    let (persons, token) = setup(app, &up).await;
    publish(app, &persons).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    // Sent as written (a client library would resolve them before sending): the first call of
    // the token goes by the routed path, the later ones by the direct path; neither forwards.
    for (i, path) in [
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/%2e%2e/%2e%2e/admin",
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/%2E./x",
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/.%2e/x",
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/a%2F..%2F..%2Fadmin",
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/a%5C..%5Cadmin",
        "/r1/VN/GOV/../GOV/000.00.13.H99/tuphap/persons/persons/1",
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/x\\..\\..\\admin",
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/..;/..;/admin",
        "/r1/VN/GOV/000.00.13.H99/tuphap/persons/persons/%252e%252e/admin",
    ]
    .iter()
    .enumerate()
    {
        for _ in 0..2 {
            let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let mut buf = Vec::new();
            let ask = format!("GET {path} HTTP/1.1\r\nHost: x\r\nX-Road-Client: {CLIENT}\r\nAuthorization: Bearer {token}\r\n\r\n");
            s.write_all(ask.as_bytes()).await.unwrap();
            let (status, h, _) = read_answer(&mut s, &mut buf, false).await;
            assert_eq!((status, h.get("x-road-error").map(String::as_str)), (400, Some("Client.InvalidRequestPath")), "case {i}: {path}");
        }
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing forwarded");
    // A call that names the same thing plainly still goes through.
    let r = app.raw(call(app, reqwest::Method::GET, &format!("{SERVICE}/persons/1"), Some(&token))).await;
    assert_eq!(r.status, 200, "{}", r.text);
});
