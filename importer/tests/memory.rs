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
// The child is reaped by `wait_with_usage`, which std's `wait` cannot do.
#[allow(clippy::zombie_processes)]
fn dry_run(dir: &Path, input: &str) -> (i32, String, i64) {
    let child = Command::new(env!("CARGO_BIN_EXE_acsgen-import"))
        .current_dir(dir)
        .args(["--dry-run", "--task-id", "T1", "--report", "r.json", input])
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
    assert!(shown.contains("rejected line 1: malformed row: 2147483668 bytes, longer than"), "{shown}");
    assert!(peak <= LIMIT_KIB, "peak {peak} KiB");
}
