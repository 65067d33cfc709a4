//! Administration and monitoring API of the LGSP under `/api/lgsp`: the registry (members,
//! subsystems, services with their lifecycle, history and allow-lists), operational monitoring
//! (metadata only: a client system sees its own exchanges, administrators all), and the
//! message log (seal, verify, one exchange's evidence).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kernel::authz::{Permission, Principal, PrincipalKind};
use kernel::db::{Where, q};
use kernel::{Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, Problem, Query};

use crate::Lgsp;
use crate::access::{AccessInput, AccessRight, Peer, PeerInput};
use crate::log::Verification;
use crate::model::SubsystemId;
use crate::quota::Usage;
use crate::registry::{HistoryEntry, Member, MemberInput, Service, ServiceInput, Subsystem, SubsystemInput};

pub fn router() -> OpenApiRouter<Lgsp> {
    OpenApiRouter::new()
        .routes(routes!(members, create_member))
        .routes(routes!(create_subsystem))
        .routes(routes!(update_subsystem))
        .routes(routes!(subsystems))
        .routes(routes!(services, register_service))
        .routes(routes!(service, change_service))
        .routes(routes!(transition))
        .routes(routes!(grant))
        .routes(routes!(revoke))
        .routes(routes!(peers, add_peer))
        .routes(routes!(remove_peer))
        .routes(routes!(monitoring))
        .routes(routes!(usage))
        .routes(routes!(replicas, add_replica))
        .routes(routes!(run_replica))
        .routes(routes!(pin_host_key))
        .routes(routes!(seal))
        .routes(routes!(archives))
        .routes(routes!(archive_now))
        .routes(routes!(verify))
        .routes(routes!(evidence))
}

fn admin(p: &Principal) -> Result<()> {
    if p.allows(Permission::CatalogManage, None) {
        Ok(())
    } else {
        Err(Error::Forbidden("cần quyền quản trị LGSP (LGSP administration rights are required)".into()))
    }
}

fn subsystem_id(i: &str, c: &str, m: &str, s: &str) -> Result<SubsystemId> {
    SubsystemId::from_parts(&[i, c, m, s]).ok_or_else(|| Error::invalid("subsystem", "INSTANCE/CLASS/MEMBER/SUBSYSTEM"))
}

/// Members of the platform (agencies, organisations).
#[utoipa::path(get, path = "/api/lgsp/members", tag = "lgsp", responses((status = 200, body = Vec<Member>)))]
async fn members(State(l): State<Lgsp>, Authed(p): Authed) -> ApiResult<Json<Vec<Member>>> {
    admin(&p).or_problem()?;
    Ok(Json(l.members().await.or_problem()?))
}

/// Register a member.
#[utoipa::path(post, path = "/api/lgsp/members", tag = "lgsp", request_body = MemberInput,
    responses((status = 201, body = Member), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_member(State(l): State<Lgsp>, Authed(p): Authed, Json(b): Json<MemberInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(l.create_member(&p, &b).await.or_problem()?)).into_response())
}

/// Register a subsystem of a member, optionally bound to the OAuth2 client that speaks for it.
#[utoipa::path(post, path = "/api/lgsp/members/{instance}/{member_class}/{code}/subsystems", tag = "lgsp",
    params(("instance" = String, Path), ("member_class" = String, Path), ("code" = String, Path)), request_body = SubsystemInput,
    responses((status = 201, body = Subsystem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn create_subsystem(
    State(l): State<Lgsp>,
    Authed(p): Authed,
    Path((i, c, m)): Path<(String, String, String)>,
    Json(b): Json<SubsystemInput>,
) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(l.create_subsystem(&p, (&i, &c, &m), &b).await.or_problem()?)).into_response())
}

