//! The administrators' page of messages and outbox queues.

use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use kernel::authz::Permission;
use serde::Deserialize;
use web::{Caller, Shell, render};

use crate::{Message, Notify};

pub fn router() -> Router<Notify> {
    Router::new().route("/admin/messages", get(page)).route("/admin/messages/retry", post(retry))
}

#[derive(Template)]
#[template(path = "messages.html")]
struct MessagesPage {
    shell: Shell,
    messages: Vec<Message>,
    total: i64,
    /// consumer, pending, done, dead
    queues: Vec<(String, i64, i64, i64)>,
    csrf: String,
    notice: Option<String>,
}

impl MessagesPage {
    fn when(&self, ms: &i64) -> String {
        kernel::time::vn_datetime(*ms)
            .format(&time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]"))
            .unwrap_or_default()
    }

    fn status_label(&self, s: &str) -> &'static str {
        let (vi, en) = match s {
            "sent" => ("Đã gửi", "Sent"),
            "recorded" => ("Chỉ ghi lại", "Recorded"),
            "queued" => ("Đang gửi", "Sending"),
            "failed" => ("Lỗi, sẽ thử lại", "Failed, will retry"),
            "dead" => ("Thất bại", "Given up"),
            _ => ("?", "?"),
        };
        if self.shell.lang.is_en() { en } else { vi }
    }
}

fn allowed(caller: &Caller) -> Result<(), Response> {
    match &caller.principal {
        None => Err(Redirect::to("/login?next=%2Fadmin%2Fmessages").into_response()),
        Some(p) if p.allows(Permission::CatalogManage, None) => Ok(()),
        Some(_) => Err((axum::http::StatusCode::FORBIDDEN, "not allowed").into_response()),
    }
}

#[derive(Deserialize, Default)]
struct Notice {
    ok: Option<String>,
}

async fn page(State(n): State<Notify>, shell: Shell, caller: Caller, web::Query(m): web::Query<Notice>) -> Response {
    if let Err(r) = allowed(&caller) {
        return r;
    }
    let title = shell.t("Thông báo đã gửi", "Notifications").to_owned();
    let run = async {
        let (messages, total) = n.messages(None, None, 0, 200).await?;
        let mut queues: Vec<(String, i64, i64, i64)> = Vec::new();
        for s in n.queues(&n.db).await? {
            let i = match queues.iter().position(|q| q.0 == s.consumer) {
                Some(i) => i,
                None => {
                    queues.push((s.consumer.clone(), 0, 0, 0));
                    queues.len() - 1
                }
            };
            match s.status.as_str() {
                "pending" => queues[i].1 += s.count,
                "done" => queues[i].2 += s.count,
                _ => queues[i].3 += s.count,
            }
        }
        Ok::<_, kernel::Error>(render(&MessagesPage {
            shell: shell.clone().titled(title, "admin"),
            messages,
            total,
            queues,
            csrf: caller.csrf.clone().unwrap_or_default(),
            notice: m.ok,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

#[derive(Deserialize)]
struct RetryForm {
    consumer: String,
    _csrf: String,
}

async fn retry(State(n): State<Notify>, shell: Shell, caller: Caller, Form(f): Form<RetryForm>) -> Response {
    if let Err(r) = allowed(&caller) {
        return r;
    }
    if !caller.csrf_ok(&f._csrf) {
        return web::page::error_page(
            shell,
            kernel::Error::Forbidden("biểu mẫu hết hạn, hãy thử lại (the form expired, try again)".into()),
        );
    }
    match kernel::outbox::retry_dead(&n.db, &f.consumer, None).await {
        Ok(k) => Redirect::to(&format!("/admin/messages?ok={k}+requeued")).into_response(),
        Err(e) => web::page::error_page(shell, e),
    }
}
