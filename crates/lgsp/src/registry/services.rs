//! A service's settings: what registering and changing a service check, and the change itself
//! (recorded in the service's history with the settings that changed).

use kernel::authz::Principal;
use kernel::db::q;
use kernel::{Error, Result, Violations};

use super::{Service, ServiceInput, UpstreamAuth, admin, history};
use crate::Lgsp;

/// The settings as stored, once checked.
pub(super) struct Settings {
    pub kind: String,
    pub timeout: i64,
    pub max_body: i64,
}

/// Checks a service's settings (all but its code), adding to the problems `v` already has.
pub(super) fn check(input: &ServiceInput, mut v: Violations) -> Result<Settings> {
    if input.version.trim().is_empty() {
        v.add("version", "bắt buộc (required)");
    }
    if input.name.trim().is_empty() {
        v.add("name", "bắt buộc (required)");
    }
    match reqwest::Url::parse(&input.upstream_url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => v.add("upstream_url", "địa chỉ http(s) đầy đủ (a full http or https URL)"),
    }
    let kind = input.description_kind.clone().unwrap_or_else(|| "none".into());
    if !matches!(kind.as_str(), "openapi" | "wsdl" | "none") {
        v.add("description_kind", "openapi, wsdl hoặc none");
    }
    let timeout = input.timeout_ms.unwrap_or(30_000);
    if !(100..=600_000).contains(&timeout) {
        v.add("timeout_ms", "từ 100 đến 600000 (100 to 600,000 ms)");
    }
    if let Some(a) = &input.upstream_auth {
        match reqwest::Url::parse(&a.token_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            _ => v.add("upstream_auth.token_url", "địa chỉ http(s) đầy đủ (a full http or https URL)"),
        }
        if a.client_id.trim().is_empty() || a.client_secret.is_empty() {
            v.add("upstream_auth", "cần client_id và client_secret (client_id and client_secret are required)");
        }
    }
    if let Some(Err(e)) = input.soap.as_ref().map(|m| m.check()) {
        v.add("soap", e);
    }
    let max_body = input.max_body_bytes.unwrap_or(50 * 1024 * 1024);
    if !(1..=1024 * 1024 * 1024).contains(&max_body) {
        v.add("max_body_bytes", "từ 1 byte đến 1 GiB (1 byte to 1 GiB)");
    }
    v.into_result()?;
    Ok(Settings { kind, timeout, max_body })
}

impl Lgsp {
    /// Changes a service's settings: everything but its code (which is part of its address)
    /// and its state (which moves through the lifecycle). With `keep_secret`, upstream
    /// credentials sent without a secret keep the stored one (the pages never show it). The
    /// history records which settings changed; a retired service does not change.
    pub async fn change_service(&self, by: &Principal, id: &str, input: &ServiceInput, keep_secret: bool) -> Result<Service> {
        admin(by)?;
        let before = self.service_by_id(id).await?;
        let mut input = input.clone();
        if keep_secret && let Some(a) = input.upstream_auth.as_mut().filter(|a| a.client_secret.is_empty()) {
            a.client_secret = self.upstream_secret(id).await?.unwrap_or_default();
        }
        let mut v = Violations::new();
        if input.code != before.code {
            v.add("code", "là một phần địa chỉ của dịch vụ, không đổi được (part of the service's address; it cannot change)");
        }
        let Settings { kind, timeout, max_body } = check(&input, v)?;
        if before.state == "retired" {
            return Err(Error::conflict("dịch vụ đã ngừng hẳn, không sửa được (a retired service cannot change)"));
        }
        let secret_before = self.upstream_secret(id).await?;
        let description_before = self.description(id).await?.map(|d| d.1);
        let auth = |a: &Option<UpstreamAuth>| {
            a.as_ref().map(|a| (a.token_url.trim().to_owned(), a.client_id.trim().to_owned(), a.client_secret.clone()))
        };
        let auth_before = before
            .upstream_token_url
            .clone()
            .zip(before.upstream_client_id.clone())
            .map(|(u, c)| (u, c, secret_before.unwrap_or_default()));
        let changed: Vec<&str> = [
            ("version", before.version != input.version.trim()),
            ("name", before.name != input.name.trim()),
            ("upstream_url", before.upstream_url != input.upstream_url.trim()),
            ("description", before.description_kind != kind || description_before != input.description),
            ("log_bodies", before.log_bodies != input.log_bodies.unwrap_or(false)),
            ("timeout_ms", before.timeout_ms != timeout),
            ("max_body_bytes", before.max_body_bytes != max_body),
            ("upstream_auth", auth_before != auth(&input.upstream_auth)),
            ("soap", before.soap != input.soap),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
        if changed.is_empty() {
            return Ok(before);
        }
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        q("UPDATE lgsp_services SET version = $2, name = $3, upstream_url = $4, description_kind = $5, description = $6, log_bodies = $7,
             timeout_ms = $8, max_body_bytes = $9, upstream_token_url = $10, upstream_client_id = $11, upstream_client_secret = $12,
             soap = $13, updated_at = $14
           WHERE id = $1")
        .bind(id)
        .bind(input.version.trim())
        .bind(input.name.trim())
        .bind(input.upstream_url.trim())
        .bind(kind)
        .bind(input.description.clone())
        .bind(input.log_bodies.unwrap_or(false))
        .bind(timeout)
        .bind(max_body)
        .bind(input.upstream_auth.as_ref().map(|a| a.token_url.trim().to_owned()))
        .bind(input.upstream_auth.as_ref().map(|a| a.client_id.trim().to_owned()))
        .bind(input.upstream_auth.as_ref().map(|a| a.client_secret.clone()))
        .bind(input.soap.as_ref().map(|m| serde_json::json!(m).to_string()))
        .bind(now)
        .execute(&mut tx)
        .await?;
        let note = format!("settings changed: {}", changed.join(", "));
        history(&mut tx, id, now, &by.id, Some(&before.state), &before.state, Some(&note)).await?;
        tx.commit().await?;
        self.tokens.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        self.invalidate();
        self.service_by_id(id).await
    }
}
