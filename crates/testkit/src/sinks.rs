//! Receivers that stand in for the outside world in tests: an SMTP server and an SMS
//! provider's HTTP endpoint, both on loopback, both keeping what they receive so a test can
//! read the code or link that a person would have got.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One e-mail as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent (DATA), with dot-stuffing undone.
    pub data: String,
}

impl Mail {
    /// The body decoded from its transfer encoding (base64 or quoted-printable), to find a
    /// code or a link in.
    pub fn text(&self) -> String {
        let (head, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", &self.data));
        let head = head.to_ascii_lowercase();
        if head.contains("content-transfer-encoding: base64") {
            let clean: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = data_encoding::BASE64.decode(clean.as_bytes()).expect("base64 body");
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        if !head.contains("content-transfer-encoding: quoted-printable") {
            return body.to_owned();
        }
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// A small SMTP server (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) that accepts everything,
/// or refuses RCPT with 550 for addresses listed in `refuse`.
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    pub mails: Arc<Mutex<Vec<Mail>>>,
    pub refuse: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp sink");
        let port = listener.local_addr().expect("addr").port();
        let sink = SmtpSink { port, mails: Default::default(), refuse: Default::default() };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    /// `smtp_url` for the platform's configuration.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (r, mut w) = stream.into_split();
        let mut lines = BufReader::new(r).lines();
        w.write_all(b"220 sink ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                w.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?;
            } else if upper.starts_with("MAIL FROM:") {
                from = addr(&line[10..]);
                to.clear();
                w.write_all(b"250 ok\r\n").await?;
            } else if upper.starts_with("RCPT TO:") {
                let a = addr(&line[8..]);
                if self.refuse.lock().unwrap().contains(&a) {
                    w.write_all(b"550 no such user\r\n").await?;
                } else {
                    to.push(a);
                    w.write_all(b"250 ok\r\n").await?;
                }
            } else if upper == "DATA" {
                w.write_all(b"354 go on\r\n").await?;
                let mut data = String::new();
                while let Some(l) = lines.next_line().await? {
                    if l == "." {
                        break;
                    }
                    data.push_str(l.strip_prefix('.').unwrap_or(&l));
                    data.push_str("\r\n");
                }
                self.mails.lock().unwrap().push(Mail { from: from.clone(), to: to.clone(), data });
                w.write_all(b"250 queued\r\n").await?;
            } else if upper == "QUIT" {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                w.write_all(b"250 ok\r\n").await?;
            } else {
                w.write_all(b"502 not implemented\r\n").await?;
            }
        }
        Ok(())
    }

    /// Waits (up to 10 s) for a mail to `to` beyond the first `skip` ones to that address.
    pub async fn wait_for(&self, to: &str, skip: usize) -> Mail {
        for _ in 0..200 {
            let found = self.mails.lock().unwrap().iter().filter(|m| m.to.iter().any(|t| t == to)).nth(skip).cloned();
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} arrived");
    }

    pub fn count_to(&self, to: &str) -> usize {
        self.mails.lock().unwrap().iter().filter(|m| m.to.iter().any(|t| t == to)).count()
    }
}

fn addr(s: &str) -> String {
    s.trim().trim_start_matches('<').split('>').next().unwrap_or("").to_owned()
}

/// An SMS provider's endpoint: records each POSTed JSON body; answers with the statuses in
/// `script` first (then 200).
#[derive(Clone)]
pub struct SmsSink {
    pub port: u16,
    pub received: Arc<Mutex<Vec<serde_json::Value>>>,
    pub script: Arc<Mutex<Vec<u16>>>,
    pub auth: Arc<Mutex<Vec<String>>>,
}

impl SmsSink {
    pub async fn start() -> SmsSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sms sink");
        let port = listener.local_addr().expect("addr").port();
        let sink = SmsSink { port, received: Default::default(), script: Default::default(), auth: Default::default() };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.serve(stream).await;
                });
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/sms", self.port)
    }

    /// One HTTP/1.1 request per connection, enough for reqwest with `Connection: close`.
    async fn serve(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        use tokio::io::AsyncReadExt;
        let (r, mut w) = stream.into_split();
        let mut reader = BufReader::new(r);
        loop {
            let mut len = 0usize;
            let mut auth = String::new();
            let mut first = String::new();
            if reader.read_line(&mut first).await? == 0 {
                return Ok(());
            }
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).await?;
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        len = v.trim().parse().unwrap_or(0);
                    } else if k.eq_ignore_ascii_case("authorization") {
                        auth = v.trim().to_owned();
                    }
                }
            }
            let mut body = vec![0u8; len];
            reader.read_exact(&mut body).await?;
            let status = {
                let mut s = self.script.lock().unwrap();
                if s.is_empty() { 200 } else { s.remove(0) }
            };
            if status == 200 {
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                self.received.lock().unwrap().push(v);
                self.auth.lock().unwrap().push(auth);
            }
            let reply = format!("{{\"id\":\"sms-{}\"}}", self.received.lock().unwrap().len());
            let head = format!("HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n", reply.len());
            w.write_all(head.as_bytes()).await?;
            w.write_all(reply.as_bytes()).await?;
        }
    }

    /// Waits (up to 10 s) for the `n`-th (from 0) text message to `to`.
    pub async fn wait_for(&self, to: &str, n: usize) -> serde_json::Value {
        for _ in 0..200 {
            let found = self.received.lock().unwrap().iter().filter(|m| m["to"] == to).nth(n).cloned();
            if let Some(m) = found {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no text message to {to} arrived");
    }
}
