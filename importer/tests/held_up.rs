//! What a hostile-input pass found the importer already does right, held as regressions: a report
//! directory it cannot write is refused before anything is sent; SIGTERM or SIGINT while it waits on a
//! FIFO loses nothing that `--resume` cannot finish; no secret, token, signature or phone number reaches
//! its output, report or journal; a 50 MB field costs one row; a repeated column and mixed line ends are
//! handled at the command level.
#![cfg(feature = "cli")]

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acsgen_emulator::{Emulator, Faults, RunningEmulator};
use serde_json::Value;

const IMPORTER: &str = env!("CARGO_BIN_EXE_acsgen-import");

fn scratch(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("importer/ sits in the workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = target.join("tests/held_up").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An emulator on a runtime of its own, so that the tests can block while it serves.
fn start(emulator: Emulator) -> (tokio::runtime::Runtime, RunningEmulator) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let running = runtime.block_on(emulator.start_local()).unwrap();
    (runtime, running)
}

/// The command in `dir` with only PATH, HOME and the given key (ID, secret, STS token) in its
/// environment: the vendor's default credential chain.
fn importer(dir: &Path, (id, secret, token): (&str, &str, Option<&str>)) -> Command {
    let mut command = Command::new(IMPORTER);
    command.env_clear().env("HOME", dir).env("PATH", std::env::var_os("PATH").unwrap_or_default()).current_dir(dir);
    command.env("ALIBABA_CLOUD_ACCESS_KEY_ID", id).env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret);
    if let Some(token) = token {
        command.env("ALIBABA_CLOUD_SECURITY_TOKEN", token);
    }
    command
}

/// The command against `emulator` with its first key, unpaced.
fn against(emulator: &RunningEmulator, dir: &Path) -> Command {
    let (id, secret, token) = emulator.access_keys().remove(0);
    let mut command = importer(dir, (&id, &secret, token.as_deref()));
    command.args(["--endpoint", &emulator.endpoint(), "--rate", "0"]);
    command
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The phone number of row `i` of [`csv`].
fn phone(i: usize) -> String {
    format!("138{i:08}")
}

/// A CSV of `rows` callees: a phone number, outId `row-i`, a name with a comma in it.
fn csv(rows: usize) -> String {
    let mut out = String::from("calleeNumber,outId,name\n");
    for i in 0..rows {
        out.push_str(&format!("{},row-{i},\"Name {i}, Jr.\"\n", phone(i)));
    }
    out
}

/// The records the task holds and their distinct outIds: equal when nothing was stored twice.
fn stored_once(emulator: &RunningEmulator, task: &str) -> (usize, usize) {
    let stored = emulator.callees(task).unwrap();
    let ids: HashSet<&str> = stored.iter().map(|c| c.record["outId"].as_str().unwrap()).collect();
    (stored.len(), ids.len())
}

/// Makes `command` run where directory permissions apply: as `nobody` when this process is root. False
/// when that cannot be done here (the command is not reachable for `nobody`).
fn without_privileges(command: &mut Command) -> bool {
    #[allow(unsafe_code)]
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        let probe = Command::new(IMPORTER).arg("--version").uid(65534).gid(65534).output();
        if !probe.is_ok_and(|o| o.status.success()) {
            return false;
        }
        command.uid(65534).gid(65534);
    }
    true
}

