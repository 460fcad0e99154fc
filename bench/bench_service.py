"""Load benchmark of the forecast service under uvicorn on loopback.

Builds a small registered model (SYNTHETIC demo data, Mean12Poisson) in a temporary MLflow store,
starts ``threatcast serve`` on a free loopback port and drives it with wrk (or, when wrk is not
installed, an httpx async load generator), in one run:

1. ``GET /health`` and ``GET /v1/regions/{id}/forecast`` (cycling over every region), alternating
   in 2-second slices for two thirds of the time (so drifting load on shared CPUs hits both alike);
2. the forecast endpoint for the last third while ``POST /v1/admin/reload`` swaps in a newly
   registered champion.

Prints req/s, p50 and p99 latency of each phase, the forecast/health throughput ratio (target >=
0.70) and the error count (target 0).

    .venv/bin/python bench/bench_service.py [--seconds 60] [--connections 16] [--regions 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import mlflow
import numpy as np
from mlflow import MlflowClient

from models.bundle import ForecastBundle
from models.demo import generate_demo
from models.episodes import load_catalog
from models.estimators.baselines import Mean12Poisson
from models.panel import build_panel
from models.pyfunc import BUNDLE_ARTIFACT, BundleModel, save_bundle

KEY = "bench-admin-key"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def register(tracking_uri: str, workdir: Path, n_regions: int, cutoff: str) -> str:
    """Fit a bundle on demo data up to ``cutoff``, log and register it as the champion."""
    data = generate_demo(seed=11, n_regions=n_regions, start="2010-01", end="2018-12")
    panel = build_panel(data.events, cutoff=cutoff)
    bundle = ForecastBundle(forecaster=Mean12Poisson().fit(panel), state=panel, catalog=load_catalog(),
                            horizon=6,
                            provenance={"model_name": "threatcast", "served_model": "mean12_poisson"})
    path = save_bundle(bundle, workdir / f"bundle-{cutoff}")
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    exp = client.get_experiment_by_name("bench") or client.get_experiment(
        client.create_experiment("bench", artifact_location=(workdir / "artifacts").as_uri()))
    with mlflow.start_run(experiment_id=exp.experiment_id):
        info = mlflow.pyfunc.log_model(name="model", python_model=BundleModel(),
                                       artifacts={BUNDLE_ARTIFACT: str(path)},
                                       registered_model_name="threatcast", pip_requirements=["threatcast"])
    version = str(info.registered_model_version)
    client.set_registered_model_alias("threatcast", "champion", version)
    return version


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, tracking_uri: str, cwd: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "threatcast"
    env = {**os.environ, "THREATCAST_ADMIN_API_KEYS": KEY}
    proc = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--tracking-uri", tracking_uri], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit("the service exited during start-up")
        time.sleep(0.25)
    proc.terminate()
    raise SystemExit("the service did not become ready")


_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(f"unparseable wrk latency {text!r}")
    return float(match[1]) * _UNIT_MS[match[2]]


def run_wrk(name: str, base: str, paths: list[str], seconds: float, connections: int,
            workdir: Path) -> Result:
    script = workdir / f"{name}.lua"
    entries = ",".join(f'"{p}"' for p in paths)
    script.write_text(
        f"local paths = {{{entries}}}\nlocal i = 0\n"
        "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency",
                          "-s", str(script), base], capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    duration = float(re.search(r"requests in ([\d.]+)s", out)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non2xx[1]) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out)[1])  # type: ignore[index]
    return Result(name, total, duration, p50, p99, errors, "wrk")


async def _httpx_load(base: str, paths: list[str], seconds: float,
                      connections: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < stop:
                start = time.perf_counter()
                try:
                    r = await client.get(paths[i % len(paths)])
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - start)
                i += connections

        await asyncio.gather(*(worker(k) for k in range(connections)))
    return latencies, errors


def run_httpx(name: str, base: str, paths: list[str], seconds: float, connections: int) -> Result:
    start = time.perf_counter()
    latencies, errors = asyncio.run(_httpx_load(base, paths, seconds, connections))
    elapsed = time.perf_counter() - start
    ms = np.asarray(latencies) * 1000
    return Result(name, len(latencies), elapsed, float(np.percentile(ms, 50)), float(np.percentile(ms, 99)),
                  errors, "httpx")


def combine(parts: list[Result]) -> Result:
    """One result from consecutive slices; p50/p99 are request-weighted means of the slices' values."""
    total = sum(p.requests for p in parts)
    weights = [p.requests / total for p in parts]
    return Result(parts[0].name, total, sum(p.seconds for p in parts),
                  sum(w * p.p50_ms for w, p in zip(weights, parts, strict=True)),
                  sum(w * p.p99_ms for w, p in zip(weights, parts, strict=True)),
                  sum(p.errors for p in parts), parts[0].tool)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="total load time (three phases)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--regions", type=int, default=60)
    parser.add_argument("--httpx", action="store_true", help="use httpx even when wrk is installed")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="threatcast-bench-"))
    tracking_uri = f"sqlite:///{work / 'mlflow.db'}"
    t0 = time.perf_counter()
    v1 = register(tracking_uri, work, args.regions, "2018-06")
    print(f"registered version {v1} in {time.perf_counter() - t0:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    server = start_server(port, tracking_uri, work)
    print(f"service ready in {time.perf_counter() - t0:.1f} s on {base}")
    use_wrk = shutil.which("wrk") is not None and not args.httpx
    phase = args.seconds / 3
    try:
        regions = [r["region_id"] for r in httpx.get(f"{base}/v1/regions").json()["regions"]]
        forecast_paths = [f"/v1/regions/{r}/forecast" for r in regions]

        def load_for(name: str, paths: list[str], seconds: float) -> Result:
            if use_wrk:
                return run_wrk(name, base, paths, seconds, args.connections, work)
            return run_httpx(name, base, paths, seconds, args.connections)

        def load(name: str, paths: list[str]) -> Result:
            return load_for(name, paths, phase)

        # health and forecast alternate in short slices so drifting load on shared CPUs hits both alike
        slices = max(1, round(phase / 2))
        parts: dict[str, list[Result]] = {"health": [], "forecast": []}
        for _ in range(slices):
            parts["health"].append(load_for("health", ["/health"], phase / slices))
            parts["forecast"].append(load_for("forecast", forecast_paths, phase / slices))
        health, forecast = combine(parts["health"]), combine(parts["forecast"])

        v2 = register(tracking_uri, work, args.regions, "2018-12")
        reload_report: dict[str, object] = {}

        def trigger_reload() -> None:
            time.sleep(phase / 4)
            start = time.perf_counter()
            r = httpx.post(f"{base}/v1/admin/reload", headers={"X-API-Key": KEY}, timeout=120)
            reload_report.update(status=r.status_code, body=r.json(), seconds=time.perf_counter() - start)

        thread = threading.Thread(target=trigger_reload)
        thread.start()
        during = load("forecast+reload", forecast_paths)
        thread.join()
        served = httpx.get(f"{base}/v1/model").json()["model_version"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nload generator: {health.tool}, {args.connections} connections, {phase:.0f} s per phase, "
          f"{len(forecast_paths)} regions, {os.cpu_count()} CPUs shared by server and generator")
    print(f"{'phase':<18}{'requests':>10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for r in (health, forecast, during):
        print(f"{r.name:<18}{r.requests:>10}{r.rps:>10.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}")
    ratio = forecast.rps / health.rps
    errors = health.errors + forecast.errors + during.errors
    print(f"\nforecast / health throughput: {ratio:.2f} (target >= 0.70)")
    took = float(reload_report.get("seconds", 0.0))  # type: ignore[arg-type]
    print(f"reload during load: HTTP {reload_report.get('status')} in {took:.2f} s, "
          f"version {v1} -> {served} (registered {v2})")
    print(f"errors over the whole run: {errors} (target 0)")


if __name__ == "__main__":
    main()