/// Change a subsystem: name, client, rate limit, certificate, active.
#[utoipa::path(put, path = "/api/lgsp/subsystems/{instance}/{member_class}/{member}/{subsystem}", tag = "lgsp",
    params(("instance" = String, Path), ("member_class" = String, Path), ("member" = String, Path), ("subsystem" = String, Path)),
    request_body = SubsystemInput,
    responses((status = 200, body = Subsystem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn update_subsystem(
    State(l): State<Lgsp>,
    Authed(p): Authed,
    Path((i, c, m, s)): Path<(String, String, String, String)>,
    Json(b): Json<SubsystemInput>,
) -> ApiResult<Json<Subsystem>> {
    let id = subsystem_id(&i, &c, &m, &s).or_problem()?;
    Ok(Json(l.update_subsystem(&p, &id, &b).await.or_problem()?))
}

/// Every active subsystem.
#[utoipa::path(get, path = "/api/lgsp/subsystems", tag = "lgsp", responses((status = 200, body = Vec<Subsystem>)))]
async fn subsystems(State(l): State<Lgsp>, Authed(p): Authed) -> ApiResult<Json<Vec<Subsystem>>> {
    admin(&p).or_problem()?;
    Ok(Json(l.subsystems().await.or_problem()?))
}

/// The services of a subsystem, in every state.
#[utoipa::path(get, path = "/api/lgsp/subsystems/{instance}/{member_class}/{member}/{subsystem}/services", tag = "lgsp",
    params(("instance" = String, Path), ("member_class" = String, Path), ("member" = String, Path), ("subsystem" = String, Path)),
    responses((status = 200, body = Vec<Service>)))]
async fn services(
    State(l): State<Lgsp>,
    Authed(p): Authed,
    Path((i, c, m, s)): Path<(String, String, String, String)>,
) -> ApiResult<Json<Vec<Service>>> {
    admin(&p).or_problem()?;
    let id = subsystem_id(&i, &c, &m, &s).or_problem()?;
    Ok(Json(l.services_of(&id, false).await.or_problem()?))
}

/// Register a service (in draft) offered by a subsystem.
#[utoipa::path(post, path = "/api/lgsp/subsystems/{instance}/{member_class}/{member}/{subsystem}/services", tag = "lgsp",
    params(("instance" = String, Path), ("member_class" = String, Path), ("member" = String, Path), ("subsystem" = String, Path)),
    request_body = ServiceInput,
    responses((status = 201, body = Service), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn register_service(
    State(l): State<Lgsp>,
    Authed(p): Authed,
    Path((i, c, m, s)): Path<(String, String, String, String)>,
    Json(b): Json<ServiceInput>,
) -> ApiResult<Response> {
    let id = subsystem_id(&i, &c, &m, &s).or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(l.register_service(&p, &id, &b).await.or_problem()?)).into_response())
}

#[derive(Serialize, ToSchema)]
struct ServiceDetail {
    #[serde(flatten)]
    service: Service,
    history: Vec<HistoryEntry>,
    access: Vec<AccessRight>,
}

/// A service with its lifecycle history and allow-list.
#[utoipa::path(get, path = "/api/lgsp/services/{id}", tag = "lgsp", params(("id" = String, Path)),
    responses((status = 200, body = ServiceDetail), (status = 404, body = Problem)))]
async fn service(State(l): State<Lgsp>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<ServiceDetail>> {
    admin(&p).or_problem()?;
    let mut service = l.service_by_id(&id).await.or_problem()?;
    service.description = l.description(&id).await.or_problem()?.map(|d| d.1);
    Ok(Json(ServiceDetail {
        history: l.service_history(&id).await.or_problem()?,
        access: l.access_rights(&id).await.or_problem()?,
        service,
    }))
}

/// Change a service's settings (all but its code and state; the secret of `upstream_auth` is
/// sent again). The history records which settings changed.
#[utoipa::path(put, path = "/api/lgsp/services/{id}", tag = "lgsp", params(("id" = String, Path)), request_body = ServiceInput,
    responses((status = 200, body = Service), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn change_service(
    State(l): State<Lgsp>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Json(b): Json<ServiceInput>,
) -> ApiResult<Json<Service>> {
    Ok(Json(l.change_service(&p, &id, &b, false).await.or_problem()?))
}

#[derive(Deserialize, ToSchema)]
struct StateChange {
    /// testing, published, deprecated, retired (or back to draft from testing).
    #[schema(pattern = "^(draft|testing|published|deprecated|retired)$")]
    state: String,
    note: Option<String>,
}

/// Move a service along its lifecycle; every move is kept in its history.
#[utoipa::path(post, path = "/api/lgsp/services/{id}/state", tag = "lgsp", params(("id" = String, Path)), request_body = StateChange,
    responses((status = 200, body = Service), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn transition(
    State(l): State<Lgsp>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Json(b): Json<StateChange>,
) -> ApiResult<Json<Service>> {
    Ok(Json(l.transition(&p, &id, &b.state, b.note.as_deref()).await.or_problem()?))
}

/// Allow a client subsystem to call the service (optionally one method, a path prefix).
#[utoipa::path(post, path = "/api/lgsp/services/{id}/access", tag = "lgsp", params(("id" = String, Path)), request_body = AccessInput,
    responses((status = 201, body = AccessRight), (status = 422, body = Problem)))]
async fn grant(State(l): State<Lgsp>, Authed(p): Authed, Path(id): Path<String>, Json(b): Json<AccessInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(l.grant(&p, &id, &b).await.or_problem()?)).into_response())
}

