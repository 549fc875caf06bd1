"""The in-cluster runner outside its image: the same entrypoint (python -m golive.incluster) against the sandbox."""
from __future__ import annotations

import os
import subprocess
import sys

from sandbox import stack
from tests.harness import ROOT


def test_the_runner_writes_into_a_reports_folder_that_already_exists(sandbox, tmp_path):
    """A mounted or reused GOLIVE_REPORTS_DIR: handed to pytest as --golive-reports=DIR, never as a separate
    word that pytest takes for a test path (its rootdir there, then 'unrecognized arguments')."""
    env = {**os.environ, "GOLIVE_ENV": "sandbox", "GOLIVE_REPORTS_DIR": str(tmp_path),
           "GOLIVE_SANDBOX_DIR": str(stack.state_dir())}
    env.pop("GOLIVE_ARTIFACTS_S3", None)
    done = subprocess.run([sys.executable, "-m", "golive.incluster", "smoke"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "golive verdict: GO (exit 0) environment=sandbox selection=smoke" in done.stdout
    assert list(tmp_path.glob("sandbox_smoke_*.jsonl"))
