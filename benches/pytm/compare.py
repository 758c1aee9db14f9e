#!/usr/bin/env python3
"""Time OWASP pytm against `threatboard check` on the same generated model, and check it is the same.

Run from the repository root:

    python3 benches/pytm/compare.py [--sizes 100,1000,5000] [--runs 5] [--seed 17]
                                    [--write-readme] [--keep-venv]

What it does (see README.md beside this file):

1. builds threatboard (`cargo build --release`, a no-op when target/release is up to date);
2. creates a throwaway venv in a temporary directory and `pip install`s a pinned pytm into it;
3. for each size N generates one model from a fixed seed (N components in 10 boundaries, 5N
   distinct random flows, no self-loop) and writes it twice into that temporary directory: a
   threatboard session (TOML) and a pytm model script (Python);
4. checks that it is the same model on both sides: it reads the TOML back (tomllib) and compares
   its flows (from, to, authenticated, encrypted) with the flows the pytm objects hold after
   pytm's `check()`, which the model script dumps as JSON (and asserts on itself);
5. measures peak memory of each tool's process alone (under GNU `/usr/bin/time`), then times
   both tools in interleaved rounds (the order of the two inside a round drawn from the seed);
6. prints the results as a Markdown block (medians, min-max, ratio of medians), or with
   `--write-readme` replaces the results block of benches/pytm/README.md with it.

Only the standard library is used here (Python 3.11+ for tomllib); pytm lives in the venv.
Nothing is written into the repository except, with `--write-readme`, that README block (and
what cargo puts in target/).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python < 3.11: reported in main(), the model check needs it
    tomllib = None

PYTM_VERSION = "1.4.0"  # the current release on PyPI when this script was written
BOUNDARIES = 10
FLOWS_PER_COMPONENT = 5
MIN_SIZE = 10  # 5N distinct pairs out of N(N-1) possible: at 10 components, 50 of 90
DEFAULT_SEED = 17
GNU_TIME = "/usr/bin/time"
README_BEGIN = "<!-- compare.py results: begin (generated, do not edit) -->"
README_END = "<!-- compare.py results: end -->"

# (id, name, threatboard classification, pytm Classification member, extra pytm Data fields)
ASSETS = [
    ("credentials", "User credentials", "restricted", "SECRET", {"isCredentials": True}),
    ("customer-pii", "Customer PII", "confidential", "SENSITIVE", {"isPII": True}),
    ("orders", "Orders", "internal", "RESTRICTED", {}),
    ("catalog", "Product catalog", "public", "PUBLIC", {}),
]

EXIT_NO_PYTM = 2


class PytmError(Exception):
    """The pytm model script failed (reported in the table, the other sizes still run)."""


class Failure(Exception):
    """A step failed; the message says which and why, the code is the exit status."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass
class Component:
    index: int
    kind: str  # threatboard kind: external-entity, data-store, process
    pytm_class: str  # Actor, Datastore, Server, Process
    boundary: int
    # pytm 1.4 takes a forward flow's encryption (and protocol, port) from its sink in check(),
    # so encryption is a property of the receiving component here; flows into it inherit it.
    encrypted_inbound: bool
    tags: list[str] = field(default_factory=list)
    asset: int | None = None  # index into ASSETS, held by data stores


@dataclass
class Flow:
    index: int
    source: int
    sink: int
    authenticated: bool
    encrypted: bool  # always the sink's encrypted_inbound, see Component
    asset: int | None


