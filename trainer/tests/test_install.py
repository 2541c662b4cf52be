"""``pip install ./trainer`` (trainer/pyproject.toml) into a fresh virtual environment, offline,
on this machine's Python packages (``--system-site-packages --no-build-isolation --no-deps``, the
way README's GPU-workstation section describes it for Debian), then the installed ``s5trainer``
console script from a folder where the checkout is not importable."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TRAINER = Path(__file__).resolve().parents[1]


def _source_version() -> str:
    return re.search(r'^__version__ = "([^"]+)"', (TRAINER / "s5trainer" / "__init__.py").read_text(), re.M).group(1)


def _clean_env() -> dict:
    """No PYTHONPATH: only what the venv itself provides is importable."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    env = _clean_env()
    probe = subprocess.run([sys.executable, "-m", "venv", "--help"], capture_output=True, text=True, env=env)
    if probe.returncode != 0:
        pytest.skip(f"{sys.executable} has no venv module (Debian: apt-get install python3-venv)")
    made = subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(tmp / "venv")],
                          capture_output=True, text=True, env=env, timeout=300)
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtual environment here: {made.stderr.strip()[-500:]}")
    py = tmp / "venv" / "bin" / "python"
    if subprocess.run([str(py), "-m", "pip", "--version"], capture_output=True, env=env).returncode != 0:
        pytest.skip("the new virtual environment has no pip (Debian: apt-get install python3-venv python3-pip)")
    # A copy of what a user's checkout holds, so the build leaves nothing in this one.
    src = tmp / "trainer"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(TRAINER / name, src / name)
    for name in ("s5trainer", "resources"):
        shutil.copytree(TRAINER / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    pip = subprocess.run([str(py), "-m", "pip", "install", "--no-index", "--no-build-isolation", "--no-deps", str(src)],
                         capture_output=True, text=True, env=env, cwd=tmp, timeout=600)
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
    return {"dir": tmp, "python": py, "bin": tmp / "venv" / "bin", "env": env}


def _run(venv, *cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=venv["env"], cwd=venv["dir"], timeout=600)


def test_installed_console_script_runs_help_and_doctor(venv):
    r = _run(venv, venv["bin"] / "s5trainer", "--help")
    assert r.returncode == 0, r.stderr
    assert "usage:" in r.stdout and "doctor" in r.stdout and "import-official" in r.stdout
    d = _run(venv, venv["bin"] / "s5trainer", "doctor", "--json")
    import json
    report = json.loads(d.stdout.strip().splitlines()[-1])
    assert report["python"]["executable"].startswith(str(venv["dir"]))
    assert report["torch"] is not None and report["packages"]["numpy"]
    assert d.returncode == (0 if report["ok"] else 1)


def test_installed_package_is_the_copy_in_the_venv_with_one_version(venv):
    code = ("import json, s5trainer, importlib.metadata as md; from s5trainer.library.manifest import DEFAULT_MANIFEST as m;"
            "print(json.dumps({'file': s5trainer.__file__, 'version': s5trainer.__version__,"
            " 'dist': md.version('s5trainer'), 'requires': md.requires('s5trainer'), 'manifest': str(m), 'manifest_ok': m.is_file()}))")
    r = _run(venv, venv["python"], "-c", code)
    assert r.returncode == 0, r.stderr
    import json
    info = json.loads(r.stdout)
    assert info["file"].startswith(str(venv["dir"] / "venv"))
    assert info["version"] == info["dist"] == _source_version()
    torch_req = [re.sub(r"[ ()]", "", r) for r in info["requires"] if r.startswith("torch")]
    assert len(torch_req) == 1 and set(torch_req[0][len("torch"):].split(",")) == {">=1.13", "<3"}, info["requires"]
    assert {"numpy", "scipy", "soundfile"} <= {re.split(r"[<>=;\[ ]", r)[0].lower() for r in info["requires"]}
    # The sound-library manifest travels inside the package.
    assert info["manifest_ok"] and info["manifest"].startswith(str(venv["dir"] / "venv"))


def test_pyproject_lists_every_subpackage():
    """setuptools gets an explicit package list (resources/ is mapped in): a new subpackage must be added."""
    import tomllib
    listed = set(tomllib.loads((TRAINER / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {"s5trainer"} | {f"s5trainer.{p.parent.name}" for p in (TRAINER / "s5trainer").glob("*/__init__.py")}
    assert listed - {"s5trainer.resources"} == on_disk
