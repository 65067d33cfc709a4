//! A dossier's page: its facts, files, history, papers, and every action the caller may take
//! now, as a form; and the handler those forms post to.

use super::*;

pub(super) struct Input {
    name: &'static str,
    label: String,
    /// text, date, number, file, select, textarea, hidden
    kind: &'static str,
    value: String,
    required: bool,
    options: Vec<(String, String)>,
}

pub(super) fn input(name: &'static str, label: &str, kind: &'static str, required: bool) -> Input {
    Input { name, label: label.to_owned(), kind, value: String::new(), required, options: vec![] }
}

pub(super) fn select(name: &'static str, label: &str, options: Vec<(String, String)>) -> Input {
    Input { name, label: label.to_owned(), kind: "select", value: String::new(), required: true, options }
}

pub(super) struct ActionForm {
    action: &'static str,
    title: String,
    button: String,
    /// (task id, task version)
    task: Option<(String, i64)>,
    upload: bool,
    fields: Vec<Input>,
}

#[derive(Template)]
#[template(path = "dossier.html")]
pub(super) struct DossierPage {
    shell: Shell,
    d: Dossier,
    step_name: Option<String>,
    csrf: String,
    papers: Vec<(&'static str, &'static str)>,
    forms: Vec<ActionForm>,
    form_fields: Vec<(String, String)>,
    attachments: Vec<Attachment>,
    history: Vec<HistoryEntry>,
    /// While a supplement is pending: what was asked for, and why.
    missing: Option<(Vec<String>, Option<String>)>,
    rating: Option<crate::service::ratings::Rating>,
    notice: Option<String>,
    error: Option<String>,
}

impl DossierPage {
    fn when(&self, ms: &i64) -> String {
        when(*ms)
    }

    fn date(&self, s: &Option<String>) -> String {
        date(s)
    }

    fn money(&self, v: &i64) -> String {
        kernel::money::Vnd(*v).display_vi()
    }

    fn action_label(&self, a: &str) -> String {
        action_label(a, self.shell.lang.is_en())
    }
}

/// What a history entry's action means, for people.
pub fn action_label(a: &str, en: bool) -> String {
    let (vi, e) = match a {
        "submitted" => ("Nộp hồ sơ", "Submitted"),
        "case_started" => ("Mở hồ sơ công việc", "Case opened"),
        "file_added" => ("Thêm tệp", "File added"),
        "accepted" => ("Tiếp nhận, cấp mã", "Accepted, code issued"),
        "processing_started" => ("Bắt đầu xử lý", "Processing started"),
        "claimed" => ("Nhận việc", "Task taken"),
        "assigned" => ("Giao việc", "Task assigned"),
        "step_completed" => ("Hoàn thành bước", "Step completed"),
        "moved" => ("Chuyển bước", "Moved on"),
        "consultation_answered" => ("Cơ quan phối hợp trả lời", "Consulted agency answered"),
        "sent_back" => ("Trả lại bước trước", "Sent back"),
        "supplement_requested" => ("Yêu cầu bổ sung", "Supplement requested"),
        "supplemented" => ("Đã bổ sung", "Supplemented"),
        "paid" => ("Nộp phí, lệ phí", "Fees paid"),
        "refused" => ("Từ chối tiếp nhận", "Refused"),
        "withdrawn" => ("Rút hồ sơ", "Withdrawn"),
        "stopped" => ("Dừng xử lý", "Stopped"),
        "result_returned" => ("Trả kết quả", "Result returned"),
        "apology_proposed" => ("Đề xuất xin lỗi, hẹn lại", "Apology proposed"),
        "apology_approved" => ("Duyệt xin lỗi, hẹn lại", "Apology approved"),
        "due_soon" => ("Sắp đến hạn", "Due soon"),
        "overdue" => ("Quá hạn", "Overdue"),
        "form_corrected" => ("Sửa tờ khai", "Form corrected"),
        "rated" => ("Đánh giá mức độ hài lòng", "Service rated"),
        other => (other, other),
    };
    if en { e.to_owned() } else { vi.to_owned() }
}

#[derive(Deserialize, Default)]
pub(super) struct Msg {
    ok: Option<String>,
    err: Option<String>,
}

