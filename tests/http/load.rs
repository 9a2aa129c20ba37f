//! `apig serve` under load: 200 small imports sent at once into 20 groups of one instance
//! (the real binary on loopback, SQLite store) end with exact totals — every group holds
//! exactly its documents' APIs, re-read through ListApisV2 — and no error but the expected
//! one: each group's ten documents share one route, which only the first import creates
//! (the others get APIG.3301 for it).
//!
//! Bounded: a fixed number of requests, one thread each, a client with connect, read and
//! write timeouts, the server killed at the end. It prints the wall time and the p50/p99
//! latency of the imports.

use crate::support::serve::DemoServer as Server;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const GROUPS: usize = 20;
const IMPORTS: usize = 200;
/// Routes of each document that no other document has.
const OWN_ROUTES: usize = 3;
/// How long any one request may take before the test fails (the machine is shared).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
const BOUNDARY: &str = "loadTestBoundary7MA4YWxk";

impl Server {
    fn base(&self) -> String {
        format!("/v2/{}/apigw/instances/{}", self.project, self.instance)
    }

    /// One import of `document` with these form fields.
    fn import(&self, fields: &[(&str, &str)], document: &str) -> Result<Answer, String> {
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file_name\"; \
                 filename=\"api.yaml\"\r\n\r\n{document}\r\n--{BOUNDARY}--\r\n"
            )
            .as_bytes(),
        );
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        self.call(
            "POST",
            &format!("{}/openapi/import", self.base()),
            Some((&content_type, &body)),
        )
    }

    /// One request on its own connection (`Connection: close`), bounded by
    /// [`REQUEST_TIMEOUT`] at every step.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<(&str, &[u8])>,
    ) -> Result<Answer, String> {
        let mut stream = TcpStream::connect_timeout(&self.addr(), REQUEST_TIMEOUT)
            .map_err(|e| format!("connect: {e}"))?;
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
            .map_err(|e| format!("timeouts: {e}"))?;
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nX-Auth-Token: {}\r\nConnection: close\r\n",
            self.authority, self.token
        )
        .into_bytes();
        if let Some((content_type, bytes)) = body {
            request.extend_from_slice(
                format!(
                    "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                    bytes.len()
                )
                .as_bytes(),
            );
            request.extend_from_slice(b"\r\n");
            request.extend_from_slice(bytes);
        } else {
            request.extend_from_slice(b"\r\n");
        }
        stream
            .write_all(&request)
            .map_err(|e| format!("write: {e}"))?;
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .map_err(|e| format!("read: {e}"))?;
        Answer::parse(&raw)
    }
}

/// A response: status and JSON body.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: serde_json::Value,
}

