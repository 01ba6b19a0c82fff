//! `--reconcile`: uncertain batches settled from the task's own call details. A fault drill of 30,000 rows
//! (connections dropped after the batch is stored, and server errors that store nothing) leaves batches
//! uncertain; `--resume --reconcile` then leaves none, with every row stored exactly once and the report
//! naming each settled batch and how — also when the reconcile itself is killed with `kill -9` and run
//! again. Rows without an outId stay uncertain and are counted apart; doubles left by a blind
//! `--resend-uncertain` are reported, and `--cancel-duplicates` leaves one detail per outId.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use acsgen_emulator::{Emulator, Faults, RunningEmulator};
use serde_json::Value;

const IMPORTER: &str = env!("CARGO_BIN_EXE_acsgen-import");
const ROWS: usize = 30_000;

fn scratch(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("tests/reconcile").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `rows` callees; every `without_out_id`th row (when not 0) has no outId.
fn write_input(path: &Path, rows: usize, without_out_id: usize) {
    let mut out = String::from("calleeNumber,outId,name\n");
    for i in 0..rows {
        let out_id = if without_out_id > 0 && i % without_out_id == 0 { String::new() } else { format!("row-{i}") };
        out.push_str(&format!("1{i:010},{out_id},Name {i}\n"));
    }
    std::fs::write(path, out).unwrap();
}

/// The importer command into `task`, with the emulator's key, its report and journal in `dir`.
fn importer(emulator: &RunningEmulator, dir: &Path, task: &str, args: &[&str]) -> Command {
    let (id, secret, _) = emulator.access_keys().remove(0);
    let mut command = Command::new(IMPORTER);
    command
        .env_clear()
        .env("HOME", dir)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", id)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
        .args(["--endpoint", &emulator.endpoint(), "--task-id", task, "--rate", "0", "--batch-size", "200"])
        .arg("--report")
        .arg(dir.join("report.json"))
        .args(args)
        .arg(dir.join("callees.csv"));
    command
}

async fn run(command: Command) -> Output {
    let mut command = command;
    tokio::task::spawn_blocking(move || command.output().unwrap()).await.unwrap()
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The task's live (not cancelled) records by outId: how many each.
fn live_out_ids(emulator: &RunningEmulator, task: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for callee in emulator.callees(task).unwrap().into_iter().filter(|c| !c.cancelled) {
        let out_id = callee.record["outId"].as_str().unwrap_or_default().to_owned();
        *counts.entry(out_id).or_default() += 1;
    }
    counts
}

/// An emulator, a task, an input of `rows` rows and a first run under the drill: some batches uncertain.
async fn drilled(name: &str, without_out_id: usize, faults: Faults) -> (RunningEmulator, String, PathBuf, Value) {
    let dir = scratch(name);
    write_input(&dir.join("callees.csv"), ROWS, without_out_id);
    let emulator = Emulator::new().access_key("rec", "rec-secret").seed(7).faults(faults).start_local().await.unwrap();
    let task = emulator.create_task();
    let output = run(importer(&emulator, &dir, &task, &[])).await;
    assert_eq!(output.status.code(), Some(2), "the drill leaves batches uncertain: {}", text(&output));
    let first = report(&dir);
    assert!(first["uncertain"].as_array().unwrap().len() >= 3, "{}", first["uncertain"]);
    emulator.set_faults(Faults::default());
    (emulator, task, dir, first)
}

/// Connections dropped after the batch is stored (5%), and server errors that store nothing (5%).
fn drill() -> Faults {
    Faults { drop_after: 0.05, server_error: 0.05, ..Faults::default() }
}

/// After `--resume --reconcile`: nothing uncertain, every row stored once, each settled batch reported.
fn assert_settled(emulator: &RunningEmulator, task: &str, output: &Output, first: &Value, settled: &Value) {
    let shown = text(output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert_eq!((settled["uncertain_count"].as_u64(), settled["imported"].as_u64()), (Some(0), Some(ROWS as u64)));
    let live = live_out_ids(emulator, task);
    assert_eq!(live.len(), ROWS, "every row is stored");
    assert!(live.values().all(|n| *n == 1), "and none twice");
    let reconciled = settled["reconciled"].as_array().unwrap();
    let uncertain = first["uncertain"].as_array().unwrap();
    assert_eq!(reconciled.len(), uncertain.len(), "each uncertain batch is named: {reconciled:?}");
    for (r, u) in reconciled.iter().zip(uncertain) {
        assert_eq!((&r["first_line"], &r["records"]), (&u["first_line"], &u["records"]));
        let (found, resent) = (r["found"].as_u64().unwrap(), r["resent"].as_u64().unwrap());
        assert_eq!(found + resent, r["records"].as_u64().unwrap(), "{r}");
        assert!(found == 0 || resent == 0, "a batch is stored whole or not at all: {r}");
        assert_eq!(r["differs"], serde_json::json!([]), "the task holds what was sent: {r}");
    }
    assert!(reconciled.iter().any(|r| r["found"].as_u64() > Some(0)), "dropped after storing: found");
    assert!(reconciled.iter().any(|r| r["resent"].as_u64() > Some(0)), "server errors stored nothing: resent");
    assert!(shown.contains("reconciled: lines "), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_settles_every_uncertain_row() {
    let (emulator, task, dir, first) = drilled("settle", 0, drill()).await;
    let output = run(importer(&emulator, &dir, &task, &["--resume", "--reconcile"])).await;
    assert_settled(&emulator, &task, &output, &first, &report(&dir));
    let journal = std::fs::read_to_string(dir.join("report.journal")).unwrap();
    assert!(journal.contains("\"event\":\"reconciled\"") && journal.contains("\"event\":\"resending\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconcile_killed_midway_resumes_to_the_same_end() {
    let (emulator, task, dir, first) = drilled("killed", 0, drill()).await;
    // Slow answers, so that the kill lands while batches are being settled and sent again.
    emulator.set_faults(Faults { latency: Duration::from_millis(25), ..Faults::default() });
    let mut command = importer(&emulator, &dir, &task, &["--resume", "--reconcile", "--concurrency", "1"]);
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let journal = dir.join("report.journal");
    let started = Instant::now();
    while std::fs::read_to_string(&journal).map_or(0, |j| j.matches("\"event\":\"resending\"").count()) < 2 {
        assert!(child.try_wait().unwrap().is_none(), "the reconcile ended before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(120), "the reconcile did not progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(child.try_wait().unwrap().is_none(), "killed while running");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    emulator.set_faults(Faults::default());
    let output = run(importer(&emulator, &dir, &task, &["--resume", "--reconcile"])).await;
    assert_settled(&emulator, &task, &output, &first, &report(&dir));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_without_an_out_id_stay_uncertain_and_are_counted() {
    let (emulator, task, dir, first) = drilled("no-out-id", 10, drill()).await;
    let output = run(importer(&emulator, &dir, &task, &["--resume", "--reconcile"])).await;
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(2), "some rows stay uncertain: {shown}");
    let settled = report(&dir);
    let reconciled = settled["reconciled"].as_array().unwrap();
    let unsettled: u64 = reconciled.iter().map(|r| r["unsettled"].as_u64().unwrap()).sum();
    let found_or_resent: u64 =
        reconciled.iter().map(|r| r["found"].as_u64().unwrap() + r["resent"].as_u64().unwrap()).sum();
    let was_uncertain = first["uncertain_count"].as_u64().unwrap();
    assert!(unsettled > 0 && found_or_resent > 0);
    assert_eq!(unsettled + found_or_resent, was_uncertain);
    assert_eq!(
        (settled["unsettled_count"].as_u64(), settled["uncertain_count"].as_u64()),
        (Some(unsettled), Some(unsettled))
    );
    assert!(shown.contains(&format!("{unsettled} records have no outId")), "{shown}");
    let live = live_out_ids(&emulator, &task);
    assert!(live.iter().all(|(out_id, n)| out_id.is_empty() || *n == 1), "no outId stored twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doubles_are_reported_and_cancelled_only_when_asked() {
    let drops = Faults { drop_after: 0.05, ..Faults::default() };
    let (emulator, task, dir, first) = drilled("doubles", 0, drops).await;
    // A blind resend: every uncertain batch was stored already, so its rows are now held twice.
    let output = run(importer(&emulator, &dir, &task, &["--resume", "--resend-uncertain"])).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let doubled = first["uncertain_count"].as_u64().unwrap() as usize;
    assert_eq!(live_out_ids(&emulator, &task).values().filter(|n| **n == 2).count(), doubled);

    let output = run(importer(&emulator, &dir, &task, &["--resume", "--reconcile"])).await;
    let doubles = report(&dir)["doubles"].as_array().unwrap().clone();
    assert_eq!(doubles.len(), doubled, "{}", text(&output));
    assert!(doubles.iter().all(|d| d["cancelled"] == false && d["extra_detail_ids"].as_array().unwrap().len() == 1));
    assert_eq!(live_out_ids(&emulator, &task).values().filter(|n| **n == 2).count(), doubled, "nothing cancelled yet");

    let output = run(importer(&emulator, &dir, &task, &["--resume", "--reconcile", "--cancel-duplicates"])).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let live = live_out_ids(&emulator, &task);
    assert_eq!(live.len(), ROWS);
    assert!(live.values().all(|n| *n == 1), "one detail per outId is left");
    // The earliest import is the one kept: its batch is the one the service stored first.
    let kept: Vec<String> = report(&dir)["doubles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kept_detail_id"].as_str().unwrap().to_owned())
        .collect();
    let callees = emulator.callees(&task).unwrap();
    for id in kept.iter().take(5) {
        let callee = callees.iter().find(|c| c.detail_id.to_string() == *id).unwrap();
        assert!(!callee.cancelled);
        let twin = callees
            .iter()
            .find(|c| c.record["outId"] == callee.record["outId"] && c.detail_id != callee.detail_id)
            .unwrap();
        assert!(twin.cancelled && twin.detail_id > callee.detail_id);
    }
}

/// A service whose pages never add up to the total it states (here: one that ignores the page number) is
/// listed three times, then the reconcile stops, saying so, before anything is settled or sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_does_not_add_up_stops_the_reconcile() {
    let dir = scratch("short-listing");
    write_input(&dir.join("callees.csv"), 500, 0);
    let emulator = Emulator::new().access_key("rec", "rec-secret").start_local().await.unwrap();
    let task = emulator.create_task();
    let output = run(importer(&emulator, &dir, &task, &[])).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let page = serde_json::json!({"Code": "OK", "Success": true, "Data": {"Total": 1000, "PageNo": 1, "PageSize": 100,
        "List": [{"DetailId": "1", "OutId": "row-0", "BatchId": "5"}, {"DetailId": "2", "OutId": "row-1", "BatchId": "5"}]}});
    emulator.stub("QueryAiCallDetailPage", vec![acsgen_emulator::Scripted::body(page); 6]);
    let output = run(importer(&emulator, &dir, &task, &["--resume", "--reconcile"])).await;
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("reconcile: listing the task's call details: the details of status 0 came to 2 of the 1000"),
        "{shown}"
    );
    assert_eq!(emulator.calls_of("QueryAiCallDetailPage").len(), 6, "three tries of two pages, no more");
    assert!(
        emulator.calls_of("ImportTaskNumberDatas").len() == 3 && emulator.calls_of("CancelAiCallDetails").is_empty()
    );
}
