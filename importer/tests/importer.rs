//! The callee importer end to end: the sample file lands exactly; a fault drill (throttling, server
//! errors, dropped connections before and after acting) leaves every row accounted for and nothing
//! stored twice; `kill -9` mid-run and `--resume` finish the job without duplicates; bad input gets the
//! documented rejections and exit statuses.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use acsgen::aiccs::{CalleeRecord, Client};
use acsgen::{Config, RetryPolicy};
use acsgen_emulator::{Emulator, Faults, RunningEmulator};
use acsgen_import::{ImportError, ImportOptions, Row, Stop, csv_rows, import_channel, import_rows};
use serde_json::Value;

const IMPORTER: &str = env!("CARGO_BIN_EXE_acsgen-import");

/// The workspace root, where the sample data is.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("importer/ sits in the workspace").to_path_buf()
}

/// The directory build output goes to (`CARGO_TARGET_DIR`, else `target/`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

fn scratch(name: &str) -> PathBuf {
    let dir = target_dir().join("tests/importer").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn client(emulator: &RunningEmulator) -> Client {
    let config = Config::builder()
        .endpoint(emulator.endpoint())
        .credentials(emulator.credentials())
        .retry_policy(RetryPolicy::new(6))
        .build()
        .unwrap();
    Client::new(&config)
}

/// The importer command, with the emulator's key in the environment (the default credential chain).
fn importer(emulator: Option<&RunningEmulator>, home: &Path) -> Command {
    let mut command = Command::new(IMPORTER);
    command.env_clear().env("HOME", home).env("PATH", std::env::var_os("PATH").unwrap_or_default());
    if let Some(emulator) = emulator {
        let (id, secret, _) = emulator.access_keys().remove(0);
        command.env("ALIBABA_CLOUD_ACCESS_KEY_ID", id).env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret);
    }
    command
}

