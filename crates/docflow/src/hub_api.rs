//! HTTP face of the exchange hub under `/api/docflow/hub`, for other deployments' exchange
//! workers (OAuth2 client credentials): send a package or a status message, list what waits
//! for one's agencies, get a message, mark it processed, list what one sent, the agency list.
//! Packages are streamed to the blob store, never held whole in memory.

use std::io::Write;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kernel::Error;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use web::Path;
use web::problem::OrProblem;
use web::{ApiResult, Authed, Json, Problem};

use crate::Docflow;
use crate::service::hub::{HubCaller, HubMember, HubMessage, MemberInput};

/// The largest package the hub takes.
pub const MAX_PACKAGE_BYTES: u64 = 512 * 1024 * 1024;

pub fn router() -> OpenApiRouter<Docflow> {
    OpenApiRouter::new()
        .routes(routes!(send_package))
        .routes(routes!(send_status))
        .routes(routes!(received))
        .routes(routes!(sent))
        .routes(routes!(get_message))
        .routes(routes!(done))
        .routes(routes!(agencies))
        .routes(routes!(add_member))
}

/// Send an edXML package (the body, `application/xml`); one message is held per recipient.
#[utoipa::path(post, path = "/api/docflow/hub/packages", tag = "docflow-hub", request_body(content = String, content_type = "application/xml"),
    responses((status = 201, body = Vec<HubMessage>), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
async fn send_package(State(d): State<Docflow>, Authed(p): Authed, req: Request) -> ApiResult<Response> {
    let caller = HubCaller::of(&p).or_problem()?;
    let mut w = d.blobs.writer().or_problem()?;
    let mut stream = req.into_body().into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Problem::from(Error::BadRequest(e.to_string())))?;
        size += chunk.len() as u64;
        if size > MAX_PACKAGE_BYTES {
            return Err(Problem::new(
                "payload-too-large",
                Some(format!("gói tin quá {} MB (the package is over {} MB)", MAX_PACKAGE_BYTES >> 20, MAX_PACKAGE_BYTES >> 20)),
            ));
        }
        w.write_all(&chunk).map_err(|e| Problem::from(Error::internal(e)))?;
    }
    let (sha, size) = w.finish().or_problem()?;
    let msgs = d.hub_accept_package(&caller, &sha, size as i64).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(msgs)).into_response())
}

/// Send a status message (the body, `application/xml`).
#[utoipa::path(post, path = "/api/docflow/hub/statuses", tag = "docflow-hub", request_body(content = String, content_type = "application/xml"),
    responses((status = 201, body = Vec<HubMessage>), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn send_status(State(d): State<Docflow>, Authed(p): Authed, body: axum::body::Bytes) -> ApiResult<Response> {
    let caller = HubCaller::of(&p).or_problem()?;
    let msgs = d.hub_accept_status(&caller, &body).await.or_problem()?;
    Ok((StatusCode::CREATED, axum::Json(msgs)).into_response())
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
struct WaitQuery {
    /// When nothing waits, hold the request up to this many seconds (at most 20) for a message.
    wait: Option<u64>,
}

/// Messages waiting for the caller's agencies, oldest first (a long poll with `wait`).
#[utoipa::path(get, path = "/api/docflow/hub/received", tag = "docflow-hub", params(WaitQuery),
    responses((status = 200, body = Vec<HubMessage>), (status = 403, body = Problem)))]
async fn received(State(d): State<Docflow>, Authed(p): Authed, web::Query(q): web::Query<WaitQuery>) -> ApiResult<Json<Vec<HubMessage>>> {
    let wait = std::time::Duration::from_secs(q.wait.unwrap_or(0).min(20));
    Ok(Json(d.hub_received_wait(&HubCaller::of(&p).or_problem()?, 100, wait).await.or_problem()?))
}

/// Messages the caller's agencies sent, newest first.
#[utoipa::path(get, path = "/api/docflow/hub/sent", tag = "docflow-hub", responses((status = 200, body = Vec<HubMessage>), (status = 403, body = Problem)))]
async fn sent(State(d): State<Docflow>, Authed(p): Authed) -> ApiResult<Json<Vec<HubMessage>>> {
    Ok(Json(d.hub_sent(&HubCaller::of(&p).or_problem()?, 100).await.or_problem()?))
}

/// One message addressed to the caller (the edXML bytes).
#[utoipa::path(get, path = "/api/docflow/hub/messages/{id}", tag = "docflow-hub", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/xml"), (status = 404, body = Problem)))]
async fn get_message(State(d): State<Docflow>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<Response> {
    let (_, sha) = d.hub_fetch(&HubCaller::of(&p).or_problem()?, &id).await.or_problem()?;
    let file = tokio::fs::File::open(d.blobs.path(&sha)).await.map_err(|e| Problem::from(Error::internal(e)))?;
    let stream = crate::service::remote::file_chunks(file);
    Ok(([(header::CONTENT_TYPE, "application/xml")], axum::body::Body::from_stream(stream)).into_response())
}

/// Mark a message processed: it leaves the received list.
#[utoipa::path(post, path = "/api/docflow/hub/messages/{id}/done", tag = "docflow-hub", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
async fn done(State(d): State<Docflow>, Authed(p): Authed, Path(id): Path<String>) -> ApiResult<StatusCode> {
    d.hub_done(&HubCaller::of(&p).or_problem()?, &id).await.or_problem()?;
    Ok(StatusCode::NO_CONTENT)
}

/// Agencies the hub delivers to.
#[utoipa::path(get, path = "/api/docflow/hub/agencies", tag = "docflow-hub", responses((status = 200, body = Vec<HubMember>)))]
async fn agencies(State(d): State<Docflow>, Authed(_caller): Authed) -> ApiResult<Json<Vec<HubMember>>> {
    Ok(Json(d.hub_members().await.or_problem()?))
}

/// Serve another deployment's agency: bind its OrganId to the client that speaks for it.
#[utoipa::path(post, path = "/api/docflow/hub/members", tag = "docflow-hub", request_body = MemberInput,
    responses((status = 201, body = HubMember), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn add_member(State(d): State<Docflow>, Authed(p): Authed, Json(b): Json<MemberInput>) -> ApiResult<Response> {
    Ok((StatusCode::CREATED, axum::Json(d.add_hub_member(&p, &b).await.or_problem()?)).into_response())
}
