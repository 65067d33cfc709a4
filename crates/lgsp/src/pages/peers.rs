//! The registry page's trusted gateways: other platforms' gateways (each signing in here as an
//! OAuth2 client) trusted to present the clients of a member they host, with forms to trust
//! one and to stop trusting it.

use axum::extract::{Path, State};
use axum::response::Response;
use web::{Caller, Shell};

use super::registry::{HERE, show};
use super::{Forms, done, posted, problems};
use crate::Lgsp;
use crate::access::PeerInput;

pub(super) async fn add(State(l): State<Lgsp>, shell: Shell, caller: Caller, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let input = PeerInput { client_id: f.get("client_id").to_owned(), member: f.get("member").to_owned(), name: f.get("name").to_owned() };
    match l.add_peer(&p, &input).await {
        Ok(peer) => done(HERE, &format!("{} {} ({})", shell.t("Đã tin cậy:", "Trusted:"), peer.name, peer.member)),
        Err(e) => show(&l, shell, &caller, Forms::sent("peer", &f, problems(e)), None).await,
    }
}

pub(super) async fn remove(State(l): State<Lgsp>, shell: Shell, caller: Caller, Path(id): Path<String>, body: String) -> Response {
    let (p, f) = match posted(&shell, &caller, HERE, &body) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match l.remove_peer(&p, &id).await {
        Ok(()) => done(HERE, shell.t("Đã thôi tin cậy LGSP đó.", "That gateway is no longer trusted.")),
        Err(e) => show(&l, shell, &caller, Forms::sent("peer", &f, problems(e)), None).await,
    }
}
