//! The registry: members, their subsystems, the services those offer (with a lifecycle and its
//! history), and the allow-lists saying which client subsystem may call which service.

use kernel::authz::{Permission, Principal};
use kernel::db::{Row, q};
use kernel::{Error, Result, Violations};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Lgsp;
use crate::model::{STATES, SubsystemId, part_ok, transition_allowed};

pub(crate) mod services;
pub(crate) mod subsystems;

pub use subsystems::{Subsystem, SubsystemInput};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MemberInput {
    #[schema(pattern = r"^[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}$", example = "VN")]
    pub instance: String,
    #[schema(pattern = r"^[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}$", example = "GOV")]
    pub member_class: String,
    /// The member's code: for agencies, their QĐ 20 code.
    #[schema(pattern = r"^[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}$", example = "000.00.13.H99")]
    pub code: String,
    #[schema(pattern = r"\S")]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Member {
    pub id: String,
    pub instance: String,
    pub member_class: String,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ServiceInput {
    #[schema(pattern = r"^[^/\\;%:\u0000-\u001F\u007F-\u009F]{1,100}$", example = "persons")]
    pub code: String,
    #[schema(pattern = r"\S", example = "1.0")]
    pub version: String,
    #[schema(pattern = r"\S")]
    pub name: String,
    /// Where the gateway forwards calls (http or https).
    #[schema(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\s]+", example = "http://10.0.0.5:8080/api")]
    pub upstream_url: String,
    /// `openapi`, `wsdl` or `none`.
    #[schema(pattern = "^(openapi|wsdl|none)$")]
    pub description_kind: Option<String>,
    /// The OpenAPI (JSON or YAML) or WSDL text.
    pub description: Option<String>,
    /// Keep request and response bodies in the message log (not only their hashes).
    pub log_bodies: Option<bool>,
    /// How long the upstream may take (ms; 30,000 when absent).
    #[schema(minimum = 100, maximum = 600_000)]
    pub timeout_ms: Option<i64>,
    /// The largest request body the service takes (bytes; 50 MiB when absent).
    #[schema(minimum = 1, maximum = 1_073_741_824)]
    pub max_body_bytes: Option<i64>,
    /// When the upstream is another platform's gateway: how to get a token there.
    pub upstream_auth: Option<UpstreamAuth>,
    /// Bridge SOAP and REST for this service.
    pub soap: Option<crate::soap::SoapMapping>,
}

/// OAuth2 client credentials this gateway uses at another platform's gateway.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct UpstreamAuth {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Service {
    pub id: String,
    pub subsystem_id: String,
    #[schema(value_type = Object)]
    pub provider: SubsystemId,
    pub code: String,
    pub version: String,
    pub name: String,
    pub upstream_url: String,
    pub description_kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub state: String,
    pub log_bodies: bool,
    pub timeout_ms: i64,
    pub max_body_bytes: i64,
    /// The token endpoint and client id used at the upstream gateway (the secret is never shown).
    pub upstream_token_url: Option<String>,
    pub upstream_client_id: Option<String>,
    pub soap: Option<crate::soap::SoapMapping>,
}

impl Service {
    /// `INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`, readable.
    pub fn text(&self) -> String {
        format!("{}/{}", self.provider.text(), self.code)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ServiceHistoryEntry)]
pub struct HistoryEntry {
    pub at: i64,
    pub actor: String,
    /// The actor's name, when the actor is a person's account.
    pub actor_name: Option<String>,
    pub from_state: Option<String>,
    pub to_state: String,
    pub note: Option<String>,
}

pub(crate) fn admin(p: &Principal) -> Result<()> {
    if p.allows(Permission::CatalogManage, None) {
        Ok(())
    } else {
        Err(Error::Forbidden("cần quyền quản trị nền tảng tích hợp (LGSP administration rights are required)".into()))
    }
}

const SERVICE_COLS: &str = "v.id, v.subsystem_id, v.code, v.version, v.name, v.upstream_url, v.description_kind, v.state, v.log_bodies, v.timeout_ms, v.max_body_bytes, v.upstream_token_url, v.upstream_client_id, v.soap, s.code AS subsystem_code, m.instance, m.member_class, m.code AS member_code";

fn service_of(r: &Row) -> Result<Service> {
    Ok(Service {
        id: r.text("id")?,
        subsystem_id: r.text("subsystem_id")?,
        provider: SubsystemId {
            instance: r.text("instance")?,
            member_class: r.text("member_class")?,
            member: r.text("member_code")?,
            subsystem: r.text("subsystem_code")?,
        },
        code: r.text("code")?,
        version: r.text("version")?,
        name: r.text("name")?,
        upstream_url: r.text("upstream_url")?,
        description_kind: r.text("description_kind")?,
        description: None,
        state: r.text("state")?,
        log_bodies: r.bool("log_bodies")?,
        timeout_ms: r.int("timeout_ms")?,
        max_body_bytes: r.int("max_body_bytes")?,
        upstream_token_url: r.opt_text("upstream_token_url")?,
        upstream_client_id: r.opt_text("upstream_client_id")?,
        soap: r.opt_text("soap")?.and_then(|t| serde_json::from_str(&t).ok()),
    })
}