/// The forms `p` may use on the dossier now.
pub(super) async fn forms_for(
    o: &Onestop,
    p: &Principal,
    row: &crate::store::DossierRow,
    tasks: &[Task],
    en: bool,
) -> kernel::Result<Vec<ActionForm>> {
    let t = |vi: &str, e: &str| if en { e.to_owned() } else { vi.to_owned() };
    let d = &row.d;
    let own = row.account_id.as_deref() == Some(p.id.as_str());
    let at = |perm| p.allows(perm, Some(&row.agency_id));
    let mut f = Vec::new();
    let simple = |action: &'static str, title: String, button: String, fields: Vec<Input>| ActionForm {
        action,
        title,
        button,
        task: None,
        upload: false,
        fields,
    };
    // An internal case has no procedure, so no required documents.
    let docs: Vec<(String, String)> = if d.kind == "internal" {
        vec![]
    } else {
        let pv = o.catalog.procedure_version_by_id(&row.procedure_version_id).await?;
        pv.body.documents.iter().map(|x| (x.code.clone(), format!("{} — {}", x.code, x.name))).collect()
    };
    let reason = |label: String| input("reason", &label, "textarea", true);
    // Applicants.
    if own && matches!(d.status, Status::Submitted | Status::SupplementRequested) {
        let purpose = if d.status == Status::Submitted { "application" } else { "supplement" };
        let mut fields = vec![
            select("document", &t("Thành phần hồ sơ", "Required document"), docs.clone()),
            input("file", &t("Tệp (PDF, JPEG, PNG; tối đa 10 MB)", "File (PDF, JPEG, PNG; up to 10 MB)"), "file", true),
        ];
        fields.push(Input {
            name: "purpose",
            label: String::new(),
            kind: "hidden",
            value: purpose.into(),
            required: false,
            options: vec![],
        });
        f.push(ActionForm {
            action: "upload",
            title: t("Tải lên giấy tờ", "Upload a document"),
            button: t("Tải lên", "Upload"),
            task: None,
            upload: true,
            fields,
        });
    }
    if own && d.status == Status::SupplementRequested {
        f.push(simple(
            "supplement",
            t("Nộp bổ sung", "Hand in the supplement"),
            t("Đã bổ sung xong", "Supplement complete"),
            vec![input("note", &t("Ghi chú", "Note"), "textarea", false)],
        ));
    }
    if d.status == Status::FeesDue && (own || at(Permission::FeeCollect)) {
        let method = if own {
            ("payment_gateway", t("Cổng thanh toán", "Payment gateway"))
        } else {
            ("counter", t("Tại quầy", "At the counter"))
        };
        let mut fields = vec![select("method", &t("Hình thức", "Method"), vec![(method.0.into(), method.1)])];
        fields.push(Input {
            name: "amount",
            label: t("Số tiền (đồng)", "Amount (VND)"),
            kind: "number",
            value: (d.fee_total - d.paid).to_string(),
            required: true,
            options: vec![],
        });
        f.push(simple("pay", t("Nộp phí, lệ phí", "Pay the fees"), t("Thanh toán", "Pay"), fields));
    }
    if own && d.status == Status::Returned {
        let scores = [
            ("5", "Rất hài lòng", "Very satisfied"),
            ("4", "Hài lòng", "Satisfied"),
            ("3", "Bình thường", "Neutral"),
            ("2", "Chưa hài lòng", "Dissatisfied"),
            ("1", "Rất không hài lòng", "Very dissatisfied"),
        ];
        let options = scores.iter().map(|(v, vi, e)| ((*v).to_owned(), format!("{v} — {}", t(vi, e)))).collect();
        f.push(simple(
            "rate",
            t("Đánh giá mức độ hài lòng", "Rate the service"),
            t("Gửi đánh giá", "Send"),
            vec![
                select("score", &t("Mức độ hài lòng", "Satisfaction"), options),
                input("comment", &t("Góp ý (không bắt buộc)", "Feedback (optional)"), "textarea", false),
            ],
        ));
    }
    if own && Action::Withdraw.allowed(d.status) {
        f.push(simple("withdraw", t("Rút hồ sơ", "Withdraw the dossier"), t("Rút hồ sơ", "Withdraw"), vec![reason(t("Lý do", "Reason"))]));
    }
    // Reception.
    if at(Permission::DossierReceive) {
        if d.status == Status::Submitted {
            f.push(simple(
                "accept",
                t("Tiếp nhận hồ sơ", "Accept the dossier"),
                t("Tiếp nhận và cấp mã", "Accept and issue the code"),
                vec![],
            ));
            f.push(simple(
                "supplement_request",
                t("Yêu cầu bổ sung (một lần, đủ mọi nội dung)", "Ask for a supplement (once, everything)"),
                t("Gửi yêu cầu", "Send"),
                vec![input(
                    "items",
                    &t("Các giấy tờ, nội dung cần bổ sung (mỗi dòng một mục)", "What is missing (one per line)"),
                    "textarea",
                    true,
                )],
            ));
            f.push(simple("refuse", t("Từ chối tiếp nhận", "Refuse"), t("Từ chối", "Refuse"), vec![reason(t("Lý do từ chối", "Reasons"))]));
        }
        if matches!(d.status, Status::Processing | Status::Processed) {
            let fields = vec![
                input("file", &t("Tệp kết quả điện tử (PDF)", "Electronic result (PDF)"), "file", true),
                Input { name: "purpose", label: String::new(), kind: "hidden", value: "result".into(), required: false, options: vec![] },
            ];
            f.push(ActionForm {
                action: "upload",
                title: t("Tải lên kết quả", "Upload the result"),
                button: t("Tải lên", "Upload"),
                task: None,
                upload: true,
                fields,
            });
        }
        if d.status == Status::Processed {
            let methods = vec![
                ("in_person".into(), t("Trực tiếp", "In person")),
                ("post".into(), t("Bưu chính", "By post")),
                ("electronic".into(), t("Điện tử", "Electronic")),
            ];
            f.push(simple(
                "return",
                t("Trả kết quả", "Return the result"),
                t("Trả kết quả", "Return"),
                vec![select("method", &t("Hình thức trả", "How"), methods)],
            ));
        }
    }
    // The last step of an internal case is done by its role, not by the reception.
    if d.kind == "internal" && d.status == Status::Processed && tasks.iter().any(|x| x.status == "open" && may_act(p, x)) {
        let methods =
            vec![("in_person".into(), t("Hoàn thành", "Complete")), ("electronic".into(), t("Phát hành điện tử", "Issue electronically"))];
        f.push(simple(
            "return",
            t("Kết thúc quy trình", "Finish the process"),
            t("Kết thúc", "Finish"),
            vec![select("method", &t("Hình thức", "How"), methods)],
        ));
    }
    // Heads of department hand out the open tasks of their agency.
    for task in
        tasks.iter().filter(|x| x.status == "open" && x.kind != "consult" && p.allows(Permission::DossierReview, Some(&x.agency_id)))
    {
        let people = o.holders(&task.agency_id, &task.role).await?;
        if !people.is_empty() {
            f.push(ActionForm {
                action: "assign",
                title: format!("{}: {}", t("Giao việc", "Assign"), task.step_name),
                button: t("Giao", "Assign"),
                task: Some((task.id.clone(), task.version)),
                upload: false,
                fields: vec![select("assignee", &t("Cán bộ", "Official"), people)],
            });
        }
    }
    // The current step's tasks.
    let def = o.process_by_id(&row.process_id).await?;
    for task in tasks.iter().filter(|x| x.status == "open" && may_act(p, x) && x.kind != "return" && x.kind != "payment") {
        if task.assignee_id.is_none() {
            f.push(ActionForm {
                action: "claim",
                title: format!("{}: {}", t("Nhận việc", "Take the task"), task.step_name),
                button: t("Nhận việc", "Take it"),
                task: Some((task.id.clone(), task.version)),
                upload: false,
                fields: vec![],
            });
        }
        let outcomes: Vec<(String, String)> = if task.kind == "consult" {
            vec![("done".into(), t("Đã cho ý kiến", "Answered"))]
        } else {
            def.outcomes(&task.step_id).into_iter().map(|x| (x.to_owned(), outcome_label(x, en))).collect()
        };
        f.push(ActionForm {
            action: "complete",
            title: format!("{}: {}", t("Hoàn thành bước", "Complete the step"), task.step_name),
            button: t("Chuyển tiếp", "Send on"),
            task: Some((task.id.clone(), task.version)),
            upload: false,
            fields: vec![select("outcome", &t("Kết quả", "Outcome"), outcomes), input("note", &t("Ý kiến", "Opinion"), "textarea", false)],
        });
        if def.previous(&task.step_id).is_some() && def.step(&task.step_id).is_some_and(|s| s.kind != StepKind::Consult) {
            f.push(ActionForm {
                action: "send_back",
                title: t("Trả lại bước trước", "Send back"),
                button: t("Trả lại", "Send back"),
                task: Some((task.id.clone(), task.version)),
                upload: false,
                fields: vec![reason(t("Lý do", "Reason"))],
            });
        }
        if d.status == Status::Processing && !at(Permission::DossierReceive) {
            f.push(simple(
                "supplement_request",
                t("Yêu cầu bổ sung", "Ask for a supplement"),
                t("Gửi yêu cầu", "Send"),
                vec![input("items", &t("Nội dung cần bổ sung (mỗi dòng một mục)", "What is missing (one per line)"), "textarea", true)],
            ));
        }
    }
    if Action::Apology.allowed(d.status) && (at(Permission::DossierProcess) || at(Permission::DossierReceive)) {
        f.push(simple(
            "apology",
            t("Xin lỗi và hẹn lại ngày trả (trước ngày hẹn)", "Apologise with a new date (before the due date)"),
            t("Đề xuất", "Propose"),
            vec![reason(t("Lý do chậm", "Why late")), input("new_due_on", &t("Ngày hẹn mới", "New date"), "date", true)],
        ));
    }
    if at(Permission::DossierApprove) && Action::Apology.allowed(d.status) {
        for a in o.apologies(p, &d.id).await?.into_iter().filter(|a| a.status == "proposed") {
            let fields = vec![Input {
                name: "apology",
                label: String::new(),
                kind: "hidden",
                value: a.id.clone(),
                required: false,
                options: vec![],
            }];
            let title = format!(
                "{} {}: {}",
                t("Duyệt thư xin lỗi, hẹn lại ngày", "Approve the apology, new date"),
                date(&Some(a.new_due_on.clone())),
                a.reason
            );
            f.push(simple("approve_apology", title, t("Duyệt", "Approve"), fields));
        }
    }
    if Action::Stop.allowed(d.status) && at(Permission::DossierApprove) {
        f.push(simple("stop", t("Dừng xử lý", "Stop processing"), t("Dừng", "Stop"), vec![reason(t("Lý do", "Reasons"))]));
    }
    Ok(f)
}

