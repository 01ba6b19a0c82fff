//! The vendor's official Python SDK against the emulator: it creates a task and imports records with V3
//! and V1 signatures (and an STS key); a wrong secret, 1,001 records, a 129-character outId and a record
//! without calleeNumber are each rejected with a clear code; the inspection endpoint then shows every
//! accepted record exactly once.

use std::collections::BTreeMap;
use std::process::Command;

use acsgen_emulator::{Emulator, RunningEmulator};
use acsgen_tests::{python, python_script};
use serde_json::{Value, json};

/// Runs the official SDK: `Ok(body)` or `Err("<code> <message>")`.
fn sdk(emulator: &RunningEmulator, key: (&str, &str, Option<&str>), v1: bool, args: &[&str]) -> Result<Value, String> {
    let mut command = Command::new(python());
    command.arg(python_script("sdk_aiccs.py")).args([emulator.endpoint().as_str(), key.0, key.1]);
    if let Some(token) = key.2 {
        command.args(["--token", token]);
    }
    if v1 {
        command.arg("--v1");
    }
    let output = command.args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    match stdout.strip_prefix("ERROR ") {
        Some(error) => Err(error.to_owned()),
        None if output.status.success() => Ok(serde_json::from_str(&stdout).unwrap()),
        None => panic!("sdk failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr)),
    }
}

fn records(prefix: &str, n: usize) -> String {
    let list: Vec<Value> = (0..n)
        .map(|i| json!({"calleeNumber": format!("139{i:08}"), "outId": format!("{prefix}-{i}"), "name": "李雷"}))
        .collect();
    Value::Array(list).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn official_sdk_round_trip() {
    let emulator = Emulator::new()
        .access_key("LTAIpy", "py-secret")
        .sts_access_key("STS.py", "sts-secret", "sts-token")
        .start_local()
        .await
        .unwrap();
    let ak = ("LTAIpy", "py-secret", None);
    let created = sdk(&emulator, ak, false, &["create-task", "python interop"]).unwrap();
    let task = created["Data"].as_i64().unwrap().to_string();

    let mut accepted = BTreeMap::new();
    for (label, key, v1) in [
        ("v3", ak, false),
        ("v1", ak, true),
        ("sts-v3", ("STS.py", "sts-secret", Some("sts-token")), false),
        ("sts-v1", ("STS.py", "sts-secret", Some("sts-token")), true),
    ] {
        let answer = sdk(&emulator, key, v1, &["import", &task, &records(label, 250)])
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let batch = answer["Data"].as_i64().expect("an exact integer batch ID");
        assert!(batch > 1 << 53, "{batch}");
        accepted.insert(label, batch);
    }
    assert_eq!(sdk(&emulator, ak, false, &["start", &task]).unwrap()["Data"], true);

    // Each failure with its own clear code; none stores anything.
    let too_many = std::env::temp_dir().join(format!("acsgen-1001-{}.json", std::process::id()));
    std::fs::write(&too_many, records("many", 1001)).unwrap();
    let long_out_id = json!([{"calleeNumber": "1", "outId": "x".repeat(129)}]).to_string();
    let no_number = json!([{"outId": "lonely", "name": "Han"}]).to_string();
    for (key, v1, args, code) in [
        (
            ("LTAIpy", "wrong-secret", None),
            false,
            vec!["import", &task, "[{\"calleeNumber\":\"1\"}]"],
            "SignatureDoesNotMatch",
        ),
        (
            ("LTAIpy", "wrong-secret", None),
            true,
            vec!["import", &task, "[{\"calleeNumber\":\"1\"}]"],
            "SignatureDoesNotMatch",
        ),
        (ak, false, vec!["import", &task, &format!("@{}", too_many.display())], "PhoneNumberList.TooMany"),
        (ak, false, vec!["import", &task, &long_out_id], "OutId.TooLong"),
        (ak, true, vec!["import", &task, &no_number], "CalleeNumber.Missing"),
    ] {
        let error = sdk(&emulator, key, v1, &args).unwrap_err();
        assert!(error.starts_with(code), "expected {code}, got {error}");
    }
    let _ = std::fs::remove_file(&too_many);

    // The inspection endpoint, over HTTP: every accepted record exactly once, with its batch.
    let listed: Vec<Value> = {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(emulator.addr()).unwrap();
        write!(stream, "GET /__emulator/tasks/{task}/callees HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        serde_json::from_str(response.split_once("\r\n\r\n").unwrap().1).unwrap()
    };
    assert_eq!(listed.len(), 1000);
    let mut seen = BTreeMap::new();
    for entry in &listed {
        let out_id = entry["record"]["outId"].as_str().unwrap().to_owned();
        let label = out_id.rsplit_once('-').unwrap().0.to_owned();
        assert_eq!(entry["batch_id"].as_i64(), Some(accepted[label.as_str()]), "{out_id} in the wrong batch");
        assert_eq!(entry["record"]["name"], "李雷");
        assert!(seen.insert(out_id, ()).is_none(), "a record stored twice");
    }
    assert_eq!(seen.len(), 1000);
}

/// The rest of a task's life cycle through the official SDK: its models hold every member of each answer
/// (what the SDK received and what its models made of it are the same), and the calls do what they say.
#[tokio::test(flavor = "multi_thread")]
async fn official_sdk_reads_and_cancels_call_details() {
    let emulator = Emulator::new().access_key("LTAIpy", "py-secret").start_local().await.unwrap();
    let ak = ("LTAIpy", "py-secret", None);
    let raw = |args: &[&str]| {
        let answer =
            sdk(&emulator, ak, false, &[&["--raw"], args].concat()).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(answer["model"], answer["raw"], "{args:?}: the SDK's models hold the whole answer");
        answer["raw"].clone()
    };
    let task = sdk(&emulator, ak, false, &["create-task", "life cycle"]).unwrap()["Data"].as_i64().unwrap().to_string();
    let records = r#"[{"calleeNumber": "13900000001", "outId": "dup", "name": "Tom"},
                      {"calleeNumber": "13900000002", "outId": "dup"}, {"calleeNumber": "13900000003"}]"#;
    let batch = sdk(&emulator, ak, false, &["import", &task, records]).unwrap()["Data"].as_i64().unwrap().to_string();
    raw(&["start", &task]);

    let found = raw(&["details", &task, r#"{"Status": 0, "OutId": "dup", "PageNo": 1, "PageSize": 10}"#]);
    assert_eq!(found["Data"]["Total"], 2);
    let list = found["Data"]["List"].as_array().unwrap();
    assert!(list.iter().all(|d| d["BatchId"] == batch.as_str() && d["Status"] == 1), "{list:?}");
    assert_eq!(list[0]["Options"], r#"{"name":"Tom"}"#);
    let later = list[1]["DetailId"].as_str().unwrap();
    let cancelled = raw(&["cancel", &task, &json!({"DetailIdList": [later]}).to_string()]);
    assert_eq!(cancelled["Data"]["SucceedCount"], 1);
    assert_eq!(raw(&["details", &task, r#"{"Status": 0, "OutId": "dup"}"#])["Data"]["Total"], 1);
    let stored = emulator.callees(&task).unwrap();
    assert_eq!(stored.iter().map(|c| c.cancelled).collect::<Vec<_>>(), [false, true, false]);

    let detail = raw(&["task-detail", &task]);
    assert_eq!(
        (detail["Data"]["TaskId"].as_str(), detail["Data"]["TaskName"].as_str()),
        (Some(&*task), Some("life cycle"))
    );
    assert_eq!(raw(&["stop", &task])["Data"], true);
    let missing = sdk(&emulator, ak, false, &["details", &task, "{}"]).unwrap_err();
    assert!(missing.starts_with("MissingParameter"), "{missing}");
}
