"""A WSGI layer in front of moto that makes it conflict the way DynamoDB does.

DynamoDB keeps a `TransactWriteItems` "in flight" while it commits: any other transaction
that touches one of its items meanwhile is cancelled (`TransactionCanceledException`, with
`TransactionConflict` for the contested actions and `None` for the others), and a single-item
write (`PutItem`, `UpdateItem`, `DeleteItem`) on such an item fails with
`TransactionConflictException`. moto applies a transaction at once and never conflicts, so
a store that fights itself passes on moto and pays twice on DynamoDB. This layer:

* applies every request one at a time (moto's transactions are not isolated across server
  threads) -- the emulator stays serializable;
* after applying a committed `TransactWriteItems`, holds its items "in flight" for
  `APIG_TEST_DYNAMODB_TX_HOLD_MS` (default 5 ms; per table: `POST /_emulator/hold`) before
  answering, while other requests proceed; conflicting requests meanwhile are answered as
  DynamoDB answers them;
* honours `ClientRequestToken`: a committed transaction sent again with the same token
  (within 10 minutes) is answered as committed and not applied again; with other
  parameters it is an `IdempotentParameterMismatchException`; while the first is still in
  flight, a `TransactionInProgressException` (as DynamoDB);
* delays every request by `APIG_TEST_DYNAMODB_LATENCY_MS` (default 0);
* forwards the requests of other services (S3, SQS: moto serves them on the same endpoint)
  unchanged, chunked uploads included;
* counts requests, cancellations and conflicts, globally and per table:
  `GET /_emulator/stats[?table=NAME]`, `POST /_emulator/reset`;
* plays a server that dies and comes back with its data (`POST /_emulator/outage`, below).

An outage: `POST /_emulator/outage {"after": N, "last_applied": true|false}` lets N more
DynamoDB requests through, then the server is down: the next request is carried out
(`last_applied`, default true: the server died after committing it) or not, and its
connection is closed without an answer; every later request has its connection closed
unread, until `POST /_emulator/outage {"after": null}` brings the server back (moto keeps
its tables in memory, so the data is what it was). `GET /_emulator/stats` reports the
outage and how many requests it dropped.
"""

import socket

import hashlib
import json
import os
import threading
import time
from collections import Counter
from io import BytesIO
from urllib.parse import parse_qs

from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

PREFIX = "com.amazonaws.dynamodb.v20120810#"
TOKEN_TTL_S = 600
SINGLE_WRITES = ("PutItem", "UpdateItem", "DeleteItem")


def _env_ms(name, default):
    try:
        return max(0.0, float(os.environ.get(name, default))) / 1000.0
    except ValueError:
        return default / 1000.0


class Stats:
    def __init__(self):
        self.requests = Counter()
        self.cancelled = 0
        self.conflicts = 0
        self.idempotent_replays = 0

    def as_json(self):
        return {
            "requests": dict(self.requests),
            "total": sum(self.requests.values()),
            "transactions_cancelled_by_conflict": self.cancelled,
            "single_writes_conflicted": self.conflicts,
            "idempotent_replays": self.idempotent_replays,
        }


def _json_response(start_response, status, body, content_type="application/json"):
    data = json.dumps(body).encode()
    start_response(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(data)))],
    )
    return [data]


def _error(start_response, kind, body):
    body = dict(body)
    body["__type"] = PREFIX + kind
    return _json_response(
        start_response, "400 Bad Request", body, "application/x-amz-json-1.0"
    )


