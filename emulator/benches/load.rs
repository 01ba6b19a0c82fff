//! Load: 50 concurrent clients × 20 imports of 1,000 records (1,000,000 records) against one emulator
//! process on loopback, through the generated `acsgen::aiccs` client. Checks that nothing failed and that
//! the emulator holds every record exactly once; reports throughput and the emulator's peak memory.
//!
//! `cargo bench -p acsgen-emulator --bench load` (CLIENTS, IMPORTS and RECORDS override the shape).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use acsgen::aiccs::{CalleeRecord, Client, DataType};
use acsgen::credentials::Credentials;
use acsgen::{Config, RetryPolicy};
use serde_json::Value;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The emulator's peak resident memory, from /proc.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn inspect(endpoint: &str, task: &str) -> Vec<Value> {
    let address = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    write!(stream, "GET /__emulator/tasks/{task}/callees HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8(response).unwrap();
    serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap()
}

fn main() {
    let (clients, imports, per_import) = (setting("CLIENTS", 50), setting("IMPORTS", 20), setting("RECORDS", 1000));
    let mut emulator = Command::new(env!("CARGO_BIN_EXE_acsgen-emulator"))
        .args(["--listen", "127.0.0.1:0", "--access-key", "bench:bench-secret"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let first = BufReader::new(emulator.stdout.take().unwrap()).lines().next().unwrap().unwrap();
    let endpoint = first.strip_prefix("listening on ").unwrap().to_owned();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let config = Config::builder()
        .endpoint(&endpoint)
        .credentials(Credentials::new("bench", "bench-secret"))
        .retry_policy(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let client = Client::new(&config);
    let started = Instant::now();
    let tasks: Vec<(String, usize)> = runtime.block_on(async {
        let mut handles = Vec::new();
        for worker in 0..clients {
            let client = client.clone();
            handles.push(tokio::spawn(async move {
                let task = client
                    .create_ai_call_task(
                        "load",
                        "agent",
                        "0571",
                        "IMMEDIATELY",
                        vec!["09:00-18:00".into()],
                        vec!["1".into()],
                    )
                    .send()
                    .await
                    .expect("create task")
                    .data
                    .unwrap()
                    .to_string();
                let mut errors = 0;
                for round in 0..imports {
                    let records: Vec<CalleeRecord> = (0..per_import)
                        .map(|i| {
                            CalleeRecord::new(format!("1{worker:02}{round:03}{i:05}"))
                                .out_id(format!("{worker}-{round}-{i}"))
                                .variables("name", "Load Test")
                        })
                        .collect();
                    if client
                        .import_task_number_datas(&task, DataType::Json)
                        .phone_number_list(records)
                        .send()
                        .await
                        .is_err()
                    {
                        errors += 1;
                    }
                }
                (task, errors)
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    let elapsed = started.elapsed();
    let total = clients * imports * per_import;
    let errors: usize = tasks.iter().map(|(_, e)| e).sum();
    let peak = peak_rss_kib(emulator.id());
    let mut stored = 0;
    for (task, _) in &tasks {
        let listed = inspect(&endpoint, task);
        let unique: HashSet<&str> = listed.iter().map(|e| e["record"]["outId"].as_str().unwrap()).collect();
        assert_eq!(unique.len(), listed.len(), "task {task}: a record was stored twice");
        assert_eq!(listed.len(), imports * per_import, "task {task}: records lost");
        stored += listed.len();
    }
    let _ = emulator.kill();
    let _ = emulator.wait();
    assert_eq!(errors, 0, "{errors} imports failed");
    assert_eq!(stored, total);
    println!(
        "{clients} clients x {imports} imports x {per_import} records = {total} records in {:.2} s: {:.0} records/s, {:.1} requests/s; \
         no error, none lost or duplicated; emulator peak RSS {} MiB",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        (clients * imports) as f64 / elapsed.as_secs_f64(),
        peak.map_or("?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0)),
    );
}
