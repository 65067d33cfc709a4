//! File replicas fetched from an SFTP drop, on SQLite and PostgreSQL, against OpenSSH's own sshd
//! started on loopback (Debian's openssh-server; `scripts/test` installs it): signing in with a
//! key file, the host key pinned when first seen and a changed one refused, the drop's files
//! imported once each; bad settings refused with nothing stored.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::{TestApp, storage_test};

const SSHD: &str = "/usr/sbin/sshd";

/// A new ed25519 key pair at `path` (and `path.pub`), as `ssh-keygen` makes it.
fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"]).arg(path).status().unwrap();
    assert!(ok.success(), "ssh-keygen");
}

/// The SHA-256 fingerprint `ssh-keygen -l` prints for a public key.
fn fingerprint(public: &Path) -> String {
    let out = Command::new("ssh-keygen").arg("-lf").arg(public).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().nth(1).unwrap().to_owned()
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// OpenSSH's sshd on a loopback port, serving SFTP to the holder of one key; stopped when
/// dropped.
struct Sshd {
    child: Child,
    port: u16,
}

impl Sshd {
    /// None (the test skipped) when sshd is not installed and `TINHSO_REQUIRE_TOOLS` is not 1.
    fn start(dir: &Path, host_key: &Path, authorized: &Path, port: Option<u16>) -> Option<Sshd> {
        let keys_only =
            format!("AuthorizedKeysFile {}\nAuthenticationMethods publickey\nPasswordAuthentication no\n", authorized.display());
        Sshd::start_with(dir, host_key, &keys_only, port)
    }

    /// sshd with these sign-in settings.
    fn start_with(dir: &Path, host_key: &Path, sign_in: &str, port: Option<u16>) -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            assert_ne!(std::env::var("TINHSO_REQUIRE_TOOLS").as_deref(), Ok("1"), "{SSHD} is required (Debian's openssh-server)");
            eprintln!("skipped: {SSHD} is not installed");
            return None;
        }
        let port = port.unwrap_or_else(|| std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
        // Run as root, sshd wants its privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let config = dir.join(format!("sshd_config_{port}"));
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1:{port}\nHostKey {}\nPidFile none\n{sign_in}\
                 KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n\
                 Subsystem sftp internal-sftp\nLogLevel ERROR\n",
                host_key.display(),
            ),
        )
        .unwrap();
        let mut child =
            Command::new(SSHD).args(["-D", "-e", "-f"]).arg(&config).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                let mut err = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
                panic!("sshd stopped ({status}): {err}");
            }
            assert!(start.elapsed() < Duration::from_secs(10), "sshd did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Sshd { child, port })
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The businesses registry the drop's rows go into, and the drop's directory with its first file.
async fn registry_and_drop(app: &TestApp) -> tempfile::TempDir {
    let r = app
        .post(
            "/api/registries",
            &json!({"name": "doanh-nghiep", "version": "1.0", "title": "Doanh nghiệp (bản sao CSDL quốc gia)", "id_field": "MaSoThue",
                    "schema": {"type": "object", "required": ["MaSoThue", "Ten"], "properties": {
                        "MaSoThue": {"type": "string", "pattern": "^[0-9]{10}$"}, "Ten": {"type": "string", "minLength": 2}}}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let drop_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        drop_dir.path().join("2026-11-01.json"),
        json!([{"MaSoThue": "0100109106", "Ten": "Công ty TNHH Thái An"}, {"MaSoThue": "0101245486", "Ten": "Công ty CP Sông Cầu"}])
            .to_string(),
    )
    .unwrap();
    drop_dir
}

storage_test!(demo an_sftp_drop_is_fetched_with_its_host_key_pinned, async |app: &TestApp| {
    let keys = tempfile::tempdir().unwrap();
    let key = |name: &str| -> PathBuf {
        let p = keys.path().join(name);
        keygen(&p);
        p
    };
    let (client, stranger, host, new_host) = (key("client"), key("stranger"), key("host"), key("new-host"));
    let public = |p: &Path| PathBuf::from(format!("{}.pub", p.display()));
    let Some(sshd) = Sshd::start(keys.path(), &host, &public(&client), None) else { return };
    let drop_dir = registry_and_drop(app).await;
    std::fs::write(drop_dir.path().join("doc-truoc.txt"), "not a data file").unwrap();
    let address = format!("sftp://{}@127.0.0.1:{}{}", user(), sshd.port, drop_dir.path().display());
    let add = |directory: String, extra: Value| {
        let mut body = json!({"name": "dn-sftp", "directory": directory, "registry": "doanh-nghiep", "registry_version": "1.0", "interval_minutes": 60});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        async move { app.post("/api/lgsp/replicas", &body).await }
    };
    let host_print = fingerprint(&public(&host));
    let key_file = client.display().to_string();

    // Bad settings: each refused naming the field and the reason; nothing stored.
    let wrong_print = fingerprint(&public(&new_host));
    for (directory, extra, field, word) in [
        (address.clone(), json!({}), "sftp_key_file", "required"),
        (address.clone(), json!({"sftp_key_file": key_file, "sftp_host_key": "abc"}), "sftp_host_key", "SHA256"),
        (address.clone(), json!({"sftp_key_file": "/khong/co/khoa"}), "sftp_key_file", "key file cannot be read"),
        (address.clone(), json!({"sftp_key_file": stranger.display().to_string()}), "directory", "refused the key"),
        (address.clone(), json!({"sftp_key_file": key_file, "sftp_host_key": wrong_print}), "directory", host_print.as_str()),
        (format!("{address}/khong-co"), json!({"sftp_key_file": key_file}), "directory", "cannot be read"),
        ("sftp://127.0.0.1/x".to_owned(), json!({"sftp_key_file": key_file}), "directory", "user is required"),
        (format!("sftp://{}@127.0.0.1:1/x", user()), json!({"sftp_key_file": key_file}), "directory", "cannot connect"),
    ] {
        let r = add(directory.clone(), extra.clone()).await;
        assert_eq!(r.status, 422, "{directory} {extra}: {}", r.text);
        assert!(r.error_fields().contains(&field.to_owned()) && r.text.contains(word), "{directory} {extra}: {}", r.text);
    }
    let ours = async || {
        let all = app.get_admin("/api/lgsp/replicas").await.json();
        all.as_array().unwrap().iter().filter(|r| r["name"] == "dn-sftp").cloned().collect::<Vec<Value>>()
    };
    assert_eq!(ours().await, Vec::<Value>::new(), "nothing stored");

    // Added without a fingerprint: the key the server showed is pinned.
    let r = add(address.clone(), json!({"sftp_key_file": key_file})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json()["sftp_host_key"], host_print);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let run = async || app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await;

    // The drop's data files are imported once each; the next new file on its own.
    let first = run().await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json().as_array().unwrap().len(), 1, "{}", first.text);
    assert_eq!((first.json()[0]["file"].as_str(), first.json()[0]["created"].as_i64()), (Some("2026-11-01.json"), Some(2)));
    assert_eq!(run().await.json(), json!([]), "nothing new");
    std::fs::write(drop_dir.path().join("2026-11-02.csv"), "MaSoThue,Ten\n0100109106,Công ty TNHH Thái An (đổi tên)\n").unwrap();
    let second = run().await.json();
    assert_eq!((second[0]["file"].as_str(), second[0]["updated"].as_i64()), (Some("2026-11-02.csv"), Some(1)), "{second}");
    let read = app.post("/data/doanh-nghiep/1.0/read", &json!({"query": {"content": {"MaSoThue": "0100109106"}}})).await;
    assert!(read.text.contains("đổi tên"), "{}", read.text);

    // The server comes back with another host key: refused, naming both keys; nothing imported.
    let port = sshd.port;
    drop(sshd);
    let _again = Sshd::start(keys.path(), &new_host, &public(&client), Some(port)).unwrap();
    std::fs::write(drop_dir.path().join("2026-11-03.csv"), "MaSoThue,Ten\n0300588569,Công ty Bến Thành\n").unwrap();
    let refused = run().await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains(&host_print) && refused.text.contains(&wrong_print), "{}", refused.text);
    let listed = ours().await;
    assert_eq!(listed[0]["imports"].as_array().unwrap().len(), 2, "nothing imported from the changed server");
    assert_eq!(listed[0]["sftp_host_key"], host_print, "the pinned key stays");
    assert!(listed[0]["next_run_at"].as_i64().unwrap() > kernel::time::now_ms() + 30 * 60_000, "the failed run waits its interval");
    let why = listed[0]["last_error"].as_str().unwrap_or_default();
    assert!(why.contains(&wrong_print) && listed[0]["last_run_at"].is_i64(), "the failed run is kept with why: {}", listed[0]);

    // The administrator pins the new key from the page, once the server shows that key.
    let code = identity::totp::code(identity::seed::DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    let admin = app.session("quantri.tinh", identity::seed::DEMO_PASSWORD, Some(&code)).await;
    let page = app.get_as(&admin, "/admin/lgsp/replicas").await.text;
    assert!(page.contains(&host_print) && page.contains(&address), "the drop and its pinned key are shown: {page}");
    assert!(page.contains("class=\"failed\"") && page.contains(&wrong_print), "the last run's failure is shown: {page}");
    let pin = format!("/admin/lgsp/replicas/{id}/host-key");
    let r = app.form_as(&admin, &pin, &[("sftp_host_key", host_print.as_str())]).await;
    assert_eq!(r.status, 422, "the server does not show the old key any more: {}", r.text);
    assert!(r.text.contains("role=\"alert\"") && r.text.contains(&wrong_print), "{}", r.text);
    let r = app.form_as(&admin, &pin, &[("sftp_host_key", "khong-phai")]).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let citizen = app.session("001090012345", identity::seed::DEMO_PASSWORD, None).await;
    assert_eq!(app.form_as(&citizen, &pin, &[("sftp_host_key", wrong_print.as_str())]).await.status, 403);
    assert_eq!(ours().await[0]["sftp_host_key"], host_print, "nothing changed");
    let r = app.form_as(&admin, &pin, &[("sftp_host_key", wrong_print.as_str())]).await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(ours().await[0]["sftp_host_key"], wrong_print);
    let third = run().await;
    assert_eq!(third.status, 200, "{}", third.text);
    assert_eq!(third.json()[0]["file"], "2026-11-03.csv");
    assert_eq!(ours().await[0]["last_error"], Value::Null, "the run went through");
    // The API does the same.
    let r = app.raw(app.http.put(app.url(&format!("/api/lgsp/replicas/{id}/host-key"))).json(&json!({"sftp_host_key": host_print}))).await;
    assert_eq!(r.status, 401, "administrators only");
});

/// A system account with a password, for sshd's password sign-in; removed when dropped. Making
/// one needs root: the test is skipped without it (saying so).
struct Account {
    name: String,
}

impl Account {
    fn create(password: &str) -> Option<Account> {
        if user() != "root" {
            eprintln!("skipped: the password sign-in test makes a system account, which needs root");
            return None;
        }
        // The id's random end: tests running at once each get an account of their own.
        let id = kernel::id::new_id().replace('-', "").to_ascii_lowercase();
        let name = format!("tsftp{}", &id[id.len() - 10..]);
        // Two accounts made at the same moment may find the account files locked: try again.
        let made = (0..20).any(|_| {
            let ok = Command::new("useradd")
                .args(["-M", "-d", "/", "-s", "/usr/sbin/nologin", &name])
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
            ok || {
                std::thread::sleep(Duration::from_millis(100));
                false
            }
        });
        assert!(made, "useradd {name}");
        let account = Account { name };
        account.set_password(password);
        Some(account)
    }

    fn set_password(&self, password: &str) {
        let set = (0..20).any(|_| {
            let mut child = Command::new("chpasswd").stdin(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
            std::io::Write::write_all(child.stdin.as_mut().unwrap(), format!("{}:{password}\n", self.name).as_bytes()).unwrap();
            child.wait().unwrap().success() || {
                std::thread::sleep(Duration::from_millis(100));
                false
            }
        });
        assert!(set, "chpasswd {}", self.name);
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.name).status();
    }
}

storage_test!(demo a_drop_whose_account_has_a_password_is_signed_in_to_with_a_password_file, async |app: &TestApp| {
    let keys = tempfile::tempdir().unwrap();
    let host = keys.path().join("host");
    keygen(&host);
    let password = format!("Mật khẩu {}", kernel::id::new_id());
    let Some(account) = Account::create(&password) else { return };
    let passwords_only = "AuthenticationMethods password\nPasswordAuthentication yes\n";
    let Some(sshd) = Sshd::start_with(keys.path(), &host, passwords_only, None) else { return };
    let drop_dir = registry_and_drop(app).await;
    // The account reads the drop; the password file is the platform's alone.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(drop_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = |name: &str, text: &str| -> String {
        let p = keys.path().join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        p.display().to_string()
    };
    let password_file = file("password", &format!("{password}\n"));
    let address = format!("sftp://{}@127.0.0.1:{}{}", account.name, sshd.port, drop_dir.path().display());
    let add = |extra: Value| {
        let mut body = json!({"name": "dn-mat-khau", "directory": address, "registry": "doanh-nghiep", "registry_version": "1.0", "interval_minutes": 60});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        async move { app.post("/api/lgsp/replicas", &body).await }
    };

    // Bad settings: each refused naming the field and the reason; nothing stored.
    let key = keys.path().join("client");
    keygen(&key);
    for (extra, field, word) in [
        (json!({"sftp_key_file": key.display().to_string(), "sftp_password_file": password_file}), "sftp_password_file", "not both"),
        (json!({"sftp_password_file": file("wrong", "sai\n")}), "directory", "refused the password"),
        (json!({"sftp_password_file": "/khong/co/tep"}), "sftp_password_file", "password file cannot be read"),
        (json!({"sftp_password_file": file("empty", "\n")}), "directory", "one line"),
        (json!({"sftp_password_file": file("two", "a\nb\n")}), "directory", "one line"),
        (json!({"sftp_key_file": key.display().to_string()}), "directory", "refused the key"),
    ] {
        let r = add(extra.clone()).await;
        assert_eq!(r.status, 422, "{extra}: {}", r.text);
        assert!(r.error_fields().contains(&field.to_owned()) && r.text.contains(word), "{extra}: {}", r.text);
    }
    let listed = app.get_admin("/api/lgsp/replicas").await.json();
    assert!(!listed.as_array().unwrap().iter().any(|r| r["name"] == "dn-mat-khau"), "nothing stored: {listed}");

    // With the password file: signed in, the host key pinned, the file imported.
    let r = add(json!({"sftp_password_file": password_file})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rep = r.json();
    assert_eq!((rep["sftp_password_file"].as_str(), &rep["sftp_key_file"]), (Some(password_file.as_str()), &Value::Null));
    assert!(rep["sftp_host_key"].as_str().is_some_and(|k| k.starts_with("SHA256:")), "{rep}");
    assert!(!r.text.contains(&password), "the password is never handed out");
    let id = rep["id"].as_str().unwrap().to_owned();
    let run = async || app.post(&format!("/api/lgsp/replicas/{id}/run"), &json!({})).await;
    let first = run().await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json()[0]["created"], 2, "{}", first.text);
    let replica = async || app.get_admin("/api/lgsp/replicas").await.json().as_array().unwrap().iter().find(|r| r["id"] == id.as_str()).cloned().unwrap();
    assert_eq!(replica().await["last_error"], Value::Null);

    // The provider changes the password: the run fails, saying so, until the file is updated.
    account.set_password("mật khẩu mới");
    std::fs::write(drop_dir.path().join("2026-11-02.csv"), "MaSoThue,Ten\n0300588569,Công ty Bến Thành\n").unwrap();
    let refused = run().await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert!(refused.text.contains("refused the password"), "{}", refused.text);
    assert!(replica().await["last_error"].as_str().is_some_and(|e| e.contains("refused the password")));
    file("password", "mật khẩu mới\r\n");
    let again = run().await;
    assert_eq!((again.status.as_u16(), again.json()[0]["file"].as_str()), (200, Some("2026-11-02.csv")), "{}", again.text);
    assert_eq!(replica().await["last_error"], Value::Null);
});
