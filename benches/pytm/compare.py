#!/usr/bin/env python3
"""Time OWASP pytm's threat resolution against `threatboard check` on the same generated model.

Run from the repository root:

    python3 benches/pytm/compare.py [--sizes 100,1000,5000] [--runs 5] [--keep-venv]

What it does (see README.md beside this file):

1. builds threatboard (`cargo build --release`, a no-op when target/release is up to date);
2. creates a throwaway venv in a temporary directory and `pip install`s a pinned pytm into it;
3. for each size N writes, into that temporary directory, the same model twice: a threatboard
   session (TOML) and a pytm model script (Python). The model is the one `generated()` in
   benches/session.rs builds (N components in 10 boundaries round-robin, 5N flows from
   component f % N to component (7f + 1) % N), with a mix of component kinds, data assets and
   flows that are or are not authenticated and encrypted;
4. times `threatboard check FILE --format json` (wall time of the process) and the pytm script
   (wall time of the process, and, measured inside it, TM.check() and TM.resolve());
5. prints the medians and the ratios pytm / threatboard as a Markdown table.

Only the standard library is used here; pytm lives in the venv. Nothing is written into the
repository (apart from what cargo puts in target/).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PYTM_VERSION = "1.4.0"  # the current release on PyPI when this script was written
BOUNDARIES = 10
FLOWS_PER_COMPONENT = 5

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
    tags: list[str] = field(default_factory=list)
    asset: int | None = None  # index into ASSETS, held by data stores


@dataclass
class Flow:
    index: int
    source: int
    sink: int
    authenticated: bool
    encrypted: bool
    asset: int | None


def generate(n: int) -> tuple[list[Component], list[Flow]]:
    """The model for size n, deterministic.

    Topology as in benches/session.rs `generated()`: component c sits in boundary c % 10, flow f
    goes from component f % n to component (7f + 1) % n. Kinds are assigned per block of ten
    components, so that every boundary gets every kind: in each run of 100 components, 10 are
    external entities (pytm Actor), 20 data stores (pytm Datastore), 30 servers and 40
    processes (both threatboard processes; pytm Server and Process).
    """
    components = []
    for c in range(n):
        slot = (c // 10) % 10
        boundary = c % BOUNDARIES
        if slot == 0:
            comp = Component(c, "external-entity", "Actor", boundary)
        elif slot in (1, 2):
            comp = Component(c, "data-store", "Datastore", boundary, asset=c % len(ASSETS))
            if slot == 2:
                comp.tags.append("logs")
        elif slot in (3, 4, 5):
            comp = Component(c, "process", "Server", boundary)
            if boundary == 0:
                comp.tags.append("internet-facing")
        else:
            comp = Component(c, "process", "Process", boundary)
        components.append(comp)
    flows = []
    for f in range(n * FLOWS_PER_COMPONENT):
        flows.append(
            Flow(
                index=f,
                source=f % n,
                sink=(f * 7 + 1) % n,
                authenticated=f % 4 != 0,
                encrypted=f % 3 != 0,
                asset=(f // 2) % len(ASSETS) if f % 2 == 0 else None,
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
# Generated by benches/pytm/compare.py: {n} components, {flow_count} flows. Prints one JSON line.
import json
import time

_t0 = time.perf_counter()
from pytm import (
    TM, Actor, Boundary, Classification, Data, Dataflow, Datastore, Process, Server, TLSVersion,
)
_t_import = time.perf_counter()

# (name, classification, extra Data fields)
ASSETS = {assets!r}
# (name, pytm class, boundary index, asset index or None, stores log data)
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
for name, cls, boundary, asset, logs in COMPONENTS:
    kwargs = {{"inBoundary": boundaries[boundary]}}
    if cls == "Datastore":
        kwargs["storesLogData"] = logs
        if asset is not None:
            kwargs["storesSensitiveData"] = ASSETS[asset][1] in ("SENSITIVE", "SECRET")
            kwargs["storesPII"] = bool(ASSETS[asset][2].get("isPII"))
    elements.append(classes[cls](name, **kwargs))
for name, source, sink, authenticated, encrypted, asset in FLOWS:
    flow = Dataflow(
        elements[source],
        elements[sink],
        name,
        protocol="HTTPS" if encrypted else "HTTP",
        dstPort=443 if encrypted else 80,
        tlsVersion=TLSVersion.TLSv12 if encrypted else TLSVersion.NONE,
    )
    flow.controls.isEncrypted = encrypted
    flow.controls.authenticatesSource = authenticated
    flow.controls.implementsAuthenticationScheme = authenticated
    if asset is not None:
        flow.data = data[asset]
_t_build = time.perf_counter()

tm.check()
_t_check = time.perf_counter()
tm.resolve()
_t_resolve = time.perf_counter()

print(json.dumps({{
    "import_s": _t_import - _t0,
    "build_s": _t_build - _t_import,
    "check_s": _t_check - _t_build,
    "resolve_s": _t_resolve - _t_check,
    "findings": len(tm.findings),
    "threats": len(TM._threats),
    "elements": len(TM._elements),
    "encrypted_flows_after_check": sum(
        1 for f in TM._flows if f.controls.isEncrypted
    ),
}}))
'''


def pytm_script(n: int, components: list[Component], flows: list[Flow]) -> str:
    return PYTM_TEMPLATE.format(
        n=n,
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
            )
            for c in components
        ],
        flows=[
            (f"call {f.index}", f.source, f.sink, f.authenticated, f.encrypted, f.asset)
            for f in flows
        ],
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


def versions(binary: Path, python: Path) -> dict[str, str]:
    def out(cmd: list[str]) -> str:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            return (r.stdout or r.stderr).strip().splitlines()[0] if r.returncode == 0 else "?"
        except (OSError, subprocess.TimeoutExpired, IndexError):
            return "?"

    meta = (
        "import importlib.metadata as m, platform; "
        "print(m.version('pytm'), m.version('pydantic') if any("
        "d.metadata['Name'].lower() == 'pydantic' for d in m.distributions()) else '-', "
        "platform.python_version())"
    )
    pytm_v, pydantic_v, python_v = (out([str(python), "-c", meta]) + " ? ? ?").split()[:3]
    return {
        "threatboard": out([str(binary), "--version"]),
        "rustc": out(["rustc", "--version"]),
        "pytm": pytm_v,
        "pydantic": pydantic_v,
        "python": python_v,
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
    }


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    n: int
    flows: int
    tb_wall: list[float] = field(default_factory=list)
    tb_rss: list[float] = field(default_factory=list)
    tb_findings: int | None = None
    tb_paths: int | None = None
    py_wall: list[float] = field(default_factory=list)
    py_rss: list[float] = field(default_factory=list)
    py_inner: list[dict] = field(default_factory=list)
    py_status: str = "ok"  # ok, timeout, error, skipped


@dataclass
class Ran:
    seconds: float  # wall time, start to exit
    max_rss_mib: float  # peak resident memory of the process
    returncode: int
    stdout: bytes
    stderr: str


def run_measured(cmd: list[str], timeout: float, capture: bool, cwd: Path | None = None) -> Ran:
    """Run cmd, timing it and reading its peak memory (wait4's rusage); kill it after timeout."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
            stderr=err,
            cwd=cwd,
        )
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            out = proc.stdout.read() if capture else b""
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            if proc.stdout:
                proc.stdout.close()
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if expired.is_set():
            raise subprocess.TimeoutExpired(cmd, timeout)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return Ran(elapsed, rss, proc.returncode, out, stderr)


