//! The wording of every message. Each template gives a subject and a plain-text body, in
//! Vietnamese or English; values come from the request (missing values are an error, so a
//! message never goes out with a hole in it).

use serde_json::{Map, Value};

/// Template names and their (vi subject, vi body, en subject, en body). `{name}` is replaced by
/// the request's value.
const TEMPLATES: &[(&str, [&str; 4])] = &[
    (
        "verify_email",
        [
            "Mã xác minh thư điện tử: {code}",
            "Xin chào {name},\n\nMã xác minh địa chỉ thư điện tử của bạn trên {site} là: {code}\nMã có hiệu lực trong {minutes} phút. Nếu bạn không yêu cầu, hãy bỏ qua thư này.\n",
            "Your e-mail verification code: {code}",
            "Hello {name},\n\nThe code to verify your e-mail address on {site} is: {code}\nIt is valid for {minutes} minutes. If you did not ask for it, ignore this message.\n",
        ],
    ),
    (
        "verify_phone",
        [
            "Mã xác minh",
            "{site}: ma xac minh so dien thoai cua ban la {code}, hieu luc {minutes} phut.",
            "Verification code",
            "{site}: your phone verification code is {code}, valid for {minutes} minutes.",
        ],
    ),
    (
        "password_reset",
        [
            "Đặt lại mật khẩu",
            "Xin chào {name},\n\nCó yêu cầu đặt lại mật khẩu cho tài khoản {login} trên {site}.\nMở liên kết sau trong {minutes} phút để đặt mật khẩu mới:\n{link}\n\nNếu bạn không yêu cầu, hãy bỏ qua thư này; mật khẩu hiện tại vẫn dùng được.\n",
            "Password reset",
            "Hello {name},\n\nSomeone asked to reset the password of account {login} on {site}.\nOpen this link within {minutes} minutes to choose a new password:\n{link}\n\nIf it was not you, ignore this message; your password stays as it is.\n",
        ],
    ),
    (
        "password_reset_sms",
        [
            "Đặt lại mật khẩu",
            "{site}: dat lai mat khau tai {link} (hieu luc {minutes} phut).",
            "Password reset",
            "{site}: reset your password at {link} (valid {minutes} minutes).",
        ],
    ),
    (
        "dossier_status",
        [
            "Hồ sơ {code}: {status}",
            "Xin chào {name},\n\nHồ sơ {code} ({procedure}) đã chuyển sang trạng thái: {status}.\n{note}\nTra cứu hồ sơ: {link}\n",
            "Dossier {code}: {status}",
            "Hello {name},\n\nDossier {code} ({procedure}) is now: {status}.\n{note}\nTrack it at: {link}\n",
        ],
    ),
    (
        "dossier_status_sms",
        [
            "Hồ sơ {code}",
            "{site}: ho so {code} - {status}. Tra cuu: {link}",
            "Dossier {code}",
            "{site}: dossier {code} - {status}. Track: {link}",
        ],
    ),
];

pub fn exists(name: &str) -> bool {
    TEMPLATES.iter().any(|(n, _)| *n == name)
}

/// Subject and body of `name` in `lang` with `vars` filled in.
pub fn render(name: &str, lang: &str, vars: &Map<String, Value>) -> Result<(String, String), String> {
    let (_, t) = TEMPLATES.iter().find(|(n, _)| *n == name).ok_or_else(|| format!("no template named {name}"))?;
    let (subject, body) = if lang == "en" { (t[2], t[3]) } else { (t[0], t[1]) };
    Ok((fill(subject, vars)?, fill(body, vars)?))
}

fn fill(text: &str, vars: &Map<String, Value>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('}').ok_or_else(|| "unclosed { in template".to_owned())?;
        let key = &after[..end];
        match vars.get(key) {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Null) | None => return Err(format!("template value {key} is missing")),
            Some(v) => out.push_str(&v.to_string()),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn fills_every_value_in_both_languages() {
        let v = vars(json!({"name": "Nguyễn Văn An", "code": "123456", "minutes": 15, "site": "Tỉnh Thái An"}));
        let (s, b) = render("verify_email", "vi", &v).unwrap();
        assert_eq!(s, "Mã xác minh thư điện tử: 123456");
        assert!(b.contains("Nguyễn Văn An") && b.contains("15 phút"));
        let (s, _) = render("verify_email", "en", &v).unwrap();
        assert_eq!(s, "Your e-mail verification code: 123456");
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_hole() {
        let v = vars(json!({"name": "An", "site": "x", "minutes": 15}));
        assert_eq!(render("verify_email", "vi", &v).unwrap_err(), "template value code is missing");
        assert!(render("nope", "vi", &v).is_err());
    }
}
