//! Test instruments for the DynamoDB store: SDK interceptors that count requests per
//! operation, sequential round trips and write capacity, and that make the Nth request
//! fail. Add them to a client configuration with
//! [`aws_sdk_dynamodb::config::Builder::interceptor`].

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The operation of a request (`Query`, `TransactWriteItems`, ...), from `X-Amz-Target`.
fn operation(context: &BeforeTransmitInterceptorContextRef<'_>) -> String {
    context
        .request()
        .headers()
        .get("x-amz-target")
        .map(|t| t.rsplit('.').next().unwrap_or(t).to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Counts the requests sent (every attempt, retries included) per operation.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests of one operation so far.
    pub fn get(&self, operation: &str) -> u64 {
        self.snapshot().get(operation).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        match self.counts.lock() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn reset(&self) {
        match self.counts.lock() {
            Ok(mut c) => c.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = operation(context);
        match self.counts.lock() {
            Ok(mut c) => *c.entry(op).or_default() += 1,
            Err(poisoned) => *poisoned.into_inner().entry(op).or_default() += 1,
        }
        Ok(())
    }
}

/// Where an injected fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailPoint {
    /// The request is never sent.
    BeforeSend,
    /// The request reaches the server and is carried out; its response is lost.
    AfterSend,
    /// The request is carried out, but its response is replaced by a
    /// `ThrottlingException` (HTTP 400): the SDK retries it.
    Throttled,
}

/// Makes the `n`th request (1-based; of one operation if given) fail, once. The SDK does
/// not retry an interceptor's error, so the caller sees it.
#[derive(Debug, Clone)]
pub struct FailNth {
    inner: Arc<FailState>,
}

#[derive(Debug)]
struct FailState {
    n: u64,
    operation: Option<String>,
    point: FailPoint,
    seen: AtomicU64,
    armed: AtomicBool,
    fired: AtomicBool,
}

impl FailNth {
    pub fn new(n: u64, operation: Option<&str>, point: FailPoint) -> Self {
        FailNth {
            inner: Arc::new(FailState {
                n,
                operation: operation.map(str::to_string),
                point,
                seen: AtomicU64::new(0),
                armed: AtomicBool::new(false),
                fired: AtomicBool::new(false),
            }),
        }
    }

    /// Has the fault struck?
    pub fn fired(&self) -> bool {
        self.inner.fired.load(Ordering::SeqCst)
    }

    /// Requests seen (of the operation, if one was given).
    pub fn seen(&self) -> u64 {
        self.inner.seen.load(Ordering::SeqCst)
    }
}

impl Intercept for FailNth {
    fn name(&self) -> &'static str {
        "FailNth"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let s = &self.inner;
        if let Some(op) = &s.operation {
            if &operation(context) != op {
                return Ok(());
            }
        }
        let seen = s.seen.fetch_add(1, Ordering::SeqCst) + 1;
        if seen != s.n {
            return Ok(());
        }
        match s.point {
            FailPoint::BeforeSend => {
                s.fired.store(true, Ordering::SeqCst);
                Err(format!("injected fault before request {seen}").into())
            }
            FailPoint::AfterSend | FailPoint::Throttled => {
                s.armed.store(true, Ordering::SeqCst);
                Ok(())
            }
        }
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let s = &self.inner;
        if !s.armed.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        s.fired.store(true, Ordering::SeqCst);
        if s.point == FailPoint::AfterSend {
            return Err(format!("injected fault after request {} was sent", s.n).into());
        }
        let response = context.response_mut();
        *response.status_mut() = 400u16.try_into()?;
        response.headers_mut().remove("content-length");
        response.headers_mut().remove("x-amz-crc32");
        *response.body_mut() = String::from(
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"injected throttling"}"#,
        )
        .into();
        Ok(())
    }
}

/// The control endpoints of the test server's conflict emulator
/// (`scripts/dynamodb_conflicts.py`): per-table hold time and request statistics. Plain
/// HTTP/1.1 over a blocking socket: it is a test instrument, called between requests.
#[derive(Debug, Clone)]
pub struct Emulator {
    addr: String,
}

