"""Run Python against an unpacked deployment package the way the Lambda Python runtime does.

The process is isolated from this repository and from the development environment: ``python -I -S``
(no site-packages, no PYTHONPATH, no current directory on the path), the working directory is the
unpacked package (Lambda's ``/var/task``), and ``sys.path`` is that folder followed by a folder that
stands in for the runtime's own ``/var/runtime``: only the AWS SDK (boto3, botocore, s3transfer and
what they need) that Lambda provides. The package carries its own pinned SDK, which comes first on
the path as on Lambda; this one is there so that a module missing from the package would be found
where Lambda would find it, not fail only here.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

# What the Lambda Python runtime has in /var/runtime (the SDK and its dependencies).
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


@contextmanager
def runtime_sdk_dir():
    """A folder holding (links to) this environment's AWS SDK, standing in for /var/runtime."""
    site = Path(sysconfig.get_paths()["purelib"])
    with tempfile.TemporaryDirectory(prefix="var-runtime-") as tmp:
        for name in RUNTIME_SDK:
            source = site / name
            if source.exists():
                (Path(tmp) / name).symlink_to(source)
        yield Path(tmp)


def unpack(zip_path: Path, target: Path) -> Path:
    with zipfile.ZipFile(zip_path) as package:
        package.extractall(target)
    return target


def run(task_root: Path, code: str, *, env: dict[str, str], sdk_dir: Path, timeout: float = 120,
        python: str = sys.executable, wrapper: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with ``task_root`` as the working directory and first on the
    path; ``wrapper`` runs the interpreter under another program (e.g. valgrind)."""
    bootstrap = (
        "import sys; "
        f"sys.path[:0] = [{str(task_root)!r}, {str(sdk_dir)!r}]; "
        f"exec(compile({code!r}, '<lambda>', 'exec'))"
    )
    clean_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "HOME": str(task_root), **env}
    # -B: /var/task is read-only, so no bytecode is ever written beside the package's modules.
    return subprocess.run([*wrapper, python, "-I", "-S", "-B", "-c", bootstrap], cwd=task_root, env=clean_env,
                          capture_output=True, text=True, timeout=timeout)
