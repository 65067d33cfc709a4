//! The steps on a document as forms: which ones the caller may use in the document's state
//! (the service decides again), and `POST /documents/{id}/act`, where they all post with the
//! session's anti-forgery token and the document's version. The answer is always a redirect
//! back to the document, with a confirmation or the service's message beside the form.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use kernel::Error;
use kernel::authz::{Permission, Principal};
use web::{Caller, Shell};

use super::{ACCEPT, Posted, enc, may_draft, message, official_post};
use crate::Docflow;
use crate::model::{ASSIGNMENT_ROLES, Direction, DocState};
use crate::service::DocumentView;
use crate::service::incoming::{AssignInput, Assignee, StepInput};
use crate::service::outgoing::{IssueInput, RecallAnswer};

/// One input of an action form.
pub(super) struct Field {
    pub name: &'static str,
    pub label: String,
    /// text, textarea, date, select, file, hidden
    pub kind: &'static str,
    pub required: bool,
    pub value: String,
    pub options: Vec<(String, String)>,
}

fn field(name: &'static str, label: String, kind: &'static str, required: bool) -> Field {
    Field { name, label, kind, required, value: String::new(), options: vec![] }
}

fn select(name: &'static str, label: String, options: Vec<(String, String)>) -> Field {
    Field { name, label, kind: "select", required: true, value: String::new(), options }
}

fn hidden(name: &'static str, value: &str) -> Field {
    Field { name, label: String::new(), kind: "hidden", required: false, value: value.to_owned(), options: vec![] }
}

/// A step the caller may take, as a form.
pub(super) struct ActionForm {
    pub action: &'static str,
    pub title: String,
    pub button: String,
    /// A file goes with it (multipart, with the upload progress).
    pub upload: bool,
    /// Refuses, sends back or recalls: the button is drawn as the lesser choice.
    pub secondary: bool,
    pub fields: Vec<Field>,
    /// Assignment: (account id, name, current role or empty) of everyone who may be given it.
    pub handlers: Vec<(String, String, String)>,
    /// The role choices of an assignment: (value, label).
    pub roles: Vec<(String, String)>,
    /// Why the last post of this form failed.
    pub error: Option<String>,
}

impl ActionForm {
    fn new(action: &'static str, title: String, button: String, fields: Vec<Field>) -> ActionForm {
        ActionForm { action, title, button, upload: false, secondary: false, fields, handlers: vec![], roles: vec![], error: None }
    }

    fn secondary(mut self) -> ActionForm {
        self.secondary = true;
        self
    }

    pub fn accept(&self) -> &'static str {
        ACCEPT
    }
}

