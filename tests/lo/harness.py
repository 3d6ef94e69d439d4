"""Run probe.py under the system Python (which has ``uno``) from tests in the project venv.

``probe(docs)`` takes one dict per document (``path``, optional ``cells``, ``probe``, ``recalc``,
``timeout``; see probe.py) and returns probe.py's reports in the same order. Tests that need
LibreOffice use ``@requires_lo``: they are skipped when it is missing, but fail when the ``CI``
environment variable is set, since CI installs LibreOffice.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

SYSTEM_PYTHON = os.environ.get("XL_CSEG_LO_PYTHON", "/usr/bin/python3")
SOFFICE = os.environ.get("XL_CSEG_SOFFICE", "/usr/bin/soffice")
PROBE_SCRIPT = Path(__file__).with_name("probe.py")
STARTUP_BUDGET = 60.0  # seconds for starting soffice (also after a crash) and shutting it down
DOC_TIMEOUT = 30.0  # probe.py's default per document


@functools.cache
def lo_missing_reason() -> str | None:
    """Why LibreOffice cannot be used here, or None when it can."""
    if not Path(SOFFICE).exists():
        return f"LibreOffice not installed ({SOFFICE} missing; Debian: libreoffice-calc-nogui python3-uno)"
    try:
        check = subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{SYSTEM_PYTHON} not usable: {exc}"
    if check.returncode != 0:
        return f"{SYSTEM_PYTHON} cannot import uno (Debian: python3-uno)"
    return None


def lo_available() -> bool:
    """True when soffice exists and the system Python can import ``uno``."""
    return lo_missing_reason() is None


def in_ci() -> bool:
    """True when the ``CI`` environment variable is set (to anything but empty, 0 or false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def require_lo() -> None:
    """Skip the calling test without LibreOffice; fail instead under CI."""
    require(lo_missing_reason())


def require(reason: str | None) -> None:
    """Skip the calling test when ``reason`` says what of LibreOffice is missing; fail
    instead under CI (which installs it)."""
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"LibreOffice is required under CI: {reason}", pytrace=False)
    pytest.skip(f"LibreOffice not available: {reason}")


def requires_lo(test):
    """Decorator: mark a test ``lo`` and run ``require_lo()`` before it."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        require_lo()
        return test(*args, **kwargs)

    return pytest.mark.lo(wrapper)


def probe(docs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open ``docs`` in a private headless LibreOffice and return one report per document.

    A document whose report is missing (probe.py crashed or overran its total budget) gets
    ``{"path": ..., "ok": False, "error": ...}``.
    """
    require_lo()
    requests = [{**doc, "path": str(Path(doc["path"]).resolve())} for doc in docs]
    budget = STARTUP_BUDGET + sum(float(d.get("timeout", DOC_TIMEOUT)) + STARTUP_BUDGET / 2 for d in requests)
    with tempfile.TemporaryDirectory(prefix="xl-cseg-probe-") as tmp:
        request_file = Path(tmp) / "request.json"
        request_file.write_text(json.dumps(requests), encoding="utf-8")
        proc = subprocess.Popen(
            [SYSTEM_PYTHON, str(PROBE_SCRIPT), "--request", str(request_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            out, err = proc.communicate(timeout=budget)
            problem = f"probe.py exited with {proc.returncode}: {err.strip()[-2000:]}"
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)  # probe.py then stops its soffice
            try:
                out, err = proc.communicate(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
            problem = f"probe.py overran its budget of {budget:.0f} s"
    reports = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    by_path = {}
    for report in reports:
        by_path.setdefault(report["path"], []).append(report)
    return [
        by_path[req["path"]].pop(0) if by_path.get(req["path"]) else {"path": req["path"], "ok": False, "error": problem}
        for req in requests
    ]
