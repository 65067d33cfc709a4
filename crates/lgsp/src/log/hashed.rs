//! The text a record's hash covers, written field by field, and its hash.

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use super::Exchange;

/// The hash of one record: every field but the batch number, in a fixed order and encoding
/// (a compact JSON array; see `hashed_text`).
pub(super) fn hash_of(seq: i64, x: &Exchange) -> String {
    HEXLOWER.encode(&Sha256::digest(hashed_text(seq, x)))
}

/// The text a record's hash covers: `[seq, request_id, at, client, service, method, path,
/// status, error, request_hash, response_hash, request_bytes, response_bytes, duration_ms,
/// user_id, SHA-256 of the request body, SHA-256 of the response body]` as compact JSON,
/// written straight from the fields (the sealer runs it for every exchange).
fn hashed_text(seq: i64, x: &Exchange) -> Vec<u8> {
    let body = |b: &Option<Vec<u8>>| b.as_ref().map(|b| HEXLOWER.encode(&Sha256::digest(b))).unwrap_or_default();
    let mut t = Vec::with_capacity(512 + x.path.len());
    t.push(b'[');
    json_int(&mut t, seq);
    json_str(&mut t, &x.request_id);
    json_int(&mut t, x.at);
    for s in [&x.client, &x.service, &x.method, &x.path] {
        json_str(&mut t, s);
    }
    json_int(&mut t, x.status);
    json_opt(&mut t, &x.error);
    json_str(&mut t, &x.request_hash);
    json_str(&mut t, &x.response_hash);
    for n in [x.request_bytes, x.response_bytes, x.duration_ms] {
        json_int(&mut t, n);
    }
    json_opt(&mut t, &x.user_id);
    json_str(&mut t, &body(&x.request_body));
    json_str(&mut t, &body(&x.response_body));
    t.push(b']');
    t
}

/// The separator before an item of the array being written (none after its `[`).
fn json_next(t: &mut Vec<u8>) {
    if t.last() != Some(&b'[') {
        t.push(b',');
    }
}

fn json_int(t: &mut Vec<u8>, n: i64) {
    json_next(t);
    let _ = std::io::Write::write_fmt(t, format_args!("{n}"));
}

/// A JSON string as serde_json writes it: text without a quote, a backslash or a control
/// character goes in as it is; anything else through serde_json's escaping.
fn json_str(t: &mut Vec<u8>, s: &str) {
    json_next(t);
    // Every byte looked at, without stopping at the first to escape: a loop the compiler
    // turns into vector instructions (the strings are short, and almost never need escaping).
    let plain = s.bytes().fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if plain {
        t.push(b'"');
        t.extend_from_slice(s.as_bytes());
        t.push(b'"');
    } else {
        serde_json::to_writer(&mut *t, s).expect("writing JSON to memory");
    }
}

fn json_opt(t: &mut Vec<u8>, s: &Option<String>) {
    match s {
        Some(s) => json_str(t, s),
        None => {
            json_next(t);
            t.extend_from_slice(b"null");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records sealed before the text was written field by field must keep their hashes: the
    /// text is the same compact JSON array as `serde_json::json!` of the fields gives.
    #[test]
    fn the_hashed_text_is_the_json_array_of_the_fields() {
        let digest = |b: &[u8]| HEXLOWER.encode(&Sha256::digest(b));
        let full = Exchange {
            request_id: "r-1".into(),
            at: 1_700_000_000_000,
            client: "VN/GOV/000.00.51.H99/motcua".into(),
            service: "VN/GOV/000.00.13.H99/tuphap/persons".into(),
            method: "POST".into(),
            path: "/r1/VN/GOV/x/\"quoted\"\\ và tiếng Việt\n\u{1}\u{7f}".into(),
            status: 502,
            error: Some("Server.ServerProxy.ServiceFailed: \"x\"".into()),
            request_hash: "rq".into(),
            response_hash: "rs".into(),
            request_bytes: 12,
            response_bytes: 3400,
            duration_ms: 7,
            user_id: Some("VN001090012345".into()),
            request_body: Some(b"xin chao".to_vec()),
            response_body: Some(vec![0, 159, 146, 150]),
        };
        let bare = Exchange { request_id: "r-2".into(), ..Default::default() };
        for x in [full, bare] {
            let expected = serde_json::json!([
                42,
                x.request_id,
                x.at,
                x.client,
                x.service,
                x.method,
                x.path,
                x.status,
                x.error,
                x.request_hash,
                x.response_hash,
                x.request_bytes,
                x.response_bytes,
                x.duration_ms,
                x.user_id,
                x.request_body.as_deref().map(digest).unwrap_or_default(),
                x.response_body.as_deref().map(digest).unwrap_or_default(),
            ]);
            assert_eq!(String::from_utf8(hashed_text(42, &x)).unwrap(), expected.to_string());
        }
    }
}
