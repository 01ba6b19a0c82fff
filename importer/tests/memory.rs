//! Memory stays bounded whatever the input's lines: the hostile-input pass's 2 GB cases, as sparse files
//! (no disk used), read by the command with `--dry-run`. Peak memory comes from the kernel's own
//! accounting of the finished process (`wait4`'s maximum resident set size), not from timing.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const LIMIT_KIB: i64 = 64 * 1024;
const TWO_GB: u64 = 2 << 30;

fn scratch(name: &str) -> PathBuf {
    let root = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("importer/ sits in the workspace").join("target")
    });
    let dir = root.join("tests/memory").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A file of `start` followed by zero bytes up to `start.len() + zeros`, without writing them.
fn sparse(path: &Path, start: &[u8], zeros: u64) {
    let mut file = File::create(path).unwrap();
    file.write_all(start).unwrap();
    file.set_len(start.len() as u64 + zeros).unwrap();
}

/// Runs a dry run of the command on `input`: its exit status, what it printed, and its peak resident set
/// size in KiB.
fn dry_run(dir: &Path, input: &str) -> (i32, String, i64) {
    run_with_key(dir, &["--dry-run", "--task-id", "T1", "--report", "r.json", input], "", "")
}

/// Runs the command with `args` in `dir`, the access key in its environment (and nothing else that
/// credentials come from): its exit status, what it printed, and its peak resident set size in KiB.
// The child is reaped by `wait_with_usage`, which std's `wait` cannot do.
#[allow(clippy::zombie_processes)]
fn run_with_key(dir: &Path, args: &[&str], id: &str, secret: &str) -> (i32, String, i64) {
    let child = Command::new(env!("CARGO_BIN_EXE_acsgen-import"))
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", id)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
        .args(args)
        .stdout(File::create(dir.join("out.txt")).unwrap())
        .stderr(Stdio::from(File::create(dir.join("err.txt")).unwrap()))
        .spawn()
        .unwrap();
    let (status, usage) = wait_with_usage(child.id() as libc::pid_t);
    let shown =
        std::fs::read_to_string(dir.join("out.txt")).unwrap() + &std::fs::read_to_string(dir.join("err.txt")).unwrap();
    (libc::WEXITSTATUS(status), shown, usage.ru_maxrss)
}

/// Reaps the child `pid` with the kernel's account of its resources (std's `wait` gives the status only).
#[allow(unsafe_code)]
fn wait_with_usage(pid: libc::pid_t) -> (i32, libc::rusage) {
    let mut status = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `status` and `usage` are valid for writes, and `pid` is this test's own child, not yet reaped.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    // SAFETY: zeroed is a valid rusage (plain integers), and wait4 filled it in.
    (status, unsafe { usage.assume_init() })
}

#[test]
fn a_2_gb_file_without_a_line_end_stops_at_the_header_limit() {
    let dir = scratch("no-line-end");
    sparse(&dir.join("in.csv"), b"", TWO_GB);
    let (status, shown, peak) = dry_run(&dir, "in.csv");
    assert_eq!(status, 1, "{shown}");
    assert!(shown.contains("the header row is too long"), "{shown}");
    assert!(peak <= LIMIT_KIB, "peak {peak} KiB");
}

#[test]
fn a_2_gb_row_is_rejected_and_the_next_rows_read_on() {
    let dir = scratch("long-row");
    let mut start = b"calleeNumber,outId\n1,a\n".to_vec();
    start.extend_from_slice(b"2,");
    sparse(&dir.join("in.csv"), &start, TWO_GB);
    let mut file = std::fs::OpenOptions::new().append(true).open(dir.join("in.csv")).unwrap();
    file.write_all(b"\n3,c\n").unwrap();
    let (status, shown, peak) = dry_run(&dir, "in.csv");
    assert_eq!(status, 2, "{shown}");
    assert!(shown.contains("2 records would be imported, 1 rows rejected"), "{shown}");
    assert!(
        shown.contains("rejected line 3: malformed row: 2147483649 bytes, longer than the 1048576-byte limit"),
        "{shown}"
    );
    assert!(peak <= LIMIT_KIB, "peak {peak} KiB");
}

