//! A small HTTP/1.1 codec for the gateway's direct path and the connections that carry it
//! (`crates/server/src/lane.rs`): heads parsed in place with `httparse`, bodies framed by
//! `Content-Length`, chunked coding or the end of the connection, and answers written with as
//! few copies and system calls as the message allows. It covers what a proxy between two
//! HTTP/1.1 parties needs; anything else (HTTP/1.0, `Expect`, upgrades, chunked requests) is
//! left to hyper by the connection loop.

use std::io;
use std::time::SystemTime;

use tokio::io::{AsyncRead, AsyncReadExt};

/// The largest head read; a longer one is refused.
pub const HEAD_MAX: usize = 64 * 1024;
/// The most header fields a head may have here (as many as hyper allows).
pub const FIELDS_MAX: usize = 100;
/// How much is read at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Reads from `io` into `buf` (appending) once; Ok(0) at the end of the stream.
pub async fn fill<R: AsyncRead + Unpin>(io: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    if buf.capacity() - buf.len() < READ_CHUNK / 2 {
        buf.reserve(READ_CHUNK);
    }
    io.read_buf(buf).await
}

/// The values of every field named `name` (any case) among `fields`, in order.
pub fn values<'a, 'h>(fields: &'h [httparse::Header<'a>], name: &'h str) -> impl Iterator<Item = &'a [u8]> + 'h {
    fields.iter().filter(move |h| h.name.eq_ignore_ascii_case(name)).map(|h| h.value)
}

/// The value of the first field named `name` (any case) among `fields`.
pub fn value<'a>(fields: &[httparse::Header<'a>], name: &str) -> Option<&'a [u8]> {
    values(fields, name).next()
}

/// The value of the first field named `name` (any case) among `fields`, when it is text.
pub fn field<'a>(fields: &[httparse::Header<'a>], name: &str) -> Option<&'a str> {
    value(fields, name).and_then(|v| std::str::from_utf8(v).ok())
}

/// The comma-separated tokens of every field named `name`, trimmed, empty ones left out.
pub fn tokens<'a, 'h>(fields: &'h [httparse::Header<'a>], name: &'h str) -> impl Iterator<Item = &'a str> + 'h {
    values(fields, name).filter_map(|v| std::str::from_utf8(v).ok()).flat_map(|v| v.split(',')).map(str::trim).filter(|t| !t.is_empty())
}

/// Whether a comma-separated field named `name` lists `token` (any case).
pub fn lists(fields: &[httparse::Header<'_>], name: &str, token: &str) -> bool {
    tokens(fields, name).any(|t| t.eq_ignore_ascii_case(token))
}

/// A message whose framing or chunked coding breaks HTTP/1.1's rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Malformed;

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body at all.
    Empty,
    /// This many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the sender closes the connection (responses only).
    Close,
}

/// The body's length as `Content-Length` fields declare it: None when absent, Err when the
/// fields are not one number (several that differ, or not digits).
pub fn content_length(fields: &[httparse::Header<'_>]) -> Result<Option<u64>, Malformed> {
    let mut found: Option<u64> = None;
    for v in values(fields, "content-length") {
        for part in std::str::from_utf8(v).map_err(|_| Malformed)?.split(',') {
            let part = part.trim();
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Malformed);
            }
            let n = part.parse::<u64>().map_err(|_| Malformed)?;
            if found.is_some_and(|f| f != n) {
                return Err(Malformed);
            }
            found = Some(n);
        }
    }
    Ok(found)
}

/// How a response's body is delimited (RFC 9112 §6.3), given whether the request was `HEAD`.
pub fn response_framing(head_request: bool, status: u16, fields: &[httparse::Header<'_>]) -> Result<Framing, Malformed> {
    if head_request || status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok(Framing::Empty);
    }
    if value(fields, "transfer-encoding").is_some() {
        let last = tokens(fields, "transfer-encoding").last();
        return Ok(if last.is_some_and(|t| t.eq_ignore_ascii_case("chunked")) { Framing::Chunked } else { Framing::Close });
    }
    match content_length(fields)? {
        Some(0) => Ok(Framing::Empty),
        Some(n) => Ok(Framing::Length(n)),
        None => Ok(Framing::Close),
    }
}

/// How a request's body is delimited (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestBody {
    /// This many bytes (0 when nothing says there is a body).
    Length(u64),
    /// Chunked transfer coding alone.
    Chunked,
    /// Other transfer codings, chunked last: not decoded here.
    Coded,
}

/// Why a request's body cannot be delimited safely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadFraming {
    /// Its last transfer coding is not chunked, so its length cannot be told.
    NotChunkedLast,
    /// Transfer codings with a `Content-Length` beside them: the shape of request smuggling.
    Both,
    /// `Content-Length` fields that are not one number.
    Length,
}

impl BadFraming {
    /// The reason, as a line of text for the client.
    pub fn reason(self) -> &'static str {
        match self {
            BadFraming::NotChunkedLast => "the request's last transfer coding is not chunked (RFC 9112, 6.1)\n",
            BadFraming::Both => "a request may not have both Transfer-Encoding and Content-Length (RFC 9112, 6.1)\n",
            BadFraming::Length => "the request's Content-Length is not one number (RFC 9112, 6.3)\n",
        }
    }
}