def generate(n: int, seed: int) -> tuple[list[Component], list[Flow]]:
    """The model for size n: the same for the same (n, seed) on every machine and Python 3.

    Component c sits in boundary c % 10. Kinds go by blocks of ten components, so that every
    boundary gets every kind: in each run of 100 components, 10 are external entities (pytm
    Actor), 20 data stores (pytm Datastore), 30 servers and 40 processes (both threatboard
    processes; pytm Server and Process). Two components in three accept only encrypted flows.
    The 5n flows join random distinct (source, sink) pairs, never a component to itself; three
    in four are authenticated, one in two carries a random asset.
    """
    if n < MIN_SIZE:
        raise ValueError(f"size {n} is below {MIN_SIZE}")
    rng = random.Random(seed)
    components = []
    for c in range(n):
        slot = (c // 10) % 10
        boundary = c % BOUNDARIES
        encrypted = rng.random() < 2 / 3
        if slot == 0:
            comp = Component(c, "external-entity", "Actor", boundary, encrypted)
        elif slot in (1, 2):
            comp = Component(
                c, "data-store", "Datastore", boundary, encrypted, asset=c % len(ASSETS)
            )
            if slot == 2:
                comp.tags.append("logs")
        elif slot in (3, 4, 5):
            comp = Component(c, "process", "Server", boundary, encrypted)
            if boundary == 0:
                comp.tags.append("internet-facing")
        else:
            comp = Component(c, "process", "Process", boundary, encrypted)
        components.append(comp)
    flows: list[Flow] = []
    pairs: set[tuple[int, int]] = set()
    while len(flows) < n * FLOWS_PER_COMPONENT:
        source, sink = rng.randrange(n), rng.randrange(n)
        if source == sink or (source, sink) in pairs:
            continue
        pairs.add((source, sink))
        authenticated = rng.random() < 3 / 4
        asset = rng.randrange(len(ASSETS)) if rng.random() < 1 / 2 else None
        flows.append(
            Flow(
                index=len(flows),
                source=source,
                sink=sink,
                authenticated=authenticated,
                encrypted=components[sink].encrypted_inbound,
                asset=asset,
            )
        )
    return components, flows


def q(text: str) -> str:
    """A TOML basic string (the generated text is plain ASCII, which JSON quotes the same way)."""
    return json.dumps(text)


def session_toml(n: int, components: list[Component], flows: list[Flow]) -> str:
    out = ["schema = 1", f"title = {q(f'Generated model, {n} components')}", ""]
    for b in range(BOUNDARIES):
        out += ["[[boundaries]]", f'id = "b{b}"', f'name = "Boundary {b}"', ""]
    for asset_id, name, classification, _, _ in ASSETS:
        out += [
            "[[assets]]",
            f"id = {q(asset_id)}",
            f"name = {q(name)}",
            f"classification = {q(classification)}",
            "",
        ]
    for c in components:
        out += [
            "[[components]]",
            f'id = "c{c.index}"',
            f'name = "Component {c.index}"',
            f"kind = {q(c.kind)}",
            f'boundary = "b{c.boundary}"',
        ]
        if c.tags:
            out.append("tags = [" + ", ".join(q(t) for t in c.tags) + "]")
        if c.asset is not None:
            out.append(f"assets = [{q(ASSETS[c.asset][0])}]")
        out.append("")
    for f in flows:
        out += [
            "[[flows]]",
            f'id = "f{f.index}"',
            f'from = "c{f.source}"',
            f'to = "c{f.sink}"',
            f'label = "call {f.index}"',
            f"protocol = {q('https' if f.encrypted else 'http')}",
        ]
        if f.asset is not None:
            out.append(f"assets = [{q(ASSETS[f.asset][0])}]")
        out += [
            f"authenticated = {str(f.authenticated).lower()}",
            f"encrypted = {str(f.encrypted).lower()}",
            "",
        ]
    return "\n".join(out)


PYTM_TEMPLATE = '''\
# Generated by benches/pytm/compare.py: {n} components, {flow_count} flows, seed {seed}.
# Prints one JSON line. With a file name as argument (the untimed check run) it also asserts
# that pytm, after check(), sees every flow's endpoints and flags as generated, and dumps them.
import json
import sys
import time

_t0 = time.perf_counter()
from pytm import (
    TM, Actor, Boundary, Classification, Data, Dataflow, Datastore, Process, Server, TLSVersion,
)
_t_import = time.perf_counter()

# (name, classification, extra Data fields)
ASSETS = {assets!r}
# (name, pytm class, boundary index, asset index or None, stores log data, encrypted inbound)
COMPONENTS = {components!r}
# (name, source index, sink index, authenticated, encrypted, asset index or None)
FLOWS = {flows!r}

tm = TM("Generated model, {n} components", description="threatboard benchmark model")
boundaries = [Boundary("Boundary %d" % b) for b in range({boundary_count})]
data = [
    Data(name, classification=getattr(Classification, cls), **extra)
    for name, cls, extra in ASSETS
]
classes = {{"Actor": Actor, "Datastore": Datastore, "Server": Server, "Process": Process}}
elements = []
for name, cls, boundary, asset, logs, encrypted in COMPONENTS:
    # pytm 1.4's check() copies the sink's protocol, port and controls.isEncrypted onto every
    # forward flow into it, so that is where a flow's encryption has to be set.
    kwargs = {{
        "inBoundary": boundaries[boundary],
        "protocol": "HTTPS" if encrypted else "HTTP",
        "port": 443 if encrypted else 80,
    }}
    if cls == "Datastore":
        kwargs["storesLogData"] = logs
        if asset is not None:
            kwargs["storesSensitiveData"] = ASSETS[asset][1] in ("SENSITIVE", "SECRET")
            kwargs["storesPII"] = bool(ASSETS[asset][2].get("isPII"))
    element = classes[cls](name, **kwargs)
    element.controls.isEncrypted = encrypted
    elements.append(element)
for name, source, sink, authenticated, encrypted, asset in FLOWS:
    flow = Dataflow(
        elements[source],
        elements[sink],
        name,
        protocol="HTTPS" if encrypted else "HTTP",
        dstPort=443 if encrypted else 80,
        tlsVersion=TLSVersion.TLSv12 if encrypted else TLSVersion.NONE,
    )
    flow.controls.isEncrypted = encrypted  # what check() sets again from the sink
    flow.controls.authenticatesSource = authenticated
    flow.controls.implementsAuthenticationScheme = authenticated
    if asset is not None:
        flow.data = data[asset]
_t_build = time.perf_counter()

tm.check()
_t_check = time.perf_counter()
tm.resolve()
_t_resolve = time.perf_counter()

if len(sys.argv) > 1:
    expected = {{name: rest for name, *rest in FLOWS}}
    seen = []
    for flow in TM._flows:
        source, sink, authenticated, encrypted, _ = expected[flow.name]
        row = {{
            "name": flow.name,
            "source": flow.source.name,
            "sink": flow.sink.name,
            "authenticated": flow.controls.authenticatesSource,
            "implementsAuthenticationScheme": flow.controls.implementsAuthenticationScheme,
            "encrypted": flow.controls.isEncrypted,
            "protocol": flow.protocol,
            "dstPort": flow.dstPort,
            "tlsVersion": flow.tlsVersion.name,
            "isResponse": flow.isResponse,
        }}
        want = {{
            "source": elements[source].name,
            "sink": elements[sink].name,
            "authenticated": authenticated,
            "implementsAuthenticationScheme": authenticated,
            "encrypted": encrypted,
            "protocol": "HTTPS" if encrypted else "HTTP",
            "dstPort": 443 if encrypted else 80,
            "tlsVersion": "TLSv12" if encrypted else "NONE",
            "isResponse": False,
        }}
        wrong = {{k: (row[k], v) for k, v in want.items() if row[k] != v}}
        if wrong:
            sys.exit("pytm sees flow %s differently after check() (got, generated): %r"
                     % (flow.name, wrong))
        seen.append(row)
    if len(seen) != len(FLOWS):
        sys.exit("pytm holds %d flows, %d were generated" % (len(seen), len(FLOWS)))
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump(seen, out)

print(json.dumps({{
    "import_s": _t_import - _t0,
    "build_s": _t_build - _t_import,
    "check_s": _t_check - _t_build,
    "resolve_s": _t_resolve - _t_check,
    "findings": len(tm.findings),
    "threats": len(TM._threats),
    "elements": len(TM._elements),
    "encrypted_flows_after_check": sum(1 for f in TM._flows if f.controls.isEncrypted),
    "authenticated_flows_after_check": sum(
        1 for f in TM._flows if f.controls.authenticatesSource
    ),
}}))
'''


def pytm_script(n: int, seed: int, components: list[Component], flows: list[Flow]) -> str:
    return PYTM_TEMPLATE.format(
        n=n,
        seed=seed,
        flow_count=len(flows),
        boundary_count=BOUNDARIES,
        assets=[(name, cls, extra) for _, name, _, cls, extra in ASSETS],
        components=[
            (
                f"Component {c.index}",
                c.pytm_class,
                c.boundary,
                c.asset,
                "logs" in c.tags,
                c.encrypted_inbound,
            )
            for c in components
        ],
        flows=[
            (f"call {f.index}", f.source, f.sink, f.authenticated, f.encrypted, f.asset)
            for f in flows
        ],
    )


FlowKey = tuple[str, str, bool, bool]  # (source name, sink name, authenticated, encrypted)


def session_flows(session: Path) -> list[FlowKey]:
    """The flows of a threatboard session as read back from its TOML, keyed by component name.

    Also refuses self-loops and repeated (from, to) pairs, which the generator must not make.
    """
    with session.open("rb") as f:
        doc = tomllib.load(f)
    names = {c["id"]: c["name"] for c in doc["components"]}
    keys = [
        (names[f["from"]], names[f["to"]], bool(f.get("authenticated")), bool(f.get("encrypted")))
        for f in doc["flows"]
    ]
    loops = [k for k in keys if k[0] == k[1]]
    if loops:
        raise Failure(f"{session}: {len(loops)} self-loop flow(s), e.g. {loops[0]}")
    repeated = [p for p, c in Counter((k[0], k[1]) for k in keys).items() if c > 1]
    if repeated:
        raise Failure(f"{session}: {len(repeated)} repeated (from, to) pair(s), e.g. {repeated[0]}")
    return keys


def check_same_model(session: Path, dump: Path, expected_flows: int) -> None:
    """Fail unless the TOML and pytm's objects (after check()) hold the very same flows."""
    toml_side = session_flows(session)
    pytm_side = [
        (d["source"], d["sink"], d["authenticated"], d["encrypted"])
        for d in json.loads(dump.read_text(encoding="utf-8"))
    ]
    if len(toml_side) != expected_flows:
        raise Failure(f"{session} holds {len(toml_side)} flows, {expected_flows} were generated")
    only_toml = Counter(toml_side) - Counter(pytm_side)
    only_pytm = Counter(pytm_side) - Counter(toml_side)
    if only_toml or only_pytm:
        raise Failure(
            "the two sides differ: "
            f"{sum(only_toml.values())} flow(s) only in the TOML (e.g. {next(iter(only_toml), '-')}), "
            f"{sum(only_pytm.values())} only in pytm (e.g. {next(iter(only_pytm), '-')})"
        )


# --------------------------------------------------------------------------------------------
# Tools: threatboard and pytm
# --------------------------------------------------------------------------------------------


def build_threatboard(repo: Path, timeout: float) -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", repo / "target"))
    if not target.is_absolute():
        target = repo / target
    binary = target / "release" / "threatboard"
    cargo = shutil.which("cargo")
    if cargo is None:
        if binary.exists():
            log(f"warning: cargo not found; using the existing {binary}")
            return binary
        raise Failure("cargo not found and no target/release/threatboard to use")
    log("building threatboard: cargo build --release --bin threatboard")
    try:
        result = subprocess.run(
            [cargo, "build", "--release", "--bin", "threatboard"],
            cwd=repo,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise Failure(f"cargo build --release did not finish in {timeout:g} s")
    if result.returncode != 0:
        if binary.exists():
            log(f"warning: cargo build failed; using the existing (possibly stale) {binary}")
            return binary
        raise Failure("cargo build --release failed")
    if not binary.exists():
        raise Failure(f"cargo build succeeded but {binary} is missing")
    return binary


def venv_python(venv: Path) -> Path:
    if os.name == "nt":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def prepare_venv(venv: Path, pytm_version: str, timeout: float) -> Path:
    python = venv_python(venv)
    if python.exists():
        installed = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('pytm'))"],
            capture_output=True,
            text=True,
        )
        if installed.returncode == 0 and installed.stdout.strip() == pytm_version:
            log(f"reusing {venv} (pytm {pytm_version})")
            return python
    else:
        log(f"creating a venv in {venv}")
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            raise Failure(
                "could not create a venv (python3 -m venv): "
                + (made.stderr.strip() or made.stdout.strip()),
                EXIT_NO_PYTM,
            )
    log(f"installing pytm=={pytm_version} from PyPI into the venv")
    try:
        pip = subprocess.run(
            [
                str(python), "-m", "pip", "install",
                "--disable-pip-version-check", "--no-input", "--quiet",
                f"pytm=={pytm_version}",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise Failure(
            f"pip install pytm=={pytm_version} did not finish in {timeout:g} s "
            "(no network, or PyPI unreachable?)",
            EXIT_NO_PYTM,
        )
    if pip.returncode != 0:
        tail = "\n".join((pip.stderr or pip.stdout).strip().splitlines()[-8:])
        raise Failure(
            f"pip install pytm=={pytm_version} failed: this benchmark needs PyPI (no "
            f"network? no such version?). pip said:\n{tail}",
            EXIT_NO_PYTM,
        )
    return python


def first_line(cmd: list[str], cwd: Path | None = None) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=cwd)
        return (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else "?"
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if sys.platform == "darwin":
        return first_line(["sysctl", "-n", "machdep.cpu.brand_string"])
    return platform.processor() or "?"


def os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))}, {platform.platform()}"
    except OSError:
        pass
    return platform.platform()