fn report(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Writes `rows` callees to a CSV file: number, outId, and two call variables.
fn write_input(path: &Path, rows: usize) {
    let mut out = String::with_capacity(rows * 48);
    out.push_str("calleeNumber,outId,name,city\n");
    for i in 0..rows {
        out.push_str(&format!("1{:010},row-{i},\"Name {i}, Jr.\",城市{}\n", i, i % 7));
    }
    std::fs::write(path, out).unwrap();
}

/// The line an outId of [`write_input`] is on.
fn line_of(out_id: &str) -> u64 {
    out_id.trim_start_matches("row-").parse::<u64>().unwrap() + 2
}

/// An emulator, a client for it, a new task, a scratch directory and options for an unpaced library import
/// into that task, reporting to `report.json` there.
async fn library_import(name: &str) -> (RunningEmulator, Client, String, PathBuf, ImportOptions) {
    let emulator = Emulator::new().start_local().await.unwrap();
    let client = client(&emulator);
    let task = emulator.create_task();
    let dir = scratch(name);
    let mut options = ImportOptions::new(task.clone(), dir.join("report.json"));
    options.rate = None;
    (emulator, client, task, dir, options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_file_is_imported_exactly() {
    let (emulator, client, task, dir, options) = library_import("sample").await;
    let sample = workspace_root().join("examples/data/callees.csv");
    let rows = csv_rows(std::io::BufReader::new(std::fs::File::open(&sample).unwrap())).unwrap();
    let summary = import_rows(&client, &options, rows, |_| {}).await.unwrap();
    assert_eq!((summary.imported, summary.rejected_count, summary.uncertain_count), (3000, 0, 0));

    // Independently of the importer's reader: every CSV row, field for field, stored once, in its batch.
    let mut expected = csv::Reader::from_path(&sample).unwrap();
    let headers = expected.headers().unwrap().clone();
    let stored = emulator.callees(&task).unwrap();
    assert_eq!(stored.len(), 3000);
    let by_out_id: HashMap<&str, &acsgen_emulator::StoredCallee> =
        stored.iter().map(|c| (c.record["outId"].as_str().unwrap(), c)).collect();
    assert_eq!(by_out_id.len(), 3000, "no record stored twice");
    for (i, row) in expected.records().enumerate() {
        let row = row.unwrap();
        let fields: BTreeMap<&str, &str> = headers.iter().zip(row.iter()).collect();
        let stored = by_out_id[fields["outId"]];
        let record: BTreeMap<&str, &str> =
            stored.record.as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v.as_str().unwrap())).collect();
        assert_eq!(record, fields, "row {}", i + 2);
        let line = i as u64 + 2;
        let batch = summary.batches.iter().find(|b| b.first_line <= line && line <= b.last_line).unwrap();
        assert_eq!(batch.batch_id, Some(stored.batch_id));
    }
    let written = report(&dir.join("report.json"));
    assert_eq!(written["imported"], 3000);
    assert_eq!(written["batches"][1]["batch_id"].as_i64(), summary.batches[1].batch_id, "exact integers");
}

/// Rows from an async source: a producer task feeds a channel while the import runs. Repeated outIds are
/// rejected wherever they fall in a batch, alone or in a run nearly a batch long, in line order, and the
/// batches stay full.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_from_a_channel_are_imported_with_repeats_rejected() {
    let (emulator, client, task, _dir, mut options) = library_import("channel").await;
    options.batch_size = 10;
    // Lines 2..=251: outId i for line i, except every line divisible by 7 repeats line 2's ID, and lines
    // 40..=49 take lines 10..=19's IDs (new only for line 44: line 14 took line 2's); line 100 has no
    // calleeNumber.
    let rows: Vec<(u64, String, String)> = (2u64..=251)
        .map(|line| {
            let id = match line {
                40..=49 => format!("id-{}", line - 30),
                l if l % 7 == 0 => "id-2".to_owned(),
                l => format!("id-{l}"),
            };
            (line, if line == 100 { String::new() } else { format!("1{line:010}") }, id)
        })
        .collect();
    let mut seen = HashSet::new();
    let expected: Vec<u64> =
        rows.iter().filter(|(_, number, id)| number.is_empty() || !seen.insert(id.clone())).map(|r| r.0).collect();
    assert!(expected.len() > 40 && expected.contains(&40) && !expected.contains(&44));
    let (tx, rx) = tokio::sync::mpsc::channel(3);
    let producer = tokio::spawn(async move {
        for (line, number, id) in rows {
            tx.send(Row { line, record: Ok(CalleeRecord::new(number).out_id(id)) }).await.unwrap();
        }
    });
    let summary = import_channel(&client, &options, rx, |_| {}).await.unwrap();
    producer.await.unwrap();
    let rejected = expected.len();
    assert_eq!((summary.rejected_count as usize, summary.uncertain_count), (rejected, 0));
    assert_eq!(summary.imported as usize, 250 - rejected);
    let lines: Vec<u64> = summary.rejected_sample.iter().map(|r| r.line).collect();
    assert_eq!(lines, expected, "rejections in line order");
    assert!(summary.rejected_sample.iter().any(|r| r.line == 100 && r.reason == "missing calleeNumber"));
    assert!(summary.batches.iter().rev().skip(1).all(|b| b.records == 10), "every batch but the last is full");
    let stored = emulator.callees(&task).unwrap();
    let ids: HashSet<&str> = stored.iter().map(|c| c.record["outId"].as_str().unwrap()).collect();
    assert_eq!((stored.len(), ids.len()), (250 - rejected, 250 - rejected), "each stored once");
    assert!(ids.contains("id-2") && !ids.contains("id-100"));
}

