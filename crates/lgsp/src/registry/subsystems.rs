//! Subsystems: the systems a member runs, as a client of other services (with the OAuth2
//! client or the certificate that proves it, a rate limit and a daily quota) and as the
//! provider of its own.

use kernel::authz::Principal;
use kernel::db::{Row, q};
use kernel::{Error, Result, Violations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin;
use crate::Lgsp;
use crate::model::{SubsystemId, part_ok};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubsystemInput {
    #[schema(pattern = r"^[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}$", example = "motcua")]
    pub code: String,
    #[schema(pattern = r"\S")]
    pub name: String,
    /// The OAuth2 client (client credentials grant) that speaks for this subsystem.
    pub client_id: Option<String>,
    /// Requests per minute this subsystem may make as a client; 0 or absent: no limit.
    #[schema(minimum = 0)]
    pub rate_per_minute: Option<i64>,
    /// Calls this subsystem may make as a client in a calendar day (Vietnam's time), all the
    /// platform's nodes together; 0 or absent: no quota.
    #[schema(minimum = 0)]
    pub calls_per_day: Option<i64>,
    /// The client certificate (PEM) that proves this subsystem over mutual TLS.
    pub certificate: Option<String>,
    /// False to disable the subsystem (its calls are refused); on changes only.
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Subsystem {
    pub id: String,
    #[schema(value_type = Object)]
    pub xid: SubsystemId,
    pub name: String,
    pub client_id: Option<String>,
    pub rate_per_minute: i64,
    pub calls_per_day: i64,
    pub active: bool,
    /// SHA-256 (hex) of the certificate bound to it, if any.
    pub cert_sha256: Option<String>,
}

/// The SHA-256 (hex) of a PEM certificate's DER, as TLS shows it.
/// None unless the PEM holds an X.509 certificate that reads as one.
fn cert_fingerprint(pem: &str) -> Option<String> {
    use rustls_pki_types::pem::PemObject;
    use sha2::Digest;
    use x509_cert::der::Decode;
    rustls_pki_types::CertificateDer::from_pem_slice(pem.as_bytes())
        .ok()
        .filter(|der| x509_cert::Certificate::from_der(der.as_ref()).is_ok())
        .map(|der| data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(der.as_ref())))
}

impl Lgsp {
    /// Refuses a client or certificate that proves another subsystem or is a trusted gateway's:
    /// whoever holds it would be taken for both.
    async fn bindable(&self, member: (&str, &str, &str), id: Option<&str>, client: Option<&str>, cert: Option<&str>) -> Result<()> {
        // A member another platform's gateway speaks for has no systems signing in here: the
        // gateway could speak as them.
        if client.is_some() || cert.is_some() {
            let peers = q("SELECT COUNT(*) FROM lgsp_peers WHERE instance = $1 AND member_class = $2 AND member_code = $3")
                .bind(member.0)
                .bind(member.1)
                .bind(member.2)
                .fetch_i64(&self.db)
                .await?;
            if peers > 0 {
                return Err(Error::conflict(
                    "một cổng LGSP được tin cậy nói thay thành viên này; phân hệ của nó không tự đăng nhập ở đây (a trusted gateway speaks for this member; its systems do not sign in here)",
                ));
            }
        }
        if let Some(c) = client {
            let peers = q("SELECT COUNT(*) FROM lgsp_peers WHERE client_id = $1").bind(c).fetch_i64(&self.db).await?;
            if peers > 0 {
                return Err(Error::conflict("ứng dụng (client_id) là của một cổng LGSP được tin cậy (the client is a trusted gateway's)"));
            }
        }
        if let Some(f) = cert {
            let others = q("SELECT COUNT(*) FROM lgsp_subsystems WHERE cert_sha256 = $1 AND id <> $2")
                .bind(f)
                .bind(id.unwrap_or(""))
                .fetch_i64(&self.db)
                .await?;
            if others > 0 {
                return Err(Error::conflict("chứng thư số đã gắn với phân hệ khác (the certificate is bound to another subsystem)"));
            }
        }
        Ok(())
    }
}

/// The subsystem's limits (rate, daily quota) given as negative numbers, by field name.
fn negative_limits(input: &SubsystemInput) -> impl Iterator<Item = &'static str> {
    [("rate_per_minute", input.rate_per_minute), ("calls_per_day", input.calls_per_day)]
        .into_iter()
        .filter(|(_, n)| n.is_some_and(|n| n < 0))
        .map(|(field, _)| field)
}