def git_commit(repo: Path) -> str:
    commit = first_line(["git", "rev-parse", "--short=12", "HEAD"], cwd=repo)
    try:
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=60, cwd=repo,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        dirty = ""
    return commit + (" with uncommitted changes" if dirty else "")


def versions(repo: Path, binary: Path, python: Path) -> dict[str, str]:
    meta = (
        "import importlib.metadata as m, platform; "
        "print(m.version('pytm'), m.version('pydantic') if any("
        "d.metadata['Name'].lower() == 'pydantic' for d in m.distributions()) else '-', "
        "platform.python_implementation(), platform.python_version())"
    )
    pytm_v, pydantic_v, py_impl, python_v = (first_line([str(python), "-c", meta]) + " ? ? ? ?").split()[:4]
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cpus = str(os.cpu_count())
    if affinity is not None and str(affinity) != cpus:
        cpus += f" ({affinity} usable by this process)"
    return {
        "threatboard": first_line([str(binary), "--version"]),
        "commit": git_commit(repo),
        "rustc": first_line(["rustc", "--version"]),
        "pytm": pytm_v,
        "pydantic": pydantic_v,
        "python": f"{py_impl} {python_v}",
        "cpu": cpu_model(),
        "cpus": cpus,
        "os": os_name(),
    }


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