/// How a request's body is delimited (RFC 9112 §6.1, §6.3).
pub fn request_framing(fields: &[httparse::Header<'_>]) -> Result<RequestBody, BadFraming> {
    if value(fields, "transfer-encoding").is_none() {
        return content_length(fields).map(|n| RequestBody::Length(n.unwrap_or(0))).map_err(|_| BadFraming::Length);
    }
    let codings: Vec<&str> = tokens(fields, "transfer-encoding").collect();
    if !codings.last().is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        return Err(BadFraming::NotChunkedLast);
    }
    if value(fields, "content-length").is_some() {
        return Err(BadFraming::Both);
    }
    Ok(if codings.len() > 1 { RequestBody::Coded } else { RequestBody::Chunked })
}

/// Where a chunked body's decoding stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Size,
    Data(u64),
    DataEnd,
    Trailer,
    Done,
}

/// Decodes a chunked body as it arrives, in pieces of any size.
pub struct Dechunk {
    step: Step,
}

impl Default for Dechunk {
    fn default() -> Self {
        Dechunk { step: Step::Size }
    }
}

impl Dechunk {
    /// Whether the last chunk and the trailer section were read.
    pub fn done(&self) -> bool {
        self.step == Step::Done
    }

    /// Takes what it can from `input`, handing each piece of data to `data`; returns how many
    /// bytes it used (the rest must wait for more input), or Err when the coding is broken.
    pub fn feed(&mut self, input: &[u8], mut data: impl FnMut(&[u8])) -> Result<usize, Malformed> {
        let mut at = 0;
        loop {
            let rest = &input[at..];
            match self.step {
                Step::Size => match httparse::parse_chunk_size(rest) {
                    Ok(httparse::Status::Complete((used, 0))) => {
                        at += used;
                        self.step = Step::Trailer;
                    }
                    Ok(httparse::Status::Complete((used, size))) => {
                        at += used;
                        self.step = Step::Data(size);
                    }
                    Ok(httparse::Status::Partial) => return Ok(at),
                    Err(_) => return Err(Malformed),
                },
                Step::Data(left) => {
                    if rest.is_empty() {
                        return Ok(at);
                    }
                    let n = (left.min(rest.len() as u64)) as usize;
                    data(&rest[..n]);
                    at += n;
                    self.step = if left == n as u64 { Step::DataEnd } else { Step::Data(left - n as u64) };
                }
                Step::DataEnd => {
                    if rest.len() < 2 {
                        return Ok(at);
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(Malformed);
                    }
                    at += 2;
                    self.step = Step::Size;
                }
                Step::Trailer => {
                    // Trailer fields are read past, one line at a time, to the empty line.
                    let Some(end) = rest.windows(2).position(|w| w == b"\r\n") else { return Ok(at) };
                    at += end + 2;
                    if end == 0 {
                        self.step = Step::Done;
                    }
                }
                Step::Done => return Ok(at),
            }
        }
    }
}

