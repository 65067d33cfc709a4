//! The hub as this deployment's exchange worker sees it: this deployment itself (in-process
//! calls), or another deployment's hub API over HTTP with OAuth2 client credentials, directly
//! or through an LGSP gateway path (`X-Road-Client` sent). Bodies are streamed both ways.

use std::io::Write;

use kernel::{Error, Result};

use super::Docflow;
use super::hub::{HubCaller, HubMessage};

impl Docflow {
    async fn token(&self, remote: &super::RemoteHub) -> Result<String> {
        let mut t = self.token.lock().await;
        if let Some((tok, exp)) = t.as_ref()
            && *exp > kernel::time::now_ms() + 10_000
        {
            return Ok(tok.clone());
        }
        let r = self
            .http
            .post(&remote.token_url)
            .form(&[("grant_type", "client_credentials"), ("client_id", &remote.client_id), ("client_secret", &remote.client_secret)])
            .send()
            .await
            .map_err(|e| Error::internal(format!("hub token: {e}")))?;
        if !r.status().is_success() {
            return Err(Error::internal(format!("hub token: HTTP {}", r.status())));
        }
        let v: serde_json::Value = r.json().await.map_err(|e| Error::internal(format!("hub token: {e}")))?;
        let tok = v["access_token"].as_str().ok_or_else(|| Error::internal("hub token: no access_token"))?.to_owned();
        let exp = kernel::time::now_ms() + v["expires_in"].as_i64().unwrap_or(300) * 1000;
        *t = Some((tok.clone(), exp));
        Ok(tok)
    }

    async fn remote_request(&self, remote: &super::RemoteHub, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder> {
        let tok = self.token(remote).await?;
        let mut b = self.http.request(method, format!("{}{path}", remote.url.trim_end_matches('/'))).bearer_auth(tok);
        if let Some(c) = &remote.xroad_client {
            b = b.header("X-Road-Client", c);
        }
        Ok(b)
    }

    async fn checked(r: std::result::Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response> {
        let r = r.map_err(|e| Error::internal(format!("hub: {e}")))?;
        let status = r.status();
        if status.is_success() {
            return Ok(r);
        }
        let text = r.text().await.unwrap_or_default();
        let text: String = text.chars().take(500).collect();
        Err(match status.as_u16() {
            400 | 422 => Error::invalid("hub", text),
            401 | 403 => Error::Forbidden(format!("hub: {text}")),
            _ => Error::internal(format!("hub: HTTP {status}: {text}")),
        })
    }

    pub(crate) async fn hub_send(&self, kind: &str, sha: &str, size: i64) -> Result<Vec<String>> {
        match &self.remote() {
            None => {
                let msgs = if kind == "package" {
                    self.hub_accept_package(&HubCaller::Local, sha, size).await?
                } else {
                    self.hub_accept_status(&HubCaller::Local, &self.blobs.read(sha).await?).await?
                };
                Ok(msgs.into_iter().map(|m| m.id).collect())
            }
            Some(remote) => {
                let path = if kind == "package" { "/packages" } else { "/statuses" };
                let file = tokio::fs::File::open(self.blobs.path(sha)).await.map_err(Error::internal)?;
                let body = reqwest::Body::wrap_stream(file_chunks(file));
                let r = self
                    .remote_request(remote, reqwest::Method::POST, path)
                    .await?
                    .header("content-type", "application/xml")
                    .header("content-length", size)
                    .body(body)
                    .send()
                    .await;
                let v: serde_json::Value = Self::checked(r).await?.json().await.map_err(|e| Error::internal(format!("hub: {e}")))?;
                let list = if v.is_array() { v.as_array().cloned().unwrap_or_default() } else { vec![v] };
                Ok(list.iter().filter_map(|m| m["id"].as_str().map(str::to_owned)).collect())
            }
        }
    }

    /// Agencies documents can be sent to: the hub's list (the other deployment's, when it
    /// plays the hub).
    pub async fn known_recipients(&self) -> Result<Vec<super::hub::HubMember>> {
        match &self.remote() {
            None => self.hub_members().await,
            Some(remote) => {
                let r = self.remote_request(remote, reqwest::Method::GET, "/agencies").await?.send().await;
                Self::checked(r).await?.json().await.map_err(|e| Error::internal(format!("hub: {e}")))
            }
        }
    }

    pub(crate) async fn hub_list(&self, wait_secs: u64) -> Result<Vec<HubMessage>> {
        match &self.remote() {
            None => self.hub_received(&HubCaller::Local, 50).await,
            Some(remote) => {
                let path = if wait_secs > 0 { format!("/received?wait={wait_secs}") } else { "/received".to_owned() };
                let r = self.remote_request(remote, reqwest::Method::GET, &path).await?.send().await;
                Self::checked(r).await?.json().await.map_err(|e| Error::internal(format!("hub: {e}")))
            }
        }
    }

    /// The message's bytes, in this deployment's blob store; returns their hash.
    pub(crate) async fn hub_get(&self, m: &HubMessage) -> Result<String> {
        match &self.remote() {
            None => Ok(self.hub_fetch(&HubCaller::Local, &m.id).await?.1),
            Some(remote) => {
                use futures_util::StreamExt;
                let r = self.remote_request(remote, reqwest::Method::GET, &format!("/messages/{}", m.id)).await?.send().await;
                let mut stream = Self::checked(r).await?.bytes_stream();
                let mut w = self.blobs.writer()?;
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(|e| Error::internal(format!("hub: {e}")))?;
                    w.write_all(&chunk).map_err(Error::internal)?;
                }
                Ok(w.finish()?.0)
            }
        }
    }

    pub(crate) async fn hub_ack(&self, id: &str) -> Result<()> {
        match &self.remote() {
            None => self.hub_done(&HubCaller::Local, id).await,
            Some(remote) => {
                let r = self.remote_request(remote, reqwest::Method::POST, &format!("/messages/{id}/done")).await?.send().await;
                Self::checked(r).await.map(|_| ())
            }
        }
    }
}

/// Reads a file as a stream of chunks, for bodies that are not held in memory.
pub(crate) fn file_chunks(file: tokio::fs::File) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}
