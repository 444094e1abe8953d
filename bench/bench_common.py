"""What the benchmark drivers share: where the binaries are, running a command under a clock,
medians, and printing a table. Used by compare_peers.py and scaling.py."""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(ROOT, "build")
VAE_DIST = os.path.join(BUILD, "src", "vae_dist")
VAE_BENCH = os.path.join(BUILD, "bench", "vae_bench")
SCALING_PLOT = os.path.join(BUILD, "bench", "vae_scaling_plot")
PYTHON = "/usr/bin/python3"  # Debian's, with python3-torch; `python3` on PATH may be another
DEFAULT_DATA = os.environ.get("VAE_DIST_DATA", os.path.expanduser("~/.cache/vae_dist/fashion-mnist.h5"))


def run(command, env=None):
    """Runs `command`; returns (wall seconds, stdout). Stops the driver with the output on failure."""
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"benchmark command failed ({result.returncode}): {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return seconds, result.stdout


def mpirun(ranks, command):
    """`command` under mpirun with `ranks` ranks, oversubscribing only beyond the cores."""
    launch = ["mpirun", "-n", str(ranks)]
    if ranks > os.cpu_count():
        launch.append("--oversubscribe")
    return launch + command


def median(values):
    return statistics.median(values)


def print_table(title, header, rows):
    """An aligned text table with a title line, the way every driver reports."""
    cells = [header] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for k, row in enumerate(cells):
        print("  " + "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
        if k == 0:
            print("  " + "  ".join("-" * w for w in widths))


def require_built():
    for binary in (VAE_DIST, VAE_BENCH, SCALING_PLOT):
        if not os.path.exists(binary):
            sys.exit(f"{binary} is missing: build first (bash launch/build.sh)")
    if not os.path.exists(DEFAULT_DATA):
        run([os.path.join(BUILD, "datasets", "vae_data"), "convert"])