impl Lgsp {
    pub async fn create_member(&self, by: &Principal, input: &MemberInput) -> Result<Member> {
        admin(by)?;
        let mut v = Violations::new();
        for (f, x) in [("instance", &input.instance), ("member_class", &input.member_class), ("code", &input.code)] {
            if !part_ok(x) {
                v.add(f, crate::model::PART_RULE);
            }
        }
        if input.name.trim().is_empty() || input.name.trim().chars().count() > 300 || input.name.chars().any(char::is_control) {
            v.add("name", "bắt buộc, tối đa 300 ký tự (required; at most 300 characters)");
        }
        v.into_result()?;
        let id = kernel::id::new_id();
        let n = q("INSERT INTO lgsp_members (id, instance, member_class, code, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                   ON CONFLICT (instance, member_class, code) DO NOTHING")
        .bind(id.as_str())
        .bind(input.instance.as_str())
        .bind(input.member_class.as_str())
        .bind(input.code.as_str())
        .bind(input.name.trim())
        .bind(kernel::time::now_ms())
        .execute(&self.db)
        .await?;
        if n == 0 {
            return Err(Error::conflict("thành viên đã có (the member exists)"));
        }
        Ok(Member {
            id,
            instance: input.instance.clone(),
            member_class: input.member_class.clone(),
            code: input.code.clone(),
            name: input.name.trim().to_owned(),
        })
    }

    pub async fn members(&self) -> Result<Vec<Member>> {
        q("SELECT id, instance, member_class, code, name FROM lgsp_members ORDER BY instance, member_class, code")
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(|r| {
                Ok(Member {
                    id: r.text("id")?,
                    instance: r.text("instance")?,
                    member_class: r.text("member_class")?,
                    code: r.text("code")?,
                    name: r.text("name")?,
                })
            })
            .collect()
    }

    pub(crate) async fn member_id(&self, instance: &str, class: &str, code: &str) -> Result<String> {
        q("SELECT id FROM lgsp_members WHERE instance = $1 AND member_class = $2 AND code = $3")
            .bind(instance)
            .bind(class)
            .bind(code)
            .fetch_optional(&self.db)
            .await?
            .map(|r| r.text("id"))
            .transpose()?
            .ok_or_else(|| Error::not_found(format!("thành viên {instance}/{class}/{code}")))
    }

    /// Every service (for the gateway's snapshot).
    pub(crate) async fn services_all(&self) -> Result<Vec<Service>> {
        let sql = format!(
            "SELECT {SERVICE_COLS} FROM lgsp_services v JOIN lgsp_subsystems s ON s.id = v.subsystem_id JOIN lgsp_members m ON m.id = s.member_id"
        );
        q(sql).fetch_all(&self.db).await?.iter().map(service_of).collect()
    }