@dataclass
class Ran:
    seconds: float  # wall time, spawn to exit
    max_rss_mib: float | None  # peak resident memory of the process alone, when measured
    returncode: int
    stdout: bytes
    stderr: str


def has_gnu_time() -> bool:
    if not os.access(GNU_TIME, os.X_OK):
        return False
    probe = subprocess.run(
        [GNU_TIME, "-f", "%M", "true"], capture_output=True, text=True
    )
    return probe.returncode == 0 and probe.stderr.strip().isdigit()


def run_measured(
    cmd: list[str],
    timeout: float,
    capture: bool,
    cwd: Path | None = None,
    memory: bool = False,
) -> Ran:
    """Run cmd, timing it; kill it after timeout.

    With memory, cmd runs under GNU time, which reports the peak RSS of cmd's process alone.
    Reading it from this script's own wait4 would not do: on Linux a child's ru_maxrss starts
    at the RSS of the process it was forked from (exec keeps the high-water mark), so a small
    program started from a big Python process reports Python's size. GNU time is small. It
    also adds its own start-up to the wall time, so timed runs do not use it.
    """
    with tempfile.TemporaryDirectory() as scratch:
        rss_file = Path(scratch) / "rss"
        if memory:
            cmd = [GNU_TIME, "-f", "%M", "-o", str(rss_file), *cmd]
        with (Path(scratch) / "stderr").open("w+b") as err:
            # The watchdog thread starts before the clock: starting a thread costs up to a few
            # milliseconds on a loaded machine, which is a sizeable part of a small check.
            running: list[subprocess.Popen] = []
            expired = threading.Event()

            def kill() -> None:
                expired.set()
                for proc in running:
                    proc.kill()

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                start = time.perf_counter()
                proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                    stderr=err,
                    cwd=cwd,
                )
                running.append(proc)
                out = proc.stdout.read() if capture and proc.stdout else b""
                # A blocking wait4, not Popen.wait(timeout), which polls with growing sleeps.
                _, status, _ = os.wait4(proc.pid, 0)
                elapsed = time.perf_counter() - start
            finally:
                timer.cancel()
                for proc in running:
                    if proc.stdout:
                        proc.stdout.close()
            proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            if expired.is_set():
                raise subprocess.TimeoutExpired(cmd, timeout)
            err.seek(0)
            stderr = err.read().decode(errors="replace")
        rss = None
        if memory:
            try:
                rss = int(rss_file.read_text().strip().splitlines()[-1]) / 1024  # KiB
            except (OSError, ValueError, IndexError):
                rss = None
    return Ran(elapsed, rss, proc.returncode, out, stderr)


