//! Who may call what: allow-lists per client subsystem × service (optionally a method and a
//! path prefix; deny by default), and the other platforms' gateways trusted to speak for the
//! members they host.

use kernel::authz::Principal;
use kernel::db::q;
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Lgsp;
use crate::model::{SubsystemId, part_ok};
use crate::registry::{Service, admin};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct PeerInput {
    /// The OAuth2 client the other gateway signs in with here.
    #[schema(pattern = r"\S")]
    pub client_id: String,
    /// The member it hosts: `INSTANCE/CLASS/MEMBER`.
    #[schema(
        pattern = r"^[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}/[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}/[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}$",
        example = "VN/GOV/000.00.00.H98"
    )]
    pub member: String,
    #[schema(pattern = r"\S")]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Peer {
    pub id: String,
    pub client_id: String,
    pub member: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AccessInput {
    /// The client subsystem, `INSTANCE/CLASS/MEMBER/SUBSYSTEM`.
    pub client: String,
    /// Only this HTTP method, if given.
    pub method: Option<String>,
    /// Only paths under this prefix (after the service code), if given.
    pub path_prefix: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessRight {
    pub id: String,
    pub client: String,
    pub method: Option<String>,
    pub path_prefix: Option<String>,
}

impl Lgsp {
    /// Trusts another platform's gateway (signing in here as `client_id`) to speak for a member it hosts.
    pub async fn add_peer(&self, by: &Principal, input: &PeerInput) -> Result<Peer> {
        admin(by)?;
        let parts: Vec<&str> = input.member.split('/').collect();
        if parts.len() != 3 || !parts.iter().all(|p| part_ok(p)) {
            return Err(Error::invalid("member", "INSTANCE/CLASS/MEMBER"));
        }
        if input.client_id.trim().is_empty() || input.name.trim().is_empty() {
            return Err(Error::invalid("client_id", "cần client_id và tên (client_id and name are required)"));
        }
        let member = self
            .member_id(parts[0], parts[1], parts[2])
            .await
            .map_err(|_| Error::invalid("member", format!("chưa đăng ký thành viên {} (not a registered member)", input.member)))?;
        // A client that signs in here for a subsystem of its own would, trusted as a gateway,
        // speak for every system of the member: the peer's client is the other gateway's alone.
        let bound = q("SELECT COUNT(*) FROM lgsp_subsystems WHERE client_id = $1").bind(input.client_id.trim()).fetch_i64(&self.db).await?;
        if bound > 0 {
            return Err(Error::invalid(
                "client_id",
                "ứng dụng này đã gắn với một phân hệ ở đây (this client signs in for a subsystem here; a peer's client is the other gateway's own)",
            ));
        }
        // Nor may another gateway speak for a member whose systems sign in here themselves.
        let own = q("SELECT COUNT(*) FROM lgsp_subsystems WHERE member_id = $1 AND (client_id IS NOT NULL OR cert_sha256 IS NOT NULL)")
            .bind(member.as_str())
            .fetch_i64(&self.db)
            .await?;
        if own > 0 {
            return Err(Error::invalid(
                "member",
                "thành viên có phân hệ tự đăng nhập ở nền tảng này (the member's systems sign in here themselves)",
            ));
        }
        let id = kernel::id::new_id();
        let r = q("INSERT INTO lgsp_peers (id, client_id, instance, member_class, member_code, name, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id.as_str())
            .bind(input.client_id.trim())
            .bind(parts[0])
            .bind(parts[1])
            .bind(parts[2])
            .bind(input.name.trim())
            .bind(kernel::time::now_ms())
            .execute(&self.db)
            .await;
        match r {
            Err(e) if e.is_unique_violation() => Err(Error::conflict("đã tin cậy (already trusted)")),
            Err(e) => Err(e),
            Ok(_) => {
                self.invalidate();
                Ok(Peer {
                    id,
                    client_id: input.client_id.trim().to_owned(),
                    member: input.member.clone(),
                    name: input.name.trim().to_owned(),
                })
            }
        }
    }

    pub async fn peers(&self) -> Result<Vec<Peer>> {
        q("SELECT id, client_id, instance, member_class, member_code, name FROM lgsp_peers ORDER BY instance, member_class, member_code")
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| {
                Ok(Peer {
                    id: r.text("id")?,
                    client_id: r.text("client_id")?,
                    member: format!("{}/{}/{}", r.text("instance")?, r.text("member_class")?, r.text("member_code")?),
                    name: r.text("name")?,
                })
            })
            .collect()
    }

    /// No longer trusts a peer gateway: its clients' calls are refused from the next call on.
    pub async fn remove_peer(&self, by: &Principal, id: &str) -> Result<()> {
        admin(by)?;
        let n = q("DELETE FROM lgsp_peers WHERE id = $1").bind(id).execute(&self.db).await?;
        self.invalidate();
        if n == 0 { Err(Error::not_found(format!("LGSP tin cậy {id} (trusted peer)"))) } else { Ok(()) }
    }

    pub async fn grant(&self, by: &Principal, service_id: &str, input: &AccessInput) -> Result<AccessRight> {
        admin(by)?;
        if self.service_by_id(service_id).await?.state == "retired" {
            return Err(Error::conflict("dịch vụ đã ngừng hẳn, không cấp thêm quyền (the service is retired)"));
        }
        let client = SubsystemId::parse(&input.client).ok_or_else(|| Error::invalid("client", "INSTANCE/CLASS/MEMBER/SUBSYSTEM"))?;
        let sub = self
            .subsystem(&client)
            .await?
            .ok_or_else(|| Error::invalid("client", format!("chưa đăng ký phân hệ {client} (not registered)")))?;
        let method = input.method.as_deref().map(str::trim).filter(|m| !m.is_empty()).map(str::to_ascii_uppercase);
        if method.as_deref().is_some_and(|m| !matches!(m, "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS")) {
            return Err(Error::invalid("method", "GET, POST, PUT, PATCH, DELETE, HEAD hoặc OPTIONS"));
        }
        // `/a/` and `/a` match the same calls: kept as one right, without the trailing slash.
        let prefix = input.path_prefix.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(|p| match p.trim_end_matches('/') {
            "" => "/".to_owned(),
            t => t.to_owned(),
        });
        // A prefix is matched against the decoded path of a call, which has no query, no dot
        // segments and no control characters: one that has them could never match.
        if prefix.as_deref().is_some_and(|p| {
            !p.starts_with('/')
                || p.chars().count() > 500
                || p.chars().any(|c| c.is_control() || c.is_whitespace() || matches!(c, '?' | '#'))
                || p.split('/').any(|seg| seg == "." || seg == "..")
        }) {
            return Err(Error::invalid(
                "path_prefix",
                "bắt đầu bằng /, tối đa 500 ký tự, không có ? # khoảng trắng hay đoạn . .. (starts with /; at most 500 characters; no ? # spaces or . .. segments)",
            ));
        }
        let id = kernel::id::new_id();
        // The same right twice would stay open after one of them is withdrawn.
        let n = q("INSERT INTO lgsp_access (id, service_id, client_subsystem_id, method, path_prefix, created_at)
                   SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM lgsp_access WHERE service_id = $2
                       AND client_subsystem_id = $3 AND COALESCE(method, '') = COALESCE($4, '') AND COALESCE(path_prefix, '') = COALESCE($5, ''))")
        .bind(id.as_str())
        .bind(service_id)
        .bind(sub.id.as_str())
        .bind(method.clone())
        .bind(prefix.clone())
        .bind(kernel::time::now_ms())
        .execute(&self.db)
        .await;
        // Two grants at once: the index (migration 0021) refuses the second.
        let n = match n {
            Err(e) if e.is_unique_violation() => 0,
            other => other?,
        };
        if n == 0 {
            return Err(Error::conflict("phân hệ đã có đúng quyền này (the client has this right already)"));
        }
        self.invalidate();
        Ok(AccessRight { id, client: client.text(), method, path_prefix: prefix })
    }

    pub async fn revoke(&self, by: &Principal, service_id: &str, right_id: &str) -> Result<()> {
        admin(by)?;
        let n = q("DELETE FROM lgsp_access WHERE id = $1 AND service_id = $2").bind(right_id).bind(service_id).execute(&self.db).await?;
        self.invalidate();
        if n == 0 { Err(Error::not_found(format!("quyền {right_id}"))) } else { Ok(()) }
    }

    pub async fn access_rights(&self, service_id: &str) -> Result<Vec<AccessRight>> {
        q("SELECT a.id, a.method, a.path_prefix, s.code, m.instance, m.member_class, m.code AS member_code
           FROM lgsp_access a JOIN lgsp_subsystems s ON s.id = a.client_subsystem_id JOIN lgsp_members m ON m.id = s.member_id
           WHERE a.service_id = $1 ORDER BY a.created_at")
        .bind(service_id)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| {
            Ok(AccessRight {
                id: r.text("id")?,
                client: format!("{}/{}/{}/{}", r.text("instance")?, r.text("member_class")?, r.text("member_code")?, r.text("code")?),
                method: r.opt_text("method")?,
                path_prefix: r.opt_text("path_prefix")?,
            })
        })
        .collect()
    }

    /// The callable services of `provider` that `client` may use (the `allowedMethods` metaservice).
    pub async fn allowed_services(&self, client_subsystem_id: &str, provider: &SubsystemId) -> Result<Vec<Service>> {
        let mut out = Vec::new();
        for s in self.services_of(provider, true).await? {
            let n = q("SELECT COUNT(*) FROM lgsp_access WHERE service_id = $1 AND client_subsystem_id = $2")
                .bind(s.id.as_str())
                .bind(client_subsystem_id)
                .fetch_i64(&self.db)
                .await?;
            if n > 0 {
                out.push(s);
            }
        }
        Ok(out)
    }
}
