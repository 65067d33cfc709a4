//! A service's settings: what registering and changing a service check, and the change itself
//! (recorded in the service's history with the settings that changed).

use kernel::authz::Principal;
use kernel::db::{Q, q};
use kernel::{Error, Result, Violations};

use super::{Service, ServiceInput, admin, history};
use crate::Lgsp;

/// A service's settings as stored (all but its code and state), once checked.
#[derive(PartialEq)]
pub(super) struct Settings {
    version: String,
    name: String,
    upstream_url: String,
    kind: String,
    description: Option<String>,
    log_bodies: bool,
    timeout: i64,
    max_body: i64,
    /// The token URL, client id and secret at another platform's gateway.
    auth: Option<(String, String, String)>,
    /// The SOAP mapping as JSON.
    soap: Option<String>,
}

impl Settings {
    /// Binds the settings, in the order of the columns `version, name, upstream_url,
    /// description_kind, description, log_bodies, timeout_ms, max_body_bytes,
    /// upstream_token_url, upstream_client_id, upstream_client_secret, soap`.
    pub(super) fn bind(&self, query: Q) -> Q {
        let (token_url, client_id, secret) = match self.auth.clone() {
            Some((u, c, s)) => (Some(u), Some(c), Some(s)),
            None => (None, None, None),
        };
        query
            .bind(self.version.as_str())
            .bind(self.name.as_str())
            .bind(self.upstream_url.as_str())
            .bind(self.kind.as_str())
            .bind(self.description.clone())
            .bind(self.log_bodies)
            .bind(self.timeout)
            .bind(self.max_body)
            .bind(token_url)
            .bind(client_id)
            .bind(secret)
            .bind(self.soap.clone())
    }

    /// The names of the settings that differ between `self` and `other`, for the history.
    fn changed(&self, other: &Settings) -> Vec<&'static str> {
        [
            ("version", self.version != other.version),
            ("name", self.name != other.name),
            ("upstream_url", self.upstream_url != other.upstream_url),
            ("description", self.kind != other.kind || self.description != other.description),
            ("log_bodies", self.log_bodies != other.log_bodies),
            ("timeout_ms", self.timeout != other.timeout),
            ("max_body_bytes", self.max_body != other.max_body),
            ("upstream_auth", self.auth != other.auth),
            ("soap", self.soap != other.soap),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect()
    }
}

/// Checks a service's settings (all but its code), adding to the problems `v` already has.
pub(super) fn check(input: &ServiceInput, mut v: Violations) -> Result<Settings> {
    if input.version.trim().is_empty() {
        v.add("version", "bắt buộc (required)");
    }
    if input.name.trim().is_empty() {
        v.add("name", "bắt buộc (required)");
    }
    if input.version.trim().chars().count() > 50 {
        v.add("version", "tối đa 50 ký tự (at most 50 characters)");
    }
    if input.name.trim().chars().count() > 300 {
        v.add("name", "tối đa 300 ký tự (at most 300 characters)");
    }
    match reqwest::Url::parse(&input.upstream_url) {
        // A user or password in the address would be stored and shown with it.
        Ok(u) if !u.username().is_empty() || u.password().is_some() => v.add(
            "upstream_url",
            "không ghi tên hay mật khẩu trong địa chỉ; dùng thông tin đăng nhập nguồn (no user or password in the address; use upstream_auth)",
        ),
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() && input.upstream_url.len() <= 2000 => {}
        _ => v.add("upstream_url", "địa chỉ http(s) đầy đủ (a full http or https URL)"),
    }
    // A kind without a description (a form left with its kind chosen) is no description.
    let given = input.description.as_deref().is_some_and(|d| !d.trim().is_empty());
    let kind = input.description_kind.clone().filter(|_| given).unwrap_or_else(|| "none".into());
    match kind.as_str() {
        "none" => {}
        "openapi" | "wsdl" => {
            if let Err(e) = described(&kind, input.description.as_deref().unwrap_or_default()) {
                v.add("description", e);
            }
        }
        _ => v.add("description_kind", "openapi, wsdl hoặc none"),
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
    // The SOAP mapping, settled against the service's description when it has one.
    let description = input.description.as_deref().map(|t| (kind.as_str(), t));
    let soap = match input.soap.as_ref().map(|m| m.settled(description)) {
        Some(Ok(m)) => Some(serde_json::json!(m).to_string()),
        Some(Err((field, e))) => {
            v.add(field, e);
            None
        }
        None => None,
    };
    let max_body = input.max_body_bytes.unwrap_or(50 * 1024 * 1024);
    if !(1..=1024 * 1024 * 1024).contains(&max_body) {
        v.add("max_body_bytes", "từ 1 byte đến 1 GiB (1 byte to 1 GiB)");
    }
    v.into_result()?;
    Ok(Settings {
        version: input.version.trim().to_owned(),
        name: input.name.trim().to_owned(),
        upstream_url: input.upstream_url.trim().to_owned(),
        kind,
        description: input.description.clone(),
        log_bodies: input.log_bodies.unwrap_or(false),
        timeout,
        max_body,
        auth: input.upstream_auth.as_ref().map(|a| (a.token_url.trim().to_owned(), a.client_id.trim().to_owned(), a.client_secret.clone())),
        soap,
    })
}

/// What is wrong with a service's settings as given (for a form with other problems of its own,
/// so that all are listed at once).
pub(crate) fn problems(input: &ServiceInput) -> Result<()> {
    check(input, Violations::new()).map(|_| ())
}

/// Checks that a description is what its kind says: an OpenAPI (or Swagger) document in JSON
/// or YAML, or a WSDL the SOAP bridge can read; `getOpenAPI` and `getWsdl` hand it out as such.
fn described(kind: &str, text: &str) -> Result<(), String> {
    if kind == "wsdl" {
        return crate::soap::wsdl::read(text).map(|_| ()).map_err(|e| format!("WSDL: {e}"));
    }
    let doc = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(d) => d,
        Err(_) => crate::yaml::to_json(text).map_err(|e| format!("OpenAPI: không đọc được JSON hay YAML (neither JSON nor YAML): {e}"))?,
    };
    if doc.get("openapi").or_else(|| doc.get("swagger")).is_some_and(serde_json::Value::is_string) {
        Ok(())
    } else {
        Err("OpenAPI: cần trường openapi (hoặc swagger) ở gốc (an openapi or swagger field at the top is required)".into())
    }
}