#[test]
fn a_2_gb_json_line_is_rejected_and_the_next_lines_read_on() {
    let dir = scratch("long-json-line");
    sparse(&dir.join("in.jsonl"), b"{\"calleeNumber\":\"", TWO_GB);
    let mut file = std::fs::OpenOptions::new().append(true).open(dir.join("in.jsonl")).unwrap();
    file.write_all(b"\"}\n{\"calleeNumber\":\"2\"}\n").unwrap();
    let (status, shown, peak) = dry_run(&dir, "in.jsonl");
    assert_eq!(status, 2, "{shown}");
    assert!(shown.contains("1 records would be imported, 1 rows rejected"), "{shown}");
    assert!(shown.contains("rejected line 1: malformed row: 2147483667 bytes, longer than"), "{shown}");
    assert!(peak <= LIMIT_KIB, "peak {peak} KiB");
}

/// Rows with ten 10 KB column names: 100 KB a row in the request body.
fn wide_rows(path: &Path, rows: usize) {
    let names: Vec<String> = (0..10).map(|i| format!("v{i}{}", "n".repeat(10 * 1024))).collect();
    let mut out = format!("calleeNumber,outId,{}\n", names.join(","));
    for row in 0..rows {
        out.push_str(&format!("1{row:010},w-{row},{}\n", ["x"; 10].join(",")));
    }
    std::fs::write(path, out).unwrap();
}

/// The pass's fourth finding: ten 10 KB column names made every batch's body about 100 MB, the importer
/// grew past 500 MiB, the emulator answered 413, and rows nothing had acted on were reported uncertain.
/// Batches now keep to a byte limit (4 MiB unless told otherwise), in bounded memory: at most twice the
/// concurrency and two more batches are alive at once (ten at the defaults, about 45 MiB of 4 MiB bodies),
/// their buffers reused rather than allocated afresh for each batch (which took the peak to 66 MiB). 1000
/// rows make 25 batches, enough for every place a batch can wait to be full.
#[test]
fn batches_of_wide_rows_keep_to_the_byte_limit() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let emulator = runtime.block_on(acsgen_emulator::Emulator::new().start_local()).unwrap();
    let task = emulator.create_task();
    let dir = scratch("wide-rows");
    wide_rows(&dir.join("in.csv"), 1000);
    let (id, secret, _) = emulator.access_keys().remove(0);
    let args = ["--endpoint", &emulator.endpoint(), "--task-id", &task, "--rate", "0", "--report", "r.json", "in.csv"];
    let (status, shown, peak) = run_with_key(&dir, &args, &id, &secret);
    assert_eq!(status, 0, "{shown}");
    assert!(shown.contains("1000 imported in 25 batches, 0 rejected, 0 uncertain"), "{shown}");
    assert_eq!(emulator.record_count(&task), Some(1000));
    assert!(peak <= LIMIT_KIB, "peak {peak} KiB");

    // Told to make bodies bigger than the service takes, the refusal it states is no "uncertain": nothing
    // was acted on, and the rows are reported refused, with the service's reason.
    let task = emulator.create_task();
    let args = ["--endpoint", &emulator.endpoint(), "--task-id", &task, "--rate", "0", "--report", "big.json"];
    wide_rows(&dir.join("in-300.csv"), 300);
    let args: Vec<&str> = args.iter().copied().chain(["--max-batch-bytes", "33554432", "in-300.csv"]).collect();
    let (status, shown, _) = run_with_key(&dir, &args, &id, &secret);
    assert_eq!(status, 2, "{shown}");
    assert!(shown.contains("0 imported in 0 batches, 300 rejected, 0 uncertain"), "{shown}");
    assert!(shown.contains("RequestTooLarge"), "{shown}");
    assert_eq!(emulator.record_count(&task), Some(0));
}
