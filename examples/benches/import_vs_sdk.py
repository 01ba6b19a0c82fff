#!/usr/bin/env python3
"""Importer benchmark, both sides in one run:

- 200,000 records with `import_callees` (concurrency 1, no rate limit) and with a script using the vendor's
  official Python SDK (`tests/python/sdk_import_csv.py`: one import_task_number_datas per 1,000 records),
  against the same emulator process: client CPU time (user + sys) and wall time, and the ratio;
- `import_callees` peak RSS (concurrency 4) for 200,000, 2,000,000 and 6,000,000 records.

Every import is checked against what the emulator holds. CPU accounting on shared machines is noisy, so
the 200,000-record runs are repeated (ROUNDS, default 5), interleaved, and medians compared. Run from the
repository root (inputs are generated under target/bench-import/, about 450 MB in all):

    python3 examples/benches/import_vs_sdk.py            # ROUNDS=9 python3 ... for more rounds

BASELINE=PATH adds a third contestant to the interleaved rounds: another build of the command (an
import_callees or acsgen-import binary, say from an earlier commit), compared with this one — for before
and after figures measured in one run.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WORK = os.path.join(ROOT, "target", "bench-import")
VENV = os.path.join(ROOT, "target", "python-venv")
KEY, SECRET = "bench", "bench-secret"
ROUNDS = int(os.environ.get("ROUNDS", "5"))
# The emulator runs on one CPU and every client on another, so the server's work neither competes with
# the client being measured nor evicts its caches (PIN=0 turns this off).
PIN = os.environ.get("PIN", "1") != "0"
SERVER_CPU, CLIENT_CPU = 1, 0
# Input sizes for the memory runs beyond 200,000 (6,000,000 shows where the outId check's memory stops
# growing; MEMORY_SIZES=2000000 for a quicker run).
MEMORY_SIZES = [int(n) for n in os.environ.get("MEMORY_SIZES", "2000000,6000000").split(",") if n]
OURS = os.path.join(ROOT, "target", "release", "examples", "import_callees")
BASELINE = os.environ.get("BASELINE")


def build():
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "import_callees", "--bin", "acsgen-emulator"],
                   cwd=ROOT, check=True)
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "-r",
                        os.path.join(ROOT, "tests", "python", "requirements.txt")], check=True)
    return python


def write_input(path, rows):
    if os.path.exists(path):
        return
    with open(path, "w", encoding="utf-8") as f:
        f.write("calleeNumber,outId,name,city\n")
        for i in range(rows):
            f.write('1%010d,row-%d,"Name %d, Jr.",城市%d\n' % (i, i, i, i % 7))


def pinned(cpu):
    """Runs a child on one CPU (when pinning is on and the machine has two or more)."""
    if not PIN or (os.cpu_count() or 1) < 2:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


GNU_TIME = "/usr/bin/time" if os.path.exists("/usr/bin/time") else None


def measured(command):
    """Wall time, CPU time (user + sys) and peak RSS in MiB of `command`.

    CPU comes from wait4. Peak RSS comes from GNU time when it is installed: a child forked from this
    Python process would otherwise report the interpreter's own size as its peak; without GNU time the
    RSS column is left out (None)."""
    rss_file = os.path.join(WORK, "peak-rss.txt")
    wrapped = [GNU_TIME, "-f", "%M", "-o", rss_file] + command if GNU_TIME else command
    start = time.perf_counter()
    child = subprocess.Popen(wrapped, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=WORK,
                             preexec_fn=pinned(CLIENT_CPU))
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (command[0], out.decode(), err.decode()))
    rss = None
    if GNU_TIME:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1]) / 1024.0
    return wall, usage.ru_utime + usage.ru_stime, rss


class Emulator:
    """An emulator process on its own CPU, with a helper to create tasks."""

    def __init__(self, python):
        self.python = python
        self.process = subprocess.Popen(
            [os.path.join(ROOT, "target", "release", "acsgen-emulator"), "--listen", "127.0.0.1:0",
             "--access-key", "%s:%s" % (KEY, SECRET)], stdout=subprocess.PIPE, preexec_fn=pinned(SERVER_CPU))
        self.endpoint = self.process.stdout.readline().decode().strip().removeprefix("listening on ")

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.process.kill()
        self.process.wait()

    def new_task(self):
        out = subprocess.run([self.python, os.path.join(ROOT, "tests", "python", "sdk_aiccs.py"), self.endpoint,
                              KEY, SECRET, "create-task", "bench"], capture_output=True, check=True).stdout
        return str(json.loads(out)["Data"])

    def records(self, task):
        with urllib.request.urlopen("%s/__emulator/tasks" % self.endpoint) as response:
            tasks = json.load(response)
        return next((t["records"] for t in tasks if t["task_id"] == task), 0)


def ours(emulator, path, name, concurrency, rows, binary=OURS):
    """One import run (this build's import_callees, or `binary`) into a new task, checked against what the
    emulator then holds."""
    task = emulator.new_task()
    report = os.path.join(WORK, name + ".json")
    for stale in (report, os.path.join(WORK, name + ".journal")):
        if os.path.exists(stale):
            os.remove(stale)
    result = measured([binary, "--endpoint",
                       emulator.endpoint, "--task-id", task, "--rate", "0", "--concurrency", str(concurrency),
                       "--report", report, path])
    assert emulator.records(task) == rows, "%s: the importer did not import everything" % name
    return result


def main():
    os.makedirs(WORK, exist_ok=True)
    python = build()
    os.environ.update({"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET})
    inputs = {}
    for rows in [200_000] + MEMORY_SIZES:
        inputs[rows] = os.path.join(WORK, "callees-%d.csv" % rows)
        write_input(inputs[rows], rows)

    # CPU: both sides ROUNDS times, interleaved, against one emulator; medians compared (the machine's
    # CPU accounting is noisy on shared hosts).
    sdk_runs, our_runs, baseline_runs = [], [], []
    with Emulator(python) as emulator:
        for _ in range(ROUNDS):
            task = emulator.new_task()
            sdk_runs.append(measured([python, os.path.join(ROOT, "tests", "python", "sdk_import_csv.py"),
                                      emulator.endpoint, KEY, SECRET, task, inputs[200_000]]))
            assert emulator.records(task) == 200_000, "the SDK run did not import everything"
            our_runs.append(ours(emulator, inputs[200_000], "ours-200k", 1, 200_000))
            if BASELINE:
                baseline_runs.append(ours(emulator, inputs[200_000], "baseline-200k", 1, 200_000, BASELINE))

    # Memory: concurrency 4, each size against a fresh emulator (so its store does not grow across runs).
    memory = {}
    for rows in [200_000] + MEMORY_SIZES:
        with Emulator(python) as emulator:
            memory[rows] = ours(emulator, inputs[rows], "ours-%d-c4" % rows, 4, rows)

    def mib(rss):
        return "%5.1f MiB" % rss if rss is not None else "(install GNU time to measure)"

    def median(runs, i):
        return statistics.median(r[i] for r in runs)

    def spread(runs, i):
        values = sorted(r[i] for r in runs)
        return "%.3f-%.3f" % (values[0], values[-1])

    sdk_wall, sdk_cpu = median(sdk_runs, 0), median(sdk_runs, 1)
    our_wall, our_cpu = median(our_runs, 0), median(our_runs, 1)
    our_rss = max((r[2] for r in our_runs if r[2] is not None), default=None)
    print("200,000 records, concurrency 1, same emulator, median of %d interleaved rounds (range)%s:"
          % (ROUNDS, ", emulator and clients on separate CPUs" if pinned(0) else ""))
    print("  official Python SDK script: wall %6.3f s (%s), client CPU %6.3f s (%s)"
          % (sdk_wall, spread(sdk_runs, 0), sdk_cpu, spread(sdk_runs, 1)))
    print("  import_callees:             wall %6.3f s (%s), client CPU %6.3f s (%s), peak RSS %s"
          % (our_wall, spread(our_runs, 0), our_cpu, spread(our_runs, 1), mib(our_rss)))
    print("  client CPU: %.1fx less (target >= 20x); wall: %.1fx less" % (sdk_cpu / our_cpu, sdk_wall / our_wall))
    if baseline_runs:
        base_wall, base_cpu = median(baseline_runs, 0), median(baseline_runs, 1)
        print("  baseline (%s): wall %6.3f s (%s), client CPU %6.3f s (%s)"
              % (BASELINE, base_wall, spread(baseline_runs, 0), base_cpu, spread(baseline_runs, 1)))
        print("  this build against the baseline: client CPU %+.1f%%, wall %+.1f%%"
              % (100 * (our_cpu / base_cpu - 1), 100 * (our_wall / base_wall - 1)))
    print("import_callees, concurrency 4 (peak RSS target: <= 64 MiB and flat in input size):")
    for rows, (wall, cpu, rss) in sorted(memory.items()):
        print("  %9s records: wall %6.2f s, CPU %5.2f s, peak RSS %s" % ("{:,}".format(rows), wall, cpu, mib(rss)))


if __name__ == "__main__":
    main()