/// Withdraw an access right.
#[utoipa::path(delete, path = "/api/lgsp/services/{id}/access/{right}", tag = "lgsp", params(("id" = String, Path), ("right" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn revoke(State(l): State<Lgsp>, Authed(p): Authed, Path((id, right)): Path<(String, String)>) -> ApiResult<StatusCode> {
    l.revoke(&p, &id, &right).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Other platforms' gateways trusted to speak for the members they host.
#[utoipa::path(get, path = "/api/lgsp/peers", tag = "lgsp", responses((status = 200, body = Vec<Peer>)))]
async fn peers(State(l): State<Lgsp>, Authed(p): Authed) -> ApiResult<Json<Vec<Peer>>> {
    admin(&p).or_problem()?;
    Ok(Json(l.peers().await.or_problem()?))
}

/// Trust another platform's gateway (its OAuth2 client here) to present clients of a member it hosts.
#[utoipa::path(post, path = "/api/lgsp/peers", tag = "lgsp", request_body = PeerInput,
    responses((status = 201, body = Peer), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_peer(State(l): State<Lgsp>, Authed(p): Authed, Json(b): Json<PeerInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(l.add_peer(&p, &b).await.or_problem()?)).into_response())
}

/// Stop trusting another platform's gateway.
#[utoipa::path(delete, path = "/api/lgsp/peers/{id}", tag = "lgsp", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn remove_peer(State(l): State<Lgsp>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<StatusCode> {
    l.remove_peer(&p, &id).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

/// File replicas of national data, with their latest imports.
#[utoipa::path(get, path = "/api/lgsp/replicas", tag = "lgsp", responses((status = 200, body = Vec<crate::replicas::Replica>)))]
async fn replicas(State(l): State<Lgsp>, Authed(p): Authed) -> ApiResult<Json<Vec<crate::replicas::Replica>>> {
    admin(&p).or_problem()?;
    Ok(Json(l.replicas().await.or_problem()?))
}

/// Register a directory whose JSON or CSV files are imported into a registry on a schedule.
#[utoipa::path(post, path = "/api/lgsp/replicas", tag = "lgsp", request_body = crate::replicas::ReplicaInput,
    responses((status = 201, body = crate::replicas::Replica), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_replica(State(l): State<Lgsp>, Authed(p): Authed, Json(b): Json<crate::replicas::ReplicaInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(l.add_replica(&p, &b).await.or_problem()?)).into_response())
}