/// What the emulator counted (globally, or for one table).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmulatorStats {
    pub requests: BTreeMap<String, u64>,
    pub total: u64,
    /// Transactions cancelled with `TransactionConflict`.
    pub cancelled: u64,
    /// Single-item writes refused with `TransactionConflictException`.
    pub conflicts: u64,
    /// Transactions answered from their `ClientRequestToken`, not applied again.
    pub replays: u64,
    /// The server is down (an outage struck and has not ended).
    pub down: bool,
    /// Requests the current outage dropped (answered by a closed connection).
    pub dropped: u64,
}

impl Emulator {
    /// The emulator in front of the server at `endpoint` (`http://host:port`), if there is
    /// one (plain moto has no control endpoints).
    pub fn at(endpoint: &str) -> Option<Self> {
        let addr = endpoint
            .strip_prefix("http://")?
            .trim_end_matches('/')
            .to_string();
        let emulator = Emulator { addr };
        emulator.stats(None).ok().map(|_| emulator)
    }

    fn call(&self, method: &str, path: &str, body: &str) -> Result<String, String> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.addr).map_err(|e| e.to_string())?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(|e| e.to_string())?;
        let (head, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("malformed response {response:?}"))?;
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            return Err(format!("{method} {path}: {head}"));
        }
        Ok(body.to_string())
    }

    /// Statistics, of `table` or of everything.
    pub fn stats(&self, table: Option<&str>) -> Result<EmulatorStats, String> {
        let path = match table {
            Some(t) => format!("/_emulator/stats?table={t}"),
            None => "/_emulator/stats".to_string(),
        };
        let body = self.call("GET", &path, "")?;
        let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
        let num = |name: &str| v.get(name).and_then(serde_json::Value::as_u64).unwrap_or(0);
        let requests = v
            .get("requests")
            .and_then(serde_json::Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        Ok(EmulatorStats {
            requests,
            total: num("total"),
            cancelled: num("transactions_cancelled_by_conflict"),
            conflicts: num("single_writes_conflicted"),
            replays: num("idempotent_replays"),
            down: v
                .pointer("/outage/down")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            dropped: v
                .pointer("/outage/dropped")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
        })
    }

    /// Keep the committed transactions on `table` in flight for `ms` milliseconds.
    pub fn set_hold(&self, table: &str, ms: u64) -> Result<(), String> {
        let body = serde_json::json!({ "table": table, "hold_ms": ms }).to_string();
        self.call("POST", "/_emulator/hold", &body).map(|_| ())
    }

    /// Plan an outage: `after` more DynamoDB requests are served, then the server dies on
    /// the next one — carried out first if `last_applied` (it committed, then died), or
    /// not — and closes its connection unanswered; every later request is dropped the same
    /// way until [`Emulator::end_outage`]. The data survives (the server's memory), as
    /// after a restart of a server with durable storage.
    pub fn outage(&self, after: u64, last_applied: bool) -> Result<(), String> {
        let body = serde_json::json!({ "after": after, "last_applied": last_applied });
        self.call("POST", "/_emulator/outage", &body.to_string())
            .map(|_| ())
    }

    /// The server is back: every request is served again.
    pub fn end_outage(&self) -> Result<(), String> {
        self.call("POST", "/_emulator/outage", r#"{"after":null}"#)
            .map(|_| ())
    }
}

/// Sequential round trips, counted as waves: a wave starts when a request is sent while
/// none is in flight, so requests sent together (a round's transactions) are one round
/// trip and each request that waited for an answer starts another. Exact for one caller's
/// requests; for concurrent callers whose waves overlap it is a lower bound. Every attempt
/// counts.
#[derive(Debug, Clone, Default)]
pub struct RoundTrips {
    state: Arc<Mutex<RoundState>>,
}

#[derive(Debug, Default)]
struct RoundState {
    waves: u64,
    in_flight: u64,
}

impl RoundTrips {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut RoundState) -> T) -> T {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Waves since the last reset.
    pub fn get(&self) -> u64 {
        self.with(|s| s.waves)
    }

    pub fn reset(&self) {
        self.with(|s| s.waves = 0);
    }
}

impl Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.with(|s| {
            if s.in_flight == 0 {
                s.waves += 1;
            }
            s.in_flight += 1;
        });
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.with(|s| s.in_flight = s.in_flight.saturating_sub(1));
        Ok(())
    }
}

