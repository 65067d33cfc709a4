//! JSON API: messages with their delivery status, and the outbox queues.

use axum::extract::State;
use kernel::authz::{Permission, Principal};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, PageQuery, Paged, Problem, Query};

use crate::{Message, Notify};

pub fn router() -> OpenApiRouter<Notify> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(get_one)).routes(routes!(queues)).routes(routes!(retry))
}

/// Provincial administrators see every message; everyone else only their own.
fn sees_all(p: &Principal) -> bool {
    p.allows(Permission::CatalogManage, None)
}

#[derive(Deserialize, IntoParams)]
struct Filter {
    /// queued, sent, recorded, failed or dead.
    status: Option<String>,
}

/// Messages sent to the caller (all messages for provincial administrators), newest first.
#[utoipa::path(get, path = "/api/notify/messages", tag = "notify", params(PageQuery, Filter),
    responses((status = 200, body = Paged<Message>), (status = 401, body = web::Problem)))]
async fn list(
    State(n): State<Notify>,
    Authed(p): Authed,
    Query(q): Query<PageQuery>,
    Query(f): Query<Filter>,
) -> ApiResult<Json<Paged<Message>>> {
    let own = (!sees_all(&p)).then_some(p.id.as_str());
    let (items, total) = n.messages(own, f.status.as_deref(), q.offset(), q.limit()).await.or_problem()?;
    Ok(Json(Paged::new(items, total, &q)))
}

/// One message with its delivery status.
#[utoipa::path(get, path = "/api/notify/messages/{id}", tag = "notify", params(("id" = String, Path)),
    responses((status = 200, body = Message), (status = 404, body = web::Problem)))]
async fn get_one(State(n): State<Notify>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Json<Message>> {
    let m = n.message(&id).await.or_problem()?;
    if sees_all(&p) || m.account_id.as_deref() == Some(p.id.as_str()) {
        Ok(Json(m))
    } else {
        Err(Problem::new("not-found", Some(format!("tin nhắn {id} không tồn tại (not found)"))))
    }
}

#[derive(Serialize, ToSchema)]
struct QueueStat {
    consumer: String,
    /// pending, done or dead.
    status: String,
    count: i64,
}

fn admin(p: &Principal) -> ApiResult<()> {
    if sees_all(p) {
        Ok(())
    } else {
        Err(Problem::new("forbidden", Some("cần quyền quản trị cấp tỉnh (provincial administrators only)".into())))
    }
}

/// Deliveries waiting, done and dead-lettered, per outbox consumer.
#[utoipa::path(get, path = "/api/notify/queues", tag = "notify",
    responses((status = 200, body = Vec<QueueStat>), (status = 403, body = web::Problem)))]
async fn queues(State(n): State<Notify>, Authed(p): Authed) -> ApiResult<Json<Vec<QueueStat>>> {
    admin(&p)?;
    let stats = n.queues(&n.db).await.or_problem()?;
    Ok(Json(stats.into_iter().map(|s| QueueStat { consumer: s.consumer, status: s.status, count: s.count }).collect()))
}

#[derive(Serialize, ToSchema)]
struct Retried {
    requeued: u64,
}

/// Puts a consumer's dead-lettered deliveries back in its queue.
#[utoipa::path(post, path = "/api/notify/queues/{consumer}/retry", tag = "notify", params(("consumer" = String, Path)),
    responses((status = 200, body = Retried), (status = 403, body = web::Problem)))]
async fn retry(State(n): State<Notify>, Authed(p): Authed, Path(consumer): Path<String>) -> ApiResult<Json<Retried>> {
    admin(&p)?;
    let requeued = kernel::outbox::retry_dead(&n.db, &consumer, None).await.or_problem()?;
    Ok(Json(Retried { requeued }))
}
