"""The official Huawei Cloud Python SDK (huaweicloudsdkapig 3.1.219) against `apig serve`.

Every call is signed with an access key (SDK-HMAC-SHA256) exactly as the SDK signs calls
to Huawei Cloud; nothing is stubbed on either side. Responses are the SDK's typed models,
and the raw JSON behind them is checked against the models' `attribute_map`/`openapi_types`
so that a field the SDK does not know, or of another type, cannot go unnoticed.
"""

import dataclasses
import datetime
import json
import re
import uuid

import pytest
from huaweicloudsdkapig.v2 import (
    ApigClient,
    ExportApiDefinitionsV2Request,
    ExportOpenApiReq,

    ImportApiDefinitionsAsyncRequest,
    ImportApiDefinitionsAsyncRequestBody,
    ImportApiDefinitionsV2Request,
    ImportApiDefinitionsV2RequestBody,
    ListApiGroupsV2Request,
    ListApisV2Request,
    ShowAsyncTaskResultRequest,
    ShowDetailsOfApiV2Request,
)
from huaweicloudsdkapig.v2 import model as sdk_model
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.formdata import FormFile

HEX32 = re.compile(r"^[0-9a-f]{32}$")

SHOP = [
    ("GET", "/shop/products"),
    ("GET", "/shop/products/{productId}"),
    ("DELETE", "/shop/products/{productId}"),
    ("POST", "/shop/checkout"),
    ("ANY", "/shop/static"),
    ("GET", "/shop/health"),
]
LIBRARY = [
    ("GET", "/api/v1/books"),
    ("POST", "/api/v1/books"),
    ("GET", "/api/v1/books/{bookId}"),
    ("PUT", "/api/v1/books/{bookId}"),
    ("ANY", "/api/v1/books/{bookId}"),
    ("GET", "/api/v1/loans/{loanId+}"),
]

# (method, path) -> (match_mode, auth_type, backend_type, api type)
EXPECTED = {
    ("GET", "/shop/products"): ("NORMAL", "APP", "HTTP", 1),
    ("GET", "/shop/products/{productId}"): ("NORMAL", "APP", "HTTP", 1),
    ("DELETE", "/shop/products/{productId}"): ("NORMAL", "IAM", "FUNCTION", 2),
    ("POST", "/shop/checkout"): ("NORMAL", "AUTHORIZER", "FUNCTION", 1),
    ("ANY", "/shop/static"): ("SWA", "NONE", "HTTP", 1),
    ("GET", "/shop/health"): ("NORMAL", "NONE", "MOCK", 1),
    ("GET", "/api/v1/books"): ("NORMAL", "APP", "HTTP", 1),
    ("POST", "/api/v1/books"): ("NORMAL", "NONE", "MOCK", 1),
    ("GET", "/api/v1/books/{bookId}"): ("NORMAL", "APP", "MOCK", 1),
    ("PUT", "/api/v1/books/{bookId}"): ("NORMAL", "APP", "MOCK", 1),
    ("ANY", "/api/v1/books/{bookId}"): ("SWA", "APP", "MOCK", 1),
    ("GET", "/api/v1/loans/{loanId+}"): ("NORMAL", "APP", "MOCK", 1),
}


def client_for(server, key):
    """An ApigClient on the local endpoint: no region (so no IAM call to find a project),
    the project given with the credentials."""
    credentials = BasicCredentials(key.ak, key.sk, key.project_id)
    return (
        ApigClient.new_builder()
        .with_credentials(credentials)
        .with_endpoint(server.endpoint)
        .build()
    )


@pytest.fixture(scope="module")
def client(server):
    return client_for(server, server.key)


def import_document(client, server, document, **fields):
    body = ImportApiDefinitionsV2RequestBody(
        file_name=FormFile(str(server.fixtures / document)), **fields
    )
    request = ImportApiDefinitionsV2Request(instance_id=server.instance_id, body=body)
    return client.import_api_definitions_v2(request)


def routes(items):
    return [(item.method, item.path) for item in items]


