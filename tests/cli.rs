//! The `apig` binary as scripts use it: exit statuses, printed ids and JSON, and the first
//! start of `apig serve` with its demo project, token and curl line.

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
        .output()
        .expect("run apig")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../shared/fixtures/apig/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
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

    let shop = fixture("shop-2.0.yaml");
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
