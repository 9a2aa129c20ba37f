//! `apig plan` (issue 11 item 3): a modified copy of shop planned against the imported shop
//! shows exactly the changed fields, nothing is written, and `--exit-code` says whether
//! anything would change.

use crate::support::fixture;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

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

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// One instance with shop's references, shop imported; `(instance, group id)`.
fn shop(dir: &Path, shop: &Path) -> (String, String) {
    let created = apig(dir, &["instance", "create", "--project", PROJECT]);
    assert!(created.status.success(), "{created:?}");
    let instance = String::from_utf8_lossy(&created.stdout).trim().to_string();
    for (kind, name) in [("channel", "catalog_channel"), ("plugin", "audit_plugin")] {
        let out = apig(
            dir,
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
    }
    let file = shop.display().to_string();
    let imported = apig(
        dir,
        &[
            "import",
            &file,
            "--project",
            PROJECT,
            "--instance",
            &instance,
        ],
    );
    assert_eq!(imported.status.code(), Some(0), "{imported:?}");
    let group = json(&imported)["group_id"].as_str().unwrap().to_string();
    (instance, group)
}

fn plan(dir: &Path, file: &Path, instance: &str, group: &str, extra: &[&str]) -> Output {
    let file = file.display().to_string();
    let mut args = vec![
        "plan",
        file.as_str(),
        "--project",
        PROJECT,
        "--instance",
        instance,
        "--group-id",
        group,
        "--api-mode",
        "override",
        "--exit-code",
    ];
    args.extend_from_slice(extra);
    apig(dir, &args)
}

#[test]
fn a_modified_shop_shows_exactly_the_changed_fields() {
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("shop.yaml");
    let text = String::from_utf8(fixture("apig/shop-2.0.yaml")).unwrap();
    std::fs::write(&original, &text).unwrap();
    let (instance, group) = shop(dir.path(), &original);

    // Unchanged: every API `unchanged`, exit 0, and the response the import would give.
    let same = plan(dir.path(), &original, &instance, &group, &[]);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
    let body = json(&same);
    assert_eq!(body["plan"]["changes"], false, "{body}");
    let apis = body["plan"]["apis"].as_array().unwrap();
    assert_eq!(apis.len(), 6);
    assert!(apis.iter().all(|a| a["action"] == "unchanged"), "{body}");
    assert_eq!(body["success"].as_array().unwrap().len(), 6);
    assert!(body["success"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["action"] == "update" && s["id"].as_str().unwrap().len() == 32));
    assert_eq!(body["group_id"], group.as_str());

    // One backend address and one parameter's required flag changed.
    let modified_text = text
        .replacen(
            "address: catalog.internal.example.com:8443",
            "address: catalog-v2.internal.example.com:8443",
            1,
        )
        .replacen(
            "        - name: limit\n          in: query\n",
            "        - name: limit\n          in: query\n          required: true\n",
            1,
        );
    assert_ne!(modified_text, text);
    let modified = dir.path().join("shop-modified.yaml");
    std::fs::write(&modified, &modified_text).unwrap();
    let changed = plan(dir.path(), &modified, &instance, &group, &[]);
    assert_eq!(changed.status.code(), Some(2), "{changed:?}");
    let body = json(&changed);
    assert_eq!(body["plan"]["changes"], true);
    let apis = body["plan"]["apis"].as_array().unwrap();
    let updates: Vec<&Value> = apis.iter().filter(|a| a["action"] == "update").collect();
    assert_eq!(updates.len(), 1, "{body}");
    assert_eq!(updates[0]["name"], "list_products");
    assert_eq!(
        apis.iter().filter(|a| a["action"] == "unchanged").count(),
        5
    );
    let diff = updates[0]["diff"].as_array().unwrap();
    assert_eq!(diff.len(), 2, "exactly the two changed fields: {diff:?}");
    let address = diff
        .iter()
        .find(|c| c["pointer"].as_str().unwrap().ends_with("/address"))
        .unwrap_or_else(|| panic!("no address change in {diff:?}"));
    assert!(address["pointer"]
        .as_str()
        .unwrap()
        .starts_with("/backend/"));
    assert_eq!(address["old"], "catalog.internal.example.com:8443");
    assert_eq!(address["new"], "catalog-v2.internal.example.com:8443");
    let required = diff
        .iter()
        .find(|c| c["pointer"].as_str().unwrap().ends_with("/required"))
        .unwrap_or_else(|| panic!("no required change in {diff:?}"));
    assert!(required["pointer"]
        .as_str()
        .unwrap()
        .starts_with("/req_params/"));
    assert_eq!(required["old"], false);
    assert_eq!(required["new"], true);
    // Merge of shared objects: every one stays as stored.
    assert!(body["plan"]["shared"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["action"] == "kept"));

    // Nothing was written: planning the modification again still shows it, and the stored
    // group still exports the original address.
    let again = plan(dir.path(), &modified, &instance, &group, &[]);
    assert_eq!(json(&again)["plan"], body["plan"]);
    let exported = apig(
        dir.path(),
        &[
            "export",
            "--project",
            PROJECT,
            "--instance",
            &instance,
            "--group-id",
            &group,
            "--define",
            "all",
        ],
    );
    assert!(exported.status.success(), "{exported:?}");
    let exported = String::from_utf8_lossy(&exported.stdout);
    assert!(exported.contains("catalog.internal.example.com:8443"));
    assert!(!exported.contains("catalog-v2"));
}

#[test]
fn plans_of_new_groups_refusals_and_shadowing() {
    let dir = tempfile::tempdir().unwrap();
    let created = apig(dir.path(), &["instance", "create", "--project", PROJECT]);
    let instance = String::from_utf8_lossy(&created.stdout).trim().to_string();
    let doc = dir.path().join("pets.yaml");
    std::fs::write(
        &doc,
        "swagger: '2.0'\ninfo: {title: pets, version: '1'}\npaths:\n  /pets/mine:\n    get: {operationId: mine, responses: {default: {description: ok}}}\n  /pets/{id}:\n    get:\n      operationId: one\n      parameters: [{name: id, in: path, required: true, type: string}]\n      responses: {default: {description: ok}}\n",
    )
    .unwrap();
    let file = doc.display().to_string();
    let base = ["--project", PROJECT, "--instance", instance.as_str()];

    let mut args = vec!["plan", file.as_str(), "--exit-code"];
    args.extend_from_slice(&base);
    let planned = apig(dir.path(), &args);
    assert_eq!(planned.status.code(), Some(2), "{planned:?}");
    let body = json(&planned);
    assert_eq!(body["plan"]["group"]["action"], "create");
    assert_eq!(body["plan"]["group"]["name"], "pets");
    assert_eq!(body["group_id"], "");
    let warnings = body["plan"]["shadowed_routes"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{body}");
    assert_eq!(warnings[0]["kind"], "template");
    assert_eq!(warnings[0]["route"]["path"], "/pets/mine");
    assert_eq!(warnings[0]["shadowed_by"]["path"], "/pets/{id}");

    // Nothing written: the group does not exist, so the import can still create it.
    let mut args = vec!["import", file.as_str(), "--fail-on-warnings"];
    args.extend_from_slice(&base);
    let refused = apig(dir.path(), &args);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let error = json(&refused);
    assert_eq!(error["error_code"], "APIG.2012");
    assert!(error["error_msg"].as_str().unwrap().contains("/pets/mine"));
    let mut args = vec!["import", file.as_str()];
    args.extend_from_slice(&base);
    let imported = apig(dir.path(), &args);
    assert_eq!(imported.status.code(), Some(0), "{imported:?}");

    // A refused plan with --exit-code is 1 (2 means "changes"), the error printed.
    let mut args = vec!["plan", file.as_str(), "--exit-code"];
    args.extend_from_slice(&base);
    let taken = apig(dir.path(), &args);
    assert_eq!(taken.status.code(), Some(1), "{taken:?}");
    assert_eq!(json(&taken)["error_code"], "APIG.3201");
}
