//! The generated client sends exactly what the vendor's official Python SDK sends for the same input:
//! both talk to a capturing server (`tests/python/capture.py`) and the requests are compared field by
//! field — and against the request the aiccs reference documents as observed. The SDK writes a record's
//! members in the order it is given them; it is given them in the spec's declaration order (then the call
//! variables), which is the order the generated serializer keeps, so the bodies match byte for byte.

use std::process::Command;

use acsgen::aiccs::{CalleeRecord, Client, DataType};
use acsgen::credentials::Credentials;
use acsgen::sign::SignatureVersion;
use acsgen::{Config, RetryPolicy};
use acsgen_tests::capture::{PER_REQUEST, captured, headers, query_pairs};
use acsgen_tests::{ChildServer, python, python_script};
use serde_json::Value;

/// The observed request in ../shared/reference/aiccs.md (its caller gave the record's members in another
/// order: the body is compared with it member by member).
const OBSERVED_QUERY: &str = "DataType=JSON&TaskId=123";
const OBSERVED_BODY: &str = "PhoneNumberList=%5B%7B%22calleeNumber%22%3A%2213800000000%22%2C%22name%22%3A%22Tom%22%2C%22outId%22%3A%22id-1%22%7D%5D";

/// V1 query parameters that change with every request.
const V1_PER_REQUEST: &[&str] = &["Timestamp", "SignatureNonce", "Signature"];

/// The records a form body's `PhoneNumberList` holds, as JSON.
fn phone_number_list(body: &Value) -> Value {
    let pairs = query_pairs(body.as_str().unwrap());
    serde_json::from_str(&pairs["PhoneNumberList"]).unwrap()
}

async fn ours(endpoint: &str, version: SignatureVersion) -> acsgen::aiccs::ImportTaskNumberDatasResponse {
    let config = Config::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new("LTAItest", "test-secret"))
        .signature_version(version)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    let record = CalleeRecord::new("13800000000").out_id("id-1").variables("name", "Tom");
    Client::new(&config)
        .import_task_number_datas("123", DataType::Json)
        .phone_number_list(vec![record])
        .send()
        .await
        .unwrap()
}

fn theirs(endpoint: &str, version: &str) -> Value {
    let mut command = Command::new(python());
    command.arg(python_script("sdk_aiccs.py")).args([endpoint, "LTAItest", "test-secret"]);
    if version == "v1" {
        command.arg("--v1");
    }
    let output = command
        .args(["import", "123", r#"[{"calleeNumber":"13800000000","outId":"id-1","name":"Tom"}]"#])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_call_matches_the_official_sdk_v3() {
    let server = ChildServer::start(Command::new(python()).arg(python_script("capture.py")));
    let sdk_answer = theirs(&server.endpoint, "v3");
    let answer = ours(&server.endpoint, SignatureVersion::V3).await;
    // The batch ID is beyond 2^53: exact on both sides.
    assert_eq!(answer.data, Some(123_497_836_486_123_457));
    assert_eq!(sdk_answer["Data"].as_i64(), Some(123_497_836_486_123_457));

    let requests = captured(&server);
    let (sdk, mine) = (&requests[0], &requests[1]);
    assert_eq!((sdk["method"].as_str(), sdk["path"].as_str()), (Some("POST"), Some("/")));
    assert_eq!((mine["method"].as_str(), mine["path"].as_str()), (Some("POST"), Some("/")));
    assert_eq!(mine["query"], sdk["query"], "query strings differ");
    assert_eq!(mine["query"], OBSERVED_QUERY);
    assert_eq!(mine["body"], sdk["body"], "form bodies differ");
    assert_eq!(phone_number_list(&mine["body"]), phone_number_list(&Value::from(OBSERVED_BODY)));

    let (mut sdk_headers, mut mine_headers) = (headers(sdk), headers(mine));
    for name in PER_REQUEST {
        assert!(sdk_headers.remove(*name).is_some() && mine_headers.remove(*name).is_some(), "{name}");
    }
    assert_eq!(mine_headers, sdk_headers, "headers differ");
    assert_eq!(mine_headers["content-type"], "application/x-www-form-urlencoded");
    assert_eq!(mine_headers["x-acs-action"], "ImportTaskNumberDatas");
    assert_eq!(mine_headers["x-acs-version"], "2019-10-15");
}

#[tokio::test(flavor = "multi_thread")]
async fn generated_call_matches_the_official_sdk_v1() {
    let server = ChildServer::start(Command::new(python()).arg(python_script("capture.py")));
    theirs(&server.endpoint, "v1");
    ours(&server.endpoint, SignatureVersion::V1).await;
    let requests = captured(&server);
    let (sdk, mine) = (&requests[0], &requests[1]);
    let strip = |raw: &Value| {
        let mut q = query_pairs(raw.as_str().unwrap());
        for name in V1_PER_REQUEST {
            assert!(q.remove(*name).is_some(), "{name} missing");
        }
        q
    };
    assert_eq!(strip(&mine["query"]), strip(&sdk["query"]), "V1 query parameters differ");
    assert_eq!(mine["body"], sdk["body"]);
    let (mut sdk_headers, mut mine_headers) = (headers(sdk), headers(mine));
    sdk_headers.remove("accept");
    mine_headers.remove("accept");
    assert_eq!(mine_headers, sdk_headers, "headers differ");
}