/// The forms `p` may use on the document now.
pub(super) async fn forms_for(d: &Docflow, p: &Principal, v: &DocumentView, en: bool) -> kernel::Result<Vec<ActionForm>> {
    let doc = &v.document;
    let t = |vi: &str, e: &str| if en { e.to_owned() } else { vi.to_owned() };
    let at = |perm| p.allows(perm, Some(&doc.agency_id));
    let (clerk, leader) = (at(Permission::DocumentNumber), at(Permission::DossierApprove));
    let note = |label: String, required: bool| field("note", label, "textarea", required);
    let registers = |direction: Direction| async move {
        let agency = d.agency_by_id(&doc.agency_id).await?;
        let list = d.registers(p, &agency).await?;
        Ok::<_, Error>(
            list.into_iter()
                .filter(|r| r.direction == direction && r.active)
                .map(|r| (r.code.clone(), format!("{} ({})", r.name, r.code)))
                .collect(),
        )
    };
    let upload = |title: String, roles: Vec<(String, String)>| {
        let role = if roles.len() == 1 { hidden("role", &roles[0].0) } else { select("role", t("Loại tệp", "Kind of file"), roles) };
        let mut f = ActionForm::new(
            "upload",
            title,
            t("Tải lên", "Upload"),
            vec![
                role,
                field(
                    "file",
                    t(
                        "Tệp (PDF, Word, OpenDocument, Excel, JPEG, PNG; tối đa 50 MB)",
                        "File (PDF, Word, ODT, Excel, JPEG, PNG; up to 50 MB)",
                    ),
                    "file",
                    true,
                ),
            ],
        );
        f.upload = true;
        f
    };
    let main_or_attachment =
        || vec![("main".to_owned(), t("Văn bản chính", "Main text")), ("attachment".to_owned(), t("Phụ lục, kèm theo", "Attachment"))];
    let mut out = Vec::new();
    match (doc.direction, doc.state) {
        (Direction::Incoming, DocState::Arrived) if clerk => {
            let regs: Vec<(String, String)> = registers(Direction::Incoming).await?;
            let fields = if regs.len() > 1 { vec![select("register_code", t("Sổ văn bản đến", "Register"), regs)] } else { vec![] };
            out.push(ActionForm::new(
                "accept",
                t("Vào sổ văn bản đến", "Register the document"),
                t("Vào sổ, cấp số đến", "Register and number"),
                fields,
            ));
        }
        (Direction::Incoming, DocState::Registered) if clerk => {
            out.push(upload(t("Thêm bản quét, tệp kèm theo", "Add a scan or an attachment"), main_or_attachment()));
        }
        (Direction::Outgoing, DocState::Draft) if may_draft(p, &doc.agency_id) => {
            out.push(upload(t("Tải lên tệp dự thảo", "Upload the draft's files"), main_or_attachment()));
        }
        _ => {}
    }
    if doc.direction == Direction::Incoming && matches!(doc.state, DocState::Arrived | DocState::Registered) && clerk {
        let f = ActionForm::new(
            "reject",
            t("Từ chối tiếp nhận", "Refuse the document"),
            t("Từ chối", "Refuse"),
            vec![note(t("Lý do từ chối", "Why"), true)],
        );
        out.push(f.secondary());
    }
    if doc.direction == Direction::Incoming
        && matches!(doc.state, DocState::Registered | DocState::Assigned | DocState::Processing)
        && leader
    {
        let current = |id: &str| {
            v.assignments
                .iter()
                .find(|a| a.account_id == id && matches!(a.state.as_str(), "assigned" | "processing"))
                .map(|a| a.role.clone())
                .unwrap_or_default()
        };
        let mut f = ActionForm::new(
            "assign",
            if doc.state == DocState::Registered {
                t("Phân công xử lý", "Assign handlers")
            } else {
                t("Phân công lại", "Assign again")
            },
            t("Phân công", "Assign"),
            vec![
                Field {
                    value: doc.due_date.clone().unwrap_or_default(), ..field("deadline", t("Hạn xử lý", "Deadline"), "date", false)
                },
                note(t("Ý kiến chỉ đạo", "Instructions"), false),
            ],
        );
        f.handlers = d
            .handlers(p, &doc.agency_id)
            .await?
            .into_iter()
            .map(|(id, name)| {
                let role = current(&id);
                (id, name, role)
            })
            .collect();
        f.roles = std::iter::once((String::new(), t("Không giao", "Not assigned")))
            .chain(ASSIGNMENT_ROLES.iter().map(|(r, vi, e)| ((*r).to_owned(), if en { (*e).to_owned() } else { (*vi).to_owned() })))
            .collect();
        out.push(f);
    }
    let mine = v.assignments.iter().find(|a| a.account_id == p.id && matches!(a.state.as_str(), "assigned" | "processing"));
    if let Some(a) = mine.filter(|_| matches!(doc.state, DocState::Assigned | DocState::Processing)) {
        out.push(ActionForm::new(
            "opinion",
            t("Ý kiến xử lý", "Your opinion"),
            t("Ghi ý kiến", "Record"),
            vec![note(t("Ý kiến", "Opinion"), true)],
        ));
        out.push(upload(t("Tải lên dự thảo văn bản trả lời", "Upload a draft answer"), vec![("draft".to_owned(), String::new())]));
        if a.role == "main" {
            out.push(ActionForm::new(
                "complete",
                t("Hoàn thành xử lý", "Complete the handling"),
                t("Hoàn thành", "Complete"),
                vec![note(t("Kết quả xử lý", "Outcome"), false)],
            ));
        }
    }
    if doc.direction == Direction::Outgoing {
        let drafter = v.document.drafted_by_or_reviewed(p);
        match doc.state {
            DocState::Draft if drafter => {
                out.push(ActionForm::new(
                    "submit",
                    t("Trình ký", "Submit for signature"),
                    t("Trình ký", "Submit"),
                    vec![note(t("Ghi chú", "Note"), false)],
                ));
            }
            DocState::Review if leader => {
                out.push(ActionForm::new("approve", t("Ký duyệt", "Approve and sign"), t("Ký duyệt", "Approve"), vec![]));
                let f = ActionForm::new(
                    "send_back",
                    t("Trả lại dự thảo", "Send the draft back"),
                    t("Trả lại", "Send back"),
                    vec![note(t("Lý do trả lại", "Why"), true)],
                );
                out.push(f.secondary());
            }
            DocState::Approved if clerk => {
                let regs: Vec<(String, String)> = registers(Direction::Outgoing).await?;
                let fields =
                    if regs.len() > 1 { vec![select("register_code", t("Sổ văn bản đi", "Register"), regs)] } else { vec![] };
                out.push(ActionForm::new("issue", t("Cấp số và phát hành", "Number and issue"), t("Cấp số, phát hành", "Issue"), fields));
            }
            DocState::Issued if leader => {
                let f = ActionForm::new(
                    "withdraw",
                    t("Thu hồi văn bản", "Recall the document"),
                    t("Thu hồi", "Recall"),
                    vec![note(t("Lý do thu hồi", "Why"), true)],
                );
                out.push(f.secondary());
            }
            _ => {}
        }
    }
    if doc.direction == Direction::Incoming
        && doc.business_type == 1
        && clerk
        && !matches!(doc.state, DocState::Recalled | DocState::Rejected)
    {
        let answers =
            vec![("accept".to_owned(), t("Đồng ý thu hồi", "Give it back")), ("refuse".to_owned(), t("Từ chối thu hồi", "Refuse"))];
        out.push(ActionForm::new(
            "recall",
            t("Trả lời yêu cầu thu hồi của bên gửi", "Answer the sender's recall"),
            t("Trả lời", "Answer"),
            vec![select("answer", t("Trả lời", "Answer"), answers), note(t("Ghi chú", "Note"), false)],
        ));
    }
    if at(Permission::DossierView) {
        out.push(ActionForm::new(
            "link",
            t("Liên kết hồ sơ một cửa", "Link a one-stop dossier"),
            t("Liên kết", "Link"),
            vec![field("dossier_code", t("Mã hồ sơ", "Dossier code"), "text", true)],
        ));
    }
    Ok(out)
}

