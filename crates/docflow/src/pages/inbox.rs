//! `/documents/inbox`, "my work" (việc của tôi): the documents assigned to me with their
//! deadlines, and what waits on my role at my agency: leaders assign registered documents and
//! sign drafts, clerks register what arrived and issue what was signed.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use kernel::authz::Permission;
use web::{Caller, Shell, render};

use super::{Row, official, own_agency, rows};
use crate::Docflow;
use crate::service::read::DocumentFilter;

/// The longest a list of the page gets; the register pages show the rest.
const LIMIT: i64 = 50;

struct Section {
    id: &'static str,
    title: String,
    /// Where the whole list is, when it is longer than shown.
    more: Option<String>,
    total: i64,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "inbox.html", config = "templates/askama.toml")]
struct InboxPage {
    shell: Shell,
    tab: &'static str,
    agency: String,
    sections: Vec<Section>,
}

pub(super) async fn inbox(State(d): State<Docflow>, shell: Shell, caller: Caller) -> Response {
    let p = match official(&shell, &caller, "/documents/inbox") {
        Ok(p) => p,
        Err(r) => return r,
    };
    let en = shell.lang.is_en();
    let title = shell.t("Việc của tôi", "My work").to_owned();
    let shell = shell.titled(title, "documents");
    let run = async {
        let agency = own_agency(&d, &p).await?;
        let at = |perm| p.allows(perm, Some(&agency.id));
        // (id, title vi, title en, filter, link to the whole list)
        let mut wanted: Vec<(&'static str, &'static str, &'static str, DocumentFilter, Option<String>)> = vec![(
            "mine",
            "Văn bản được giao cho tôi",
            "Documents assigned to me",
            DocumentFilter { mine: Some(true), state: Some("assigned,processing".into()), ..Default::default() },
            None,
        )];
        let of_agency = |direction: &str, state: &str| DocumentFilter {
            direction: Some(direction.into()),
            agency_code: Some(agency.code.clone()),
            state: Some(state.into()),
            ..Default::default()
        };
        let link = |direction: &str, state: &str| Some(format!("/documents?direction={direction}&state={state}"));
        if at(Permission::DossierApprove) {
            wanted.push((
                "assign",
                "Chờ phân công",
                "Awaiting assignment",
                of_agency("incoming", "registered"),
                link("incoming", "registered"),
            ));
            wanted.push(("sign", "Chờ ký", "Awaiting my signature", of_agency("outgoing", "review"), link("outgoing", "review")));
        }
        if at(Permission::DocumentNumber) {
            wanted.push(("register", "Chờ vào sổ", "Awaiting registration", of_agency("incoming", "arrived"), link("incoming", "arrived")));
            wanted.push(("issue", "Chờ phát hành", "Awaiting issue", of_agency("outgoing", "approved"), link("outgoing", "approved")));
        }
        let mut sections = Vec::new();
        for (id, vi, en_title, f, more) in wanted {
            let (docs, total) = d.search(&p, &f, 0, LIMIT).await?;
            sections.push(Section {
                id,
                title: if en { en_title } else { vi }.to_owned(),
                more: more.filter(|_| total > LIMIT),
                total,
                rows: rows(&d, docs, en).await?,
            });
        }
        Ok::<_, kernel::Error>(render(&InboxPage { shell: shell.clone(), tab: "inbox", agency: agency.name, sections }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}