/// A journal knows the rows each batch held: resuming with another input of the same shape stops at the
/// first batch that differs and sends nothing; resuming with the input it journaled finishes as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_with_another_input_stops_at_the_first_batch_that_differs() {
    let (emulator, client, task, _dir, mut options) = library_import("other-input").await;
    options.batch_size = 100;
    let rows = |first: u64| {
        (0..300u64).map(move |i| Row {
            line: i + 2,
            record: Ok(CalleeRecord::new(format!("1{:010}", first + i)).out_id(format!("id-{}", first + i))),
        })
    };
    let summary = import_rows(&client, &options, rows(0), |_| {}).await.unwrap();
    assert_eq!(summary.imported, 300);
    options.resume = true;
    match import_rows(&client, &options, rows(1000), |_| {}).await {
        Err(ImportError::Stopped { reason, summary }) if matches!(*reason, Stop::InputChanged { seq: 0, .. }) => {
            assert_eq!((summary.imported, summary.uncertain_count), (0, 0));
            assert!(reason.to_string().contains("batch 0 covered lines 2–101 (100 records, rows hash"), "{reason}");
        }
        other => panic!("resumed with another input: {other:?}"),
    }
    assert_eq!(emulator.record_count(&task), Some(300), "nothing of the other input was sent");
    let summary = import_rows(&client, &options, rows(0), |_| {}).await.unwrap();
    assert_eq!((summary.imported, summary.batches.len()), (300, 3));
    assert_eq!(emulator.record_count(&task), Some(300));
}

/// Resuming with less than the journaled input — the start of it, or nothing — stops at the first batch
/// the input did not reach, instead of reporting the import finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_with_a_shorter_input_stops_at_the_first_batch_it_lacks() {
    let (emulator, client, task, _dir, mut options) = library_import("shorter-input").await;
    options.batch_size = 100;
    let rows =
        |n: usize| (0..n as u64).map(|i| Row { line: i + 2, record: Ok(CalleeRecord::new(format!("1{i:010}"))) });
    assert_eq!(import_rows(&client, &options, rows(300), |_| {}).await.unwrap().imported, 300);
    options.resume = true;
    for (given, first_missing) in [(200usize, 2u64), (0, 0)] {
        match import_rows(&client, &options, rows(given), |_| {}).await {
            Err(ImportError::Stopped { reason, summary }) => {
                assert!(matches!(*reason, Stop::InputEnded { seq, .. } if seq == first_missing), "{reason}");
                assert_eq!(summary.imported, given as u64);
                let shown = reason.to_string();
                assert!(
                    shown.contains(&format!(
                        "the input ended before batch {first_missing}, which the journal records (lines {}–",
                        first_missing * 100 + 2
                    )),
                    "{shown}"
                );
            }
            other => panic!("resumed with {given} of 300 rows: {other:?}"),
        }
    }
    assert_eq!(emulator.record_count(&task), Some(300));
    assert_eq!(import_rows(&client, &options, rows(300), |_| {}).await.unwrap().imported, 300);
}

/// Input that gives its bytes, then fails: a disk or pipe that breaks part-way.
struct FailsAfter(std::io::Cursor<Vec<u8>>);

impl std::io::Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 => Err(std::io::Error::other("device gone")),
            n => Ok(n),
        }
    }
}

/// Input that breaks part-way stops the run: the batches read whole before it are imported, the one it
/// interrupts is not sent, and nothing is reported lost or imported; resuming with the input whole
/// imports the rest, nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_that_breaks_part_way_stops_the_run_and_resume_finishes_it() {
    let (emulator, client, task, dir, mut options) = library_import("read-error").await;
    let path = dir.join("callees.csv");
    write_input(&path, 2500);
    let whole = std::fs::read(&path).unwrap();
    // The input breaks in the middle of line 1700.
    let line_1700 = whole.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1698).unwrap().0 + 1;
    let broken = FailsAfter(std::io::Cursor::new(whole[..line_1700 + 10].to_vec()));
    match import_rows(&client, &options, csv_rows(broken).unwrap(), |_| {}).await {
        Err(ImportError::Stopped { reason, summary }) if matches!(*reason, Stop::InputUnreadable { .. }) => {
            assert_eq!((summary.imported, summary.rejected_count, summary.uncertain_count), (1000, 0, 0));
            let message = reason.to_string();
            assert_eq!(
                message,
                "line 1700: cannot read the input: device gone; the rows from line 1002 on were not sent"
            );
        }
        other => panic!("read past a broken input: {other:?}"),
    }
    assert_eq!(emulator.record_count(&task), Some(1000));
    options.resume = true;
    let file = std::io::BufReader::new(std::fs::File::open(&path).unwrap());
    let summary = import_rows(&client, &options, csv_rows(file).unwrap(), |_| {}).await.unwrap();
    assert_eq!((summary.imported, summary.uncertain_count), (2500, 0));
    let stored = emulator.callees(&task).unwrap();
    let ids: HashSet<&str> = stored.iter().map(|c| c.record["outId"].as_str().unwrap()).collect();
    assert_eq!((stored.len(), ids.len()), (2500, 2500), "each stored once");
}

