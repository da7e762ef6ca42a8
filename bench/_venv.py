"""The benchmarks' reference environment: bench/requirements.txt in a virtual environment
under ~/.cache/zoo/bench-venv (or $ZOO_CACHE/bench-venv), installed once per machine and
reinstalled when the requirements file changes.

    from _venv import reference_python
    python = reference_python()   # path of the venv's interpreter
"""
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "bench" / "requirements.txt"
VENV = pathlib.Path(os.environ.get("ZOO_CACHE", pathlib.Path.home() / ".cache" / "zoo")) / "bench-venv"


def reference_python():
    python = VENV / "bin" / "python"
    stamp = VENV / "requirements.txt"  # the requirements the venv was last installed from
    wanted = REQUIREMENTS.read_text()
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        print(f"installing {REQUIREMENTS.relative_to(ROOT)} into {VENV}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
        stamp.write_text(wanted)
    return str(python)
