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
                "ListenAddress 127.0.0.1:{port}\nHostKey {}\nPidFile none\nAuthorizedKeysFile {}\nAuthenticationMethods publickey\n\
                 PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n\
                 Subsystem sftp internal-sftp\nLogLevel ERROR\n",
                host_key.display(),
                authorized.display()
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
        json!([{"MaSoThue": "0100109106", "Ten": "Công ty TNHH Thái An"}, {"MaSoThue": "0101245486", "Ten": "Công ty CP Sông Cầu"}]).to_string(),
    )
    .unwrap();
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
        (address.clone(), json!({"sftp_key_file": "/khong/co/khoa"}), "directory", "key file cannot be read"),
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

    // The administrator pins the new key from the page, once the server shows that key.
    let code = identity::totp::code(identity::seed::DEMO_TOTP_SECRET, identity::totp::now_secs()).unwrap();
    let admin = app.session("quantri.tinh", identity::seed::DEMO_PASSWORD, Some(&code)).await;
    let page = app.get_as(&admin, "/admin/lgsp/replicas").await.text;
    assert!(page.contains(&host_print) && page.contains(&address), "the drop and its pinned key are shown: {page}");
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
    // The API does the same.
    let r = app.raw(app.http.put(app.url(&format!("/api/lgsp/replicas/{id}/host-key"))).json(&json!({"sftp_host_key": host_print}))).await;
    assert_eq!(r.status, 401, "administrators only");
});