/// A break in the input does not cut short the batches read before it: those still waiting for their
/// turn in the rate are sent, and the stop names the first row truly not sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_waiting_for_the_rate_are_sent_when_the_input_breaks() {
    let (emulator, client, task, dir, mut options) = library_import("read-error-rate").await;
    (options.batch_size, options.rate) = (100, Some(10.0));
    let path = dir.join("callees.csv");
    write_input(&path, 1000);
    let whole = std::fs::read(&path).unwrap();
    let line_952 = whole.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(950).unwrap().0 + 1;
    let broken = FailsAfter(std::io::Cursor::new(whole[..line_952 + 10].to_vec()));
    match import_rows(&client, &options, csv_rows(broken).unwrap(), |_| {}).await {
        Err(ImportError::Stopped { reason, summary }) if matches!(*reason, Stop::InputUnreadable { .. }) => {
            assert_eq!((summary.imported, summary.uncertain_count), (900, 0));
            assert!(reason.to_string().ends_with("the rows from line 902 on were not sent"), "{reason}");
        }
        other => panic!("read past a broken input: {other:?}"),
    }
    assert_eq!(emulator.record_count(&task), Some(900));
}

/// A journal already at the path is never set aside silently: one of the same task — in this format or
/// an older one, whole or damaged after its first line — refuses the run, as does a file that is not a
/// journal at all; only another task's journal is kept beside the new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_in_the_way_is_set_aside_only_when_it_is_another_tasks() {
    let (emulator, client, task, _dir, mut options) = library_import("journal-in-the-way").await;
    options.batch_size = 50;
    let rows = || (0..100u64).map(|i| Row { line: i + 2, record: Ok(CalleeRecord::new(format!("1{i:010}"))) });
    let journal = options.journal.clone();
    let old_header = |task: &str| {
        format!(
            "{{\"journal\":\"acsgen-import\",\"version\":1,\"task_id\":\"{task}\",\"input\":\"x\",\"batch_size\":50}}\n"
        )
    };
    let damaged = format!("{}{{\"event\":\"sending\",\"se\u{0}\u{0}\n", old_header(&task));
    for (content, expected) in [
        (old_header(&task), "records an earlier import into task"),
        (damaged, "records an earlier import into task"),
        ("not a journal\n".to_owned(), "line 1: not a journal"),
    ] {
        std::fs::write(&journal, &content).unwrap();
        let error = import_rows(&client, &options, rows(), |_| {}).await.unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
        assert_eq!(std::fs::read_to_string(&journal).unwrap(), content, "the journal is left as it was");
        assert_eq!(emulator.stats().requests, 0, "nothing was sent");
    }
    std::fs::write(&journal, old_header("another-task")).unwrap();
    let summary = import_rows(&client, &options, rows(), |_| {}).await.unwrap();
    assert_eq!(summary.imported, 100);
    assert_eq!(std::fs::read_to_string(journal.with_extension("journal.old")).unwrap(), old_header("another-task"));
}