def run_threatboard(
    binary: Path, session: Path, timeout: float, capture: bool, memory: bool = False
) -> Ran:
    ran = run_measured(
        [str(binary), "check", str(session), "--format", "json"], timeout, capture, memory=memory
    )
    # 0: passed, 1: findings at or above --fail-on (normal here), anything else: an error.
    if ran.returncode not in (0, 1):
        raise Failure(
            f"threatboard check {session} exited {ran.returncode}: {ran.stderr.strip()}"
        )
    return ran


def run_pytm(
    python: Path, script: Path, timeout: float, memory: bool = False, dump: Path | None = None
) -> tuple[Ran, dict]:
    cmd = [str(python), str(script)] + ([str(dump)] if dump else [])
    ran = run_measured(cmd, timeout, True, cwd=script.parent, memory=memory)
    if ran.returncode != 0:
        raise PytmError(
            f"pytm model {script} exited {ran.returncode}:\n"
            + "\n".join(ran.stderr.strip().splitlines()[-15:])
        )
    return ran, json.loads(ran.stdout.decode().strip().splitlines()[-1])


@dataclass
class SizeResult:
    n: int
    flows: int
    tb_wall: list[float] = field(default_factory=list)
    tb_rss: float | None = None
    tb_findings: int | None = None
    tb_encrypted: int = 0
    tb_authenticated: int = 0
    py_wall: list[float] = field(default_factory=list)
    py_rss: float | None = None
    py_inner: list[dict] = field(default_factory=list)
    py_check: dict | None = None  # the untimed check run's own report
    py_status: str = "ok"  # ok, timeout, error, skipped
    orders: list[str] = field(default_factory=list)  # "tb,pytm" or "pytm,tb" per round


