//! The pages of document management, on SQLite and PostgreSQL, driven as a browser drives
//! them (forms posted with the session's anti-forgery token, redirects read): who may open
//! them, what each shows, forms with problems, forged forms, and a letter carried from draft to
//! done with every status back at the sender.

use crate::common::*;
use identity::seed::DEMO_PASSWORD;
use testkit::{TestApp, storage_test};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\nrest-of-image";

async fn multipart_as(
    app: &TestApp,
    s: &testkit::Session,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> testkit::Answer {
    multipart(app, s, path, fields, files, &s.csrf).await
}

/// The text of the problem shown beside field `id` of a form page.
fn field_error(html: &str, id: &str) -> String {
    let start = format!("id=\"{id}-err\">");
    let at = html.find(&start).unwrap_or_else(|| panic!("no error place for {id}")) + start.len();
    html[at..].split("</p>").next().unwrap_or_default().trim().to_owned()
}

/// The id of the document a list links with `subject`.
fn linked(html: &str, subject: &str) -> String {
    let end = html.find(&format!("\">{subject}</a>")).unwrap_or_else(|| panic!("no link to «{subject}»"));
    let start = html[..end].rfind("href=\"/documents/").expect("a document link") + "href=\"/documents/".len();
    html[start..end].to_owned()
}

/// The account id in the assignment form's role select for `name`.
fn handler_id(html: &str, name: &str) -> String {
    let at = html.find(&format!(">{name}</label>")).unwrap_or_else(|| panic!("{name} is not offered"));
    let from = at + html[at..].find("name=\"role.").expect("a role select") + "name=\"role.".len();
    html[from..].split('"').next().unwrap_or_default().to_owned()
}

/// Posts a step of a document's page with the version its forms carry; the redirect's target.
async fn step(app: &TestApp, s: &testkit::Session, id: &str, fields: &[(&str, &str)]) -> String {
    let page = app.get_as(s, &format!("/documents/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let version = page_version(&page.text);
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    let r = app.form_as(s, &format!("/documents/{id}/act"), &all).await;
    assert_eq!(r.status, 303, "{}", r.text);
    location(&r)
}

storage_test!(demo only_officials_open_the_pages_and_each_role_sees_its_work, async |app: &TestApp| {
    for path in ["/documents", "/documents/inbox", "/documents/incoming/new", "/documents/outgoing/new", "/documents/x/files/y"] {
        let r = app.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        assert!(location(&r).starts_with("/login?next=%2Fdocuments"), "{path}: {}", location(&r));
    }
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    let r = app.get_as(&citizen, "/documents").await;
    assert_eq!(r.status, 403);
    assert!(r.text.contains("dành cho cán bộ"), "{}", r.text);
    assert!(!r.text.contains("href=\"/documents\""), "no documents link for citizens");

    let clerk = official(app, "vanthu.stp").await;
    let r = app.get_as(&clerk, "/documents").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.text.contains("href=\"/documents\" aria-current=\"page\""), "the navigation link, current");
    assert!(r.text.contains("href=\"/documents/incoming/new\"") && r.text.contains("href=\"/documents/outgoing/new\""));
    assert!(r.text.contains("/documents/export?direction=incoming&amp;year="));
    let inbox = app.get_as(&clerk, "/documents/inbox").await.text;
    assert!(inbox.contains("Chờ vào sổ") && inbox.contains("Chờ phát hành") && !inbox.contains("Chờ ký"), "{inbox}");

    let specialist = official(app, "chuyenvien.stp").await;
    assert_eq!(app.get_as(&specialist, "/documents/incoming/new").await.status, 403, "only clerks register");
    let list = app.get_as(&specialist, "/documents?direction=outgoing").await.text;
    assert!(!list.contains("href=\"/documents/incoming/new\"") && list.contains("href=\"/documents/outgoing/new\""));
    let form = app.get_as(&specialist, "/documents/outgoing/new").await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains(&format!("value=\"{PTA}\"")), "the ward is a recipient");
    assert!(!form.text.contains(&format!("value=\"{STP}\"")), "not the drafter's own agency");
    let inbox = app.get_as(&specialist, "/documents/inbox").await.text;
    assert!(inbox.contains("Văn bản được giao cho tôi") && !inbox.contains("Chờ phân công") && !inbox.contains("Chờ vào sổ"));

    let leader = official(app, "lanhdao.stp").await;
    let inbox = app.get_as(&leader, "/documents/inbox").await.text;
    assert!(inbox.contains("Chờ phân công") && inbox.contains("Chờ ký") && !inbox.contains("Chờ phát hành"), "{inbox}");
    // English through the language switch.
    let en = app.get_as(&leader, "/documents/inbox?lang=en").await.text;
    assert!(en.contains("Awaiting my signature") && en.contains(">Documents</a>"));
});

storage_test!(demo an_incoming_document_typed_in_is_numbered_listed_and_found_without_marks, async |app: &TestApp| {
    let year = kernel::time::today_vn().year();
    let clerk = official(app, "vanthu.stp").await;
    let fields = [
        ("kind", "23"),
        ("sender_name", "UBND huyện Đông Hải"),
        ("code_number", "15"),
        ("code_notation", "GM-UBND"),
        ("promulgation_date", "2026-11-20"),
        ("subject", "Giấy mời họp tổng kết công tác năm"),
        ("priority", "1"),
        ("due_date", "2030-01-10"),
    ];
    let r = multipart_as(app, &clerk, "/documents/incoming/new", &fields, &[("file", "giaymoi.pdf", "application/pdf", PDF)]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert!(location(&r).ends_with("?ok=registered"));
    let id = document_in(&r);
    let page = app.get_as(&clerk, &location(&r)).await.text;
    for shown in ["Đã vào sổ văn bản đến.", "Giấy mời họp tổng kết công tác năm", &format!("1/{year} — Sổ văn bản đến"), "15/GM-UBND", "Khẩn", "10/01/2030", "giaymoi.pdf"] {
        assert!(page.contains(shown), "{shown} is shown");
    }
    let link = format!("/documents/{id}/files/");
    let at = page.find(&link).expect("a download link");
    let file_path = page[at..].split('"').next().unwrap().to_owned();
    assert_eq!(app.get_bytes_as(&clerk, &file_path).await, (reqwest::StatusCode::OK, PDF.to_vec()));

    let found = app.get_as(&clerk, "/documents?direction=incoming&q=giay%20moi%20tong%20ket").await.text;
    assert!(found.contains(">1 văn bản") && linked(&found, "Giấy mời họp tổng kết công tác năm") == id, "{found}");
    let none = app.get_as(&clerk, "/documents?direction=incoming&q=dat%20dai").await.text;
    assert!(none.contains(">0 văn bản") && none.contains("Không có văn bản nào."));
    // Twenty a page, newest first: the first one registered moves to page 2.
    for i in 0..20 {
        let body = serde_json::json!({"kind": 1, "subject": format!("Công văn số {i}"), "sender_name": "Sở Nội vụ"});
        ok(app, &clerk, "/api/docflow/documents/incoming", body).await;
    }
    let first = app.get_as(&clerk, "/documents?direction=incoming").await.text;
    assert!(first.contains("21 văn bản · trang 1/2") && !first.contains("Giấy mời họp tổng kết"), "{first}");
    assert!(first.contains("href=\"/documents?direction=incoming&#38;page=2\" rel=\"next\""), "a link to page 2");
    let second = app.get_as(&clerk, "/documents?direction=incoming&page=2").await.text;
    assert_eq!(linked(&second, "Giấy mời họp tổng kết công tác năm"), id);
    let (status, xlsx) = app.get_bytes_as(&clerk, &format!("/documents/export?direction=incoming&year={year}")).await;
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK"), "an xlsx is a zip");

    // Another agency's clerk neither lists, opens, nor downloads it.
    let other = official(app, "vanthu.pta").await;
    assert!(!app.get_as(&other, "/documents?direction=incoming").await.text.contains("Giấy mời họp tổng kết"));
    assert_eq!(app.get_as(&other, &format!("/documents/{id}")).await.status, 404);
    assert_eq!(app.get_bytes_as(&other, &file_path).await.0, 404);
});

storage_test!(demo a_form_with_problems_names_each_beside_its_field_and_stores_nothing, async |app: &TestApp| {
    let clerk = official(app, "vanthu.stp").await;
    let typed = [("kind", "15"), ("sender_name", " "), ("subject", "Báo cáo tình hình đất đai"), ("promulgation_date", "20/11/2026")];
    let r = multipart_as(app, &clerk, "/documents/incoming/new", &typed, &[]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(!field_error(&r.text, "sender_name").is_empty());
    assert!(!field_error(&r.text, "promulgation_date").is_empty());
    assert!(field_error(&r.text, "subject").is_empty());
    assert!(r.text.contains(">Báo cáo tình hình đất đai</textarea>"), "what was typed is kept");
    assert!(r.text.contains("value=\"20/11/2026\""));
    assert!(r.text.contains("<option value=\"15\" selected>"), "the kind chosen is kept");
    // A file that is not what it says is refused before anything is stored.
    let good = [("kind", "15"), ("sender_name", "UBND xã Đông Hải"), ("subject", "Báo cáo tình hình đất đai")];
    let r = multipart_as(app, &clerk, "/documents/incoming/new", &good, &[("file", "baocao.pdf", "application/pdf", b"MZ not a pdf")]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(field_error(&r.text, "file").contains("baocao.pdf"));
    assert_eq!(app.get_as(&clerk, "/api/docflow/documents").await.json()["total"], 0, "nothing stored");

    let specialist = official(app, "chuyenvien.stp").await;
    let typed = [("kind", "1"), ("subject", "  "), ("recipients", PTA), ("due_date", "ngày mai")];
    let r = multipart_as(app, &specialist, "/documents/outgoing/new", &typed, &[]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(!field_error(&r.text, "subject").is_empty() && !field_error(&r.text, "due_date").is_empty());
    assert!(r.text.contains(&format!("value=\"{PTA}\" checked")), "the recipient chosen is kept");
    assert_eq!(app.get_as(&specialist, "/api/docflow/documents").await.json()["total"], 0, "nothing stored");
});

storage_test!(demo a_forged_form_is_refused_and_changes_nothing, async |app: &TestApp| {
    let clerk = official(app, "vanthu.stp").await;
    let fields = [("kind", "1"), ("sender_name", "Sở Nội vụ"), ("subject", "Công văn giả mạo")];
    let r = multipart(app, &clerk, "/documents/incoming/new", &fields, &[], "not-the-token").await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(app.get_as(&clerk, "/api/docflow/documents").await.json()["total"], 0);

    let drafter = official(app, "chuyenvien.stp").await;
    let d = ok(app, &drafter, "/api/docflow/documents/outgoing", serde_json::json!({"kind": 1, "subject": "Về việc thử", "recipients": [PTA]})).await;
    let id = d["id"].as_str().unwrap().to_owned();
    assert_eq!(upload(app, &drafter, &id, "main", "cv.pdf", "application/pdf", PDF).await.status, 201);
    let version = d["version"].to_string();
    let forged = app
        .raw(app.http.post(app.url(&format!("/documents/{id}/act"))).header("cookie", &drafter.cookie).form(&[("action", "submit"), ("version", &version)]))
        .await;
    assert_eq!(forged.status, 403);
    let after = view(app, &drafter, &id).await;
    assert_eq!(after["document"]["state"], "draft");
    assert_eq!(after["document"]["version"], d["version"]);
});

storage_test!(demo the_pages_carry_a_letter_from_draft_to_done_and_every_status_comes_back, async |app: &TestApp| {
    const SUBJECT: &str = "Về việc phối hợp rà soát thủ tục hành chính";
    let year = kernel::time::today_vn().year();
    let drafter = official(app, "chuyenvien.stp").await;
    let fields = [("kind", "1"), ("subject", SUBJECT), ("recipients", PTA), ("signer_position", "Giám đốc"), ("priority", "0")];
    let files: [(&str, &str, &str, &[u8]); 2] = [("file", "congvan.pdf", "application/pdf", PDF), ("attachments", "phuluc.png", "image/png", PNG)];
    let r = multipart_as(app, &drafter, "/documents/outgoing/new", &fields, &files).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let id = document_in(&r);
    let page = app.get_as(&drafter, &location(&r)).await.text;
    assert!(page.contains("Đã lưu dự thảo.") && page.contains("congvan.pdf") && page.contains("phuluc.png") && page.contains("value=\"submit\""));
    assert!(step(app, &drafter, &id, &[("action", "submit")]).await.ends_with("?ok=submit"));
    // The drafter is offered no approval; posting one anyway shows the service's refusal.
    let page = app.get_as(&drafter, &format!("/documents/{id}")).await.text;
    assert!(!page.contains("value=\"approve\""));
    let back = step(app, &drafter, &id, &[("action", "approve")]).await;
    assert!(back.contains("err=") && back.contains("form=approve"), "{back}");
    assert!(app.get_as(&drafter, &back).await.text.contains("chỉ lãnh đạo cơ quan ký duyệt"));

    // The leader signs; a stale version is refused with a readable message first.
    let leader = official(app, "lanhdao.stp").await;
    assert!(linked(&app.get_as(&leader, "/documents/inbox").await.text, SUBJECT) == id);
    let page = app.get_as(&leader, &format!("/documents/{id}")).await.text;
    let stale = (page_version(&page).parse::<i64>().unwrap() - 1).to_string();
    let r = app.form_as(&leader, &format!("/documents/{id}/act"), &[("action", "approve"), ("version", &stale)]).await;
    let shown = app.get_as(&leader, &location(&r)).await;
    assert_eq!(shown.status, 200);
    assert!(shown.text.contains("vừa được người khác thay đổi"), "{}", shown.text);
    assert!(step(app, &leader, &id, &[("action", "approve")]).await.ends_with("?ok=approve"));

    // The clerk issues: the number is shown.
    let clerk = official(app, "vanthu.stp").await;
    assert!(app.get_as(&clerk, "/documents/inbox").await.text.contains(SUBJECT));
    assert!(step(app, &clerk, &id, &[("action", "issue")]).await.ends_with("?ok=issue"));
    let d = view(app, &clerk, &id).await["document"].clone();
    let number = format!("{}/{}", d["code_number"].as_str().unwrap(), d["code_notation"].as_str().unwrap());
    let page = app.get_as(&clerk, &format!("/documents/{id}")).await.text;
    assert!(page.contains(&number) && page.contains("Đã phát hành"), "{number}");

    // The ward's clerk finds it arrived and registers it.
    let ward_clerk = official(app, "vanthu.pta").await;
    until(app, "the letter arrives at the ward", async || app.get_as(&ward_clerk, "/documents/inbox").await.text.contains(SUBJECT)).await;
    assert!(app.get_as(&ward_clerk, "/documents").await.text.contains("<strong>1</strong> văn bản mới đến"));
    let inc = linked(&app.get_as(&ward_clerk, "/documents/inbox").await.text, SUBJECT);
    assert!(step(app, &ward_clerk, &inc, &[("action", "accept")]).await.ends_with("?ok=accept"));
    assert!(app.get_as(&ward_clerk, &format!("/documents/{inc}")).await.text.contains(&format!("1/{year} — Sổ văn bản đến")));
    assert_eq!(app.get_as(&clerk, &format!("/documents/{inc}")).await.status, 404, "not the department's document");

    // The ward's leader assigns it to the specialist with a deadline.
    let ward_leader = official(app, "lanhdao.pta").await;
    let page = app.get_as(&ward_leader, &format!("/documents/{inc}")).await.text;
    let handler = format!("role.{}", handler_id(&page, "Đặng Thị Lý"));
    let done = step(app, &ward_leader, &inc, &[("action", "assign"), (&handler, "main"), ("deadline", "2030-01-15"), ("note", "Tham mưu trả lời")]).await;
    assert!(done.ends_with("?ok=assign"), "{done}");

    // The specialist sees it with its deadline, gives an opinion and completes it.
    let ward_specialist = official(app, "chuyenvien.pta").await;
    let inbox = app.get_as(&ward_specialist, "/documents/inbox").await.text;
    assert!(inbox.contains(SUBJECT) && inbox.contains("15/01/2030"), "{inbox}");
    assert!(step(app, &ward_specialist, &inc, &[("action", "opinion"), ("note", "Đề xuất thực hiện")]).await.ends_with("?ok=opinion"));
    assert!(step(app, &ward_specialist, &inc, &[("action", "complete"), ("note", "Đã triển khai")]).await.ends_with("?ok=complete"));

    // Back at the department: recipient status 06 and every status in the history.
    until(app, "status 06 reaches the department", async || {
        app.get_as(&drafter, &format!("/documents/{id}")).await.text.contains(">06 — Hoàn thành</td>")
    })
    .await;
    let page = app.get_as(&drafter, &format!("/documents/{id}")).await.text;
    for code in ["01 — Đã đến", "03 — Đã tiếp nhận", "04 — Phân công", "05 — Đang xử lý", "06 — Hoàn thành"] {
        assert!(page.contains(&format!("{code} ({PTA})")), "{code} in the history");
    }
});
