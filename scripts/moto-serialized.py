"""moto's server (as `moto_server`), handling one request at a time.

moto's DynamoDB applies a TransactWriteItems by snapshotting the table, writing item by
item and restoring the snapshot on cancellation, with no lock: two requests on two server
threads can interleave, and a cancelled transaction's rollback can erase another's
committed writes. DynamoDB's transactions are serializable, so the tests run moto with one
lock around each request. Connections are still accepted concurrently.

moto also snapshots the *whole table* (a deep copy) before every transaction, which makes
an import into a large group quadratic; with requests serialized, a snapshot of the items
the transaction touches is enough, and that is what this launcher takes instead.

moto sizes a query's 1 MB page by whole items even when it reads an index; DynamoDB by the
index entries read. A query of a keys-only index (`order_keys`: a few hundred bytes per
entry) returns thousands of entries per page on DynamoDB but a few hundred on moto, so
this launcher sizes index queries by the projected entries.

In front of moto runs `dynamodb_conflicts.ConflictingDynamoDB`: it applies the requests
one at a time (one lock around each) and makes transactions conflict as on DynamoDB
(`APIG_TEST_DYNAMODB_TX_HOLD_MS`, `APIG_TEST_DYNAMODB_LATENCY_MS`, `/_emulator/stats`).

Usage: python moto-serialized.py -H 127.0.0.1 -p PORT
"""

import argparse
import copy

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

from werkzeug.serving import run_simple

from dynamodb_conflicts import ConflictingDynamoDB

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)


class _CopyExceptTables:
    """The `copy` module for moto's DynamoDB models, where a deep copy of a table is the
    table itself (the transaction wrapper below restores the touched items instead)."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


_transact_write_items = DynamoDBBackend.transact_write_items


def _transact_write_items_touched_snapshot(self, transact_items):
    saved = []
    for entry in transact_items:
        try:
            _, op = next(iter(entry.items()))
            name = op["TableName"]
            table = self.get_table(name)
            if "Item" in op:
                key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                if table.range_key_attr is not None:
                    key[table.range_key_attr] = op["Item"][table.range_key_attr]
            else:
                key = op["Key"]
            current = self.get_item(name, key)
            before = copy.deepcopy(current.to_json()["Attributes"]) if current else None
            saved.append((name, key, before))
        except Exception:
            pass  # a malformed action: moto reports it
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        for name, key, before in reversed(saved):
            if before is None:
                if self.get_item(name, key) is not None:
                    self.delete_item(name, key)
            else:
                self.put_item(name, before)
        raise


_query = Table.query


def _query_sized_by_index_entries(self, *args, **kwargs):
    """`Table.query`, with the pages of an index query of a projection other than `ALL`
    sized by the index entries (moto: by the whole items)."""
    index_name = args[7] if len(args) > 7 else kwargs.get("index_name")
    index = self.get_index(index_name) if index_name else None
    projection = (index.projection or {}).get("ProjectionType") if index else None
    if projection in (None, "ALL"):
        return _query(self, *args, **kwargs)
    items = self.all_items
    self.all_items = lambda: [index.project(item) for item in items()]
    try:
        return _query(self, *args, **kwargs)
    finally:
        del self.all_items


dynamodb_models.copy = _CopyExceptTables()
Table.query = _query_sized_by_index_entries
DynamoDBBackend.transact_write_items = _transact_write_items_touched_snapshot


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        ConflictingDynamoDB(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