class ConflictingDynamoDB:
    """The WSGI application: `app` is moto's."""

    def __init__(self, app):
        self.app = app
        # Applies requests one at a time and guards the state below.
        self.lock = threading.Lock()
        self.default_hold = _env_ms("APIG_TEST_DYNAMODB_TX_HOLD_MS", 5)
        self.latency = _env_ms("APIG_TEST_DYNAMODB_LATENCY_MS", 0)
        self.holds = {}  # table -> seconds
        self.in_flight = {}  # item key -> transaction id
        self.tokens = {}  # token -> (digest, expiry, state: "flight" | "done")
        self.stats = Stats()
        self.table_stats = {}
        self.next_tx = 0
        # The outage: requests still let through (None: no outage planned), whether the
        # first struck request is carried out, whether the server is down, and what it
        # dropped.
        self.outage_after = None
        self.outage_last_applied = True
        self.down = False
        self.dropped = 0

    # -- helpers -------------------------------------------------------------------------

    def _stats_of(self, table):
        return self.table_stats.setdefault(table, Stats())

    def _count(self, tables, op):
        self.stats.requests[op] += 1
        for t in tables:
            self._stats_of(t).requests[op] += 1

    @staticmethod
    def _region(environ):
        auth = environ.get("HTTP_AUTHORIZATION", "")
        try:
            return auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")[2]
        except IndexError:
            return "us-east-1"

    @staticmethod
    def _key_of(backend, table_name, attrs):
        """The identity of an item: its table and key attributes (the item itself when
        the table is unknown: moto will report that)."""
        try:
            table = backend.get_table(table_name)
            names = [table.hash_key_attr]
            if table.range_key_attr is not None:
                names.append(table.range_key_attr)
            key = {n: attrs.get(n) for n in names}
        except Exception:
            key = attrs
        return table_name + "\x00" + json.dumps(key, sort_keys=True)

    def _action_keys(self, environ, op, body):
        """[(table, item key)] touched by the request, one per action for transactions."""
        backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][self._region(environ)]
        out = []
        if op == "TransactWriteItems":
            for entry in body.get("TransactItems", []):
                kind, action = next(iter(entry.items()), (None, {}))
                attrs = action.get("Item") if kind == "Put" else action.get("Key")
                table = action.get("TableName", "")
                out.append((table, self._key_of(backend, table, attrs or {})))
        elif op in SINGLE_WRITES:
            attrs = body.get("Item") if op == "PutItem" else body.get("Key")
            table = body.get("TableName", "")
            out.append((table, self._key_of(backend, table, attrs or {})))
        return out

    @staticmethod
    def _read_body(environ):
        """The whole request body. Requests of other services (S3, SQS) pass through this
        layer untouched, and an S3 upload may come chunked, without a Content-Length."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length:
            return environ["wsgi.input"].read(length)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked or environ.get("wsgi.input_terminated"):
            return environ["wsgi.input"].read()
        return b""

    def _call_moto(self, environ, raw):
        environ["wsgi.input"] = BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        # The body is whole now: moto must not expect chunks.
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = False
        captured = {}

        def start(status, headers, exc_info=None):
            captured["status"] = status
            captured["headers"] = headers

        result = self.app(environ, start)
        try:
            data = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return captured.get("status", "500 Internal Server Error"), captured.get(
            "headers", []
        ), data

    # -- control endpoints ---------------------------------------------------------------

    def _control(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        with self.lock:
            if path == "/_emulator/stats":
                table = query.get("table", [None])[0]
                stats = self.stats if table is None else self._stats_of(table)
                body = stats.as_json()
                body["tx_hold_ms"] = self.default_hold * 1000
                body["latency_ms"] = self.latency * 1000
                body["outage"] = {
                    "down": self.down,
                    "after": self.outage_after,
                    "dropped": self.dropped,
                }
                return _json_response(start_response, "200 OK", body)
            if path == "/_emulator/reset":
                self.stats = Stats()
                self.table_stats = {}
                return _json_response(start_response, "200 OK", {})
            if path == "/_emulator/hold":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                req = json.loads(environ["wsgi.input"].read(length) or b"{}")
                self.holds[req["table"]] = max(0, float(req["hold_ms"])) / 1000.0
                return _json_response(start_response, "200 OK", {})
            if path == "/_emulator/outage":
                length = int(environ.get("CONTENT_LENGTH") or 0)
                req = json.loads(environ["wsgi.input"].read(length) or b"{}")
                after = req.get("after")
                self.outage_after = None if after is None else max(0, int(after))
                self.outage_last_applied = bool(req.get("last_applied", True))
                self.down = False
                self.dropped = 0
                return _json_response(start_response, "200 OK", {})
        return _json_response(start_response, "404 Not Found", {})

    # -- outage --------------------------------------------------------------------------

    def _fate(self):
        """What the outage does to the next DynamoDB request: "serve", "apply_then_drop"
        (the request that the server dies on) or "drop"."""
        with self.lock:
            if self.outage_after is None:
                return "serve"
            if self.down:
                self.dropped += 1
                return "drop"
            if self.outage_after > 0:
                self.outage_after -= 1
                return "serve"
            self.down = True
            self.dropped += 1
            return "apply_then_drop" if self.outage_last_applied else "drop"

    @staticmethod
    def _drop(environ):
        """Close the client's connection without an answer, as a killed server does.
        werkzeug treats the ConnectionError as a client that went away (no log line, no
        500 written)."""
        sock = environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionAbortedError("emulated outage")

    # -- requests ------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith("/_emulator/"):
            return self._control(environ, start_response)
        is_dynamodb = environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_")
        fate = self._fate() if is_dynamodb else "serve"
        if fate == "drop":
            self._drop(environ)
        result = self._serve(environ, start_response)
        if fate == "apply_then_drop":
            self._drop(environ)
        return result

    def _serve(self, environ, start_response):
        raw = self._read_body(environ)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        op = target.rsplit(".", 1)[-1] if target.startswith("DynamoDB_") else None
        if self.latency:
            time.sleep(self.latency)
        if op is None:
            with self.lock:
                status, headers, data = self._call_moto(environ, raw)
            start_response(status, headers)
            return [data]
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        # DynamoDB's limit, which moto does not check: at most 100 actions per transaction.
        if op == "TransactWriteItems" and len(body.get("TransactItems", [])) > 100:
            return _error(
                start_response,
                "ValidationException",
                {
                    "message": "1 validation error detected: Value at 'transactItems' failed "
                    "to satisfy constraint: Member must have length less than or equal to 100"
                },
            )
        actions = self._action_keys(environ, op, body)
        tables = sorted({t for t, _ in actions} | {body.get("TableName", "")} - {""})
        hold = 0.0
        tx = None
        with self.lock:
            self._count(tables, op)
            if actions:
                # Another transaction in flight on one of the items: cancelled / refused.
                busy = [key in self.in_flight for _, key in actions]
                if any(busy):
                    if op == "TransactWriteItems":
                        self.stats.cancelled += 1
                        for t in tables:
                            self._stats_of(t).cancelled += 1
                        codes = ["TransactionConflict" if b else "None" for b in busy]
                        reasons = [
                            {
                                "Code": "TransactionConflict",
                                "Message": "Transaction is ongoing for the item",
                            }
                            if b
                            else {"Code": "None"}
                            for b in busy
                        ]
                        return _error(
                            start_response,
                            "TransactionCanceledException",
                            {
                                "CancellationReasons": reasons,
                                "Message": "Transaction cancelled, please refer cancellation "
                                "reasons for specific reasons [" + ", ".join(codes) + "]",
                            },
                        )
                    self.stats.conflicts += 1
                    for t in tables:
                        self._stats_of(t).conflicts += 1
                    return _error(
                        start_response,
                        "TransactionConflictException",
                        {"message": "Transaction is ongoing for the item"},
                    )
            token = body.get("ClientRequestToken") if op == "TransactWriteItems" else None
            digest = None
            if token:
                now = time.monotonic()
                self.tokens = {t: v for t, v in self.tokens.items() if v[1] > now}
                unsigned = dict(body)
                unsigned.pop("ClientRequestToken", None)
                digest = hashlib.sha256(
                    json.dumps(unsigned, sort_keys=True).encode()
                ).hexdigest()
                seen = self.tokens.get(token)
                if seen is not None:
                    if seen[0] != digest:
                        return _error(
                            start_response,
                            "IdempotentParameterMismatchException",
                            {"message": "The request uses the same client token as a "
                             "previous, but non-identical request."},
                        )
                    if seen[2] == "flight":
                        return _error(
                            start_response,
                            "TransactionInProgressException",
                            {"message": "The transaction with the given request token "
                             "is already in progress."},
                        )
                    self.stats.idempotent_replays += 1
                    for t in tables:
                        self._stats_of(t).idempotent_replays += 1
                    return _json_response(
                        start_response, "200 OK", {}, "application/x-amz-json-1.0"
                    )
            status, headers, data = self._call_moto(environ, raw)
            if op == "TransactWriteItems" and status.startswith("200"):
                hold = max([self.holds.get(t, self.default_hold) for t in tables] or [0])
                self.next_tx += 1
                tx = self.next_tx
                if hold > 0:
                    for _, key in actions:
                        self.in_flight[key] = tx
                if token:
                    self.tokens[token] = (
                        digest,
                        time.monotonic() + TOKEN_TTL_S,
                        "flight" if hold > 0 else "done",
                    )
        if tx is not None and hold > 0:
            # In flight: other requests run meanwhile and conflict with its items.
            time.sleep(hold)
            with self.lock:
                for _, key in actions:
                    if self.in_flight.get(key) == tx:
                        del self.in_flight[key]
                token = body.get("ClientRequestToken")
                if token and token in self.tokens:
                    d, exp, _ = self.tokens[token]
                    self.tokens[token] = (d, exp, "done")
        start_response(status, headers)
        return [data]
