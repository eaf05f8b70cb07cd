"""Real SPARQL stores on 127.0.0.1 for the ``test_remote_*`` tests: an Oxigraph server (the
``oxigraph`` command of the ``oxigraph`` package) and Virtuoso (Debian's ``virtuoso-t``), each in a
temporary folder, started and stopped by the tests themselves."""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.web.conftest import free_port

#: The shipped project's base IRI (graph names in the store derive from it).
BASE = "https://w3id.org/ilograph/"


@dataclass
class Store:
    """A running store: its query endpoint (what ``push`` and ``serve --store-url`` take) and
    the extra push options it needs."""

    name: str
    query: str
    process: subprocess.Popen
    log: Path
    push_options: tuple[str, ...] = ()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def select(self, query: str) -> list[dict]:
        """Rows of a SELECT sent straight to the store (no dataset given), as {name: value}."""
        r = httpx.post(self.query, data={"query": query}, headers={"accept": "application/sparql-results+json"},
                       timeout=30)
        r.raise_for_status()
        return [{k: v["value"] for k, v in row.items()} for row in r.json()["results"]["bindings"]]


def _wait(url: str, process: subprocess.Popen, log: Path, within: float, **params: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the store exited with {process.returncode}:\n"
                                 + log.read_text(errors="replace"))
        try:
            if httpx.get(url, params={"query": "ASK {}", **params}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"{url} did not answer within {within} s:\n" + log.read_text(errors="replace"))


def start_oxigraph(folder: Path, *, timeout_s: int | None = None) -> Store:
    """``oxigraph serve`` on a free loopback port with its data in ``folder``."""
    exe = shutil.which("oxigraph")
    if exe is None:
        import pytest
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder.parent / f"{folder.name}.log"
    command = [exe, "serve", "--location", str(folder / "data"), "--bind", f"127.0.0.1:{port}"]
    if timeout_s is not None:
        command += ["--timeout-s", str(timeout_s)]
    with log.open("wb") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/query"
    _wait(url, process, log, 30)
    return Store("oxigraph", url, process, log)


VIRTUOSO_INI = """[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql}
LiteMode = 0
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 10
CheckpointInterval = 0
O_DIRECT = 0
CaseMode = 2
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
SchedulerInterval = 10
DirsAllowed = {dir}
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
TimezonelessDatetimes = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 60
DefaultIsolation = 2
MaxMemPoolSize = 40000000
AdjustVectorSize = 0
ThreadsPerQuery = 2
AsyncQueueMaxThreads = 4

[HTTPServer]
ServerPort = 127.0.0.1:{http}
ServerRoot = /usr/share/virtuoso-opensource-7/vsp
MaxClientConnections = 8
DavRoot = DAV
EnabledDavVSP = 0
HTTPProxyEnabled = 0
TempASPXDir = 0
DefaultMailServer = localhost:25
MaxKeepAlives = 10
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
MaintenancePage = atomic.html
EnabledGzipContent = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[VDB]
ArrayOptimization = 0
NumArrayParameters = 10
VDBDisconnectTimeout = 1000
KeepConnectionOnFixedThread = 0

[Replication]
ServerName = ilograph-test
ServerEnable = 0

[Zero Config]
ServerName = ilograph-test

[Striping]
Segment1 = 100M, db-seg1-1.db, db-seg1-2.db

[SPARQL]
ResultSetMaxRows = 100000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime = 60
DefaultQuery = select distinct ?Concept where {{[] a ?Concept}} LIMIT 100
DeferInferenceRulesInit = 0
"""


def start_virtuoso(folder: Path) -> Store:
    """``virtuoso-t`` in the foreground on free loopback ports (HTTP and ISQL), its database in
    ``folder``, and the SPARQL user allowed to update (what ``push`` needs)."""
    exe = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql")
    if exe is None or isql is None:
        import pytest
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource)")
    folder.mkdir(parents=True, exist_ok=True)
    http, isql_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=folder, http=http, isql=isql_port), encoding="utf-8")
    log = folder / "virtuoso.out"
    with log.open("wb") as handle:
        process = subprocess.Popen([exe, "+configfile", str(ini), "+foreground"], cwd=folder,
                                   stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http}/sparql"
    _wait(url, process, log, 60)
    grant = "GRANT SPARQL_UPDATE TO \"SPARQL\";\n"
    done = subprocess.run([isql, f"127.0.0.1:{isql_port}", "dba", "dba"], input=grant, capture_output=True,
                          text=True, timeout=30, check=False)
    if done.returncode != 0 or "Error" in done.stdout:
        process.kill()
        raise AssertionError(f"isql could not grant SPARQL_UPDATE:\n{done.stdout}\n{done.stderr}")
    return Store("virtuoso", url, process, log)