/// Once the run stops — here the service refuses the key — batches already handed to their send tasks
/// and waiting for their turn in the rate are neither journaled nor sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_stop_no_batch_waiting_for_its_turn_is_sent() {
    let emulator = Emulator::new().start_local().await.unwrap();
    let config = Config::builder()
        .endpoint(emulator.endpoint())
        .credentials(acsgen::credentials::Credentials::new("unknown-key", "secret"))
        .build()
        .unwrap();
    let dir = scratch("stop-waiting");
    let mut options = ImportOptions::new(emulator.create_task(), dir.join("report.json"));
    (options.batch_size, options.concurrency, options.rate) = (10, 4, Some(5.0));
    let rows = (0..100u64).map(|i| Row { line: i + 2, record: Ok(CalleeRecord::new(format!("1{i:010}"))) });
    match import_rows(&Client::new(&config), &options, rows, |_| {}).await {
        Err(ImportError::Stopped { reason, .. }) if matches!(*reason, Stop::CredentialsRefused(_)) => {}
        other => panic!("not stopped by the refused key: {other:?}"),
    }
    assert_eq!(emulator.stats().requests, 1, "only the first batch went out");
    let journal = std::fs::read_to_string(&options.journal).unwrap();
    assert_eq!(journal.matches("\"sending\"").count(), 1, "{journal}");
    assert_eq!(journal.matches("\"not_sent\"").count(), 1, "{journal}");
}

/// Runs the command against `emulator` (its first key from the environment) in `dir`; exit status and
/// everything it printed.
fn run_command(emulator: &RunningEmulator, dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let output = importer(Some(emulator), dir)
        .current_dir(dir)
        .args(["--endpoint", &emulator.endpoint(), "--rate", "0"])
        .args(args)
        .output()
        .unwrap();
    (output.status.code(), text(&output))
}

/// The hostile-input pass's first finding, as the command meets it: an import of `a.csv`, then
/// `--resume` with `b.csv` (same columns, other numbers). The journal's rows hashes tell the two apart:
/// the run stops naming the first batch that differs, with exit status 1, and sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_with_another_file_is_refused_by_the_command() {
    let emulator = Emulator::new().start_local().await.unwrap();
    let task = emulator.create_task();
    let dir = scratch("resume-other-file");
    write_input(&dir.join("a.csv"), 3000);
    let other = std::fs::read_to_string(dir.join("a.csv")).unwrap().replace(",row-", ",other-");
    std::fs::write(dir.join("b.csv"), other).unwrap();
    let run = |file: &str, extra: &[&str]| {
        let mut args = vec!["--task-id", task.as_str(), "--report", "r.json", file];
        args.extend_from_slice(extra);
        tokio::task::block_in_place(|| run_command(&emulator, &dir, &args))
    };
    let (status, shown) = run("a.csv", &[]);
    assert_eq!(status, Some(0), "{shown}");
    let (status, shown) = run("b.csv", &["--resume"]);
    assert_eq!(status, Some(1), "{shown}");
    assert!(
        shown.contains("stopped: the input changed since the journal was written: batch 0 covered lines 2–1001"),
        "{shown}"
    );
    assert!(shown.contains("resume with the same input") && !shown.contains("3000 imported"), "{shown}");
    assert_eq!(emulator.record_count(&task), Some(3000), "nothing of b.csv was sent");
}