/// Appends `data` to `out` as one chunk of a chunked body.
pub fn put_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    use std::io::Write;
    let _ = write!(out, "{:x}\r\n", data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Appends the status line of an HTTP/1.1 answer.
pub fn put_status(out: &mut Vec<u8>, status: u16) {
    out.extend_from_slice(b"HTTP/1.1 ");
    let mut digits = itoa(status as u64);
    out.append(&mut digits);
    out.push(b' ');
    let reason = axum::http::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
    out.extend_from_slice(reason.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends one header field.
pub fn put_field(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends a `Content-Length` field.
pub fn put_length(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(b"content-length: ");
    let mut digits = itoa(n);
    out.append(&mut digits);
    out.extend_from_slice(b"\r\n");
}

/// A whole answer whose body is in hand: the status, `fields`, `Date`, the length, and
/// `Connection: close` when `close`, then the body.
pub fn whole_answer(status: u16, fields: &[(&[u8], &[u8])], body: &[u8], close: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    put_status(&mut out, status);
    for (name, value) in fields {
        put_field(&mut out, name, value);
    }
    put_date(&mut out);
    put_length(&mut out, body.len() as u64);
    if close {
        put_field(&mut out, b"connection", b"close");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

fn itoa(mut n: u64) -> Vec<u8> {
    let mut d = Vec::with_capacity(20);
    loop {
        d.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    d.reverse();
    d
}

thread_local! {
    /// The `Date` field's value, made once a second per thread.
    static DATE: std::cell::RefCell<(u64, Vec<u8>)> = const { std::cell::RefCell::new((0, Vec::new())) };
}

/// Appends a `Date` field with the current second.
pub fn put_date(out: &mut Vec<u8>) {
    let now = SystemTime::now();
    let second = now.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    DATE.with(|d| {
        let mut d = d.borrow_mut();
        if d.0 != second || d.1.is_empty() {
            *d = (second, httpdate::fmt_http_date(now).into_bytes());
        }
        put_field(out, b"date", &d.1);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dechunk_in_pieces(input: &[u8], piece: usize) -> Result<(Vec<u8>, bool), Malformed> {
        let (mut d, mut got, mut pending) = (Dechunk::default(), Vec::new(), Vec::new());
        for p in input.chunks(piece) {
            pending.extend_from_slice(p);
            let used = d.feed(&pending, |c| got.extend_from_slice(c))?;
            pending.drain(..used);
        }
        Ok((got, d.done()))
    }

    #[test]
    fn chunked_bodies_decode_whatever_the_pieces() {
        let body = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n";
        for piece in [1, 2, 3, 7, body.len()] {
            assert_eq!(dechunk_in_pieces(body, piece), Ok((b"hello, world".to_vec(), true)), "pieces of {piece}");
        }
        assert_eq!(dechunk_in_pieces(b"5\r\nhel", 100), Ok((b"hel".to_vec(), false)), "not ended yet");
        assert_eq!(dechunk_in_pieces(b"5\r\nhelloXX0\r\n\r\n", 100), Err(Malformed), "data longer than its size");
        assert_eq!(dechunk_in_pieces(b"zz\r\n", 100), Err(Malformed), "a size that is no number");
        let mut out = Vec::new();
        put_chunk(&mut out, b"hello, world");
        out.extend_from_slice(LAST_CHUNK);
        assert_eq!(dechunk_in_pieces(&out, 4), Ok((b"hello, world".to_vec(), true)), "what put_chunk writes reads back");
    }

    #[test]
    fn bodies_are_framed_as_rfc_9112_says() {
        let f = |fields: &[(&str, &str)]| -> Vec<httparse::Header<'static>> {
            fields.iter().map(|(n, v)| httparse::Header { name: n.to_string().leak(), value: v.to_string().leak().as_bytes() }).collect()
        };
        assert_eq!(response_framing(false, 200, &f(&[("Content-Length", "12")])), Ok(Framing::Length(12)));
        assert_eq!(response_framing(false, 200, &f(&[("content-length", "12, 12")])), Ok(Framing::Length(12)));
        assert_eq!(response_framing(false, 200, &f(&[("content-length", "12"), ("Content-Length", "13")])), Err(Malformed));
        assert_eq!(response_framing(false, 200, &f(&[("content-length", "-1")])), Err(Malformed));
        assert_eq!(
            response_framing(false, 200, &f(&[("Transfer-Encoding", "gzip, chunked"), ("content-length", "3")])),
            Ok(Framing::Chunked)
        );
        assert_eq!(response_framing(false, 200, &f(&[("transfer-encoding", "gzip")])), Ok(Framing::Close));
        assert_eq!(response_framing(false, 200, &f(&[])), Ok(Framing::Close));
        assert_eq!(response_framing(true, 200, &f(&[("content-length", "12")])), Ok(Framing::Empty));
        assert_eq!(response_framing(false, 204, &f(&[])), Ok(Framing::Empty));
        assert_eq!(response_framing(false, 304, &f(&[("content-length", "12")])), Ok(Framing::Empty));
        assert_eq!(response_framing(false, 200, &f(&[("content-length", "0")])), Ok(Framing::Empty));
    }

    #[test]
    fn request_bodies_are_framed_as_rfc_9112_says() {
        let f = |fields: &[(&str, &str)]| -> Vec<httparse::Header<'static>> {
            fields.iter().map(|(n, v)| httparse::Header { name: n.to_string().leak(), value: v.to_string().leak().as_bytes() }).collect()
        };
        assert_eq!(request_framing(&f(&[])), Ok(RequestBody::Length(0)));
        assert_eq!(request_framing(&f(&[("Content-Length", "12")])), Ok(RequestBody::Length(12)));
        assert_eq!(request_framing(&f(&[("content-length", "1"), ("content-length", "2")])), Err(BadFraming::Length));
        assert_eq!(request_framing(&f(&[("Transfer-Encoding", "Chunked")])), Ok(RequestBody::Chunked));
        assert_eq!(request_framing(&f(&[("transfer-encoding", "gzip"), ("transfer-encoding", "chunked")])), Ok(RequestBody::Coded));
        assert_eq!(request_framing(&f(&[("transfer-encoding", "chunked, gzip")])), Err(BadFraming::NotChunkedLast));
        assert_eq!(request_framing(&f(&[("transfer-encoding", "")])), Err(BadFraming::NotChunkedLast));
        assert_eq!(request_framing(&f(&[("transfer-encoding", "chunked"), ("content-length", "3")])), Err(BadFraming::Both));
    }

    #[test]
    fn status_lines_and_lengths_are_written_plainly() {
        let mut out = Vec::new();
        put_status(&mut out, 200);
        put_length(&mut out, 1234567);
        put_status(&mut out, 599);
        assert_eq!(out, b"HTTP/1.1 200 OK\r\ncontent-length: 1234567\r\nHTTP/1.1 599 \r\n");
    }
}