/// Write capacity of the requests sent, by DynamoDB's documented rules, computed from the
/// requests themselves (a test server reports no real figure): a write is one unit per KB
/// of the item (rounded up), twice that inside `TransactWriteItems`; a write of an item
/// with a listing order (`ord`) also writes its entries of the two local secondary indexes
/// (the whole item, and one unit for the keys entry); a group item's counter update
/// rewrites both entries (one unit each). Items that an update or delete does not carry
/// whole are counted at their key and the values written (at least one unit). Every
/// attempt counts, cancelled transactions included (DynamoDB charges them too).
#[derive(Debug, Clone, Default)]
pub struct WriteUnits {
    units: Arc<AtomicU64>,
}

impl WriteUnits {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self) -> u64 {
        self.units.load(Ordering::Relaxed)
    }

    pub fn reset(&self) {
        self.units.store(0, Ordering::Relaxed);
    }
}

/// Size of a DynamoDB-JSON attribute value (`{"S": ...}`, `{"N": ...}`, `{"M": {...}}`).
fn json_value_size(value: &serde_json::Value) -> u64 {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 1;
    };
    let len = |s: &str| u64::try_from(s.len()).unwrap_or(u64::MAX);
    match (kind.as_str(), inner) {
        ("S" | "B", serde_json::Value::String(s)) => len(s),
        ("N", serde_json::Value::String(n)) => len(n).div_ceil(2) + 1,
        ("M", serde_json::Value::Object(m)) => {
            3 + m
                .iter()
                .map(|(k, v)| len(k) + json_value_size(v) + 1)
                .sum::<u64>()
        }
        ("L", serde_json::Value::Array(l)) => {
            3 + l.iter().map(|v| json_value_size(v) + 1).sum::<u64>()
        }
        _ => 1,
    }
}

/// Size of a DynamoDB-JSON map of attributes (an item, a key, expression values).
pub fn json_item_size(attributes: Option<&serde_json::Value>) -> u64 {
    attributes
        .and_then(serde_json::Value::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| u64::try_from(k.len()).unwrap_or(u64::MAX) + json_value_size(v))
                .sum()
        })
        .unwrap_or(0)
}

/// Write units of one write action (`Put`, `Update`, `Delete`, `ConditionCheck` body), not
/// yet doubled for a transaction; and the index units it adds.
fn action_units(kind: &str, action: &serde_json::Value) -> (u64, u64) {
    let kb = |bytes: u64| bytes.div_ceil(1024).max(1);
    let ord = crate::store::dynamodb::table::ORDER_ATTRIBUTE;
    match kind {
        "Put" => {
            let item = action.get("Item");
            let units = kb(json_item_size(item));
            let indexed = item.and_then(|i| i.get(ord)).is_some();
            (units, if indexed { units + 1 } else { 0 })
        }
        "Update" => {
            let size = json_item_size(action.get("Key"))
                + json_item_size(action.get("ExpressionAttributeValues"));
            let units = kb(size);
            let sets_order = action
                .get("ExpressionAttributeNames")
                .and_then(serde_json::Value::as_object)
                .is_some_and(|names| names.values().any(|v| v.as_str() == Some(ord)));
            let group_item = action
                .pointer("/Key/sk/S")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|sk| sk.starts_with(crate::store::dynamodb::keys::GROUP_PREFIX));
            let index = if sets_order {
                units + 1
            } else if group_item {
                2
            } else {
                0
            };
            (units, index)
        }
        _ => (1, 0),
    }
}

impl Intercept for WriteUnits {
    fn name(&self) -> &'static str {
        "WriteUnits"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = operation(context);
        let Some(body) = context.request().body().bytes() else {
            return Ok(());
        };
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
            return Ok(());
        };
        let units = match op.as_str() {
            "TransactWriteItems" => json
                .get("TransactItems")
                .and_then(serde_json::Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.as_object().and_then(|o| o.iter().next()))
                        .map(|(kind, action)| {
                            let (units, index) = action_units(kind, action);
                            2 * units + index
                        })
                        .sum()
                })
                .unwrap_or(0),
            "PutItem" => {
                let (units, index) = action_units("Put", &json);
                units + index
            }
            "UpdateItem" => {
                let (units, index) = action_units("Update", &json);
                units + index
            }
            "DeleteItem" => 1,
            _ => 0,
        };
        self.units.fetch_add(units, Ordering::Relaxed);
        Ok(())
    }
}