/// The hostile-input pass's second finding: after a finished import, 8 bytes inside the journal's third
/// line are overwritten. Run again without `--resume`, the command refuses and says what to do; with
/// `--resume` it refuses naming the line; only `--start-over` sets the journal aside and imports again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_journal_is_never_set_aside_without_being_asked() {
    let emulator = Emulator::new().start_local().await.unwrap();
    let task = emulator.create_task();
    let dir = scratch("damaged-journal");
    write_input(&dir.join("in.csv"), 300);
    let args = |extra: &[&str]| {
        let mut args = vec!["--task-id", task.as_str(), "--batch-size", "100", "--report", "r.json", "in.csv"];
        args.extend_from_slice(extra);
        args.iter().map(|a| a.to_string()).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tokio::task::block_in_place(|| run_command(&emulator, &dir, &args))
    };
    assert_eq!(run(args(&[])).0, Some(0));
    let journal = dir.join("r.journal");
    let mut bytes = std::fs::read(&journal).unwrap();
    let third = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 1;
    bytes[third + 10..third + 18].copy_from_slice(b"XXXXXXXX");
    std::fs::write(&journal, &bytes).unwrap();

    let (status, shown) = run(args(&[]));
    assert_eq!(status, Some(1), "{shown}");
    assert!(shown.contains("records an earlier import into task") && shown.contains("--start-over"), "{shown}");
    let (status, shown) = run(args(&["--resume"]));
    assert_eq!(status, Some(1), "{shown}");
    assert!(shown.contains("line 3:") && shown.contains("--start-over"), "{shown}");
    assert_eq!(std::fs::read(&journal).unwrap(), bytes, "the journal is left as it was");
    assert_eq!(emulator.record_count(&task), Some(300), "nothing was sent again");

    let (status, shown) = run(args(&["--start-over"]));
    assert_eq!(status, Some(0), "{shown}");
    assert_eq!(std::fs::read(dir.join("r.journal.old")).unwrap(), bytes, "the damaged journal is kept aside");
    assert_eq!(emulator.record_count(&task), Some(600), "asked to start over, every row is sent again");
}

/// From the hostile-input pass: `--report` naming a directory imported every row, then failed writing the
/// report (exit status 1, no summary). It is refused before anything is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_path_that_is_a_directory_is_refused_before_sending() {
    let emulator = Emulator::new().start_local().await.unwrap();
    let task = emulator.create_task();
    let dir = scratch("report-is-a-directory");
    write_input(&dir.join("in.csv"), 50);
    std::fs::create_dir(dir.join("out")).unwrap();
    let (status, shown) = tokio::task::block_in_place(|| {
        run_command(&emulator, &dir, &["--task-id", &task, "--report", "out", "--journal", "j.journal", "in.csv"])
    });
    assert_eq!(status, Some(1), "{shown}");
    assert!(shown.contains("report: out: a directory, not a file"), "{shown}");
    assert_eq!(emulator.stats().requests, 0, "nothing was sent");
}

#[test]
fn the_quick_start_command() {
    let dir = scratch("quick-start");
    let output = importer(None, &dir)
        .current_dir(workspace_root())
        .args(["--emulator", "examples/data/callees.csv", "--report"])
        .arg(dir.join("import-report.json"))
        .output()
        .unwrap();
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("3000 imported in 3 batches, 0 rejected, 0 uncertain"), "{shown}");
    assert_eq!(
        shown.matches("\nbatch ").count() + usize::from(shown.starts_with("batch ")),
        3,
        "every batch ID is printed: {shown}"
    );
    assert!(shown.contains("the emulator holds 3000 records"), "{shown}");
}

