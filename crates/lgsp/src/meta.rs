//! The X-Road metaservices: `GET /listClients` (every registered, active subsystem) and, for an
//! authenticated client, `.../listMethods`, `.../allowedMethods`, `.../getOpenAPI?serviceCode=`
//! and `.../getWsdl?serviceCode=`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use web::Caller;

use crate::Lgsp;
use crate::gateway::{Failure, authenticate, fail, new_request_id};
use crate::model::{SubsystemId, callable};
use crate::registry::Service;

/// `GET /listClients`: every registered, active subsystem.
pub(crate) async fn list_clients(State(l): State<Lgsp>) -> Response {
    match l.subsystems().await {
        Ok(list) => axum::Json(json!({
            "member": list.iter().map(|s| json!({
                "id": {"object_type": "SUBSYSTEM", "xroad_instance": s.xid.instance, "member_class": s.xid.member_class,
                       "member_code": s.xid.member, "subsystem_code": s.xid.subsystem},
                "name": s.name,
            })).collect::<Vec<_>>()
        }))
        .into_response(),
        Err(e) => fail(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string()).response(&new_request_id()),
    }
}

fn service_list(services: &[Service]) -> Response {
    axum::Json(json!({
        "service": services.iter().map(|s| json!({
            "object_type": "SERVICE", "xroad_instance": s.provider.instance, "member_class": s.provider.member_class,
            "member_code": s.provider.member, "subsystem_code": s.provider.subsystem, "service_code": s.code,
            "service_version": s.version, "service_type": if s.description_kind == "wsdl" { "WSDL" } else { "REST" },
        })).collect::<Vec<_>>()
    }))
    .into_response()
}

pub(crate) async fn metaservice(
    l: &Lgsp,
    caller: &Caller,
    headers: &HeaderMap,
    query: Option<&str>,
    provider: &SubsystemId,
    which: &str,
) -> Result<(Response, String), Failure> {
    let client = authenticate(l, caller, headers).await?;
    let answer = answer(l, headers, query, provider, which, &client).await?;
    Ok((answer, client.xid.text()))
}

/// The metaservice's answer to an authenticated client.
async fn answer(
    l: &Lgsp,
    headers: &HeaderMap,
    query: Option<&str>,
    provider: &SubsystemId,
    which: &str,
    client: &crate::registry::Subsystem,
) -> Result<Response, Failure> {
    let internal = |e: kernel::Error| fail(StatusCode::INTERNAL_SERVER_ERROR, "Server.ServerProxy.InternalError", e.to_string());
    if l.subsystem(provider).await.map_err(internal)?.is_none() {
        return Err(fail(
            StatusCode::NOT_FOUND,
            "Server.ServerProxy.UnknownMember",
            format!("không có phân hệ {provider} (unknown subsystem)"),
        ));
    }
    match which {
        "listMethods" => Ok(service_list(&l.services_of(provider, true).await.map_err(internal)?)),
        "allowedMethods" => Ok(service_list(&l.allowed_services(&client.id, provider).await.map_err(internal)?)),
        _ => {
            let code = query
                .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("serviceCode=")))
                .map(|c| percent_encoding::percent_decode_str(c).decode_utf8_lossy().into_owned())
                .ok_or_else(|| fail(StatusCode::BAD_REQUEST, "Client.InvalidRequest", "thiếu serviceCode (serviceCode is required)"))?;
            let s = l
                .service(provider, &code)
                .await
                .map_err(internal)?
                .filter(|s| callable(&s.state))
                .ok_or_else(|| fail(StatusCode::NOT_FOUND, "Server.ServerProxy.UnknownService", format!("không có dịch vụ {code}")))?;
            let address = format!("{}/r1/{}/{}", l.public_url(headers), provider.encoded(), SubsystemId::encode_part(&s.code));
            let bridged = s.soap.as_ref().map(|m| m.mode.as_str());
            // The operations a JSON client calls on a SOAP service, read from its WSDL.
            let json_side = s.soap.as_ref().filter(|m| m.mode == "rest_to_soap" && !m.operations.is_empty()).map(|m| &m.operations);
            let description = l.description(&s.id).await.map_err(internal)?;
            match (which, description) {
                ("getOpenAPI", Some((kind, text))) if kind == "openapi" => {
                    let ct = if text.trim_start().starts_with('{') { "application/json" } else { "application/yaml" };
                    Ok(([(header::CONTENT_TYPE, ct)], text).into_response())
                }
                // The JSON side of a SOAP service, from its WSDL's operations.
                ("getOpenAPI", _) if let Some(ops) = json_side => {
                    Ok(axum::Json(crate::soap::described::openapi(&s.name, &s.version, &address, ops)).into_response())
                }
                // What SOAP clients call: the gateway's address in place of the upstream's.
                ("getWsdl", Some((kind, text))) if kind == "wsdl" && bridged != Some("rest_to_soap") => {
                    let wsdl = crate::soap::described::addressed(&text, &address);
                    Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], wsdl).into_response())
                }
                // A JSON service's SOAP side, from the operations its OpenAPI description gives.
                ("getWsdl", _) if let Some(m) = s.soap.as_ref().filter(|m| m.mode == "soap_to_rest" && !m.operations.is_empty()) => {
                    let wsdl = crate::soap::described::wsdl(&s.name, &s.code, &address, m);
                    Ok(([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], wsdl).into_response())
                }
                ("getWsdl", _) => Err(fail(
                    StatusCode::NOT_FOUND,
                    "Server.ServerProxy.NoDescription",
                    if bridged == Some("rest_to_soap") {
                        "khách gọi dịch vụ này bằng JSON; getOpenAPI mô tả nó (clients call this service with JSON; getOpenAPI describes it)"
                    } else {
                        "dịch vụ không có mô tả WSDL (no WSDL description)"
                    },
                )),
                _ => Err(fail(
                    StatusCode::NOT_FOUND,
                    "Server.ServerProxy.NoDescription",
                    "dịch vụ không có mô tả OpenAPI (no OpenAPI description)",
                )),
            }
        }
    }
}