/// Every step on the document: the service decides, the page tells.
pub(super) async fn act(State(d): State<Docflow>, shell: Shell, caller: Caller, Path(id): Path<String>, req: Request) -> Response {
    let back = |q: String| Redirect::to(&format!("/documents/{}?{q}", enc(&id))).into_response();
    let posted = match Posted::read(req).await {
        Ok(x) => x,
        Err(e) => return back(format!("err={}", enc(&e))),
    };
    let p = match official_post(&shell, &caller, &format!("/documents/{id}"), &posted) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let version = posted.get("version").trim().parse().unwrap_or(-1);
    let step = || StepInput { version, note: posted.opt("note") };
    let (action, result): (&str, kernel::Result<()>) = match posted.get("action") {
        "accept" => ("accept", d.accept_arrived(&p, &id, version, posted.opt("register_code").as_deref()).await.map(drop)),
        "reject" => ("reject", d.reject_arrived(&p, &id, &step()).await.map(drop)),
        "assign" => {
            let assignees = posted
                .fields
                .iter()
                .filter_map(|(k, v)| Some(Assignee { account_id: k.strip_prefix("role.")?.to_owned(), role: v.trim().to_owned() }))
                .filter(|a| !a.role.is_empty())
                .collect();
            let input = AssignInput { version, assignees, deadline: posted.opt("deadline"), note: posted.opt("note") };
            ("assign", d.assign(&p, &id, &input).await.map(drop))
        }
        "opinion" => ("opinion", d.opinion(&p, &id, &step()).await.map(drop)),
        "complete" => ("complete", d.complete(&p, &id, &step()).await.map(drop)),
        "submit" => ("submit", d.submit(&p, &id, &step()).await.map(drop)),
        "send_back" => ("send_back", d.send_back(&p, &id, &step()).await.map(drop)),
        "approve" => ("approve", d.approve(&p, &id, &step()).await.map(drop)),
        "issue" => ("issue", d.issue(&p, &id, &IssueInput { version, register_code: posted.opt("register_code") }).await.map(drop)),
        "withdraw" => ("withdraw", d.withdraw(&p, &id, &step()).await.map(drop)),
        "recall" => {
            let input = RecallAnswer { version, accept: posted.get("answer") == "accept", note: posted.opt("note") };
            ("recall", d.answer_recall(&p, &id, &input).await.map(drop))
        }
        "upload" => match posted.file("file") {
            None => ("upload", Err(Error::invalid("file", "hãy chọn tệp (choose a file)"))),
            Some(f) => ("upload", d.add_file(&p, &id, posted.get("role"), &f.name, &f.content_type, &f.bytes).await.map(drop)),
        },
        "link" => ("link", d.link_dossier(&p, &id, posted.get("dossier_code")).await),
        _ => ("none", Err(Error::BadRequest("không có việc này (no such step)".into()))),
    };
    match result {
        Ok(()) => back(format!("ok={action}")),
        Err(e) => back(format!("err={}&form={action}#f-{action}", enc(&message(e)))),
    }
}