def measure(
    n: int,
    seed: int,
    workdir: Path,
    binary: Path,
    python: Path,
    runs: int,
    timeout: float,
    skip_pytm: bool,
    memory: bool,
) -> SizeResult:
    components, flows = generate(n, seed)
    folder = workdir / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    session = folder / "session.toml"
    script = folder / "model.py"
    dump = folder / "pytm-flows.json"
    session.write_text(session_toml(n, components, flows), encoding="utf-8")
    script.write_text(pytm_script(n, seed, components, flows), encoding="utf-8")
    res = SizeResult(n, len(flows))
    res.tb_encrypted = sum(f.encrypted for f in flows)
    res.tb_authenticated = sum(f.authenticated for f in flows)

    # Untimed runs: they warm the caches, show that threatboard finds no validation problem and
    # that pytm holds the same flows, and give the peak memory.
    first = run_threatboard(binary, session, timeout, capture=True, memory=memory)
    report = json.loads(first.stdout)
    file_report = report["files"][0]
    if file_report["problems"]:
        raise Failure(
            f"the generated session for {n} is not valid: {file_report['problems'][:3]}"
        )
    res.tb_findings = len(file_report["findings"])
    res.tb_rss = first.max_rss_mib
    if skip_pytm:
        res.py_status = "skipped"
    else:
        try:
            _, inner = run_pytm(python, script, timeout, dump=dump)
            check_same_model(session, dump, len(flows))
            res.py_check = inner
            # Memory in a run of its own: the check above holds the dump on top of the model.
            if memory:
                res.py_rss = run_pytm(python, script, timeout, memory=True)[0].max_rss_mib
            log(f"  n={n}: same {len(flows)} flows on both sides (from, to, authenticated, encrypted)")
        except subprocess.TimeoutExpired:
            log(f"  n={n}: the pytm check run timed out after {timeout:g} s")
            res.py_status = "timeout"
        except PytmError as e:
            log(f"  n={n}: {e}")
            res.py_status = "error"

    # Timed rounds: each runs both tools once, so that drift of a shared machine falls on both
    # sides alike. Rounds go in pairs, one of each order (which comes first drawn from the
    # seed), so that neither tool always runs right after the other.
    order_rng = random.Random(f"order {seed} {n}")
    for i in range(runs):
        if i % 2 == 0:
            order = ["tb", "pytm"]
            order_rng.shuffle(order)
        else:
            order = order[::-1]
        res.orders.append(",".join(order))
        for tool in order:
            if tool == "tb":
                res.tb_wall.append(
                    run_threatboard(binary, session, timeout, capture=False).seconds
                )
            elif res.py_status == "ok":
                try:
                    ran, inner = run_pytm(python, script, timeout)
                except subprocess.TimeoutExpired:
                    log(f"  n={n}: pytm run {i + 1} timed out after {timeout:g} s")
                    res.py_status = "timeout"
                    continue
                except PytmError as e:
                    log(f"  n={n}: {e}")
                    res.py_status = "error"
                    continue
                res.py_wall.append(ran.seconds)
                res.py_inner.append(inner)
        log(
            f"  n={n}: round {i + 1}/{runs} ({res.orders[-1]}): threatboard "
            f"{fmt_s(res.tb_wall[-1])}"
            + (f", pytm {fmt_s(res.py_wall[-1])}" if len(res.py_wall) == i + 1 else "")
        )
    return res


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_spread(values: list[float]) -> str:
    """Median, then min-max of the runs."""
    if len(values) == 1:
        return fmt_s(values[0])
    low, high = min(values), max(values)
    if (low < 1) == (high < 1):  # one unit for both ends: "(8.8-9.6 ms)"
        spread = f"{fmt_s(low).split()[0]}-{fmt_s(high)}"
    else:
        spread = f"{fmt_s(low)}-{fmt_s(high)}"
    return f"{fmt_s(statistics.median(values))} ({spread})"