pub(super) fn outcome_label(o: &str, en: bool) -> String {
    let (vi, e) = match o {
        "done" => ("Hoàn thành, chuyển bước sau", "Done, next step"),
        "approved" => ("Phê duyệt", "Approve"),
        "rejected" => ("Không duyệt, trả lại", "Reject, send back"),
        "returned" => ("Trả lại để làm lại", "Return for rework"),
        other => (other, other),
    };
    if en { e.to_owned() } else { vi.to_owned() }
}

pub(super) async fn dossier(
    State(o): State<Onestop>,
    shell: Shell,
    caller: Caller,
    Path(id): Path<String>,
    web::Query(m): web::Query<Msg>,
) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/dossiers/{id}")) };
    let run = async {
        let row = o.dossier(&p, &id).await?;
        let tasks = o.tasks_of(&p, &id).await?;
        let history = o.history(&p, &id).await?;
        let attachments = o.attachments(&p, &id).await?;
        let en = shell.lang.is_en();
        let forms = forms_for(&o, &p, &row, &tasks, en).await?;
        let rating = o.rating(&p, &id).await?;
        let def = o.process_by_id(&row.process_id).await?;
        let step_name =
            row.d.current_step.as_deref().filter(|_| !row.d.status.is_final()).and_then(|s| def.step(s)).map(|s| s.name.clone());
        // The labels of the form's fields: the procedure's e-form, or the internal process's.
        let titles: HashMap<String, String> = if row.d.kind == "internal" {
            let fields = crate::service::internal::template(&row.d.procedure_code).map(|t| t.fields).unwrap_or_default();
            fields.into_iter().map(|f| (f.key, f.label)).collect()
        } else {
            let pv = o.catalog.procedure_version_by_id(&row.procedure_version_id).await?;
            pv.eform
                .as_ref()
                .and_then(|s| s["properties"].as_object())
                .map(|props| props.iter().map(|(k, v)| (k.clone(), v["title"].as_str().unwrap_or(k).to_owned())).collect())
                .unwrap_or_default()
        };
        let form_fields = row
            .d
            .form
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (titles.get(k).cloned().unwrap_or_else(|| k.clone()), shown(v))).collect())
            .unwrap_or_default();
        let mut papers = Vec::new();
        let t = |vi: &'static str, e: &'static str| if en { e } else { vi };
        if row.d.accepted_at.is_some() {
            papers.push(("receipt", t("Giấy tiếp nhận, hẹn trả", "Receipt")));
            papers.push(("control-sheet", t("Phiếu kiểm soát quá trình", "Control sheet")));
        }
        if history.iter().any(|h| h.action == "supplement_requested") {
            papers.push(("supplement-request", t("Phiếu yêu cầu bổ sung", "Supplement request")));
        }
        if row.d.status == Status::NotAccepted {
            papers.push(("refusal", t("Phiếu từ chối", "Refusal")));
        }
        if row.d.apology_count > 0 {
            papers.push(("apology", t("Phiếu xin lỗi, hẹn lại", "Apology")));
        }
        let missing = (row.d.status == Status::SupplementRequested)
            .then(|| history.iter().rev().find(|h| h.action == "supplement_requested"))
            .flatten()
            .map(|h| {
                let items = h.detail["items"].as_array().map(|a| a.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect());
                let items: Vec<String> = items.unwrap_or_default();
                // The reason is the items themselves when none was given.
                let reason = h.reason.clone().filter(|r| *r != items.join("; "));
                (items, reason)
            });
        let title = format!("{} {}", shell.t("Hồ sơ", "Dossier"), row.d.code.clone().unwrap_or_default());
        Ok::<_, kernel::Error>(render(&DossierPage {
            shell: shell.clone().titled(title, "dossiers"),
            d: row.d,
            step_name,
            csrf: caller.csrf.clone().unwrap_or_default(),
            papers,
            forms,
            form_fields,
            attachments,
            history,
            missing,
            rating,
            notice: m.ok,
            error: m.err,
        }))
    };
    run.await.unwrap_or_else(|e| web::page::error_page(shell, e))
}