def assert_sdk_shape(model_name, data, at="$", extra=()):
    """Every key of `data` is a field of the SDK model, with a value of the field's type
    (`extra`: top-level keys the product documents beyond the model, which the SDK ignores)."""
    if data is None:
        return
    if model_name.startswith("list["):
        assert isinstance(data, list), f"{at}: expected a list, got {data!r}"
        for i, item in enumerate(data):
            assert_sdk_shape(model_name[5:-1], item, f"{at}[{i}]")
        return
    primitive = {"int": int, "str": str, "bool": bool}
    if model_name in primitive:
        expected = primitive[model_name]
        ok = isinstance(data, expected) and (expected is bool or not isinstance(data, bool))
        assert ok, f"{at}: expected {model_name}, got {data!r}"
        return
    if model_name == "datetime":
        assert isinstance(data, str) and data.endswith("Z"), f"{at}: expected a UTC datetime"
        return
    cls = getattr(sdk_model, model_name)
    assert isinstance(data, dict), f"{at}: expected a {model_name} object, got {data!r}"
    by_json_key = {json_key: attr for attr, json_key in cls.attribute_map.items()}
    for key, value in data.items():
        if key in extra:
            continue
        assert key in by_json_key, f"{at}: {model_name} has no field {key!r}"
        assert_sdk_shape(cls.openapi_types[by_json_key[key]], value, f"{at}.{key}")


def raw(response):
    return json.loads(response.raw_content)


