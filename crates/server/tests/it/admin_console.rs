//! The administration console's catalog pages, driven as a browser would post them: agencies,
//! a procedure's new version (documents, fees, e-form), holidays and the working week. Bad
//! input comes back as 422 with the problems named and nothing stored.

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use testkit::{Session, TestApp, storage_test};

async fn province_admin(app: &TestApp) -> Session {
    let code = identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    app.session("quantri.tinh", DEMO_PASSWORD, Some(&code)).await
}

storage_test!(demo the_console_lists_what_each_administrator_may_manage, async |app: &TestApp| {
    let admin = province_admin(app).await;
    let home = app.get_as(&admin, "/admin").await;
    assert_eq!(home.status, 200);
    for link in ["/admin/agencies", "/admin/procedures", "/admin/calendar", "/admin/clients"] {
        assert!(home.text.contains(&format!("href=\"{link}\"")), "{link} offered");
    }
    assert!(home.text.contains("href=\"/admin\""), "the navigation shows the console");
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&citizen, "/admin").await.status, 403);
    assert!(!app.get_as(&citizen, "/").await.text.contains("href=\"/admin\""), "no console link for citizens");
    assert_eq!(app.get_as(&citizen, "/admin/agencies").await.status, 403);
    let anon = app.raw(app.http.get(app.url("/admin/calendar"))).await;
    assert_eq!(anon.status, 303, "sign in first");
});

storage_test!(demo an_agency_is_added_and_edited_on_its_page, async |app: &TestApp| {
    let admin = province_admin(app).await;
    let bad = app
        .form_as(&admin, "/admin/agencies", &[("code", "not-a-code"), ("name", ""), ("level", "department"), ("active", "true")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("role=\"alert\"") && bad.text.contains("code:"), "{}", bad.text);
    assert_eq!(app.get("/api/agencies/not-a-code").await.status.as_u16() / 100, 4);
    // A form posted without the session's anti-forgery token (another site's page) is refused.
    let forged = app
        .raw(app.http.post(app.url("/admin/agencies")).header("cookie", &admin.cookie).form(&[("code", "000.00.78.H99"), ("name", "Giả mạo"), ("level", "department")]))
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.get("/api/agencies/000.00.78.H99").await.status, 404, "nothing stored");
    let ok = app
        .form_as(
            &admin,
            "/admin/agencies",
            &[("code", "000.00.77.H99"), ("name", "Sở Thử nghiệm"), ("level", "department"), ("parent_code", "000.00.00.H99"), ("active", "true")],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let a = app.get("/api/agencies/000.00.77.H99").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["name"], "Sở Thử nghiệm");
    let edit = app.get_as(&admin, "/admin/agencies?edit=000.00.77.H99").await;
    assert!(edit.text.contains("value=\"Sở Thử nghiệm\""));
    let renamed = app
        .form_as(
            &admin,
            "/admin/agencies",
            &[("code", "000.00.77.H99"), ("name", "Sở Thử nghiệm mới"), ("level", "department"), ("editing", "true")],
        )
        .await;
    assert_eq!(renamed.status, 303);
    let a = app.get("/api/agencies/000.00.77.H99").await.json();
    assert_eq!(a["name"], "Sở Thử nghiệm mới");
    assert_eq!(a["active"], false, "the box was left unticked");
});

storage_test!(demo a_procedure_gets_a_new_version_from_its_page, async |app: &TestApp| {
    let admin = province_admin(app).await;
    let path = "/admin/procedures/2.000505";
    let page = app.get_as(&admin, path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("name=\"d.0.name\""), "documents as rows");
    let before = app.get("/api/procedures/2.000505").await.json();
    let v = before["version"].as_i64().unwrap();
    let base = [
        ("name", "Thủ tục thử nghiệm"),
        ("field_code", before["field_code"].as_str().unwrap()),
        ("level", "province"),
        ("online_level", "full"),
        ("processing_value", "5"),
        ("processing_unit", "working_days"),
        ("decision_number", "99/QĐ-UBND"),
        ("channels", "online"),
        ("channels", "in_person"),
        ("applicant_types", "citizen"),
        ("agency_codes", "000.00.13.H99"),
        ("d.0.code", "TP1"),
        ("d.0.name", "Tờ khai"),
        ("d.0.originals", "1"),
        ("d.0.mandatory", "true"),
        ("f.0.name", "Lệ phí"),
    ];
    // An amount that is not a number and an e-form that is not JSON: both named, nothing stored.
    let mut bad = base.to_vec();
    bad.extend([("f.0.amount", "năm mươi"), ("eform", "{\"type\": ")]);
    let r = app.form_as(&admin, path, &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("fees[0].amount") && r.text.contains("eform:"), "{}", r.text);
    assert!(r.text.contains("value=\"Thủ tục thử nghiệm\""), "what was typed stays");
    assert_eq!(app.get("/api/procedures/2.000505").await.json()["version"].as_i64(), Some(v));
    // The platform's own rules: an online procedure without the online channel.
    let mut rule = base.iter().filter(|x| *x != &("channels", "online")).cloned().collect::<Vec<_>>();
    rule.push(("f.0.amount", "50000"));
    let r = app.form_as(&admin, path, &rule).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("channels"), "{}", r.text);
    let mut good = base.to_vec();
    good.extend([("f.0.amount", "50000"), ("d.1.code", "TP2"), ("d.1.name", "Giấy tờ thêm"), ("d.1.copies", "1")]);
    let r = app.form_as(&admin, path, &good).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let after = app.get("/api/procedures/2.000505").await.json();
    assert_eq!(after["version"].as_i64(), Some(v + 1));
    assert_eq!(after["name"], "Thủ tục thử nghiệm");
    assert_eq!(after["documents"].as_array().unwrap().len(), 2);
    assert_eq!(after["fees"][0]["amount"], 50000);
});