impl Answer {
    fn parse(raw: &[u8]) -> Result<Answer, String> {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("no response head in {text:?}"))?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("no status in {head:?}"))?;
        let chunked = head.lines().any(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("transfer-encoding:") && l.contains("chunked")
        });
        let body = if chunked {
            dechunk(body)?
        } else {
            body.to_string()
        };
        let body =
            serde_json::from_str(&body).map_err(|e| format!("{status} body {body:?}: {e}"))?;
        Ok(Answer { status, body })
    }

    /// `(METHOD, path)` of the items of one array of an import response.
    fn routes(&self, array: &str) -> Vec<(String, String)> {
        self.body[array]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| {
                        (
                            i["method"].as_str().unwrap_or("").to_string(),
                            i["path"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A chunked body's data.
fn dechunk(mut body: &str) -> Result<String, String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body
            .split_once("\r\n")
            .ok_or_else(|| format!("bad chunk in {body:?}"))?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("chunk size {size:?}: {e}"))?;
        if size == 0 {
            return Ok(out);
        }
        let chunk = rest
            .get(..size)
            .ok_or_else(|| format!("short chunk in {rest:?}"))?;
        out.push_str(chunk);
        body = rest.get(size + 2..).unwrap_or("");
    }
}

/// The shared route of group `g`: every document of the group has it.
fn shared_route(g: usize) -> (String, String) {
    ("GET".to_string(), format!("/load/g{g}/shared"))
}

/// The routes document `k` (of group `k % GROUPS`) alone has.
fn own_routes(k: usize) -> Vec<(String, String)> {
    let g = k % GROUPS;
    (0..OWN_ROUTES)
        .map(|r| {
            let method = if r % 2 == 0 { "GET" } else { "POST" };
            (method.to_string(), format!("/load/g{g}/doc{k}/r{r}"))
        })
        .collect()
}

/// Document `k`: its own routes and its group's shared one (named alike in every document
/// of the group: the route, not the name, is what the losers trip on).
fn document(k: usize) -> String {
    let g = k % GROUPS;
    let mut paths = String::new();
    let (_, shared) = shared_route(g);
    paths.push_str(&format!(
        "  {shared}:\n    get:\n      operationId: shared_g{g}\n      responses: {{'200': {{description: ok}}}}\n"
    ));
    for (r, (method, path)) in own_routes(k).into_iter().enumerate() {
        paths.push_str(&format!(
            "  {path}:\n    {}:\n      operationId: doc{k}_r{r}\n      responses: {{'200': {{description: ok}}}}\n",
            method.to_ascii_lowercase()
        ));
    }
    format!("swagger: '2.0'\ninfo: {{title: load_doc_{k}, version: '1'}}\npaths:\n{paths}")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[test]
fn two_hundred_concurrent_imports_into_twenty_groups_end_with_exact_totals() {
    let server = Arc::new(Server::start(&[]));

    // The groups, created one by one.
    let groups: Vec<String> = (0..GROUPS)
        .map(|g| {
            let empty = format!(
                "swagger: '2.0'\ninfo: {{title: load_group_{g}, version: '1'}}\npaths: {{}}\n"
            );
            let answer = server.import(&[], &empty).expect("create group");
            assert_eq!(answer.status, 200, "{:?}", answer.body);
            answer.body["group_id"]
                .as_str()
                .unwrap_or_else(|| panic!("no group id in {}", answer.body))
                .to_string()
        })
        .collect();

    // All imports at once: one thread each, released together.
    let start = Arc::new(Barrier::new(IMPORTS + 1));
    let threads: Vec<_> = (0..IMPORTS)
        .map(|k| {
            let server = Arc::clone(&server);
            let start = Arc::clone(&start);
            let group = groups[k % GROUPS].clone();
            let doc = document(k);
            std::thread::spawn(move || {
                start.wait();
                let began = Instant::now();
                let answer =
                    server.import(&[("is_create_group", "false"), ("group_id", &group)], &doc);
                (began.elapsed(), answer)
            })
        })
        .collect();
    start.wait();
    let wall_start = Instant::now();
    let results: Vec<(Duration, Result<Answer, String>)> = threads
        .into_iter()
        .map(|t| t.join().expect("client thread"))
        .collect();
    let wall = wall_start.elapsed();

    let mut latencies: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    latencies.sort();
    println!(
        "load: {IMPORTS} concurrent imports into {GROUPS} groups on apig serve: wall {wall:?}, \
         p50 {:?}, p99 {:?}, max {:?}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or_default()
    );

    // Every import answered 200; its own routes created; the shared route created by
    // exactly one import per group, refused with APIG.3301 for the others.
    let mut shared_winners: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, (_, answer)) in results.iter().enumerate() {
        let answer = answer
            .as_ref()
            .unwrap_or_else(|e| panic!("import {k}: {e}"));
        assert_eq!(answer.status, 200, "import {k}: {}", answer.body);
        let g = k % GROUPS;
        let created: BTreeSet<_> = answer.routes("success").into_iter().collect();
        let own: BTreeSet<_> = own_routes(k).into_iter().collect();
        assert!(own.is_subset(&created), "import {k}: {}", answer.body);
        let failures = answer.body["failure"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if created.contains(&shared_route(g)) {
            assert_eq!(created.len(), OWN_ROUTES + 1, "import {k}: {}", answer.body);
            assert!(failures.is_empty(), "import {k}: {}", answer.body);
            shared_winners.entry(g).or_default().push(k);
        } else {
            assert_eq!(created.len(), OWN_ROUTES, "import {k}: {}", answer.body);
            assert_eq!(
                answer.routes("failure"),
                vec![shared_route(g)],
                "import {k}: {}",
                answer.body
            );
            assert_eq!(
                failures[0]["error_code"], "APIG.3301",
                "import {k}: {}",
                answer.body
            );
        }
    }
    for g in 0..GROUPS {
        assert_eq!(
            shared_winners.get(&g).map(Vec::len),
            Some(1),
            "group {g}: the shared route created by {:?}",
            shared_winners.get(&g)
        );
    }

    // The stored state, re-read through ListApisV2: each group exactly its documents' routes.
    let mut total = 0;
    for (g, group) in groups.iter().enumerate() {
        let answer = server
            .call(
                "GET",
                &format!("{}/apis?group_id={group}&limit=500", server.base()),
                None,
            )
            .unwrap_or_else(|e| panic!("list group {g}: {e}"));
        assert_eq!(answer.status, 200, "group {g}: {}", answer.body);
        let listed: BTreeSet<(String, String)> = answer.body["apis"]
            .as_array()
            .unwrap_or_else(|| panic!("no apis in {}", answer.body))
            .iter()
            .map(|a| {
                (
                    a["req_method"].as_str().unwrap_or("").to_string(),
                    a["req_uri"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let mut expected: BTreeSet<(String, String)> = (0..IMPORTS)
            .filter(|k| k % GROUPS == g)
            .flat_map(own_routes)
            .collect();
        expected.insert(shared_route(g));
        assert_eq!(listed, expected, "group {g}");
        assert_eq!(answer.body["total"], expected.len(), "group {g}");
        total += expected.len();
    }
    assert_eq!(total, IMPORTS * OWN_ROUTES + GROUPS);
}