/// A value of a dossier's form as a person reads it: text as it is, a list as its items.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "),
        _ => v.to_string(),
    }
}

/// The posted fields (urlencoded or multipart) and the uploaded file, if any.
pub(super) async fn fields(req: Request) -> Result<(HashMap<String, String>, Option<(String, String, Vec<u8>)>), String> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if ct.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &()).await.map_err(|e| e.to_string())?;
        let (mut map, mut file) = (HashMap::new(), None);
        while let Some(field) = mp.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or("").to_owned();
            if name == "file" {
                let fname = field.file_name().unwrap_or("file").to_owned();
                let ctype = field.content_type().unwrap_or("application/octet-stream").to_owned();
                let bytes = field.bytes().await.map_err(|e| e.to_string())?;
                if !bytes.is_empty() {
                    file = Some((fname, ctype, bytes.to_vec()));
                }
            } else {
                map.insert(name, field.text().await.map_err(|e| e.to_string())?);
            }
        }
        Ok((map, file))
    } else {
        let Form(map) = Form::<HashMap<String, String>>::from_request(req, &()).await.map_err(|e| e.to_string())?;
        Ok((map, None))
    }
}

pub(super) async fn act(State(o): State<Onestop>, caller: Caller, Path(id): Path<String>, req: Request) -> Response {
    let Some(p) = caller.principal.clone() else { return sign_in(&format!("/dossiers/{id}")) };
    let back = |q: String| Redirect::to(&format!("/dossiers/{id}?{q}")).into_response();
    let (f, file) = match fields(req).await {
        Ok(x) => x,
        Err(e) => return back(format!("err={}", enc(&e))),
    };
    if !caller.csrf_ok(f.get("_csrf").map(String::as_str).unwrap_or("")) {
        return (axum::http::StatusCode::FORBIDDEN, "anti-forgery token mismatch").into_response();
    }
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let version = get("version").parse().unwrap_or(-1);
    let task_version = get("task_version").parse().unwrap_or(-1);
    let reasoned = || Reasoned { version, reason: get("reason") };
    let result: kernel::Result<&str> = match get("action").as_str() {
        "accept" => o.accept(&p, &id, &Versioned { version }).await.map(|_| "Đã tiếp nhận, cấp mã hồ sơ."),
        "refuse" => o.refuse(&p, &id, &reasoned()).await.map(|_| "Đã từ chối tiếp nhận."),
        "supplement_request" => {
            let items = get("items").lines().map(str::to_owned).collect();
            o.request_supplement(&p, &id, &SupplementRequest { version, items, reason: None }).await.map(|_| "Đã gửi yêu cầu bổ sung.")
        }
        "supplement" => o
            .supplement(&p, &id, &SupplementInput { version, note: Some(get("note")).filter(|s| !s.is_empty()) })
            .await
            .map(|_| "Đã nộp bổ sung."),
        "upload" => match file {
            None => Err(kernel::Error::invalid("file", "chọn tệp (choose a file)")),
            Some((name, ct, bytes)) => {
                let doc = Some(get("document")).filter(|s| !s.is_empty());
                o.attach(&p, &id, &get("purpose"), doc.as_deref(), &name, &ct, &bytes).await.map(|_| "Đã tải lên.")
            }
        },
        "approve_apology" => {
            o.approve_apology(&p, &get("apology")).await.map(|_| "Đã duyệt thư xin lỗi; ngày hẹn mới đã báo cho người nộp.")
        }
        "assign" => o
            .assign(&p, &get("task"), &crate::service::tasks::Assign { version: task_version, assignee_id: get("assignee") })
            .await
            .map(|_| "Đã giao việc."),
        "claim" => o.claim(&p, &get("task"), &TaskVersion { version: task_version }).await.map(|_| "Đã nhận việc."),
        "complete" => o
            .complete(
                &p,
                &get("task"),
                &Complete { version: task_version, outcome: get("outcome"), note: Some(get("note")).filter(|s| !s.is_empty()) },
            )
            .await
            .map(|_| "Đã chuyển tiếp."),
        "send_back" => o
            .send_back(&p, &get("task"), &SendBack { version: task_version, reason: get("reason") })
            .await
            .map(|_| "Đã trả lại bước trước."),
        "rate" => o
            .rate(
                &p,
                &id,
                &crate::service::ratings::RatingInput { score: get("score").parse().unwrap_or(0), comment: Some(get("comment")) },
            )
            .await
            .map(|_| "Cảm ơn bạn đã đánh giá."),
        "pay" => o
            .pay(&p, &id, &Payment { version, amount: get("amount").parse().unwrap_or(-1), method: get("method"), reference: None })
            .await
            .map(|_| "Đã ghi nhận thanh toán."),
        "withdraw" => o.withdraw(&p, &id, &reasoned()).await.map(|_| "Đã rút hồ sơ."),
        "stop" => o.stop(&p, &id, &reasoned()).await.map(|_| "Đã dừng xử lý."),
        "return" => o.return_result(&p, &id, &ReturnInput { version, method: get("method"), note: None }).await.map(|_| "Đã trả kết quả."),
        "apology" => o
            .propose_apology(&p, &id, &ApologyInput { version, reason: get("reason"), new_due_on: get("new_due_on") })
            .await
            .map(|_| "Đã đề xuất thư xin lỗi; chờ lãnh đạo duyệt."),
        _ => Err(kernel::Error::BadRequest("unknown action".into())),
    };
    match result {
        Ok(msg) => back(format!("ok={}", enc(msg))),
        Err(e) => back(format!("err={}", enc(&web::Problem::from(e).detail.unwrap_or_default()))),
    }
}