/// A report in a directory the user cannot write is refused before a request goes out: exit status 1, a
/// message naming the path, nothing imported, no journal left behind (there is nothing to resume).
#[test]
fn a_read_only_report_directory_is_refused_before_sending() {
    let (_runtime, emulator) = start(Emulator::new());
    let task = emulator.create_task();
    let dir = scratch("read-only");
    std::fs::write(dir.join("in.csv"), csv(50)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.join("in.csv"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::create_dir(dir.join("ro")).unwrap();
    std::fs::set_permissions(dir.join("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut command = against(&emulator, &dir);
    command.args(["--task-id", &task, "--batch-size", "10", "--report", "ro/r.json", "in.csv"]);
    if !without_privileges(&mut command) {
        eprintln!("skipped: running as root, and the command cannot be run as nobody here");
        return;
    }
    let output = command.output().unwrap();
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("report: ro/r.rejected.partial: Permission denied"), "{shown}");
    assert_eq!(emulator.stats().requests, 0, "nothing was sent: {shown}");
    assert_eq!(emulator.record_count(&task), Some(0));
    assert!(std::fs::read_dir(dir.join("ro")).unwrap().next().is_none(), "nothing written in ro/");
}

/// With `--journal` elsewhere, the run refused for its report (the rejected-rows spool cannot be created
/// in the read-only directory) leaves no journal behind, so that once the directory is fixed the same
/// command runs (a journal saying only "started" used to refuse it as "an earlier import into task …").
#[test]
fn a_run_refused_for_its_report_directory_leaves_no_journal() {
    let (_runtime, emulator) = start(Emulator::new());
    let task = emulator.create_task();
    let dir = scratch("read-only-journal-elsewhere");
    std::fs::write(dir.join("in.csv"), csv(50)).unwrap();
    std::fs::create_dir(dir.join("ro")).unwrap();
    std::fs::create_dir(dir.join("j")).unwrap();
    for (path, mode) in [(".", 0o755), ("in.csv", 0o644), ("ro", 0o555), ("j", 0o777)] {
        std::fs::set_permissions(dir.join(path), std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let run = || {
        let mut command = against(&emulator, &dir);
        command.args(["--task-id", &task, "--journal", "j/r.journal", "--report", "ro/r.json", "in.csv"]);
        without_privileges(&mut command).then(|| command.output().unwrap())
    };
    let Some(output) = run() else { return eprintln!("skipped: cannot run the command as nobody") };
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(text(&output).contains("ro/r.rejected.partial: Permission denied"), "{}", text(&output));
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
    assert!(!dir.join("j/r.journal").exists(), "a refused run leaves no journal");
    std::fs::set_permissions(dir.join("ro"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = run().unwrap();
    assert_eq!(output.status.code(), Some(0), "once the directory is fixed, the same command runs: {}", text(&output));
}

/// Sends `signal` to the process `pid`.
#[allow(unsafe_code)]
fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions; the child is ours and not yet reaped.
    assert_eq!(unsafe { libc::kill(pid as libc::pid_t, signal) }, 0);
}

/// Creates a FIFO at `path`.
#[allow(unsafe_code)]
fn mkfifo(path: &Path) {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: c_path is a NUL-terminated string that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo {}", path.display());
}

/// An import reading a FIFO whose writer stalls mid-row: once its whole batches are in, `signal` ends it
/// at once (the command installs no handler: the signal's default action, no message), nothing more is
/// sent, and `--resume` from a regular file with the whole input imports every row exactly once.
fn interrupted_on_a_fifo_then_resumed(signal: i32, name: &str) {
    let (_runtime, emulator) = start(Emulator::new());
    let task = emulator.create_task();
    let dir = scratch(name);
    let whole = csv(800);
    std::fs::write(dir.join("in.csv"), &whole).unwrap();
    mkfifo(&dir.join("in.fifo"));
    // Read and write ends held here, so that opening never blocks and the reader never sees the end.
    let mut fifo = std::fs::OpenOptions::new().read(true).write(true).open(dir.join("in.fifo")).unwrap();
    let cut = whole.match_indices('\n').nth(505).unwrap().0 + 20; // header, 505 rows, part of the next
    fifo.write_all(&whole.as_bytes()[..cut]).unwrap();
    let args = ["--task-id", &task, "--batch-size", "10", "--concurrency", "2", "--report", "r.json"];
    let mut child = against(&emulator, &dir)
        .args(args)
        .arg("in.fifo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::fs::read_to_string(dir.join("r.journal")).map_or(0, |j| j.matches("\"imported\"").count()) < 50 {
        assert!(started.elapsed() < Duration::from_secs(20), "the 50 whole batches were not imported");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(emulator.record_count(&task), Some(500), "only whole batches are sent");
    send_signal(child.id(), signal);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(5) {
            child.kill().unwrap();
            panic!("still running 5 s after signal {signal}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut shown = String::new();
    child.stderr.take().unwrap().read_to_string(&mut shown).unwrap();
    assert!(!status.success() && status.signal() == Some(signal), "{status:?}: {shown}");
    drop(fifo);
    assert_eq!(emulator.record_count(&task), Some(500), "nothing sent after the signal");

    let output = against(&emulator, &dir).args(args).args(["--resume", "in.csv"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let resumed = report(&dir.join("r.json"));
    assert_eq!((resumed["imported"].as_u64(), resumed["uncertain_count"].as_u64()), (Some(800), Some(0)));
    assert_eq!(stored_once(&emulator, &task), (800, 800), "every row stored exactly once");
}

/// `kill` (SIGTERM) of an import fed by a pipe that stalled: nothing is lost or doubled by `--resume`.
#[test]
fn sigterm_on_a_fifo_input_then_resume_imports_every_row_once() {
    interrupted_on_a_fifo_then_resumed(libc::SIGTERM, "sigterm-fifo");
}

/// Ctrl-C (SIGINT) of an import fed by a pipe that stalled: nothing is lost or doubled by `--resume`.
#[test]
fn sigint_on_a_fifo_input_then_resume_imports_every_row_once() {
    interrupted_on_a_fifo_then_resumed(libc::SIGINT, "sigint-fifo");
}

/// A TCP relay to `upstream` that keeps every byte clients send through it: the requests as signed.
fn recording_relay(upstream: SocketAddr) -> (String, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(Mutex::new(Vec::new()));
    let record = sent.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let (Ok(mut client), Ok(mut server)) = (client, TcpStream::connect(upstream)) else { continue };
            let (mut from_client, mut to_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let record = record.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0; 64 * 1024];
                while let Ok(n @ 1..) = from_client.read(&mut buf) {
                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                    if to_server.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to_server.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut server, &mut client);
                let _ = client.shutdown(Shutdown::Both);
            });
        }
    });
    (endpoint, sent)
}

/// Every `Signature=` value in the recorded requests (V3's Authorization header, V1's parameter), as sent
/// and decoded.
fn signatures(sent: &[u8]) -> Vec<String> {
    let sent = String::from_utf8_lossy(sent);
    let mut found = Vec::new();
    for (at, _) in sent.match_indices("Signature=") {
        let value: String =
            sent[at + 10..].chars().take_while(|c| !matches!(c, '&' | ',' | ' ' | '\r' | '\n')).collect();
        let decoded = form_urlencoded::parse(format!("s={value}").as_bytes()).next().unwrap().1.into_owned();
        assert!(decoded.len() >= 20, "a signature: {value}");
        found.extend([value, decoded]);
    }
    found
}

/// A user can paste the command's output, report or journal anywhere: with an STS key, V3 or V1
/// signing, a fault drill or a wrong secret (and RUST_LOG=trace), none of them holds the secret, the
/// security token, a signature the command computed, or `Signature=`; stderr holds no phone number.
#[test]
fn no_secret_token_signature_or_phone_number_reaches_the_output() {
    const SECRET: &str = "held-up-SECRET-7f3a9c";
    const WRONG: &str = "held-up-WRONG-SECRET-51e2";
    const TOKEN: &str = "held-up-STS-TOKEN-c0ffee";
    let (_runtime, emulator) = start(Emulator::new().sts_access_key("sts-key", SECRET, TOKEN).seed(7));
    let (endpoint, sent) = recording_relay(emulator.addr());
    let dir = scratch("secrets");
    std::fs::write(dir.join("in.csv"), csv(300)).unwrap();
    let drill = Faults { throttle: 0.1, server_error: 0.1, drop_before: 0.1, drop_after: 0.1, ..Faults::default() };
    let mut outputs = Vec::new();
    for (run, version, secret, faults, status) in [
        ("v3-drill", "v3", SECRET, drill, &[0, 2][..]),
        ("v1-drill", "v1", SECRET, drill, &[0, 2]),
        ("v3-wrong", "v3", WRONG, Faults::default(), &[1]),
        ("v1-wrong", "v1", WRONG, Faults::default(), &[1]),
    ] {
        emulator.set_faults(faults);
        let report = format!("{run}.json");
        let output = importer(&dir, ("sts-key", secret, Some(TOKEN)))
            .env("RUST_LOG", "trace")
            .args(["--endpoint", &endpoint, "--rate", "0", "--signature-version", version, "--batch-size", "10"])
            .args(["--task-id", &emulator.create_task(), "--report", &report, "in.csv"])
            .output()
            .unwrap();
        assert!(status.contains(&output.status.code().unwrap()), "{run}: {}", text(&output));
        if secret == WRONG {
            assert!(text(&output).contains("stopped:"), "{run}: {}", text(&output));
        }
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!((0..300).all(|i| !stderr.contains(&phone(i))), "{run}: a phone number on stderr: {stderr}");
        let saved = |ext: &str| std::fs::read_to_string(dir.join(run).with_extension(ext)).unwrap_or_default();
        outputs.push((
            run,
            [String::from_utf8_lossy(&output.stdout).into_owned(), stderr, saved("json"), saved("journal")],
        ));
    }
    let stats = emulator.stats();
    assert!(stats.throttled + stats.server_errors + stats.dropped_before + stats.dropped_after > 0, "{stats:?}");
    let sent = sent.lock().unwrap();
    let computed = signatures(&sent);
    assert!(computed.len() >= 2 * 60 && String::from_utf8_lossy(&sent).contains(TOKEN), "the requests were seen");
    for (run, texts) in &outputs {
        for (what, text) in ["stdout", "stderr", "report", "journal"].iter().zip(texts) {
            for needle in [SECRET, WRONG, TOKEN].into_iter().chain(computed.iter().map(String::as_str)) {
                assert!(!text.contains(needle), "{run}: {what} holds `{needle}`: {text}");
            }
            assert!(!text.to_ascii_lowercase().contains("signature="), "{run}: {what}: {text}");
        }
    }
}

/// A 50 MB field (quoted, over two lines) costs its row only: rejected with its line and size, the rows
/// after it imported and numbered by their lines, exit status 2.
#[test]
fn a_50_mb_field_rejects_its_row_and_the_rest_import() {
    let (_runtime, emulator) = start(Emulator::new());
    let task = emulator.create_task();
    let dir = scratch("50mb-field");
    let half = "y".repeat(25 * 1024 * 1024);
    let mut input = format!("calleeNumber,outId,name\n{},a,first\n{},big,\"{half}\n{half}\"\n", phone(0), phone(1));
    input.push_str(&format!("{},c,after\n{},d,last\n", phone(2), phone(3)));
    std::fs::write(dir.join("in.csv"), input).unwrap();
    drop(half);
    let output = against(&emulator, &dir).args(["--task-id", &task, "--report", "r.json", "in.csv"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let written = report(&dir.join("r.json"));
    let bytes = 11 + 3 + 50 * 1024 * 1024 + 1; // the fields' bytes: number, outId, the field with its line break
    let reason = format!("malformed row: {bytes} bytes, longer than the 1048576-byte limit");
    assert_eq!(written["rejected"], serde_json::json!([{"line": 3, "reason": reason}]));
    assert_eq!(written["batches"][0]["first_line"], 2);
    assert_eq!(written["batches"][0]["last_line"], 6, "the rows after it are numbered by their lines");
    let stored = emulator.callees(&task).unwrap();
    let names: Vec<&str> = stored.iter().map(|c| c.record["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["first", "after", "last"]);
}

/// At the command level: a header naming a column twice is refused (exit status 1, the column named,
/// nothing sent); rows ending in `\n` and `\r\n` mixed, a blank CRLF line and no final line end import
/// with no `\r` left in any value; a lone `\r` (old Mac line end) is not a line end: the row holding it
/// is rejected, and a file of only `\r` ends is refused at its header.
#[test]
fn a_repeated_column_and_mixed_line_ends() {
    let (_runtime, emulator) = start(Emulator::new());
    let task = emulator.create_task();
    let dir = scratch("columns-and-line-ends");
    let run = |file: &str, content: &str| {
        std::fs::write(dir.join(file), content).unwrap();
        against(&emulator, &dir).args(["--task-id", &task, "--report", "r.json", file]).output().unwrap()
    };
    for (file, content, message) in [
        ("dup.csv", "calleeNumber,outId,name,outId\n13800000001,a,x,b\n", "the header names the column `outId` twice"),
        ("cr.csv", "calleeNumber,outId\r13800000001,a\r", "the header's column 2 holds a control character"),
    ] {
        let output = run(file, content);
        assert_eq!(output.status.code(), Some(1), "{file}: {}", text(&output));
        assert!(text(&output).contains(message), "{file}: {}", text(&output));
    }
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");

    let mixed = "calleeNumber,outId,name\n13800000001,a,x\r\n13800000002,b,\"q\"\r\n13800000003,c,y\r13800000004,d,z\n\
                 13800000005,e,w\r\n\r\n13800000006,f, last ";
    let output = run("mixed.csv", mixed);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let written = report(&dir.join("r.json"));
    assert_eq!(
        written["rejected"],
        serde_json::json!([{"line": 4, "reason": "malformed row: 5 fields where the header has 3"}])
    );
    assert_eq!(
        (written["batches"][0]["first_line"].as_u64(), written["batches"][0]["last_line"].as_u64()),
        (Some(2), Some(7))
    );
    let stored = emulator.callees(&task).unwrap();
    let values: Vec<(&str, &str)> =
        stored.iter().map(|c| (c.record["outId"].as_str().unwrap(), c.record["name"].as_str().unwrap())).collect();
    assert_eq!(values, [("a", "x"), ("b", "q"), ("e", "w"), ("f", "last")]);
}