def timestamp(value):
    """A `datetime` field as the SDK returns it: a datetime when python-dateutil is
    installed, else the string (the SDK warns and keeps it); either way UTC RFC 3339."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        assert isinstance(value, str) and value.endswith("Z"), value
        moment = datetime.datetime.fromisoformat(value[:-1] + "+00:00")
    assert moment.utcoffset() == datetime.timedelta(0), value
    return moment


# ---------------------------------------------------------------------------------------
# ImportApiDefinitionsV2


@pytest.fixture(scope="module")
def imported(client, server):
    """Both fixtures imported into new groups: {document: response}."""
    return {
        "shop": import_document(client, server, "shop-2.0.yaml"),
        "library": import_document(client, server, "library-3.0.yaml"),
    }


@pytest.mark.parametrize("name, expected", [("shop", SHOP), ("library", LIBRARY)])
def test_import_returns_the_typed_response(imported, name, expected):
    response = imported[name]
    assert response.status_code == 200
    # `swagger_id` and `result` repeat `swagger.id` and `swagger.result`; `warnings` is the
    # product's own list, which the SDK ignores (import-api.md §3.4).
    body = raw(response)
    assert isinstance(body["warnings"], list)
    assert_sdk_shape(
        "ImportApiDefinitionsV2Response", body, extra=("swagger_id", "result", "warnings")
    )
    assert routes(response.success) == expected
    assert all(item.action == "create" for item in response.success)
    assert all(HEX32.match(item.id) for item in response.success)
    assert response.failure == []
    if name == "shop":
        assert routes(response.ignore) == [("TRACE", "/shop/health")]
    else:
        assert response.ignore == []
    assert HEX32.match(response.group_id)
    assert HEX32.match(response.swagger.id)
    assert response.swagger.result == "Success"


@pytest.mark.parametrize("name, document", [("shop", "shop-2.0.yaml"), ("library", "library-3.0.yaml")])
def test_reimport_merge_fails_and_override_updates(client, server, imported, name, document):
    first = imported[name]
    group = first.group_id

    merged = import_document(
        client, server, document, is_create_group=False, group_id=group, api_mode="merge"
    )
    assert merged.success == []
    assert len(merged.failure) == len(first.success)
    for failure in merged.failure:
        assert failure.error_code == "APIG.3301", failure
        assert "API name: " in failure.error_msg
    assert routes(merged.failure) == routes(first.success)

    overridden = import_document(
        client, server, document, is_create_group=False, group_id=group, api_mode="override"
    )
    assert overridden.failure == []
    assert [item.action for item in overridden.success] == ["update"] * len(first.success)
    assert [item.id for item in overridden.success] == [item.id for item in first.success]
    assert overridden.group_id == group


# ---------------------------------------------------------------------------------------
# ListApiGroupsV2, ListApisV2, ShowDetailsOfApiV2


def test_list_api_groups(client, server, imported):
    response = client.list_api_groups_v2(ListApiGroupsV2Request(instance_id=server.instance_id))
    assert_sdk_shape("ListApiGroupsV2Response", raw(response))
    assert response.total == 2 and response.size == 2
    by_name = {group.name: group for group in response.groups}
    assert set(by_name) == {"shop_backend", "library_service"}
    assert by_name["shop_backend"].id == imported["shop"].group_id
    assert by_name["library_service"].id == imported["library"].group_id
    assert by_name["shop_backend"].remark == "Storefront APIs with every kind of backend"
    timestamp(by_name["shop_backend"].register_time)

    filtered = client.list_api_groups_v2(
        ListApiGroupsV2Request(instance_id=server.instance_id, name="shop")
    )
    assert [group.name for group in filtered.groups] == ["shop_backend"]
    page = client.list_api_groups_v2(
        ListApiGroupsV2Request(instance_id=server.instance_id, offset=1, limit=1)
    )
    assert page.total == 2 and page.size == 1


def list_all(client, server, **filters):
    response = client.list_apis_v2(
        ListApisV2Request(instance_id=server.instance_id, limit=500, **filters)
    )
    assert_sdk_shape("ListApisV2Response", raw(response))
    return response


def test_list_apis(client, server, imported):
    everything = list_all(client, server)
    assert everything.total == 12
    assert sorted((a.req_method, a.req_uri) for a in everything.apis) == sorted(SHOP + LIBRARY)

    shop = list_all(client, server, group_id=imported["shop"].group_id)
    assert sorted((a.req_method, a.req_uri) for a in shop.apis) == sorted(SHOP)
    assert {a.id for a in shop.apis} == {item.id for item in imported["shop"].success}
    assert all(a.group_name == "shop_backend" for a in shop.apis)

    anys = list_all(client, server, req_method="ANY")
    assert sorted(a.req_uri for a in anys.apis) == ["/api/v1/books/{bookId}", "/shop/static"]
    assert [a.name for a in list_all(client, server, name="checkout").apis] == ["checkout"]
    exact = list_all(client, server, req_uri="/shop/products", precise_search="req_uri")
    assert [a.name for a in exact.apis] == ["list_products"]

    seen = []
    for offset in range(0, 12, 5):
        page = client.list_apis_v2(
            ListApisV2Request(instance_id=server.instance_id, offset=offset, limit=5)
        )
        assert page.total == 12
        seen.extend(a.id for a in page.apis)
    assert seen == [a.id for a in everything.apis]


def test_show_every_imported_api(client, server, imported):
    ids = [item.id for name in ("shop", "library") for item in imported[name].success]
    assert len(ids) == 12
    for api_id in ids:
        detail = client.show_details_of_api_v2(
            ShowDetailsOfApiV2Request(instance_id=server.instance_id, api_id=api_id)
        )
        assert_sdk_shape("ShowDetailsOfApiV2Response", raw(detail))
        route = (detail.req_method, detail.req_uri)
        assert route in EXPECTED, route
        match_mode, auth_type, backend_type, api_type = EXPECTED[route]
        assert detail.id == api_id
        assert (detail.match_mode, detail.auth_type, detail.backend_type, detail.type) == (
            match_mode,
            auth_type,
            backend_type,
            api_type,
        ), route
        assert timestamp(detail.update_time) >= timestamp(detail.register_time)
        # Exactly the backend object of the API's kind, with a field of it checked.
        assert (detail.backend_api is not None) == (backend_type == "HTTP"), route
        assert (detail.func_info is not None) == (backend_type == "FUNCTION"), route
        assert (detail.mock_info is not None) == (backend_type == "MOCK"), route
        check_backend(route, detail)


def check_backend(route, detail):
    if route == ("GET", "/shop/products"):
        assert detail.backend_api.url_domain == "catalog.internal.example.com:8443"
        assert detail.backend_api.req_protocol == "HTTPS"
        assert detail.backend_api.timeout == 3000
        assert detail.backend_api.retry_count == "2"
        assert detail.backend_api.vpc_channel_status == 2
        assert detail.cors is True
        assert detail.result_normal_sample == '{"products":[]}'
        assert [p.name for p in detail.req_params] == ["category", "limit", "X-Trace"]
        assert detail.req_params[0].enumerations == "books,music,garden"
        assert [(p.name, p.value, p.origin) for p in detail.backend_params] == [
            ("cat", "category", "REQUEST"),
            ("limit", "limit", "REQUEST"),
            ("X-Source", "apig", "CONSTANT"),
        ]
        [policy] = detail.policy_https
        assert policy.name == "garden_policy"
        assert policy.url_domain == "garden.internal.example.com"
        [condition] = policy.conditions
        assert (condition.condition_origin, condition.condition_type) == ("param", "exact")
        assert (condition.req_param_name, condition.condition_value) == ("category", "garden")
        assert HEX32.match(detail.response_id)
    elif route == ("GET", "/shop/products/{productId}"):
        # HTTP-VPC: an HTTP backend that uses a VPC channel.
        assert detail.backend_api.vpc_channel_status == 1
        assert HEX32.match(detail.backend_api.vpc_channel_info.vpc_channel_id)
        assert detail.backend_api.req_uri == "/v1/items/{id}"
        assert detail.backend_api.timeout == 2000
        assert detail.auth_opt.app_code_auth_type == "HEADER"
    elif route == ("DELETE", "/shop/products/{productId}"):
        assert detail.func_info.function_urn.endswith(":function:default:delete_product")
        assert detail.func_info.invocation_type == "sync"
        assert detail.func_info.version == "latest"
        assert detail.func_info.timeout == 10000
    elif route == ("POST", "/shop/checkout"):
        assert detail.func_info.function_urn.endswith(":function:default:checkout:v2")
        assert detail.func_info.invocation_type == "async"
        assert HEX32.match(detail.authorizer_id)
        assert detail.is_send_fg_body_base64 is False
        assert detail.content_type == "application/json"
    elif route == ("ANY", "/shop/static"):
        assert detail.backend_api.url_domain == "#cdn_host#"
        assert detail.backend_api.req_method == "ANY"
    elif route == ("GET", "/shop/health"):
        assert detail.mock_info.result_content == '{"status":"ok"}'
    elif route == ("GET", "/api/v1/books"):
        assert detail.backend_api.url_domain == "books.internal:8080"
        assert detail.backend_api.req_protocol == "HTTP"
        assert [(p.name, p.value) for p in detail.backend_params] == [("size", "page_size")]
        assert detail.result_normal_sample == '{"books":[],"next":null}'
    elif route == ("POST", "/api/v1/books"):
        assert detail.mock_info.result_content == "created"
    else:
        assert detail.mock_info.result_content == ""


# ---------------------------------------------------------------------------------------
# Refusals, as ClientRequestException


def list_groups_with(server, key):
    client = client_for(server, key)
    return client.list_api_groups_v2(ListApiGroupsV2Request(instance_id=server.instance_id))


def test_wrong_secret_key_is_401(server):
    wrong = dataclasses.replace(server.key, sk=server.key.sk + "0")
    with pytest.raises(ClientRequestException) as caught:
        list_groups_with(server, wrong)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "APIG.1002"
    assert server.key.sk not in str(caught.value.error_msg)


def test_unknown_access_key_is_401(server):
    unknown = dataclasses.replace(server.key, ak=uuid.uuid4().hex.upper())
    with pytest.raises(ClientRequestException) as caught:
        list_groups_with(server, unknown)
    assert (caught.value.status_code, caught.value.error_code) == (401, "APIG.1002")


def test_key_of_another_project_is_403(server):
    # A valid signature by a key of OTHER_PROJECT, on a path of PROJECT.
    borrowed = dataclasses.replace(server.other_key, project_id=server.key.project_id)
    with pytest.raises(ClientRequestException) as caught:
        list_groups_with(server, borrowed)
    assert (caught.value.status_code, caught.value.error_code) == (403, "APIG.1005")
    with pytest.raises(ClientRequestException) as caught:
        import_document(client_for(server, borrowed), server, "shop-2.0.yaml")
    assert (caught.value.status_code, caught.value.error_code) == (403, "APIG.1005")


def test_unknown_group_is_404(client, server):
    unknown = uuid.uuid4().hex
    with pytest.raises(ClientRequestException) as caught:
        import_document(
            client, server, "library-3.0.yaml", is_create_group=False, group_id=unknown
        )
    assert (caught.value.status_code, caught.value.error_code) == (404, "APIG.3001")
    with pytest.raises(ClientRequestException) as caught:
        client.list_apis_v2(ListApisV2Request(instance_id=server.instance_id, group_id=unknown))
    assert (caught.value.status_code, caught.value.error_code) == (404, "APIG.3001")


def test_unknown_api_and_instance_are_404(client, server):
    with pytest.raises(ClientRequestException) as caught:
        client.show_details_of_api_v2(
            ShowDetailsOfApiV2Request(instance_id=server.instance_id, api_id=uuid.uuid4().hex)
        )
    assert (caught.value.status_code, caught.value.error_code) == (404, "APIG.3002")
    with pytest.raises(ClientRequestException) as caught:
        client.list_apis_v2(ListApisV2Request(instance_id=uuid.uuid4().hex))
    assert (caught.value.status_code, caught.value.error_code) == (404, "APIG.3030")


# ExportApiDefinitionsV2


def test_export_api_definitions_v2_gets_the_file(client, server, imported):
    """The SDK's export call returns the file (a download stream): the shop group as
    OpenAPI 3.0 with every extension, and the error of an unknown environment."""
    group_id = imported["shop"].group_id
    body = ExportOpenApiReq(
        env_id="DEFAULT_ENVIRONMENT_RELEASE_ID", group_id=group_id, define="all", type="json",
        version="2.0.1",
    )
    response = client.export_api_definitions_v2(
        ExportApiDefinitionsV2Request(instance_id=server.instance_id, oas_version="3.0", body=body)
    )
    chunks = []
    response.consume_download_stream(lambda stream: chunks.extend(stream.iter_content(8192)))
    document = json.loads(b"".join(chunks))
    assert document["openapi"] == "3.0.3"
    assert document["info"] == {"title": "shop_backend", "version": "2.0.1"} | (
        {"description": document["info"]["description"]} if "description" in document["info"] else {}
    )
    operations = {
        (method.upper() if method != "x-apigateway-any-method" else "ANY", path)
        for path, item in document["paths"].items()
        for method in item
    }
    assert operations == set(SHOP)
    assert document["paths"]["/shop/products"]["get"]["operationId"] == "list_products"
    assert "browse_limit" in document["x-apigateway-ratelimits"]

    body.env_id = "TEST_ENV"
    with pytest.raises(ClientRequestException) as caught:
        client.export_api_definitions_v2(
            ExportApiDefinitionsV2Request(instance_id=server.instance_id, body=body)
        )
    assert (caught.value.status_code, caught.value.error_code) == (404, "APIG.3003")

# ---------------------------------------------------------------------------------------
# ImportApiDefinitionsAsync + ShowAsyncTaskResult (spec/async-export.md §1–2)


@pytest.fixture(scope="module")
def async_instance(server):
    """An instance of its own (the synchronous tests count the groups of theirs), with the
    references shop-2.0.yaml needs."""
    from conftest import PROJECT, Apig, _binary

    apig = Apig(_binary(), server.data_dir)
    instance = apig.run("instance", "create", "--project", PROJECT).strip()
    target = ["--project", PROJECT, "--instance", instance]
    apig.run("channel", "create", *target, "--name", "catalog_channel")
    apig.run("plugin", "create", *target, "--name", "audit_plugin")
    return instance


def import_async(client, server, instance, document):
    body = ImportApiDefinitionsAsyncRequestBody(file_name=FormFile(str(server.fixtures / document)))
    request = ImportApiDefinitionsAsyncRequest(instance_id=instance, body=body)
    response = client.import_api_definitions_async(request)
    assert response.status_code == 202
    assert_sdk_shape("ImportApiDefinitionsAsyncResponse", raw(response))
    assert HEX32.match(response.task_id)
    return response.task_id


def wait_for_task(client, instance, task_id, timeout=60.0):
    """Poll ShowAsyncTaskResult until the task is finished; its final response."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        response = client.show_async_task_result(
            ShowAsyncTaskResultRequest(instance_id=instance, task_id=task_id)
        )
        assert_sdk_shape("ShowAsyncTaskResultResponse", raw(response))
        assert response.task_id == task_id
        assert response.task_type == "import_api"
        if response.task_status in ("succeed", "failed"):
            return response
        assert response.task_status in ("waiting", "processing"), response.task_status
        assert response.task_result == ""
        assert time.monotonic() < deadline, f"task {task_id} still {response.task_status}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def imported_async(client, server, async_instance):
    """Both fixtures through the asynchronous import, polled until done: {name: response}."""
    tasks = {
        "shop": import_async(client, server, async_instance, "shop-2.0.yaml"),
        "library": import_async(client, server, async_instance, "library-3.0.yaml"),
    }
    return {name: wait_for_task(client, async_instance, task) for name, task in tasks.items()}