    pub async fn register_service(&self, by: &Principal, provider: &SubsystemId, input: &ServiceInput) -> Result<Service> {
        admin(by)?;
        let sub = self.subsystem(provider).await?.ok_or_else(|| Error::not_found(format!("phân hệ {provider}")))?;
        let mut v = Violations::new();
        if !part_ok(&input.code) {
            v.add("code", crate::model::PART_RULE);
        } else if ["api", "pub", "pull"].iter().any(|r| input.code.eq_ignore_ascii_case(r)) {
            v.add("code", "api, pub và pull là đường dẫn của pub/sub, không dùng làm mã dịch vụ (reserved for the pub/sub paths)");
        }
        let settings = services::check(input, v)?;
        let id = kernel::id::new_id();
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        let insert = q("INSERT INTO lgsp_services (id, subsystem_id, code, state, created_at, updated_at, version, name, upstream_url, description_kind,
                          description, log_bodies, timeout_ms, max_body_bytes, upstream_token_url, upstream_client_id, upstream_client_secret, soap)
                        VALUES ($1, $2, $3, 'draft', $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                        ON CONFLICT (subsystem_id, code) DO NOTHING");
        let n = settings.bind(insert.bind(id.as_str()).bind(sub.id.as_str()).bind(input.code.as_str()).bind(now)).execute(&mut tx).await?;
        if n == 0 {
            return Err(Error::conflict("dịch vụ đã có trong phân hệ (the service exists in this subsystem)"));
        }
        history(&mut tx, &id, now, &by.id, None, "draft", Some("registered")).await?;
        tx.commit().await?;
        self.invalidate();
        self.service_by_id(&id).await
    }

    pub async fn service_by_id(&self, id: &str) -> Result<Service> {
        let sql = format!(
            "SELECT {SERVICE_COLS} FROM lgsp_services v JOIN lgsp_subsystems s ON s.id = v.subsystem_id JOIN lgsp_members m ON m.id = s.member_id
             WHERE v.id = $1"
        );
        service_of(&q(sql).bind(id).fetch_optional(&self.db).await?.ok_or_else(|| Error::not_found(format!("dịch vụ {id}")))?)
    }

    /// The service `code` of subsystem `provider`, if registered.
    pub async fn service(&self, provider: &SubsystemId, code: &str) -> Result<Option<Service>> {
        let sql = format!(
            "SELECT {SERVICE_COLS} FROM lgsp_services v JOIN lgsp_subsystems s ON s.id = v.subsystem_id JOIN lgsp_members m ON m.id = s.member_id
             WHERE m.instance = $1 AND m.member_class = $2 AND m.code = $3 AND s.code = $4 AND v.code = $5"
        );
        q(sql)
            .bind(provider.instance.as_str())
            .bind(provider.member_class.as_str())
            .bind(provider.member.as_str())
            .bind(provider.subsystem.as_str())
            .bind(code)
            .fetch_optional(&self.db)
            .await?
            .map(|r| service_of(&r))
            .transpose()
    }

    /// The services of a subsystem, all states (for administrators) or callable only.
    pub async fn services_of(&self, provider: &SubsystemId, callable_only: bool) -> Result<Vec<Service>> {
        let sql = format!(
            "SELECT {SERVICE_COLS} FROM lgsp_services v JOIN lgsp_subsystems s ON s.id = v.subsystem_id JOIN lgsp_members m ON m.id = s.member_id
             WHERE m.instance = $1 AND m.member_class = $2 AND m.code = $3 AND s.code = $4 {} ORDER BY v.code",
            if callable_only { "AND v.state IN ('published', 'deprecated')" } else { "" }
        );
        q(sql)
            .bind(provider.instance.as_str())
            .bind(provider.member_class.as_str())
            .bind(provider.member.as_str())
            .bind(provider.subsystem.as_str())
            .fetch_all(&self.db)
            .await?
            .iter()
            .map(service_of)
            .collect()
    }

    /// The secret for the upstream gateway's token endpoint, if the service has one.
    pub(crate) async fn upstream_secret(&self, service_id: &str) -> Result<Option<String>> {
        q("SELECT upstream_client_secret FROM lgsp_services WHERE id = $1")
            .bind(service_id)
            .fetch_one(&self.db)
            .await?
            .opt_text("upstream_client_secret")
    }

    /// The service's description (OpenAPI or WSDL text), if it has one.
    pub async fn description(&self, service_id: &str) -> Result<Option<(String, String)>> {
        let r = q("SELECT description_kind, description FROM lgsp_services WHERE id = $1").bind(service_id).fetch_one(&self.db).await?;
        Ok(r.opt_text("description")?.map(|d| (r.text("description_kind").unwrap_or_default(), d)))
    }

    /// Moves a service along its lifecycle (draft → testing → published → deprecated → retired).
    pub async fn transition(&self, by: &Principal, service_id: &str, to: &str, note: Option<&str>) -> Result<Service> {
        admin(by)?;
        if !STATES.contains(&to) {
            return Err(Error::invalid("state", "draft, testing, published, deprecated hoặc retired"));
        }
        let s = self.service_by_id(service_id).await?;
        if !transition_allowed(&s.state, to) {
            return Err(Error::conflict(format!("không chuyển được từ {} sang {to} (not allowed from {} to {to})", s.state, s.state)));
        }
        let now = kernel::time::now_ms();
        let mut tx = self.db.begin().await?;
        let n = q("UPDATE lgsp_services SET state = $3, updated_at = $4 WHERE id = $1 AND state = $2")
            .bind(service_id)
            .bind(s.state.as_str())
            .bind(to)
            .bind(now)
            .execute(&mut tx)
            .await?;
        if n != 1 {
            return Err(Error::conflict("dịch vụ vừa được người khác thay đổi (changed meanwhile; reload)"));
        }
        history(&mut tx, service_id, now, &by.id, Some(&s.state), to, note).await?;
        tx.commit().await?;
        self.invalidate();
        self.service_by_id(service_id).await
    }

    pub async fn service_history(&self, service_id: &str) -> Result<Vec<HistoryEntry>> {
        q("SELECT h.at, h.actor, a.full_name, h.from_state, h.to_state, h.note
           FROM lgsp_service_history h LEFT JOIN accounts a ON a.id = h.actor
           WHERE h.service_id = $1 ORDER BY h.at, h.id")
        .bind(service_id)
        .fetch_all(&self.db)
        .await?
        .iter()
        .map(|r| {
            Ok(HistoryEntry {
                at: r.int("at")?,
                actor: r.text("actor")?,
                actor_name: r.opt_text("full_name")?,
                from_state: r.opt_text("from_state")?,
                to_state: r.text("to_state")?,
                note: r.opt_text("note")?,
            })
        })
        .collect()
    }
}

async fn history(
    tx: &mut kernel::db::Tx,
    service_id: &str,
    at: i64,
    actor: &str,
    from: Option<&str>,
    to: &str,
    note: Option<&str>,
) -> Result<()> {
    q("INSERT INTO lgsp_service_history (id, service_id, at, actor, from_state, to_state, note) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(kernel::id::new_id())
        .bind(service_id)
        .bind(at)
        .bind(actor)
        .bind(from)
        .bind(to)
        .bind(note)
        .execute(tx)
        .await?;
    Ok(())
}
