//! The process editor page: the provincial administrator sees the process in force drawn as
//! SVG, gets every problem beside its row when a change is wrong (nothing stored), and saves a
//! valid change as a new version that new dossiers use.

use identity::seed::{DEMO_PASSWORD, DEMO_TOTP_SECRET};
use testkit::{Session, TestApp, storage_test};

async fn official(app: &TestApp, login: &str) -> Session {
    let code = identity::totp::code(DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    let needs = ["truongphong", "lanhdao", "quantri"].iter().any(|p| login.starts_with(p));
    app.session(login, DEMO_PASSWORD, needs.then_some(code.as_str())).await
}

/// The form fields of the editor for a definition, as the page would send them back.
fn fields(def: &serde_json::Value, version: i64) -> Vec<(String, String)> {
    let mut f = vec![("version".to_owned(), version.to_string()), ("start".into(), def["start"].as_str().unwrap().into())];
    for (i, s) in def["steps"].as_array().unwrap().iter().enumerate() {
        let agency = s["agency"]["type"].as_str().unwrap().to_owned();
        for (k, v) in [
            ("id", s["id"].as_str().unwrap().to_owned()),
            ("name", s["name"].as_str().unwrap().to_owned()),
            ("kind", s["kind"].as_str().unwrap().to_owned()),
            ("role", s["role"].as_str().unwrap().to_owned()),
            ("agency", agency),
            ("agency_code", s["agency"]["code"].as_str().unwrap_or_default().to_owned()),
            ("duration", s["duration"]["value"].to_string()),
            ("unit", s["duration"]["unit"].as_str().unwrap().to_owned()),
        ] {
            f.push((format!("s.{i}.{k}"), v));
        }
    }
    for (i, t) in def["transitions"].as_array().unwrap().iter().enumerate() {
        for k in ["from", "outcome", "to"] {
            f.push((format!("t.{i}.{k}"), t[k].as_str().unwrap().to_owned()));
        }
    }
    f
}

fn set(f: &mut [(String, String)], key: &str, value: &str) {
    f.iter_mut().find(|x| x.0 == key).unwrap_or_else(|| panic!("no field {key}")).1 = value.to_owned();
}

storage_test!(demo the_administrator_edits_a_process_on_its_page, async |app: &TestApp| {
    let admin = official(app, "quantri.tinh").await;
    let path = "/admin/procedures/2.000505/process";
    let page = app.get_as(&admin, path).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("<svg class=\"process\""), "the process is drawn");
    assert!(page.text.contains("marker-end"), "with arrows");
    let before = app.get_admin("/api/onestop/procedures/2.000505/process").await.json();
    let version = before["version"].as_i64().unwrap();
    let def = before["definition"].clone();

    // An official without catalog rights is refused.
    let clerk = official(app, "vanthu.stp").await;
    assert_eq!(app.get_as(&clerk, path).await.status, 403);

    // Two problems: a duration that is not a number, a transition to a step that does not exist.
    let mut f = fields(&def, version);
    set(&mut f, "s.1.duration", "bốn");
    set(&mut f, "t.0.to", "khong-co");
    let pairs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = app.form_as(&admin, path, &pairs).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("thời gian là một số"), "the duration's row says what is wrong");
    assert!(r.text.contains("value=\"bốn\""), "what was typed stays");
    // The number is fixed; the unknown step is now reported by the validation, on its row.
    set(&mut f, "s.1.duration", "4");
    let pairs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = app.form_as(&admin, path, &pairs).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.text.contains("không có bước «khong-co»"), "{}", r.text);
    let same = app.get_admin("/api/onestop/procedures/2.000505/process").await.json();
    assert_eq!(same["version"].as_i64(), Some(version), "nothing stored");

    // Without the session's anti-forgery token nothing is saved.
    let forged = app.raw(app.http.post(app.url(path)).header("cookie", &admin.cookie).form(&pairs)).await;
    assert_eq!(forged.status, 403);
    // A valid change: the specialist's step renamed; saved as the next version.
    let mut f = fields(&def, version);
    set(&mut f, "s.1.name", "Thẩm định hồ sơ (sửa)");
    let pairs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = app.form_as(&admin, path, &pairs).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.header("location"), Some(format!("{path}?saved={}", version + 1).as_str()));
    let after = app.get_admin("/api/onestop/procedures/2.000505/process").await.json();
    assert_eq!(after["version"].as_i64(), Some(version + 1));
    assert_eq!(after["definition"]["steps"][1]["name"], "Thẩm định hồ sơ (sửa)");
    // Sending the old version again is refused: someone else saved meanwhile.
    let r = app.form_as(&admin, path, &pairs).await;
    assert_eq!(r.status, 422);
    assert!(r.text.contains("phiên bản mới"), "{}", r.text);
});
