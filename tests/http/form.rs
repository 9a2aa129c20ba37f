//! The import form, the routes and the error bodies, through the real router
//! (`import-api.md` §1, §3.4).
//!
//! Requests the form accepts reach the importer, which is still a stub answering
//! 500 `APIG.9999`; those tests assert "accepted" = not a 4xx (see `Answer::assert_accepted`).

use crate::support::router::*;
use apig_import::config::Limits;
use apig_import::http::{parse_import_form, router};
use apig_import::import::{GroupTarget, Mode};
use axum::body::Body;
use axum::http::Request;
use bytes::Bytes;

// ---------------------------------------------------------------- accepted forms

#[tokio::test]
async fn minimal_form_is_accepted() {
    call(live().await, import_request(&[file(DOC)]))
        .await
        .assert_accepted();
}

#[tokio::test]
async fn parts_in_reverse_order_are_accepted() {
    let parts = [
        file(DOC),
        text("api_mode", "override"),
        text("mock_mode", "true"),
        text("simple_mode", "TRUE"),
        text("extend_mode", "Override"),
        text("group_id", "0123456789abcdef0123456789abcdef"),
        text("is_create_group", "false"),
    ];
    call(live().await, import_request(&parts))
        .await
        .assert_accepted();
}

#[tokio::test]
async fn file_part_with_any_or_no_content_type_is_accepted() {
    for ct in [
        None,
        Some("application/octet-stream"),
        Some("application/json"),
        Some("text/yaml"),
    ] {
        call(live().await, import_request(&[file_typed(DOC, ct)]))
            .await
            .assert_accepted();
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let parts = [
        text("x_future_option", "whatever"),
        file(DOC),
        Part {
            name: "attachment".into(),
            file_name: Some("notes.txt".into()),
            content_type: Some("text/plain".into()),
            data: vec![b'x'; 20_000],
        },
    ];
    call(live().await, import_request(&parts))
        .await
        .assert_accepted();
}

// ---------------------------------------------------------------- parse_import_form

async fn parse(
    parts: &[Part],
) -> Result<
    (apig_import::import::ImportOptions, Bytes, Option<String>),
    apig_import::error::ApigError,
> {
    parse_import_form(
        Some(&form_content_type()),
        Bytes::from(multipart(parts)),
        &Limits::default(),
    )
    .await
}

#[tokio::test]
async fn defaults() {
    let (options, document, file_name) = parse(&[file(DOC)]).await.expect("form");
    assert_eq!(options.group, GroupTarget::New);
    assert_eq!(options.api_mode, Mode::Merge);
    assert_eq!(options.extend_mode, Mode::Merge);
    assert!(!options.simple_mode);
    assert!(!options.mock_mode);
    assert_eq!(&document[..], DOC);
    assert_eq!(file_name.as_deref(), Some("petstore.yaml"));
}

#[tokio::test]
async fn every_option_case_insensitive() {
    let parts = [
        file(DOC),
        text("is_create_group", "FALSE"),
        text("group_id", "g-1"),
        text("extend_mode", "OVERRIDE"),
        text("api_mode", "Override"),
        text("simple_mode", "True"),
        text("mock_mode", "tRUE"),
    ];
    let (options, _, _) = parse(&parts).await.expect("form");
    assert_eq!(options.group, GroupTarget::Existing("g-1".into()));
    assert_eq!(options.api_mode, Mode::Override);
    assert_eq!(options.extend_mode, Mode::Override);
    assert!(options.simple_mode);
    assert!(options.mock_mode);
}

#[tokio::test]
async fn group_id_ignored_when_creating_a_group() {
    let parts = [text("group_id", "g-1"), file(DOC)];
    let (options, _, _) = parse(&parts).await.expect("form");
    assert_eq!(options.group, GroupTarget::New);
}

#[tokio::test]
async fn file_name_keeps_last_component_only() {
    let mut part = file(DOC);
    part.file_name = Some("specs/v1/shop.json".into());
    let (_, _, name) = parse(&[part]).await.expect("form");
    assert_eq!(name.as_deref(), Some("shop.json"));
    let mut part = file(DOC);
    part.file_name = None;
    let (_, document, name) = parse(&[part]).await.expect("form");
    assert_eq!(name, None);
    assert_eq!(&document[..], DOC);
}

#[tokio::test]
async fn document_at_exactly_the_limit_is_accepted() {
    let limits = Limits {
        max_document_bytes: 1000,
        ..Limits::default()
    };
    let doc = vec![b'a'; 1000];
    let result = parse_import_form(
        Some(&form_content_type()),
        Bytes::from(multipart(&[file(&doc)])),
        &limits,
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
}

// ---------------------------------------------------------------- bad forms

#[tokio::test]
async fn bad_boolean_and_enum_values() {
    for (field, value) in [
        ("is_create_group", "yes"),
        ("is_create_group", ""),
        ("simple_mode", "1"),
        ("mock_mode", "on"),
        ("extend_mode", "replace"),
        ("api_mode", "merge "),
    ] {
        let a = call(app(), import_request(&[text(field, value), file(DOC)])).await;
        a.assert_error(400, "APIG.2012");
        assert_eq!(
            a.message(),
            format!(
                "Invalid parameter value,parameterName:{field}. Please refer to the support documentation"
            )
        );
    }
}

#[tokio::test]
async fn field_sent_twice() {
    for parts in [
        vec![
            text("api_mode", "merge"),
            file(DOC),
            text("api_mode", "merge"),
        ],
        vec![file(DOC), file(DOC)],
        vec![
            text("is_create_group", "false"),
            text("group_id", "a"),
            text("group_id", "b"),
            file(DOC),
        ],
    ] {
        let a = call(app(), import_request(&parts)).await;
        a.assert_error(400, "APIG.2012");
        let name = &parts
            .iter()
            .enumerate()
            .find(|(i, p)| parts[..*i].iter().any(|q| q.name == p.name))
            .expect("duplicate")
            .1
            .name;
        assert!(
            a.message().contains(&format!("parameterName:{name}.")),
            "{a:?}"
        );
        assert!(a.message().contains("more than once"), "{a:?}");
    }
}

#[tokio::test]
async fn file_missing() {
    let a = call(app(), import_request(&[text("api_mode", "merge")])).await;
    a.assert_error(400, "APIG.2001");
    assert_eq!(
        a.message(),
        "The request parameters must be specified,parameterName:file_name. Please refer to the support documentation"
    );
    // No parts at all.
    let a = call(app(), import_request(&[])).await;
    a.assert_error(400, "APIG.2001");
}

#[tokio::test]
async fn group_id_missing_when_not_creating_a_group() {
    for parts in [
        vec![text("is_create_group", "false"), file(DOC)],
        vec![
            text("is_create_group", "false"),
            text("group_id", "  "),
            file(DOC),
        ],
    ] {
        let a = call(app(), import_request(&parts)).await;
        a.assert_error(400, "APIG.2001");
        assert!(a.message().contains("parameterName:group_id."), "{a:?}");
    }
}

#[tokio::test]
async fn empty_or_blank_file() {
    for doc in [&b""[..], b"   \r\n\t\n", b"\xEF\xBB\xBF  "] {
        let a = call(app(), import_request(&[file(doc)])).await;
        a.assert_error(400, "APIG.3609");
        assert_eq!(a.message(), "The input file is empty");
    }
}

#[tokio::test]
async fn oversized_file_and_body() {
    let limits = Limits {
        max_document_bytes: 1000,
        ..Limits::default()
    };
    // The file is over the document limit, the body within the body limit.
    let a = call(
        router(state_with(limits.clone())),
        import_request(&[file(&vec![b'a'; 1001])]),
    )
    .await;
    a.assert_error(400, "APIG.3603");
    // The body is over the body limit (Content-Length known).
    let big = vec![b'a'; limits.max_body_bytes() + 1];
    let a = call(
        router(state_with(limits.clone())),
        import_request(&[file(&big)]),
    )
    .await;
    a.assert_error(400, "APIG.3603");
    // The body is over the body limit, streamed without Content-Length.
    let body = multipart(&[file(&big)]);
    let stream = futures_util::stream::iter(
        body.chunks(8192)
            .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
            .collect::<Vec<_>>(),
    );
    let request = Request::builder()
        .method("POST")
        .uri(import_path())
        .header("x-auth-token", token())
        .header("content-type", form_content_type())
        .body(Body::from_stream(stream))
        .expect("request");
    call(router(state_with(limits.clone())), request)
        .await
        .assert_error(400, "APIG.3603");
    // A known text field over its limit.
    let a = call(
        router(state_with(limits)),
        import_request(&[text("group_id", &"g".repeat(5000)), file(DOC)]),
    )
    .await;
    a.assert_error(400, "APIG.2006");
    assert!(a.message().contains("parameterName:group_id."), "{a:?}");
}

#[tokio::test]
async fn not_multipart() {
    for ct in [
        Some("application/json"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/mixed; boundary=b0undary"),
        Some("text/plain"),
        Some("garbage"),
        None,
    ] {
        let a = call(app(), post(&import_path(), ct, multipart(&[file(DOC)]))).await;
        a.assert_error(400, "APIG.2000");
        assert!(a.message().contains("multipart/form-data"), "{ct:?}: {a:?}");
    }
}

#[tokio::test]
async fn broken_multipart() {
    let good = multipart(&[text("api_mode", "merge"), file(DOC)]);
    let lf_only: Vec<u8> = String::from_utf8(good.clone())
        .expect("utf8")
        .replace("\r\n", "\n")
        .into_bytes();
    let cases: Vec<(&str, String, Vec<u8>)> = vec![
        ("no boundary", "multipart/form-data".into(), good.clone()),
        (
            "truncated",
            form_content_type(),
            good[..good.len() / 2].to_vec(),
        ),
        ("no closing boundary", form_content_type(), {
            let mut b = good.clone();
            b.truncate(b.len() - format!("--{BOUNDARY}--\r\n").len());
            b
        }),
        ("LF only", form_content_type(), lf_only),
        (
            "garbage",
            form_content_type(),
            b"\x00\x01 not a form at all".to_vec(),
        ),
        ("empty body", form_content_type(), Vec::new()),
        (
            "other boundary",
            "multipart/form-data; boundary=zzz".into(),
            good.clone(),
        ),
        ("bad part header", form_content_type(), {
            format!("--{BOUNDARY}\r\nContent-Disposition form-data name=file_name\r\n\r\nx\r\n--{BOUNDARY}--\r\n")
                .into_bytes()
        }),
    ];
    for (case, ct, body) in cases {
        let a = call(app(), post(&import_path(), Some(&ct), body)).await;
        a.assert_error(400, "APIG.2000");
        assert!(a.message().contains("multipart/form-data"), "{case}: {a:?}");
    }
}

#[tokio::test]
async fn truncated_and_garbage_are_2000() {
    let good = multipart(&[file(DOC)]);
    for body in [good[..good.len() - 10].to_vec(), b"garbage".to_vec()] {
        call(
            app(),
            post(&import_path(), Some(&form_content_type()), body),
        )
        .await
        .assert_error(400, "APIG.2000");
    }
    call(
        app(),
        post(&import_path(), Some("multipart/form-data"), good),
    )
    .await
    .assert_error(400, "APIG.2000");
}

#[tokio::test]
async fn arbitrary_bytes_never_500() {
    // A cheap deterministic fuzz: mutate a good body byte by byte.
    let good = multipart(&[text("is_create_group", "true"), file(DOC)]);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..300 {
        let mut body = good.clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed as usize) % body.len();
            body[at] = (seed >> 32) as u8;
        }
        let cut = (seed as usize >> 8) % (body.len() + 1);
        body.truncate(cut.max(body.len() / 2));
        let a = call(
            app(),
            post(&import_path(), Some(&form_content_type()), body),
        )
        .await;
        assert!(
            a.status.is_client_error() || a.code() == "APIG.9999" && a.status.as_u16() == 500,
            "{a:?}"
        );
        assert!(a.request_id.is_some());
    }
}

// ---------------------------------------------------------------- path ids and routing

#[tokio::test]
async fn bad_path_ids() {
    for (path, name) in [
        (
            format!("/v2/bad.project/apigw/instances/{INSTANCE}/openapi/import"),
            "project_id",
        ),
        (
            format!(
                "/v2/{}/apigw/instances/{INSTANCE}/openapi/import",
                "p".repeat(65)
            ),
            "project_id",
        ),
        (
            format!("/v2/a%20b/apigw/instances/{INSTANCE}/openapi/import"),
            "project_id",
        ),
        (
            format!("/v2/{PROJECT}/apigw/instances/a%2Fb/openapi/import"),
            "instance_id",
        ),
        (
            format!("/v2/{PROJECT}/apigw/instances/%E4%BD%A0/openapi/import"),
            "instance_id",
        ),
    ] {
        let a = call(
            app(),
            post(&path, Some(&form_content_type()), multipart(&[file(DOC)])),
        )
        .await;
        a.assert_error(400, "APIG.2012");
        assert!(
            a.message().contains(&format!("parameterName:{name}.")),
            "{path}: {a:?}"
        );
    }
}

#[tokio::test]
async fn percent_encoded_valid_ids_are_decoded() {
    // `%2D` is `-`: the decoded id is valid, so the request reaches authorization; the token
    // is for PROJECT, so this proves decoding by getting past the project check.
    let path = format!("/v2/{PROJECT}/apigw/instances/abc%2Ddef/openapi/import");
    call(
        live().await,
        post(&path, Some(&form_content_type()), multipart(&[file(DOC)])),
    )
    .await
    .assert_accepted();
}

#[tokio::test]
async fn stage_and_base_path_prefixes_route() {
    for prefix in ["/Prod", "/base/path", "/v1"] {
        let path = format!("{prefix}{}", import_path());
        call(
            live().await,
            post(&path, Some(&form_content_type()), multipart(&[file(DOC)])),
        )
        .await
        .assert_accepted();
        // And form errors behind a prefix are the same.
        call(
            live().await,
            post(&path, Some("application/json"), b"{}".to_vec()),
        )
        .await
        .assert_error(400, "APIG.2000");
    }
}

#[tokio::test]
async fn unknown_path_is_404() {
    for path in [
        "/",
        "/v2",
        "/v2/p/apigw/instances/i/openapi/import/extra",
        "/v2/p/apigw/instances/i/openapi/export",
        "/Prod/nothing",
    ] {
        let a = call(app(), post(path, None, Vec::new())).await;
        a.assert_error(404, "APIG.2000");
        assert_eq!(a.message(), "Not found");
    }
}

#[tokio::test]
async fn wrong_verb_is_405() {
    for method in ["GET", "PUT", "DELETE", "PATCH"] {
        for path in [import_path(), format!("/Prod{}", import_path())] {
            let request = Request::builder()
                .method(method)
                .uri(&path)
                .body(Body::empty())
                .expect("request");
            let a = call(app(), request).await;
            a.assert_error(405, "APIG.2000");
            assert_eq!(a.message(), "Method not allowed");
        }
    }
}

#[tokio::test]
async fn every_response_has_a_distinct_request_id() {
    let a = call(app(), import_request(&[file(DOC)])).await;
    let b = call(app(), import_request(&[file(DOC)])).await;
    let (a, b) = (a.request_id.expect("id"), b.request_id.expect("id"));
    assert_ne!(a, b);
    // A client-sent X-Request-Id is not trusted.
    let mut request = import_request(&[]);
    request
        .headers_mut()
        .insert("x-request-id", "client-chosen".parse().expect("value"));
    let c = call(app(), request).await;
    assert_ne!(c.request_id.as_deref(), Some("client-chosen"));
}

#[tokio::test]
async fn odd_content_dispositions_are_clear_400s_or_accepted() {
    // Upper-case `NAME=` is `name=` by the grammar (parameter names are case-insensitive)
    // but not for multer: the part's name is ambiguous, and the form refused.
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; NAME=\"file_name\"; filename=\"a.yaml\"\r\n\r\nswagger: '2.0'\r\n--{BOUNDARY}--\r\n"
    );
    let a = call(
        app(),
        post(
            &import_path(),
            Some(&form_content_type()),
            body.into_bytes(),
        ),
    )
    .await;
    a.assert_error(400, "APIG.2000");
    assert!(a.message().contains("unambiguously"), "{a:?}");
    // `filename*` before `filename`: the document is still read.
    let body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file_name\"; filename*=UTF-8''a%20b.yaml; filename=\"a.yaml\"\r\n\r\nswagger: '2.0'\r\n--{BOUNDARY}--\r\n"
    );
    call(
        live().await,
        post(
            &import_path(),
            Some(&form_content_type()),
            body.into_bytes(),
        ),
    )
    .await
    .assert_accepted();
    // A part without any Content-Disposition is ignored.
    let body = format!(
        "--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nstray\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file_name\"\r\n\r\nswagger: '2.0'\r\n--{BOUNDARY}--\r\n"
    );
    call(
        live().await,
        post(
            &import_path(),
            Some(&form_content_type()),
            body.into_bytes(),
        ),
    )
    .await
    .assert_accepted();
}