@pytest.mark.parametrize("name, expected", [("shop", SHOP), ("library", LIBRARY)])
def test_async_import_succeeds_with_the_sync_body(imported_async, name, expected):
    response = imported_async[name]
    assert response.task_status == "succeed"
    assert isinstance(response.task_result, str)
    result = json.loads(response.task_result)
    assert_sdk_shape("ImportApiDefinitionsV2Response", result, extra=("swagger_id", "result", "warnings"))
    assert [(item["method"], item["path"]) for item in result["success"]] == expected
    assert all(item["action"] == "create" for item in result["success"])
    assert result["failure"] == []
    assert HEX32.match(result["group_id"])
    assert result["swagger"]["result"] == "Success"


def test_async_import_refused_is_a_failed_task(client, server, async_instance, imported_async):
    # shop's group name is taken now: the task fails with the synchronous import's error.
    task_id = import_async(client, server, async_instance, "shop-2.0.yaml")
    response = wait_for_task(client, async_instance, task_id)
    assert response.task_status == "failed"
    error = json.loads(response.task_result)
    assert error["error_code"] == "APIG.3201", error
    assert "shop_backend" in error["error_msg"]


def test_show_async_task_result_unknown_task(client, async_instance):
    with pytest.raises(ClientRequestException) as raised:
        client.show_async_task_result(
            ShowAsyncTaskResultRequest(instance_id=async_instance, task_id=uuid.uuid4().hex)
        )
    assert raised.value.status_code == 404
    assert raised.value.error_code == "APIG.3093"