const SUBSYSTEM_COLS: &str = "s.id, s.code, s.name, s.client_id, s.rate_per_minute, s.calls_per_day, s.active, s.cert_sha256, m.instance, m.member_class, m.code AS member_code";

fn subsystem_of(r: &Row) -> Result<Subsystem> {
    Ok(Subsystem {
        id: r.text("id")?,
        xid: SubsystemId {
            instance: r.text("instance")?,
            member_class: r.text("member_class")?,
            member: r.text("member_code")?,
            subsystem: r.text("code")?,
        },
        name: r.text("name")?,
        client_id: r.opt_text("client_id")?,
        rate_per_minute: r.int("rate_per_minute")?,
        calls_per_day: r.int("calls_per_day")?,
        active: r.bool("active")?,
        cert_sha256: r.opt_text("cert_sha256")?,
    })
}

/// What is wrong with a subsystem as given, before the registry is asked (also for a form
/// that has other problems of its own, so that all are listed at once).
pub(crate) fn subsystem_problems(input: &SubsystemInput) -> Violations {
    let mut v = Violations::new();
    if !part_ok(&input.code) {
        v.add("code", crate::model::PART_RULE);
    }
    if input.name.trim().is_empty() {
        v.add("name", "bắt buộc (required)");
    }
    for field in negative_limits(input) {
        v.add(field, "không âm (not negative)");
    }
    if input.certificate.as_deref().map(str::trim).filter(|c| !c.is_empty()).is_some_and(|pem| cert_fingerprint(pem).is_none()) {
        v.add("certificate", "cần một chứng thư số X.509 dạng PEM (a PEM X.509 certificate)");
    }
    v
}