def run_threatboard(binary: Path, session: Path, timeout: float, capture: bool) -> Ran:
    ran = run_measured(
        [str(binary), "check", str(session), "--format", "json"], timeout, capture
    )
    # 0: passed, 1: findings at or above --fail-on (normal here), anything else: an error.
    if ran.returncode not in (0, 1):
        raise Failure(
            f"threatboard check {session} exited {ran.returncode}: {ran.stderr.strip()}"
        )
    return ran


def run_pytm(python: Path, script: Path, timeout: float) -> tuple[Ran, dict]:
    ran = run_measured([str(python), str(script)], timeout, True, cwd=script.parent)
    if ran.returncode != 0:
        raise PytmError(
            f"pytm model {script} exited {ran.returncode}:\n"
            + "\n".join(ran.stderr.strip().splitlines()[-15:])
        )
    return ran, json.loads(ran.stdout.decode().strip().splitlines()[-1])


def measure(
    n: int,
    workdir: Path,
    binary: Path,
    python: Path,
    runs: int,
    timeout: float,
    skip_pytm: bool,
) -> SizeResult:
    components, flows = generate(n)
    folder = workdir / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    session = folder / "session.toml"
    script = folder / "model.py"
    session.write_text(session_toml(n, components, flows), encoding="utf-8")
    script.write_text(pytm_script(n, components, flows), encoding="utf-8")
    res = SizeResult(n, len(flows))

    # threatboard: one untimed run that is also checked (no validation problems), then the runs.
    first = run_threatboard(binary, session, timeout, capture=True)
    report = json.loads(first.stdout)
    file_report = report["files"][0]
    if file_report["problems"]:
        raise Failure(
            f"the generated session for {n} is not valid: {file_report['problems'][:3]}"
        )
    res.tb_findings = len(file_report["findings"])
    res.tb_paths = len(file_report["attack_paths"])
    for _ in range(runs):
        ran = run_threatboard(binary, session, timeout, capture=False)
        res.tb_wall.append(ran.seconds)
        res.tb_rss.append(ran.max_rss_mib)
    log(
        f"  n={n}: threatboard check median {fmt_s(statistics.median(res.tb_wall))}, "
        f"{res.tb_findings} findings, {max(res.tb_rss):.0f} MiB"
    )

    if skip_pytm:
        res.py_status = "skipped"
        return res
    for i in range(runs):
        try:
            ran, inner = run_pytm(python, script, timeout)
        except subprocess.TimeoutExpired:
            log(f"  n={n}: pytm run {i + 1} timed out after {timeout:g} s")
            res.py_status = "timeout"
            break
        except PytmError as e:
            log(f"  n={n}: {e}")
            res.py_status = "error"
            break
        res.py_wall.append(ran.seconds)
        res.py_rss.append(ran.max_rss_mib)
        res.py_inner.append(inner)
        log(
            f"  n={n}: pytm run {i + 1}/{runs}: process {fmt_s(ran.seconds)}, "
            f"resolve() {fmt_s(inner['resolve_s'])}, {inner['findings']} findings, "
            f"{ran.max_rss_mib:.0f} MiB"
        )
    return res


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(x: float) -> str:
    return f"{x:,.0f}x" if x >= 100 else f"{x:.1f}x"