# ---------------------------------------------------------------------------------------
# ExportApiDefinitionsAsync (spec/async-export.md §4): the task's result in Huawei's shape


def test_export_api_definitions_async_gives_the_file(client, server, imported):
    """The SDK's async export: 202 with a task id, the `export_api` task polled to `succeed`,
    and its result `{"FileName", "FileType", "Comment"}` carrying the same file as the
    synchronous export."""
    import time

    from huaweicloudsdkapig.v2 import ExportApiDefinitionsAsyncRequest

    body = ExportOpenApiReq(
        env_id="DEFAULT_ENVIRONMENT_RELEASE_ID", group_id=imported["shop"].group_id,
        define="all", type="json", version="3.0.1",
    )
    response = client.export_api_definitions_async(
        ExportApiDefinitionsAsyncRequest(instance_id=server.instance_id, oas_version="3.0", body=body)
    )
    assert response.status_code == 202
    assert HEX32.match(response.task_id)
    deadline = time.monotonic() + 60.0
    while True:
        shown = client.show_async_task_result(
            ShowAsyncTaskResultRequest(instance_id=server.instance_id, task_id=response.task_id)
        )
        assert_sdk_shape("ShowAsyncTaskResultResponse", raw(shown))
        assert shown.task_type == "export_api"
        if shown.task_status in ("succeed", "failed"):
            break
        assert time.monotonic() < deadline, f"task still {shown.task_status}"
        time.sleep(0.05)
    assert shown.task_status == "succeed", shown.task_result
    result = json.loads(shown.task_result)
    assert result["FileType"] == ".json"
    assert result["FileName"].startswith("shop_backend-RELEASE-all-")
    document = json.loads(result["Comment"])
    assert document["openapi"] == "3.0.3"
    assert document["info"]["version"] == "3.0.1"
    assert document["paths"]["/shop/products"]["get"]["operationId"] == "list_products"

    synchronous = client.export_api_definitions_v2(
        ExportApiDefinitionsV2Request(instance_id=server.instance_id, oas_version="3.0", body=body)
    )
    chunks = []
    synchronous.consume_download_stream(lambda stream: chunks.extend(stream.iter_content(8192)))
    assert json.loads(b"".join(chunks)) == document