storage_test!(demo holidays_and_the_working_week_are_kept_on_their_page, async |app: &TestApp| {
    let admin = province_admin(app).await;
    let r = app.form_as(&admin, "/admin/calendar", &[("date", "2026-13-40"), ("name", "Ngày sai"), ("kind", "off")]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let r = app.form_as(&admin, "/admin/calendar", &[("date", "2026-09-03"), ("name", "Nghỉ bù Quốc khánh"), ("kind", "off")]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let days = app.get("/api/holidays?year=2026").await.json();
    let list = days.as_array().cloned().unwrap_or_else(|| days["items"].as_array().cloned().unwrap_or_default());
    let added = list.iter().find(|d| d["date"] == "2026-09-03").cloned().expect("the day is stored");
    let id = added["id"].as_str().unwrap();
    let r = app.form_as(&admin, &format!("/admin/calendar/{id}/delete"), &[("year", "2026")]).await;
    assert_eq!(r.status, 303);
    let days = app.get("/api/holidays?year=2026").await.text;
    assert!(!days.contains("2026-09-03"), "removed");

    // The working week: a bad session is named, nothing changes; Saturday morning added.
    let week = [
        ("mon", "07:30-11:30, 13:30-17:00"),
        ("tue", "07:30-11:30, 13:30-17:00"),
        ("wed", "07:30-11:30, 13:30-17:00"),
        ("thu", "07:30-11:30, 13:30-17:00"),
        ("fri", "07:30-11:30, 13:30-17:00"),
        ("sun", ""),
    ];
    let mut bad = week.to_vec();
    bad.push(("sat", "11:30-07:30"));
    let r = app.form_as(&admin, "/admin/calendar/week", &bad).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("11:30-07:30"), "the bad session is named");
    let mut good = week.to_vec();
    good.push(("sat", "07:30-11:30"));
    assert_eq!(app.form_as(&admin, "/admin/calendar/week", &good).await.status, 303);
    let page = app.get_as(&admin, "/admin/calendar").await;
    assert!(page.text.contains("id=\"w-sat\" name=\"sat\" value=\"07:30-11:30\""), "Saturday morning kept");
});

storage_test!(demo registry_records_are_entered_changed_and_deleted_by_hand, async |app: &TestApp| {
    let define = serde_json::json!({
        "name": "co-so-luu-tru", "version": "1", "title": "Cơ sở lưu trú du lịch",
        "schema": {"type": "object", "required": ["ma", "ten"], "properties": {
            "ma": {"type": "string", "title": "Mã cơ sở"}, "ten": {"type": "string", "title": "Tên cơ sở", "minLength": 2},
            "so_phong": {"type": "integer", "title": "Số phòng", "minimum": 1},
            "hang": {"type": "string", "title": "Hạng", "enum": ["1 sao", "2 sao", "3 sao"]},
            "dang_hoat_dong": {"type": "boolean", "title": "Đang hoạt động"},
            "ngay_cap_phep": {"type": "string", "format": "date", "title": "Ngày cấp phép"},
            "chu_so_huu": {"type": "string", "title": "Số định danh chủ sở hữu"}}},
        "id_field": "ma", "personal_field": "chu_so_huu"
    });
    assert_eq!(app.post("/api/registries", &define).await.status, 201);
    let admin = province_admin(app).await;
    let base = "/admin/registries/co-so-luu-tru/1";
    let read = |key: &str| {
        let body = serde_json::json!({"query": {"content": {"ma": key}}});
        async move { app.post("/data/co-so-luu-tru/1/read", &body).await }
    };
    let count = || async { app.get_admin("/data/co-so-luu-tru/1").await.json()["count"].as_i64().unwrap_or(-1) };

    let home = app.get_as(&admin, "/admin").await;
    assert!(home.text.contains("href=\"/admin/registries\""));
    let list = app.get_as(&admin, "/admin/registries").await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains(&format!("href=\"{base}\"")) && list.text.contains("Cơ sở lưu trú du lịch"));
    let page = app.get_as(&admin, base).await;
    assert_eq!(page.status, 200);
    for label in ["Mã cơ sở", "Số phòng", "Đang hoạt động"] {
        assert!(page.text.contains(label), "the form has {label}");
    }
    assert!(page.text.contains("type=\"date\"") && page.text.contains("<option>2 sao</option>"));

    // Bad input: 422 with the problems, the form kept, nothing stored.
    for (fields, problem) in [
        (vec![("f.ma", "KS-01"), ("f.ten", "")], "ten"),
        (vec![("f.ma", "KS-01"), ("f.ten", "Khách sạn Sông Hậu"), ("f.so_phong", "mười")], "so_phong"),
        (vec![("f.ma", "KS-01"), ("f.ten", "Khách sạn Sông Hậu"), ("f.so_phong", "0")], "so_phong"),
        (vec![("f.ma", "KS-01"), ("f.ten", "Khách sạn Sông Hậu"), ("f.hang", "9 sao")], "hang"),
    ] {
        let r = app.form_as(&admin, base, &fields).await;
        assert_eq!(r.status, 422, "{fields:?}");
        assert!(r.text.contains("role=\"alert\"") && r.text.contains(problem), "{problem}: {}", r.text);
        assert!(r.text.contains("value=\"KS-01\""), "the form is kept");
    }
    assert_eq!(count().await, 0);

    // A good record: stored with the schema's types, in the access log under the administrator.
    let good = [
        ("f.ma", "KS-01"),
        ("f.ten", "Khách sạn Sông Hậu"),
        ("f.so_phong", "24"),
        ("f.hang", "2 sao"),
        ("f.dang_hoat_dong", "true"),
        ("f.ngay_cap_phep", "2024-03-15"),
        ("f.chu_so_huu", "001090012345"),
    ];
    let r = app.form_as(&admin, base, &good).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let back = app.get_as(&admin, r.header("location").unwrap()).await;
    assert!(back.text.contains("KS-01") && back.text.contains("role=\"status\""));
    let stored = read("KS-01").await.json()["content"].clone();
    assert_eq!(stored["so_phong"], 24);
    assert_eq!(stored["dang_hoat_dong"], true);
    assert_eq!(stored["ngay_cap_phep"], "2024-03-15");
    let writers = kernel::db::q("SELECT client FROM registry_access_log WHERE action = 'create'").fetch_all(&app.app.db).await.unwrap();
    assert!(writers.iter().all(|r| r.text("client").unwrap().starts_with("user:")) && writers.len() == 1);
    // The same key again: refused, nothing more stored.
    let r = app.form_as(&admin, base, &good).await;
    assert_eq!(r.status, 422);
    assert_eq!(count().await, 1);
    let other = [("f.ma", "KS-02"), ("f.ten", "Nhà nghỉ Bến Tre")];
    assert_eq!(app.form_as(&admin, base, &other).await.status, 303);
    // Search narrows the table.
    let found = app.get_as(&admin, &format!("{base}?q=Sông")).await;
    assert!(found.text.contains("KS-01") && !found.text.contains("KS-02"), "search");

    // Its page shows it in the form; saving replaces it as a whole (an emptied field goes away,
    // the key may change); a key another record has is refused and changes nothing.
    let rec = app.get_as(&admin, &format!("{base}/records/KS-01")).await;
    assert_eq!(rec.status, 200);
    assert!(rec.text.contains("value=\"Khách sạn Sông Hậu\"") && rec.text.contains("value=\"24\""));
    let taken = [("f.ma", "KS-02"), ("f.ten", "Khách sạn Sông Hậu")];
    let r = app.form_as(&admin, &format!("{base}/records/KS-01"), &taken).await;
    assert_eq!(r.status, 422);
    assert_eq!(read("KS-01").await.json()["content"]["so_phong"], 24);
    let changed = [("f.ma", "KS-01A"), ("f.ten", "Khách sạn Sông Hậu 2"), ("f.so_phong", ""), ("f.hang", "3 sao")];
    let r = app.form_as(&admin, &format!("{base}/records/KS-01"), &changed).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location").map(|l| l.starts_with(&format!("{base}/records/KS-01A"))), Some(true));
    assert_eq!(read("KS-01").await.status, 404);
    let now = read("KS-01A").await.json()["content"].clone();
    assert_eq!((now["ten"].as_str(), now["hang"].as_str()), (Some("Khách sạn Sông Hậu 2"), Some("3 sao")));
    assert!(now.get("so_phong").is_none() && now.get("dang_hoat_dong").is_none(), "{now}");
    assert_eq!(app.get_as(&admin, &format!("{base}/records/KHONG-CO")).await.status, 404);

    // Deleted from its page.
    let r = app.form_as(&admin, &format!("{base}/records/KS-01A/delete"), &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(read("KS-01A").await.status, 404);
    assert_eq!(count().await, 1);

    // Citizens, forged forms and strangers get nothing.
    let citizen = app.session("001090012345", DEMO_PASSWORD, None).await;
    assert_eq!(app.get_as(&citizen, base).await.status, 403);
    assert_eq!(app.form_as(&citizen, base, &good).await.status, 403);
    let forged = app.raw(app.http.post(app.url(base)).header("cookie", &admin.cookie).form(&good)).await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.raw(app.http.get(app.url("/admin/registries"))).await.status, 303);
    assert_eq!(count().await, 1);
    assert_eq!(app.get_as(&admin, "/admin/registries/khong-co/1").await.status, 404);
});