def fmt_mib(mib: float) -> str:
    return f"{mib / 1024:.1f} GiB" if mib >= 1024 else f"{mib:.0f} MiB"


def table(results: list[SizeResult]) -> str:
    head = (
        "| components | flows | `threatboard check` (process) | pytm `resolve()` "
        "| pytm `check()` + `resolve()` | pytm (process) "
        "| ratio, resolution only | ratio, whole process "
        "| peak memory (threatboard / pytm) | findings (threatboard / pytm) |"
    )
    rows = [head, "|" + "---:|" * 10]
    for r in results:
        tb = statistics.median(r.tb_wall)
        cells = [f"{r.n:,}", f"{r.flows:,}", fmt_s(tb)]
        if r.py_inner:
            resolve = statistics.median(i["resolve_s"] for i in r.py_inner)
            check_resolve = statistics.median(i["check_s"] + i["resolve_s"] for i in r.py_inner)
            wall = statistics.median(r.py_wall)
            partial = (
                "" if r.py_status == "ok"
                else f" ({len(r.py_wall)} run(s), then {r.py_status})"
            )
            cells += [
                fmt_s(resolve),
                fmt_s(check_resolve),
                fmt_s(wall) + partial,
                fmt_ratio(resolve / tb),
                fmt_ratio(wall / tb),
                f"{fmt_mib(max(r.tb_rss))} / {fmt_mib(max(r.py_rss))}",
                f"{r.tb_findings:,} / {r.py_inner[0]['findings']:,}",
            ]
        else:
            cells += [r.py_status] + ["-"] * 4 + [
                f"{fmt_mib(max(r.tb_rss))} / -",
                f"{r.tb_findings:,} / -",
            ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def detail_table(results: list[SizeResult]) -> str:
    rows = [
        "| components | pytm import | pytm model construction | pytm `check()` | pytm `resolve()` "
        "| pytm elements | pytm threats | flows still encrypted after `check()` |",
        "|" + "---:|" * 8,
    ]
    for r in results:
        if not r.py_inner:
            continue
        med = {k: statistics.median(i[k] for i in r.py_inner)
               for k in ("import_s", "build_s", "check_s", "resolve_s")}
        first = r.py_inner[0]
        rows.append(
            f"| {r.n:,} | {fmt_s(med['import_s'])} | {fmt_s(med['build_s'])} "
            f"| {fmt_s(med['check_s'])} | {fmt_s(med['resolve_s'])} | {first['elements']:,} "
            f"| {first['threats']} | {first['encrypted_flows_after_check']:,} of {r.flows:,} |"
        )
    return "\n".join(rows)


# --------------------------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers: {text!r}")
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sorted(set(sizes))


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Time pytm's threat resolution against `threatboard check` on the same "
        "generated model (benches/pytm/README.md)."
    )
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("100,1000,5000"),
                        help="component counts, comma-separated (default 100,1000,5000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per tool and size (default 5)")
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
        info = versions(binary, python)
        log("versions: " + ", ".join(f"{k} {v}" for k, v in info.items()))

        results = []
        pytm_gave_up = False
        for n in args.sizes:
            log(f"size {n}: {n} components, {n * FLOWS_PER_COMPONENT} flows")
            r = measure(n, tmp / "models", binary, python, args.runs, args.timeout, pytm_gave_up)
            if r.py_status == "skipped":
                r.py_status = "not run (smaller size timed out)"
            if r.py_status == "timeout":
                pytm_gave_up = True  # larger models would only take longer
            results.append(r)

        date = _dt.date.today().isoformat()
        print(
            f"threatboard vs pytm, {date}; {info['threatboard']} ({info['rustc']}, release), "
            f"pytm {info['pytm']} (pydantic {info['pydantic']}, Python {info['python']}); "
            f"{info['platform']}, {info['cpus']} CPUs; median of {args.runs} run(s).\n"
        )
        print(table(results))
        if any(r.py_inner for r in results):
            print()
            print(detail_table(results))
        if args.json:
            args.json.write_text(json.dumps({
                "date": date, "versions": info, "runs": args.runs,
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