impl Lgsp {
    /// Changes a service's settings: everything but its code (which is part of its address)
    /// and its state (which moves through the lifecycle). With `keep_secret`, upstream
    /// credentials sent without a secret keep the stored one (the pages never show it). The
    /// history records which settings changed; a retired service does not change.
    /// A service's settings as its row holds them.
    async fn stored_settings(&self, id: &str) -> Result<Settings> {
        let r = q("SELECT version, name, upstream_url, description_kind, description, log_bodies, timeout_ms, max_body_bytes,
                     upstream_token_url, upstream_client_id, upstream_client_secret, soap
                   FROM lgsp_services WHERE id = $1")
        .bind(id)
        .fetch_optional(&self.db)
        .await?
        .ok_or_else(|| Error::not_found(format!("dịch vụ {id}")))?;
        let (url, client, secret) =
            (r.opt_text("upstream_token_url")?, r.opt_text("upstream_client_id")?, r.opt_text("upstream_client_secret")?);
        Ok(Settings {
            version: r.text("version")?,
            name: r.text("name")?,
            upstream_url: r.text("upstream_url")?,
            kind: r.text("description_kind")?,
            description: r.opt_text("description")?,
            log_bodies: r.bool("log_bodies")?,
            timeout: r.int("timeout_ms")?,
            max_body: r.int("max_body_bytes")?,
            auth: url.zip(client).map(|(u, c)| (u, c, secret.unwrap_or_default())),
            soap: r.opt_text("soap")?,
        })
    }

    pub async fn change_service(&self, by: &Principal, id: &str, input: &ServiceInput, keep_secret: bool) -> Result<Service> {
        self.change_service_seen(by, id, input, keep_secret, None).await
    }

    /// When the service last changed (settings or state), for a form to say what it showed.
    pub async fn service_changed_at(&self, id: &str) -> Result<i64> {
        q("SELECT updated_at FROM lgsp_services WHERE id = $1").bind(id).fetch_i64(&self.db).await
    }

    /// As [`Lgsp::change_service`], refused (409) when the service changed after `seen` (the
    /// moment of the change a form was filled from), so that an administrator saving a page
    /// opened earlier does not undo, unseen, what another saved since.
    pub async fn change_service_seen(
        &self,
        by: &Principal,
        id: &str,
        input: &ServiceInput,
        keep_secret: bool,
        seen: Option<i64>,
    ) -> Result<Service> {
        admin(by)?;
        let before = self.service_by_id(id).await?;
        let stored = self.stored_settings(id).await?;
        let mut input = input.clone();
        if keep_secret && let Some(a) = input.upstream_auth.as_mut().filter(|a| a.client_secret.is_empty()) {
            a.client_secret = stored.auth.as_ref().map(|a| a.2.clone()).unwrap_or_default();
        }
        let mut v = Violations::new();
        if input.code != before.code {
            v.add("code", "là một phần địa chỉ của dịch vụ, không đổi được (part of the service's address; it cannot change)");
        }
        let after = check(&input, v)?;
        if before.state == "retired" {
            return Err(Error::conflict("dịch vụ đã ngừng hẳn, không sửa được (a retired service cannot change)"));
        }
        let changed = after.changed(&stored);
        if changed.is_empty() {
            return Ok(before);
        }
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        let update = q("UPDATE lgsp_services SET version = $2, name = $3, upstream_url = $4, description_kind = $5, description = $6,
                          log_bodies = $7, timeout_ms = $8, max_body_bytes = $9, upstream_token_url = $10, upstream_client_id = $11,
                          upstream_client_secret = $12, soap = $13, updated_at = $14
                        WHERE id = $1 AND (CAST($15 AS BIGINT) = 0 OR updated_at = CAST($15 AS BIGINT))");
        let n = after.bind(update.bind(id)).bind(now).bind(seen.unwrap_or(0)).execute(&mut tx).await?;
        if n == 0 {
            return Err(Error::conflict(
                "dịch vụ vừa được người khác thay đổi; hãy xem lại trang rồi lưu lại (the service changed since the page was opened; look again and save again)",
            ));
        }
        let note = format!("settings changed: {}", changed.join(", "));
        history(&mut tx, id, now, &by.id, Some(&before.state), &before.state, Some(&note)).await?;
        tx.commit().await?;
        self.tokens.lock().unwrap_or_else(|e| e.into_inner()).remove(id);
        self.invalidate();
        self.service_by_id(id).await
    }
}