impl Lgsp {
    pub async fn create_subsystem(&self, by: &Principal, member: (&str, &str, &str), input: &SubsystemInput) -> Result<Subsystem> {
        admin(by)?;
        let member_id = self.member_id(member.0, member.1, member.2).await?;
        subsystem_problems(input).into_result()?;
        let cert = input.certificate.as_deref().map(str::trim).filter(|c| !c.is_empty()).and_then(cert_fingerprint);
        let id = kernel::id::new_id();
        let client = input.client_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        self.bindable(member, None, client, cert.as_deref()).await?;
        let r = q("INSERT INTO lgsp_subsystems (id, member_id, code, name, client_id, rate_per_minute, active, created_at, cert_sha256, calls_per_day)
                   VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $9)")
        .bind(id.as_str())
        .bind(member_id.as_str())
        .bind(input.code.as_str())
        .bind(input.name.trim())
        .bind(client)
        .bind(input.rate_per_minute.unwrap_or(0))
        .bind(kernel::time::now_ms())
        .bind(cert)
        .bind(input.calls_per_day.unwrap_or(0))
        .execute(&self.db)
        .await;
        match r {
            Err(e) if e.is_unique_violation() => {
                return Err(Error::conflict(
                    "phân hệ hoặc ứng dụng (client_id) đã được đăng ký (the subsystem or its client is registered)",
                ));
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        self.invalidate();
        self.subsystem_by_row_id(&id).await
    }

    /// Changes a subsystem: name, client, rate limit, daily quota, certificate (a new one replaces the old,
    /// which then proves nothing), active or not.
    pub async fn update_subsystem(&self, by: &Principal, x: &SubsystemId, input: &SubsystemInput) -> Result<Subsystem> {
        self.change_subsystem(by, x, input, false).await
    }

    /// As [`Lgsp::update_subsystem`]; with `keep_certificate`, no certificate given keeps the
    /// bound one instead of unbinding it (the administration page's form, which cannot show
    /// the certificate again).
    pub(crate) async fn change_subsystem(
        &self,
        by: &Principal,
        x: &SubsystemId,
        input: &SubsystemInput,
        keep_certificate: bool,
    ) -> Result<Subsystem> {
        admin(by)?;
        let sub = self.subsystem(x).await?.ok_or_else(|| Error::not_found(format!("phân hệ {x}")))?;
        if input.code != x.subsystem {
            return Err(Error::invalid("code", "mã phân hệ không đổi được (the code cannot change)"));
        }
        if input.name.trim().is_empty() {
            return Err(Error::invalid("name", "bắt buộc (required)"));
        }
        if let Some(field) = negative_limits(input).next() {
            return Err(Error::invalid(field, "không âm (not negative)"));
        }
        let cert = match input.certificate.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None if keep_certificate => sub.cert_sha256.clone(),
            None => None,
            Some(pem) => Some(
                cert_fingerprint(pem)
                    .ok_or_else(|| Error::invalid("certificate", "cần một chứng thư số X.509 dạng PEM (a PEM X.509 certificate)"))?,
            ),
        };
        let client = input.client_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let cert_new = cert.as_deref().filter(|c| sub.cert_sha256.as_deref() != Some(*c));
        let client_new = client.filter(|c| sub.client_id.as_deref() != Some(*c));
        self.bindable((&x.instance, &x.member_class, &x.member), Some(&sub.id), client_new, cert_new).await?;
        let r =
            q("UPDATE lgsp_subsystems SET name = $2, client_id = $3, rate_per_minute = $4, cert_sha256 = $5, active = $6, calls_per_day = $7 WHERE id = $1")
                .bind(sub.id.as_str())
                .bind(input.name.trim())
                .bind(client)
                .bind(input.rate_per_minute.unwrap_or(0))
                .bind(cert)
                .bind(input.active.unwrap_or(true))
                .bind(input.calls_per_day.unwrap_or(0))
                .execute(&self.db)
                .await;
        match r {
            Err(e) if e.is_unique_violation() => {
                return Err(Error::conflict("ứng dụng (client_id) đã gắn với phân hệ khác (the client is bound elsewhere)"));
            }
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        self.invalidate();
        self.subsystem_by_row_id(&sub.id).await
    }

    async fn subsystem_by_row_id(&self, id: &str) -> Result<Subsystem> {
        let sql = format!("SELECT {SUBSYSTEM_COLS} FROM lgsp_subsystems s JOIN lgsp_members m ON m.id = s.member_id WHERE s.id = $1");
        subsystem_of(&q(sql).bind(id).fetch_one(&self.db).await?)
    }

    /// The subsystem with this identifier, if registered.
    pub async fn subsystem(&self, x: &SubsystemId) -> Result<Option<Subsystem>> {
        let sql = format!(
            "SELECT {SUBSYSTEM_COLS} FROM lgsp_subsystems s JOIN lgsp_members m ON m.id = s.member_id
             WHERE m.instance = $1 AND m.member_class = $2 AND m.code = $3 AND s.code = $4"
        );
        q(sql)
            .bind(x.instance.as_str())
            .bind(x.member_class.as_str())
            .bind(x.member.as_str())
            .bind(x.subsystem.as_str())
            .fetch_optional(&self.db)
            .await?
            .map(|r| subsystem_of(&r))
            .transpose()
    }

    /// Every active subsystem (the `listClients` metaservice).
    pub async fn subsystems(&self) -> Result<Vec<Subsystem>> {
        let sql = format!(
            "SELECT {SUBSYSTEM_COLS} FROM lgsp_subsystems s JOIN lgsp_members m ON m.id = s.member_id WHERE s.active
             ORDER BY m.instance, m.member_class, m.code, s.code"
        );
        q(sql).fetch_all(&self.db).await?.iter().map(subsystem_of).collect()
    }

    /// Every subsystem, active or not (for the gateway's snapshot).
    pub(crate) async fn subsystems_all(&self) -> Result<Vec<Subsystem>> {
        let sql = format!("SELECT {SUBSYSTEM_COLS} FROM lgsp_subsystems s JOIN lgsp_members m ON m.id = s.member_id");
        q(sql).fetch_all(&self.db).await?.iter().map(subsystem_of).collect()
    }
}