#[test]
fn bad_input_is_rejected_row_by_row_or_refused_whole() {
    let dir = scratch("bad-input");
    let run = |file: &str, extra: &[&str]| {
        let mut command = importer(None, &dir);
        command.current_dir(&dir).args(["--dry-run", "--task-id", "T1", "--report", "r.json"]).args(extra).arg(file);
        command.output().unwrap()
    };
    // Each rejection reason, with its line.
    let mut bad = b"calleeNumber,outId,name\n13800000001,a,Tom\n,b,No Number\n13800000003,a,Again\n".to_vec();
    bad.extend_from_slice(format!("13800000004,{},Long\n", "x".repeat(129)).as_bytes());
    bad.extend_from_slice(b"13800000005,e,Too,Many\n13800000006,f,\xff\xfeBad\n");
    bad.extend_from_slice(format!("13800000007,g,{}\n", "y".repeat(10 * 1024 * 1024)).as_bytes());
    bad.extend_from_slice(b"13800000008,h,Last\n");
    std::fs::write(dir.join("bad.csv"), &bad).unwrap();
    let output = run("bad.csv", &[]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    let dry = report(&dir.join("r.json"));
    let rejected: Vec<(u64, String)> = dry["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        rejected,
        [
            (3, "missing calleeNumber".to_owned()),
            (4, "duplicate outId `a`: an earlier row already uses it".to_owned()),
            (5, "outId has 129 characters, at most 128".to_owned()),
            (6, "malformed row: 4 fields where the header has 3".to_owned()),
            (7, "malformed row: field 3 is not valid UTF-8".to_owned()),
            (8, "malformed row: 10485772 bytes, longer than the 1048576-byte limit".to_owned()),
        ]
    );
    assert_eq!((dry["dry_run"].as_bool(), dry["would_import"].as_u64()), (Some(true), Some(2)));

    // Inputs that cannot work at all: exit 1, with the reason.
    std::fs::write(dir.join("empty.csv"), "").unwrap();
    std::fs::write(dir.join("no-number.csv"), "phone,outId\n1,a\n").unwrap();
    std::fs::write(dir.join("bad.jsonl"), "{\"calleeNumber\":\"1\"}\nnot json\n[1]\n{\"outId\":\"x\"}\n").unwrap();
    for (file, extra, message) in [
        ("empty.csv", &[][..], "the input is empty"),
        ("no-number.csv", &[][..], "no calleeNumber column; found: phone, outId"),
        ("missing.csv", &[][..], "cannot read missing.csv"),
        ("-", &[][..], "needs --format"),
        ("bad.csv", &["--batch-size", "1001"][..], "1001 is not in 1..=1000"),
    ] {
        let output = run(file, extra);
        assert_eq!(output.status.code(), Some(1), "{file}: {}", text(&output));
        assert!(text(&output).contains(message), "{file}: {}", text(&output));
    }
    let output = run("bad.jsonl", &[]);
    assert_eq!(output.status.code(), Some(2));
    let reasons: Vec<String> = report(&dir.join("r.json"))["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        reasons[0].starts_with("malformed row: invalid JSON")
            && reasons[1].contains("JSON object")
            && reasons[2] == "missing calleeNumber",
        "{reasons:?}"
    );
}

/// Checks a finished import against what the emulator holds: every imported batch stored exactly, every
/// stored record accounted for, nothing twice. Returns (stored records, uncertain batches).
fn check_accounting(emulator: &RunningEmulator, task: &str, report: &Value, rows: u64) -> (usize, usize) {
    let imported = report["imported"].as_u64().unwrap();
    let uncertain_count = report["uncertain_count"].as_u64().unwrap();
    assert_eq!(report["rejected_count"], 0);
    assert_eq!(imported + uncertain_count, rows, "every row is imported or uncertain");
    let stored = emulator.callees(task).unwrap();
    let mut seen = HashSet::new();
    for record in &stored {
        assert!(seen.insert(record.record["outId"].as_str().unwrap().to_owned()), "stored twice: {:?}", record.record);
    }
    let batches = report["batches"].as_array().unwrap();
    let uncertain = report["uncertain"].as_array().unwrap();
    let mut per_batch: HashMap<i64, Vec<u64>> = HashMap::new();
    for record in &stored {
        per_batch.entry(record.batch_id).or_default().push(line_of(record.record["outId"].as_str().unwrap()));
    }
    let mut counted = 0;
    for batch in batches {
        let lines = &per_batch[&batch["batch_id"].as_i64().unwrap()];
        assert_eq!(lines.len() as u64, batch["records"].as_u64().unwrap(), "batch {batch}");
        let (first, last) = (batch["first_line"].as_u64().unwrap(), batch["last_line"].as_u64().unwrap());
        assert!(lines.iter().all(|l| (first..=last).contains(l)), "batch {batch} holds other lines");
        counted += lines.len();
    }
    assert_eq!(counted as u64, imported, "every record reported imported is stored, once");
    let reported: HashSet<i64> = batches.iter().map(|b| b["batch_id"].as_i64().unwrap()).collect();
    for (batch_id, lines) in &per_batch {
        if reported.contains(batch_id) {
            continue;
        }
        // Stored but not reported imported: it must be an uncertain batch (acted on, answer lost).
        for line in lines {
            assert!(
                uncertain
                    .iter()
                    .any(|u| (u["first_line"].as_u64().unwrap()..=u["last_line"].as_u64().unwrap()).contains(line)),
                "line {line} is stored in batch {batch_id} but the report does not account for it"
            );
        }
    }
    (stored.len(), uncertain.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_drill_then_kill_and_resume() {
    const ROWS: u64 = 100_000;
    let dir = scratch("drill");
    let input = dir.join("callees.csv");
    write_input(&input, ROWS as usize);

    // A misbehaving service: throttling 10%, server errors 5%, drops before 2% and after 2%.
    let emulator = Emulator::new().access_key("drill", "drill-secret").seed(42).start_local().await.unwrap();
    let task = emulator.create_task();
    emulator.set_faults(Faults {
        throttle: 0.10,
        server_error: 0.05,
        drop_before: 0.02,
        drop_after: 0.02,
        ..Faults::default()
    });
    let output = tokio::task::spawn_blocking({
        let (mut command, task, endpoint, dir, input) =
            (importer(Some(&emulator), &dir), task.clone(), emulator.endpoint(), dir.clone(), input.clone());
        move || {
            command
                // Batches of 200: some 550 requests, so every kind of fault shows up whatever the order.
                .args(["--endpoint", &endpoint, "--task-id", &task, "--rate", "0", "--concurrency", "4"])
                .args(["--batch-size", "200", "--report"])
                .arg(dir.join("drill.json"))
                .arg(&input)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(2), "uncertain batches make the exit status 2: {shown}");
    let drill = report(&dir.join("drill.json"));
    let (_, uncertain) = check_accounting(&emulator, &task, &drill, ROWS);
    let stats = emulator.stats();
    assert!(
        stats.throttled > 0 && stats.server_errors > 0 && stats.dropped_before > 0 && stats.dropped_after > 0,
        "{stats:?}"
    );
    assert!(uncertain > 0 && shown.contains("uncertain: lines"), "uncertain batches are listed: {shown}");
    // Which credentials were used, by their key ID only.
    let (id, secret, _) = emulator.access_keys().remove(0);
    assert!(shown.contains(&format!("credentials: environment, access key {id}\n")), "{shown}");
    assert!(!shown.contains(&secret));

    // kill -9 in the middle of a run, then --resume.
    emulator.set_faults(Faults { latency: Duration::from_millis(5), ..Faults::default() });
    let task = emulator.create_task();
    let journal = dir.join("kill.journal");
    let resume_args = |command: &mut Command, resume: bool| {
        command
            .args([
                "--endpoint",
                &emulator.endpoint(),
                "--task-id",
                &task,
                "--rate",
                "25",
                "--concurrency",
                "2",
                "--report",
            ])
            .arg(dir.join("kill.json"))
            .arg("--journal")
            .arg(&journal)
            .arg(&input);
        if resume {
            command.arg("--resume");
        }
    };
    let mut first = importer(Some(&emulator), &dir);
    resume_args(&mut first, false);
    let mut child = first.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let started = Instant::now();
    loop {
        let imported = std::fs::read_to_string(&journal).map(|j| j.matches("\"imported\"").count()).unwrap_or(0);
        if imported >= 15 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the import did not progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let before_resume = emulator.record_count(&task).unwrap();
    assert!(before_resume > 0 && (before_resume as u64) < ROWS, "killed mid-run ({before_resume} stored)");

    let mut second = importer(Some(&emulator), &dir);
    resume_args(&mut second, true);
    let output = tokio::task::spawn_blocking(move || second.output().unwrap()).await.unwrap();
    let shown = text(&output);
    assert!(matches!(output.status.code(), Some(0 | 2)), "{shown}");
    let resumed = report(&dir.join("kill.json"));
    let (stored, uncertain) = check_accounting(&emulator, &task, &resumed, ROWS);
    assert!(stored as u64 >= resumed["imported"].as_u64().unwrap());
    assert_eq!(uncertain > 0, output.status.code() == Some(2), "{shown}");
    let journal_text = std::fs::read_to_string(&journal).unwrap();
    assert!(journal_text.contains("\"resumed\""));
}
