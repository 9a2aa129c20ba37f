//! The `apig` binary as scripts use it: exit statuses, printed ids and JSON, and the first
//! start of `apig serve` with its demo project, token and curl line, access keys.

use crate::support::fixture_path;
use apig_import::auth::LocalKey;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};

const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn apig(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_apig"))
        .args(args)
        .env("APIG_DATA_DIR", data_dir)
        .env_remove("APIG_LOG")
        .env_remove("APIG_SIGNING_SECRET")
        .output()
        .expect("run apig")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn scripts_register_objects_and_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let created = apig(dir.path(), &["instance", "create", "--project", PROJECT]);
    assert!(created.status.success(), "{created:?}");
    let instance = stdout(&created);
    assert_eq!(instance.len(), 32, "{instance}");

    for (kind, name) in [("channel", "catalog_channel"), ("plugin", "audit_plugin")] {
        let out = apig(
            dir.path(),
            &[
                kind,
                "create",
                "--project",
                PROJECT,
                "--instance",
                &instance,
                "--name",
                name,
            ],
        );
        assert!(out.status.success(), "{out:?}");
        let again = apig(
            dir.path(),
            &[
                kind,
                "create",
                "--project",
                PROJECT,
                "--instance",
                &instance,
                "--name",
                name,
            ],
        );
        assert_eq!(
            again.status.code(),
            Some(1),
            "a second registration is refused"
        );
    }
    let listed = apig(
        dir.path(),
        &[
            "channel",
            "list",
            "--project",
            PROJECT,
            "--instance",
            &instance,
        ],
    );
    assert!(stdout(&listed).ends_with("catalog_channel"), "{listed:?}");

    let shop = fixture_path("apig/shop-2.0.yaml").display().to_string();
    let imported = apig(
        dir.path(),
        &[
            "import",
            &shop,
            "--project",
            PROJECT,
            "--instance",
            &instance,
        ],
    );
    assert_eq!(imported.status.code(), Some(0), "{imported:?}");
    let body: serde_json::Value = serde_json::from_slice(&imported.stdout).expect("response JSON");
    assert_eq!(body["success"].as_array().map(Vec::len), Some(6));
    let group = body["group_id"].as_str().expect("group id").to_string();

    let refused = apig(
        dir.path(),
        &[
            "import",
            &shop,
            "--project",
            PROJECT,
            "--instance",
            &instance,
        ],
    );
    assert_eq!(refused.status.code(), Some(2));
    let error: serde_json::Value = serde_json::from_slice(&refused.stdout).expect("error JSON");
    assert_eq!(error["error_code"], "APIG.3201");

    let merged = apig(
        dir.path(),
        &[
            "import",
            &shop,
            "--project",
            PROJECT,
            "--instance",
            &instance,
            "--group-id",
            &group,
        ],
    );
    assert_eq!(merged.status.code(), Some(3), "APIs failed (3301)");
    let overridden = apig(
        dir.path(),
        &[
            "import",
            &shop,
            "--project",
            PROJECT,
            "--instance",
            &instance,
            "--group-id",
            &group,
            "--api-mode",
            "override",
        ],
    );
    assert_eq!(overridden.status.code(), Some(0), "{overridden:?}");

    let unknown = apig(
        dir.path(),
        &["import", &shop, "--project", PROJECT, "--instance", "nope"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stdout(&unknown).contains("APIG.3030"));

    let bad = apig(
        dir.path(),
        &[
            "import",
            &shop,
            "--project",
            PROJECT,
            "--instance",
            &instance,
            "--api-mode",
            "replace",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--api-mode must be merge or override"));
}

#[test]
fn tokens_verify_with_the_data_directory_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = apig(
        dir.path(),
        &[
            "token",
            "--project",
            PROJECT,
            "--actions",
            "apig:api:import",
            "--ttl",
            "5m",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let keys = LocalKey::load_or_create(dir.path())
        .expect("key")
        .token_keys()
        .expect("keys");
    let claims = keys.verify(&stdout(&out)).expect("token verifies");
    assert_eq!(claims.project_id.as_str(), PROJECT);
    assert_eq!(claims.actions, vec!["apig:api:import".to_string()]);

    let bad = apig(dir.path(), &["token", "--project", "not a project"]);
    assert_eq!(bad.status.code(), Some(1));
}

#[test]
fn first_serve_prints_a_working_curl_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_apig"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("APIG_DATA_DIR", dir.path())
        .env("APIG_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apig serve");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        let done = line.trim_start().starts_with("curl ");
        printed.push(line);
        if done {
            break;
        }
    }
    let curl = printed.last().cloned().unwrap_or_default();
    let token = curl
        .split("X-Auth-Token: ")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("token in curl line");
    let file = curl
        .split("file_name=@")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .expect("file in curl line");
    let url = curl.split_whitespace().last().expect("url");
    let (authority, path) = url
        .trim_start_matches("http://")
        .split_once('/')
        .expect("url");

    // Send what the curl line sends.
    let document = std::fs::read(file).expect("sample document");
    let boundary = "cliTestBoundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file_name\"; filename=\"petstore.yaml\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&document);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let send = || {
        let mut stream = std::net::TcpStream::connect(authority).expect("connect");
        let head = format!(
            "POST /{path} HTTP/1.1\r\nHost: {authority}\r\nX-Auth-Token: {token}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).expect("write");
        stream.write_all(&body).expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    };
    let first = send();
    let second = send();
    let _ = server.kill();
    let _ = server.wait();
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert_eq!(first.matches("\"action\":\"create\"").count(), 3, "{first}");
    assert!(second.starts_with("HTTP/1.1 400"), "{second}");
    assert!(second.contains("APIG.3201"), "{second}");
    assert!(
        printed.iter().any(|l| l.starts_with("demo project:")),
        "{printed:?}"
    );
}

#[test]
fn access_keys_create_list_disable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let created = apig(dir.path(), &["key", "create", "--project", PROJECT]);
    assert!(created.status.success(), "{created:?}");
    let out = stdout(&created);
    assert_eq!(out.lines().count(), 1, "one JSON object on one line: {out}");
    let key: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let ak = key["access_key"].as_str().expect("access_key").to_string();
    let sk = key["secret_key"].as_str().expect("secret_key").to_string();
    assert_eq!(ak.len(), 20);
    assert!(ak
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    assert_eq!(sk.len(), 64);
    assert_eq!(key["project_id"], PROJECT);
    assert_eq!(key["actions"], serde_json::json!(["apig:*"]));
    let fields: Vec<&String> = key.as_object().expect("object").keys().collect();
    assert_eq!(
        fields,
        ["access_key", "secret_key", "project_id", "actions"]
    );

    // The SK is derived from the data directory's signing secret, never stored.
    let secret = apig_import::auth::SigningSecret::load_or_create(dir.path()).expect("secret");
    assert_eq!(secret.secret_key(&ak), sk);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("signing.key"))
            .expect("signing.key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for file in std::fs::read_dir(dir.path()).expect("dir") {
        let path = file.expect("entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("apig.db"))
        {
            let bytes = std::fs::read(&path).expect("read");
            assert!(
                !bytes.windows(sk.len()).any(|w| w == sk.as_bytes()),
                "SK found in {}",
                path.display()
            );
        }
    }

    let reader = apig(
        dir.path(),
        &[
            "key",
            "create",
            "--project",
            PROJECT,
            "--actions",
            "apig:api:import,apig:api:list",
        ],
    );
    assert!(reader.status.success(), "{reader:?}");
    let reader: serde_json::Value = serde_json::from_slice(&reader.stdout).expect("JSON");
    let reader_ak = reader["access_key"].as_str().expect("ak").to_string();
    assert_ne!(reader_ak, ak);
    assert_eq!(
        reader["actions"],
        serde_json::json!(["apig:api:import", "apig:api:list"])
    );

    let list = |project: &str| {
        let out = apig(dir.path(), &["key", "list", "--project", project]);
        assert!(out.status.success(), "{out:?}");
        stdout(&out)
    };
    let listed = list(PROJECT);
    let mut lines: Vec<&str> = listed.lines().collect();
    lines.sort();
    let mut want = vec![
        format!("{ak}\tenabled\tapig:*"),
        format!("{reader_ak}\tenabled\tapig:api:import,apig:api:list"),
    ];
    want.sort();
    assert_eq!(lines, want);
    assert!(!listed.contains(&sk));
    assert_eq!(list("someoneelse"), "");

    let disabled = apig(dir.path(), &["key", "disable", &ak, "--project", PROJECT]);
    assert!(disabled.status.success(), "{disabled:?}");
    assert!(list(PROJECT).contains(&format!("{ak}\tdisabled\tapig:*")));
    let enabled = apig(dir.path(), &["key", "enable", &ak, "--project", PROJECT]);
    assert!(enabled.status.success(), "{enabled:?}");
    assert!(list(PROJECT).contains(&format!("{ak}\tenabled\tapig:*")));

    // Another project's key, an unknown key, bad arguments.
    let elsewhere = apig(dir.path(), &["key", "disable", &ak, "--project", "other"]);
    assert_eq!(elsewhere.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("has no access key"));
    let unknown = apig(
        dir.path(),
        &[
            "key",
            "disable",
            "AAAAAAAAAAAAAAAAAAAA",
            "--project",
            PROJECT,
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    let bad = apig(
        dir.path(),
        &["key", "disable", "not-a-key", "--project", PROJECT],
    );
    assert_eq!(bad.status.code(), Some(1));
    let bad = apig(dir.path(), &["key", "create", "--project", "bad project"]);
    assert_eq!(bad.status.code(), Some(1));
    let bad = apig(
        dir.path(),
        &["key", "create", "--project", PROJECT, "--actions", "a,,b"],
    );
    assert_eq!(bad.status.code(), Some(1));

    // APIG_SIGNING_SECRET, when set, is the server secret instead of the file.
    let out = Command::new(env!("CARGO_BIN_EXE_apig"))
        .args(["key", "create", "--project", PROJECT])
        .env("APIG_DATA_DIR", dir.path())
        .env(
            "APIG_SIGNING_SECRET",
            "an-environment-secret-of-some-length",
        )
        .output()
        .expect("run apig");
    assert!(out.status.success(), "{out:?}");
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let env_secret = apig_import::auth::SigningSecret::new(b"an-environment-secret-of-some-length")
        .expect("secret");
    assert_eq!(
        key["secret_key"].as_str(),
        Some(
            env_secret
                .secret_key(key["access_key"].as_str().expect("ak"))
                .as_str()
        )
    );
    let out = Command::new(env!("CARGO_BIN_EXE_apig"))
        .args(["key", "create", "--project", PROJECT])
        .env("APIG_DATA_DIR", dir.path())
        .env("APIG_SIGNING_SECRET", "short")
        .output()
        .expect("run apig");
    assert_eq!(out.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("short"));
}

#[test]
fn serve_accepts_requests_signed_with_a_cli_key() {
    use apig_import::auth::signature::sign_request;
    use axum::http::{HeaderMap, HeaderValue};

    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_apig"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("APIG_DATA_DIR", dir.path())
        .env("APIG_LOG", "warn")
        .env_remove("APIG_SIGNING_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apig serve");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        let done = line.trim_start().starts_with("curl ");
        printed.push(line);
        if done {
            break;
        }
    }
    let value_of = |prefix: &str| {
        printed
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {prefix} in {printed:?}"))
    };
    let project = value_of("demo project:");
    let instance = value_of("demo instance:");
    let url = printed
        .last()
        .and_then(|curl| curl.split_whitespace().last())
        .expect("url")
        .to_string();
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("authority")
        .to_string();

    // A key created by the CLI while the server runs, on the same data directory.
    let created = apig(dir.path(), &["key", "create", "--project", &project]);
    assert!(created.status.success(), "{created:?}");
    let key: serde_json::Value = serde_json::from_slice(&created.stdout).expect("JSON");
    let ak = key["access_key"].as_str().expect("ak").to_string();
    let sk = key["secret_key"].as_str().expect("sk").to_string();

    let boundary = "cliSignedBoundary";
    let document = b"swagger: '2.0'\ninfo: {title: signed_demo, version: '1'}\npaths:\n  /ping:\n    get:\n      responses: {'200': {description: ok}}\n";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file_name\"; filename=\"api.yaml\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(document);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let path = format!("/v2/{project}/apigw/instances/{instance}/openapi/import");
    let send = |sk: &str| {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_str(&authority).expect("host"));
        headers.insert(
            "content-type",
            HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}"))
                .expect("content type"),
        );
        headers.insert(
            "x-sdk-content-sha256",
            HeaderValue::from_static("UNSIGNED-PAYLOAD"),
        );
        sign_request(
            &ak,
            sk.as_bytes(),
            "POST",
            &path,
            &mut headers,
            None,
            time::OffsetDateTime::now_utc(),
        )
        .expect("sign");
        let mut head = format!("POST {path} HTTP/1.1\r\n");
        for (name, value) in &headers {
            head.push_str(&format!(
                "{name}: {}\r\n",
                value.to_str().expect("ascii header")
            ));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let mut stream = std::net::TcpStream::connect(&authority).expect("connect");
        stream.write_all(head.as_bytes()).expect("write");
        stream.write_all(&body).expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
    };
    let accepted = send(&sk);
    let refused = send("not-the-secret-key");
    let _ = server.kill();
    let _ = server.wait();
    assert!(accepted.starts_with("HTTP/1.1 200"), "{accepted}");
    assert!(accepted.contains("\"action\":\"create\""), "{accepted}");
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(refused.contains("APIG.1002"), "{refused}");
}