/// Import a replica's new files now.
#[utoipa::path(post, path = "/api/lgsp/replicas/{id}/run", tag = "lgsp", params(("id" = String, Path)),
    responses((status = 200, body = Vec<crate::replicas::Import>), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn run_replica(State(l): State<Lgsp>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<Vec<crate::replicas::Import>>> {
    admin(&p).or_problem()?;
    Ok(Json(l.run_replica(&id).await.or_problem()?))
}

#[derive(Deserialize, ToSchema)]
struct HostKey {
    /// The server's host key fingerprint, `SHA256:...` as `ssh-keygen -l` prints it.
    sftp_host_key: String,
}

/// Pin another host key for an SFTP drop whose server changed its key: the server must show
/// this key now.
#[utoipa::path(put, path = "/api/lgsp/replicas/{id}/host-key", tag = "lgsp", params(("id" = String, Path)), request_body = HostKey,
    responses((status = 200, body = crate::replicas::Replica), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn pin_host_key(
    State(l): State<Lgsp>,
    Authed(p): Authed,
    Path(id): Path<String>,
    Json(b): Json<HostKey>,
) -> ApiResult<Json<crate::replicas::Replica>> {
    Ok(Json(l.pin_host_key(&p, &id, &b.sftp_host_key).await.or_problem()?))
}

#[derive(Deserialize, IntoParams)]
struct MonitoringQuery {
    /// Only this client subsystem (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`).
    client: Option<String>,
    /// Only this service (`INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`).
    service: Option<String>,
    /// From this instant (ms since 1970).
    from: Option<i64>,
    /// Before this instant (ms since 1970).
    to: Option<i64>,
    /// At most this many records, newest first (default 100, at most 1000).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

/// An exchange's operational record: who, what, when, how big, how long, how it ended.
#[derive(Serialize, ToSchema)]
struct MonitoringRecord {
    request_id: String,
    at: i64,
    client: String,
    service: String,
    method: String,
    status: i64,
    error: Option<String>,
    request_bytes: i64,
    response_bytes: i64,
    duration_ms: i64,
}

#[derive(Serialize, ToSchema)]
struct ServiceFigures {
    service: String,
    exchanges: i64,
    errors: i64,
    avg_ms: f64,
    max_ms: i64,
    bytes: i64,
}

#[derive(Serialize, ToSchema)]
struct Monitoring {
    records: Vec<MonitoringRecord>,
    by_service: Vec<ServiceFigures>,
}

/// The subsystem a system caller speaks for, if it is one.
async fn own_subsystem(l: &Lgsp, p: &Principal) -> Result<Option<String>> {
    if p.kind != PrincipalKind::System {
        return Ok(None);
    }
    let r = q(
        "SELECT s.code, m.instance, m.member_class, m.code AS member_code FROM lgsp_subsystems s JOIN lgsp_members m ON m.id = s.member_id
               WHERE s.client_id = $1",
    )
    .bind(p.id.as_str())
    .fetch_optional(&l.db)
    .await?;
    r.map(|r| Ok(format!("{}/{}/{}/{}", r.text("instance")?, r.text("member_class")?, r.text("member_code")?, r.text("code")?))).transpose()
}

#[derive(Deserialize, IntoParams)]
struct UsageQuery {
    /// Days up to today (1 to 366; 7 when absent).
    days: Option<i64>,
    /// Only this client subsystem (`INSTANCE/CLASS/MEMBER/SUBSYSTEM`).
    client: Option<String>,
}

/// Calls per day of client subsystems against their daily quotas, newest first. A client
/// system sees its own; administrators see all.
#[utoipa::path(get, path = "/api/lgsp/usage", tag = "lgsp", params(UsageQuery),
    responses((status = 200, body = Vec<Usage>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn usage(State(l): State<Lgsp>, Authed(p): Authed, Query(f): Query<UsageQuery>) -> ApiResult<Json<Vec<Usage>>> {
    let days = f.days.unwrap_or(7);
    if !(1..=366).contains(&days) {
        return Err(Error::invalid("days", "từ 1 đến 366 (1 to 366)")).or_problem();
    }
    let asked = match f.client.as_deref() {
        None => None,
        Some(c) => Some(SubsystemId::parse(c).ok_or_else(|| Error::invalid("client", "INSTANCE/CLASS/MEMBER/SUBSYSTEM")).or_problem()?),
    };
    let client = if p.allows(Permission::CatalogManage, None) {
        asked
    } else {
        let own = own_subsystem(&l, &p)
            .await
            .or_problem()?
            .and_then(|o| SubsystemId::parse(&o))
            .ok_or_else(|| Error::Forbidden("chỉ quản trị hoặc hệ thống thành viên (administrators or member systems only)".into()))
            .or_problem()?;
        if asked.as_ref().is_some_and(|a| a.text() != own.text()) {
            return Ok(Json(Vec::new()));
        }
        Some(own)
    };
    Ok(Json(crate::quota::usage(&l.db, days, client.as_ref()).await.or_problem()?))
}

/// Operational monitoring: exchanges' metadata (never payloads) and figures per service. A
/// client system sees only the exchanges it made; administrators see all.
#[utoipa::path(get, path = "/api/lgsp/monitoring", tag = "lgsp", params(MonitoringQuery),
    responses((status = 200, body = Monitoring), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn monitoring(State(l): State<Lgsp>, Authed(p): Authed, Query(f): Query<MonitoringQuery>) -> ApiResult<Json<Monitoring>> {
    let mut v = kernel::Violations::new();
    if f.limit.is_some_and(|n| !(1..=1000).contains(&n)) {
        v.add("limit", "từ 1 đến 1000 (1 to 1,000)");
    }
    if let (Some(a), Some(b)) = (f.from, f.to)
        && a >= b
    {
        v.add("to", "sau from (after from)");
    }
    if f.client.as_deref().is_some_and(|c| SubsystemId::parse(c).is_none()) {
        v.add("client", "INSTANCE/CLASS/MEMBER/SUBSYSTEM");
    }
    if f.service.as_deref().is_some_and(|s| s.split('/').count() != 5 || s.split('/').any(str::is_empty)) {
        v.add("service", "INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE");
    }
    v.into_result().or_problem()?;
    let mut w = Where::new();
    if !p.allows(Permission::CatalogManage, None) {
        let own = own_subsystem(&l, &p)
            .await
            .or_problem()?
            .ok_or_else(|| Error::Forbidden("chỉ quản trị hoặc hệ thống thành viên (administrators or member systems only)".into()))
            .or_problem()?;
        let x = w.arg(own);
        w.and(format!("client = {x}"));
    }
    if let Some(c) = &f.client {
        let x = w.arg(c.as_str());
        w.and(format!("client = {x}"));
    }
    if let Some(s) = &f.service {
        let x = w.arg(s.as_str());
        w.and(format!("service = {x}"));
    }
    if let Some(a) = f.from {
        let x = w.arg(a);
        w.and(format!("at >= {x}"));
    }
    if let Some(b) = f.to {
        let x = w.arg(b);
        w.and(format!("at < {x}"));
    }
    let limit = f.limit.unwrap_or(100).clamp(1, 1000);
    let rows = w
        .query(format!(
            "SELECT request_id, at, client, service, method, status, error, request_bytes, response_bytes, duration_ms FROM lgsp_messages{} ORDER BY seq DESC LIMIT {limit}",
            w.sql()
        ))
        .long()
        .fetch_all(&l.db)
        .await
        .or_problem()?;
    let records = rows
        .iter()
        .map(|r| {
            Ok(MonitoringRecord {
                request_id: r.text("request_id")?,
                at: r.int("at")?,
                client: r.text("client")?,
                service: r.text("service")?,
                method: r.text("method")?,
                status: r.int("status")?,
                error: r.opt_text("error")?,
                request_bytes: r.int("request_bytes")?,
                response_bytes: r.int("response_bytes")?,
                duration_ms: r.int("duration_ms")?,
            })
        })
        .collect::<Result<Vec<_>>>()
        .or_problem()?;
    let figures = w
        .query(format!(
            "SELECT service, COUNT(*) AS n, SUM(CASE WHEN status >= 400 OR error IS NOT NULL THEN 1 ELSE 0 END) AS errors,
                    AVG(CAST(duration_ms AS DOUBLE PRECISION)) AS avg_ms, MAX(duration_ms) AS max_ms, CAST(SUM(request_bytes + response_bytes) AS BIGINT) AS bytes
             FROM lgsp_messages{} GROUP BY service ORDER BY service",
            w.sql()
        ))
        .fetch_all(&l.db)
        .await
        .or_problem()?;
    let by_service = figures
        .iter()
        .map(|r| {
            Ok(ServiceFigures {
                service: r.text("service")?,
                exchanges: r.int("n")?,
                errors: r.get::<Option<i64>>("errors")?.unwrap_or(0),
                avg_ms: r.get::<Option<f64>>("avg_ms")?.unwrap_or(0.0),
                max_ms: r.get::<Option<i64>>("max_ms")?.unwrap_or(0),
                bytes: r.get::<Option<i64>>("bytes")?.unwrap_or(0),
            })
        })
        .collect::<Result<Vec<_>>>()
        .or_problem()?;
    Ok(Json(Monitoring { records, by_service }))
}

#[derive(Serialize, ToSchema)]
struct Sealed {
    batches: usize,
}

/// Seal the records not in a batch yet (the platform also does it every few seconds).
#[utoipa::path(post, path = "/api/lgsp/log/seal", tag = "lgsp", responses((status = 200, body = Sealed), (status = 403, body = Problem)))]
async fn seal(State(l): State<Lgsp>, Authed(p): Authed) -> ApiResult<Json<Sealed>> {
    admin(&p).or_problem()?;
    Ok(Json(Sealed { batches: l.seal_pending().await.or_problem()? }))
}

/// The message log's archive files (newest first), with where they go and the retention period.
#[derive(Serialize, ToSchema)]
struct Archives {
    /// The directory on each node where archive files are written.
    directory: Option<String>,
    /// Days sealed batches stay in the database (`lgsp_retention_days`); null: archived only on request.
    retention_days: Option<u32>,
    archives: Vec<crate::log::ArchiveFile>,
}

#[utoipa::path(get, path = "/api/lgsp/log/archives", tag = "lgsp", responses((status = 200, body = Archives), (status = 403, body = Problem)))]
async fn archives(State(l): State<Lgsp>, Authed(p): Authed) -> ApiResult<Json<Archives>> {
    admin(&p).or_problem()?;
    let r = l.retention();
    Ok(Json(Archives {
        directory: r.map(|r| r.dir.display().to_string()),
        retention_days: r.and_then(|r| r.days),
        archives: l.archives(200).await.or_problem()?,
    }))
}

#[derive(Deserialize, ToSchema, Default)]
struct ArchiveRequest {
    /// Archive the batches sealed before this day (`YYYY-MM-DD`, Vietnam's time, not after
    /// today). Absent: before the retention period.
    before: Option<String>,
}

/// Move sealed batches, with their records, out of the database into archive files in the
/// archive directory (at most 20 files per request; `more` says when there is more to do).
/// Each file can be checked alone with `tinhso lgsp verify-log --archive FILE`.
#[utoipa::path(post, path = "/api/lgsp/log/archive", tag = "lgsp", request_body = ArchiveRequest,
    responses((status = 200, body = crate::retention::ArchiveRun), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn archive_now(State(l): State<Lgsp>, Authed(p): Authed, body: axum::body::Bytes) -> ApiResult<Json<crate::retention::ArchiveRun>> {
    admin(&p).or_problem()?;
    // The body may be left out: the retention period decides.
    let b: ArchiveRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ArchiveRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| Error::invalid("body", format!("not the expected JSON: {e}"))).or_problem()?
    };
    Ok(Json(l.archive_now(b.before.as_deref()).await.or_problem()?))
}

/// Verify the whole message log with this platform's key: names every edited, inserted or
/// deleted record and every broken batch.
#[utoipa::path(get, path = "/api/lgsp/log/verify", tag = "lgsp", responses((status = 200, body = Verification), (status = 403, body = Problem)))]
async fn verify(State(l): State<Lgsp>, Authed(p): Authed) -> ApiResult<Json<Verification>> {
    admin(&p).or_problem()?;
    Ok(Json(crate::log::verify(&l.db, &[l.key().public()]).await.or_problem()?))
}

/// The signed evidence of one exchange: its record, the batch that sealed it, the public key.
#[utoipa::path(get, path = "/api/lgsp/log/{request_id}/evidence", tag = "lgsp", params(("request_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
async fn evidence(State(l): State<Lgsp>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    admin(&p).or_problem()?;
    Ok(Json(crate::log::evidence(&l.db, &id, l.key()).await.or_problem()?))
}