def fmt_ratio(x: float) -> str:
    return f"{x:,.0f}x" if x >= 100 else f"{x:.1f}x"


def fmt_mib(mib: float | None) -> str:
    if mib is None:
        return "n/a"
    return f"{mib / 1024:.2f} GiB" if mib >= 1024 else f"{mib:.1f} MiB"


def table(results: list[SizeResult]) -> str:
    rows = [
        "| components | flows | `threatboard check` (process) | pytm (process) "
        "| ratio of medians, process | pytm `check()` + `resolve()` | pytm `resolve()` "
        "| ratio of medians, `resolve()` / threatboard process "
        "| peak RSS threatboard | peak RSS pytm | findings (threatboard / pytm) |",
        "|" + "---:|" * 11,
    ]
    for r in results:
        tb = statistics.median(r.tb_wall)
        cells = [f"{r.n:,}", f"{r.flows:,}", fmt_spread(r.tb_wall)]
        if r.py_inner:
            resolve = [i["resolve_s"] for i in r.py_inner]
            check_resolve = [i["check_s"] + i["resolve_s"] for i in r.py_inner]
            partial = (
                "" if r.py_status == "ok" else f" ({len(r.py_wall)} run(s), then {r.py_status})"
            )
            cells += [
                fmt_spread(r.py_wall) + partial,
                fmt_ratio(statistics.median(r.py_wall) / tb),
                fmt_spread(check_resolve),
                fmt_spread(resolve),
                fmt_ratio(statistics.median(resolve) / tb),
                fmt_mib(r.tb_rss),
                fmt_mib(r.py_rss),
                f"{r.tb_findings:,} / {r.py_inner[0]['findings']:,}",
            ]
        else:
            cells += [r.py_status] + ["-"] * 4 + [fmt_mib(r.tb_rss), "-", f"{r.tb_findings:,} / -"]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def detail_table(results: list[SizeResult]) -> str:
    rows = [
        "| components | pytm import | pytm model construction | pytm `check()` | pytm `resolve()` "
        "| pytm elements | pytm threats | encrypted flows (threatboard / pytm after `check()`) "
        "| authenticated flows (threatboard / pytm) |",
        "|" + "---:|" * 9,
    ]
    for r in results:
        if not r.py_inner or not r.py_check:
            continue
        med = {k: statistics.median(i[k] for i in r.py_inner)
               for k in ("import_s", "build_s", "check_s", "resolve_s")}
        c = r.py_check
        rows.append(
            f"| {r.n:,} | {fmt_s(med['import_s'])} | {fmt_s(med['build_s'])} "
            f"| {fmt_s(med['check_s'])} | {fmt_s(med['resolve_s'])} | {c['elements']:,} "
            f"| {c['threats']} | {r.tb_encrypted:,} / {c['encrypted_flows_after_check']:,} "
            f"| {r.tb_authenticated:,} / {c['authenticated_flows_after_check']:,} |"
        )
    return "\n".join(rows)


def results_block(
    results: list[SizeResult], info: dict[str, str], args: argparse.Namespace,
    command: str, started: _dt.datetime, elapsed: float, memory: bool, spawn: float,
) -> str:
    orders = Counter(o for r in results for o in r.orders)
    lines = [
        README_BEGIN,
        "",
        f"Measured {started.strftime('%Y-%m-%d %H:%M UTC')} (whole script {elapsed / 60:.1f} min) with",
        "",
        "```sh",
        command,
        "```",
        "",
        f"- {info['threatboard']}, commit {info['commit']}, release build, "
        f"{info['rustc']}",
        f"- pytm {info['pytm']} (pydantic {info['pydantic']}) on {info['python']}",
        f"- CPU: {info['cpu']}, {info['cpus']} logical CPUs; OS: {info['os']}",
        f"- model seed {args.seed}; {args.runs} timed round(s) per size, each running both "
        "tools once; rounds go in pairs, one of each order, which first drawn from the seed "
        "(over all sizes, threatboard first in "
        f"{orders['tb,pytm']} rounds, pytm first in {orders['pytm,tb']})",
        "- times: median of the rounds, (min-max) in brackets; ratios are ratios of medians; "
        "peak RSS: an untimed run of each tool, "
        + ("measured alone under GNU `time`" if memory else "not measured (no GNU `/usr/bin/time`)"),
        f"- starting and reaping an empty process (`true`) from the script takes {fmt_s(spawn)} "
        "(median of 21), included in every process time below",
        "",
        table(results),
    ]
    detail = detail_table(results)
    if detail.count("\n") > 1:
        lines += ["", detail]
    lines += ["", README_END]
    return "\n".join(lines)


