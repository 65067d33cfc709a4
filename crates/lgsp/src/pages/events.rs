//! `/admin/lgsp/events`: pub/sub for the operators. Every room's event types with their
//! subscriptions (push address or pull, ended ones marked), what waits for each (pending
//! deliveries and how old the oldest is) and what was given up (dead letters); then the latest
//! dead letters with their last error, each with a button to send it again once the subscriber
//! is mended.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use web::{Caller, Shell, render};

use super::{Forms, Notice, done, failed, lgsp_admin, posted, problems, when};
use crate::Lgsp;
use crate::deliveries::{DeadLetter, Subscription};

const HERE: &str = "/admin/lgsp/events";
/// Dead letters shown, the newest first.
const DEAD_SHOWN: i64 = 100;

pub struct SubscriptionRow {
    pub s: Subscription,
    /// When the oldest waiting event was published.
    pub oldest: Option<String>,
}

pub struct DeadRow {
    pub d: DeadLetter,
    pub published: String,
}

#[derive(Template)]
#[template(path = "lgsp_events.html")]
struct EventsPage {
    shell: Shell,
    csrf: String,
    notice: Option<String>,
    subscriptions: Vec<SubscriptionRow>,
    dead: Vec<DeadRow>,
    forms: Forms,
}

async fn show(l: &Lgsp, shell: Shell, caller: &Caller, forms: Forms, notice: Option<String>) -> Response {
    let title = shell.t("Sự kiện LGSP: đăng ký nhận và thư chết", "LGSP events: subscriptions and dead letters").to_owned();
    let shell = shell.titled(title, "admin");
    let run = async {
        let p = lgsp_admin(&shell, caller, HERE).map_err(|_| kernel::Error::Forbidden("LGSP".into()))?;
        let subscriptions =
            l.subscriptions(&p).await?.into_iter().map(|s| SubscriptionRow { oldest: s.oldest_pending.map(when), s }).collect();
        let dead = l.dead_letters(&p, DEAD_SHOWN).await?.into_iter().map(|d| DeadRow { published: when(d.published_at), d }).collect();
        let problems = forms.problems.clone();
        let page = EventsPage { shell: shell.clone(), csrf: caller.csrf.clone().unwrap_or_default(), notice, subscriptions, dead, forms };
        Ok::<_, kernel::Error>(failed(render(&page), &problems))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

pub(super) async fn page(State(l): State<Lgsp>, shell: Shell, caller: Caller, web::Query(n): web::Query<Notice>) -> Response {
    if let Err(r) = lgsp_admin(&shell, &caller, HERE) {
        return r;
    }
    show(&l, shell, &caller, Forms::default(), n.text()).await
}

/// Sends one dead letter again.
pub(super) async fn redeliver(State(l): State<Lgsp>, shell: Shell, caller: Caller, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match l.redeliver(&p, f.get("event_id"), f.get("subscription_id")).await {
        Ok(()) => done(HERE, &format!("{} {}", shell.t("Đã gửi lại sự kiện", "Event sent again:"), f.get("event_id"))),
        Err(e) => show(&l, shell, &caller, Forms::sent("redeliver", &f, problems(e)), None).await,
    }
}
