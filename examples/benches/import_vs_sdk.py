#!/usr/bin/env python3
"""Importer benchmark, both sides in one run against the same emulator process:

- 200,000 records with `import_callees` (concurrency 1, no rate limit) and with a script using the vendor's
  official Python SDK (`tests/python/sdk_import_csv.py`: one import_task_number_datas per 1,000 records):
  client CPU time (user + sys) and wall time, and the ratio;
- `import_callees` peak RSS for 200,000 and 2,000,000 records.

Every import is checked against what the emulator holds. CPU accounting on shared machines is noisy, so
the 200,000-record runs are repeated (ROUNDS, default 5), interleaved, and medians compared. Run from the
repository root:

    python3 examples/benches/import_vs_sdk.py            # ROUNDS=9 python3 ... for more rounds
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


def measured(command):
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=WORK,
                             preexec_fn=pinned(CLIENT_CPU))
    out = child.stdout.read()
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("%s failed:\n%s\n%s" % (command[0], out.decode(), err.decode()))
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def count(endpoint, task):
    with urllib.request.urlopen("%s/__emulator/tasks" % endpoint) as response:
        tasks = json.load(response)
    return next((t["records"] for t in tasks if t["task_id"] == task), 0)


def main():
    os.makedirs(WORK, exist_ok=True)
    python = build()
    small, large = os.path.join(WORK, "callees-200k.csv"), os.path.join(WORK, "callees-2m.csv")
    write_input(small, 200_000)
    write_input(large, 2_000_000)
    emulator = subprocess.Popen([os.path.join(ROOT, "target", "release", "acsgen-emulator"), "--listen", "127.0.0.1:0",
                                 "--access-key", "%s:%s" % (KEY, SECRET)], stdout=subprocess.PIPE,
                                preexec_fn=pinned(SERVER_CPU))
    try:
        endpoint = emulator.stdout.readline().decode().strip().removeprefix("listening on ")
        sdk_script = os.path.join(ROOT, "tests", "python", "sdk_aiccs.py")

        def new_task():
            out = subprocess.run([python, sdk_script, endpoint, KEY, SECRET, "create-task", "bench"],
                                 capture_output=True, check=True).stdout
            return str(json.loads(out)["Data"])

        importer = os.path.join(ROOT, "target", "release", "examples", "import_callees")
        env_key = {"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET}
        os.environ.update(env_key)

        def ours(task, path, name, concurrency):
            report = os.path.join(WORK, name + ".json")
            for stale in (report, os.path.join(WORK, name + ".journal")):
                if os.path.exists(stale):
                    os.remove(stale)
            return measured([importer, "--endpoint", endpoint, "--task-id", task, "--rate", "0",
                             "--concurrency", str(concurrency), "--report", report, path])

        # The machine's CPU accounting is noisy (shared hosts): both sides run ROUNDS times, interleaved,
        # and the medians are compared.
        sdk_runs, our_runs = [], []
        for _ in range(ROUNDS):
            task = new_task()
            sdk_runs.append(measured([python, os.path.join(ROOT, "tests", "python", "sdk_import_csv.py"),
                                      endpoint, KEY, SECRET, task, small]))
            assert count(endpoint, task) == 200_000, "the SDK run did not import everything"
            task = new_task()
            our_runs.append(ours(task, small, "ours-200k", 1))
            assert count(endpoint, task) == 200_000, "the importer did not import everything"
        task = new_task()
        large_run = ours(task, large, "ours-2m", 4)
        assert count(endpoint, task) == 2_000_000, "the importer did not import everything (2M)"
        task = new_task()
        small_c4 = ours(task, small, "ours-200k-c4", 4)
        assert count(endpoint, task) == 200_000, "the importer did not import everything (concurrency 4)"
    finally:
        emulator.kill()
        emulator.wait()

    def median(runs, i):
        return statistics.median(r[i] for r in runs)

    def spread(runs, i):
        values = sorted(r[i] for r in runs)
        return "%.2f-%.2f" % (values[0], values[-1])

    sdk_wall, sdk_cpu = median(sdk_runs, 0), median(sdk_runs, 1)
    our_wall, our_cpu, our_rss = median(our_runs, 0), median(our_runs, 1), max(r[2] for r in our_runs)
    print("200,000 records, concurrency 1, same emulator, median of %d interleaved rounds (range)%s:"
          % (ROUNDS, ", emulator and clients on separate CPUs" if pinned(0) else ""))
    print("  official Python SDK script: wall %6.2f s (%s), client CPU %6.2f s (%s)"
          % (sdk_wall, spread(sdk_runs, 0), sdk_cpu, spread(sdk_runs, 1)))
    print("  import_callees:             wall %6.2f s (%s), client CPU %6.2f s (%s), peak RSS %5.1f MiB"
          % (our_wall, spread(our_runs, 0), our_cpu, spread(our_runs, 1), our_rss))
    print("  client CPU: %.1fx less (target >= 20x); wall: %.1fx less" % (sdk_cpu / our_cpu, sdk_wall / our_wall))
    wall4, cpu4, rss4 = small_c4
    wall2m, cpu2m, rss2m = large_run
    print("import_callees, concurrency 4:")
    print("    200,000 records: wall %6.2f s, CPU %5.2f s, peak RSS %5.1f MiB" % (wall4, cpu4, rss4))
    print("  2,000,000 records: wall %6.2f s, CPU %5.2f s, peak RSS %5.1f MiB (target <= 64 MiB, flat)"
          % (wall2m, cpu2m, rss2m))


if __name__ == "__main__":
    main()
