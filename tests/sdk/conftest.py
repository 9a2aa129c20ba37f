"""A real `apig serve` for the official-SDK tests.

One server per test session, on a fresh data directory: an instance of project PROJECT
with the VPC channel and plugin that shop-2.0.yaml references, an access key of PROJECT
and one of OTHER_PROJECT (`apig key create`). Run through `scripts/sdk-test`, which sets
APIG_BIN (the `apig` binary) and APIG_FIXTURES (the directory of the fixture documents).
"""

import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = uuid.uuid4().hex
OTHER_PROJECT = uuid.uuid4().hex
STARTUP_SECONDS = 30


def _binary() -> Path:
    binary = Path(os.environ.get("APIG_BIN", ROOT / "target" / "debug" / "apig"))
    if not binary.is_absolute():
        binary = ROOT / binary
    if not binary.exists():
        pytest.exit(f"apig binary not found at {binary} (build it: cargo build --bin apig)", 2)
    return binary


def _fixtures() -> Path:
    fixtures = Path(os.environ.get("APIG_FIXTURES", ROOT.parent / "shared" / "fixtures" / "apig"))
    if not fixtures.is_absolute():
        fixtures = ROOT / fixtures
    if not (fixtures / "shop-2.0.yaml").exists():
        pytest.exit(f"fixture documents not found in {fixtures} (set APIG_FIXTURES)", 2)
    return fixtures


@dataclass
class AccessKey:
    ak: str
    sk: str
    project_id: str


@dataclass
class Server:
    endpoint: str
    instance_id: str
    key: AccessKey
    other_key: AccessKey
    fixtures: Path
    data_dir: Path


class Apig:
    """The `apig` command on the session's data directory."""

    def __init__(self, binary: Path, data_dir: Path):
        self.binary = binary
        self.data_dir = data_dir

    def run(self, *args: str) -> str:
        result = subprocess.run(
            [str(self.binary), *args, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"apig {' '.join(args)} exited {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result.stdout

    def access_key(self, project: str) -> AccessKey:
        out = self.run("key", "create", "--project", project)
        try:
            created = json.loads(out.strip())
        except json.JSONDecodeError as error:
            raise AssertionError(f"apig key create printed no JSON object: {out!r}") from error
        assert created["project_id"] == project, created
        assert created["access_key"] and created["secret_key"], "empty key in apig key create output"
        return AccessKey(created["access_key"], created["secret_key"], created["project_id"])


def _wait_for_address(stdout_file: Path, process: subprocess.Popen, log_file: Path) -> str:
    """The address `apig serve` prints first: `apig-import listening on http://ADDR (...)`."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"apig serve exited {process.returncode}:\n{log_file.read_text(errors='replace')}"
            )
        for line in stdout_file.read_text(errors="replace").splitlines():
            marker = "listening on http://"
            if marker in line:
                return line.split(marker, 1)[1].split()[0]
        time.sleep(0.05)
    raise AssertionError(f"apig serve did not start within {STARTUP_SECONDS}s")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    # The SDK talks to 127.0.0.1 directly, whatever proxy the environment configures.
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    binary = _binary()
    fixtures = _fixtures()
    work = tmp_path_factory.mktemp("apig")
    data_dir = work / "data"
    stdout_file = work / "serve.out"
    log_file = work / "serve.log"
    with open(stdout_file, "wb") as out, open(log_file, "wb") as log:
        # Port 0: the server binds a free port and prints it (no race with another process).
        process = subprocess.Popen(
            [str(binary), "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir)],
            stdout=out,
            stderr=log,
        )
    try:
        address = _wait_for_address(stdout_file, process, log_file)
        apig = Apig(binary, data_dir)
        instance = apig.run("instance", "create", "--project", PROJECT).strip()
        target = ["--project", PROJECT, "--instance", instance]
        apig.run("channel", "create", *target, "--name", "catalog_channel")
        apig.run("plugin", "create", *target, "--name", "audit_plugin")
        yield Server(
            endpoint=f"http://{address}",
            instance_id=instance,
            key=apig.access_key(PROJECT),
            other_key=apig.access_key(OTHER_PROJECT),
            fixtures=fixtures,
            data_dir=data_dir,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