def write_readme(readme: Path, block: str) -> None:
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_BEGIN) + r".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        raise Failure(f"{readme} has no results block ({README_BEGIN} ... {README_END})")
    readme.write_text(pattern.sub(lambda _: block, text, count=1), encoding="utf-8")


# --------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers: {text!r}")
    if not sizes or any(s < MIN_SIZE for s in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be at least {MIN_SIZE}")
    return sorted(set(sizes))


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Time pytm against `threatboard check` on the same generated model "
        "(benches/pytm/README.md)."
    )
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("100,1000,5000"),
                        help="component counts, comma-separated (default 100,1000,5000)")
    parser.add_argument("--runs", type=int, default=5,
                        help="timed rounds per size, each running both tools (default 5)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed of the model and of the run order (default {DEFAULT_SEED})")
    parser.add_argument("--write-readme", action="store_true",
                        help="replace the results block of benches/pytm/README.md")
    parser.add_argument("--keep-venv", action="store_true",
                        help="keep the temporary directory (venv and generated models)")
    parser.add_argument("--venv", type=Path,
                        help="use (and keep) this venv, creating it or installing pytm if needed")
    parser.add_argument("--pytm-version", default=PYTM_VERSION,
                        help=f"pytm version to install (default {PYTM_VERSION})")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds allowed to each subprocess (default 600)")
    parser.add_argument("--build-timeout", type=float, default=3600,
                        help="seconds allowed to cargo build, which may wait for other "
                        "builds' lock (default 3600)")
    parser.add_argument("--threatboard", type=Path,
                        help="use this threatboard binary instead of building one")
    parser.add_argument("--json", type=Path, help="also write the raw timings to this file")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if tomllib is None:
        log("error: Python 3.11 or later is needed (tomllib reads the generated session back)")
        return 1
    command = shlex.join(["python3", "benches/pytm/compare.py", *sys.argv[1:]])
    started = _dt.datetime.now(_dt.timezone.utc)
    clock = time.perf_counter()

    repo = Path(__file__).resolve().parents[2]
    if not (repo / "Cargo.toml").exists():
        log(f"error: {repo} does not look like the threatboard repository")
        return 1

    tmp = Path(tempfile.mkdtemp(prefix="threatboard-pytm-"))
    keep = args.keep_venv
    try:
        if args.threatboard:
            binary = args.threatboard.resolve()
            if not os.access(binary, os.X_OK):
                raise Failure(f"{binary} is not an executable threatboard binary")
        else:
            binary = build_threatboard(repo, args.build_timeout)
        venv = args.venv.resolve() if args.venv else tmp / "venv"
        python = prepare_venv(venv, args.pytm_version, args.timeout)
        info = versions(repo, binary, python)
        log("versions: " + "; ".join(f"{k} {v}" for k, v in info.items()))
        memory = has_gnu_time()
        # What starting and reaping a process costs this script, for reading small timings.
        spawn = statistics.median(
            run_measured(["true"], args.timeout, False).seconds for _ in range(21)
        )
        log(f"starting an empty process (true) takes {fmt_s(spawn)} here")
        if not memory:
            log(f"warning: no GNU time at {GNU_TIME}: peak memory is not measured")

        results = []
        pytm_gave_up = False
        for n in args.sizes:
            log(f"size {n}: {n} components, {n * FLOWS_PER_COMPONENT} flows")
            r = measure(n, args.seed, tmp / "models", binary, python, args.runs,
                        args.timeout, pytm_gave_up, memory)
            if r.py_status == "skipped":
                r.py_status = "not run (smaller size timed out)"
            if r.py_status == "timeout":
                pytm_gave_up = True  # larger models would only take longer
            results.append(r)

        block = results_block(results, info, args, command, started,
                              time.perf_counter() - clock, memory, spawn)
        print(block)
        if args.write_readme:
            readme = repo / "benches" / "pytm" / "README.md"
            write_readme(readme, block)
            log(f"wrote the results block of {readme}")
        if args.json:
            args.json.write_text(json.dumps({
                "started": started.isoformat(), "command": command, "versions": info,
                "seed": args.seed, "runs": args.runs,
                "results": [r.__dict__ for r in results],
            }, indent=2), encoding="utf-8")
        return 0
    except Failure as e:
        log(f"error: {e}")
        return e.code
    except subprocess.TimeoutExpired as e:
        log(f"error: {e.cmd[0] if isinstance(e.cmd, list) else e.cmd} timed out after {e.timeout:g} s")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        if keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
