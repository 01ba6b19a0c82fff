//! The emulator as the service behaves: signatures (V3, V1, STS), the time window, nonce reuse, the
//! vendor's error shapes and codes, the import rules, inspection, fault drills, and hostile input that
//! gets a clear 4xx — never a panic or a hung connection.

use std::time::{Duration, SystemTime};

use acsgen::aiccs::{CalleeRecord, Client, DataType};
use acsgen::credentials::Credentials;
use acsgen::encode::{Location, Params, Style};
use acsgen::sign::SignatureVersion;
use acsgen::{Config, Error, RetryPolicy, ServiceClient};
use acsgen::{Method, OperationMeta};
use acsgen_emulator::{Emulator, Faults, RunningEmulator};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

fn client(emulator: &RunningEmulator, credentials: Credentials, version: SignatureVersion) -> Client {
    let config = Config::builder()
        .endpoint(emulator.endpoint())
        .credentials(credentials)
        .signature_version(version)
        .retry_policy(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Client::new(&config)
}

async fn create_task(client: &Client) -> String {
    let answer = client
        .create_ai_call_task(
            "drill",
            "agent-1",
            "05712345678",
            "IMMEDIATELY",
            vec!["09:00-18:00".to_owned()],
            vec!["1".to_owned()],
        )
        .send()
        .await
        .unwrap();
    answer.data.unwrap().to_string()
}

fn records(prefix: &str, n: usize) -> Vec<CalleeRecord> {
    (0..n)
        .map(|i| CalleeRecord::new(format!("138{i:08}")).out_id(format!("{prefix}-{i}")).variables("name", "Tom"))
        .collect()
}

/// A client for any action, without retries: to see what the service answers a request the typed
/// client would not send.
fn service(emulator: &RunningEmulator) -> ServiceClient {
    let config = Config::builder()
        .endpoint(emulator.endpoint())
        .credentials(Credentials::new("k", "s"))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    ServiceClient::new(&config, &acsgen::aiccs::SERVICE)
}

/// Raw HTTP/1.1 over a fresh connection: (status, body), or `None` when the server closed without answering.
async fn raw(emulator: &RunningEmulator, request: &[u8]) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(emulator.addr()).await.unwrap();
    let _ = stream.write_all(request).await;
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut response)).await;
    assert!(read.is_ok(), "the connection hung");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split(' ').nth(1)?.parse().ok()?;
    Some((status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default()))
}

fn code_of(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["Code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.to_owned())
}

#[tokio::test]
async fn round_trip_with_the_generated_client_v3_v1_and_sts() {
    let emulator = Emulator::new()
        .access_key("LTAIak", "ak-secret")
        .sts_access_key("STS.key", "sts-secret", "sts-token")
        .start_local()
        .await
        .unwrap();
    let ak = client(&emulator, Credentials::new("LTAIak", "ak-secret"), SignatureVersion::V3);
    let task = create_task(&ak).await;
    let mut batches = Vec::new();
    for (name, c) in [
        ("v3", ak.clone()),
        ("v1", client(&emulator, Credentials::new("LTAIak", "ak-secret"), SignatureVersion::V1)),
        ("sts-v3", client(&emulator, Credentials::sts("STS.key", "sts-secret", "sts-token"), SignatureVersion::V3)),
        ("sts-v1", client(&emulator, Credentials::sts("STS.key", "sts-secret", "sts-token"), SignatureVersion::V1)),
    ] {
        let answer =
            c.import_task_number_datas(&task, DataType::Json).phone_number_list(records(name, 3)).send().await.unwrap();
        assert_eq!(answer.code.as_deref(), Some("OK"));
        let batch = answer.data.unwrap();
        assert!(batch > 1 << 53 && batch.to_string().len() >= 18, "{batch}");
        batches.push(batch);
    }
    let started = ak.start_ai_call_task(&task).send().await.unwrap();
    assert_eq!(started.data, Some(true));

    let stored = emulator.callees(&task).unwrap();
    assert_eq!(stored.len(), 12);
    let out_ids: Vec<&str> = stored.iter().map(|c| c.record["outId"].as_str().unwrap()).collect();
    let mut unique = out_ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 12, "each record stored once");
    assert_eq!(stored[0].record, json!({"calleeNumber": "13800000000", "name": "Tom", "outId": "v3-0"}));
    let stored_batches: Vec<i64> = stored.iter().map(|c| c.batch_id).collect();
    assert!(batches.iter().all(|b| stored_batches.iter().filter(|s| *s == b).count() == 3));

    // The same through the unsigned inspection endpoint.
    let (status, body) = raw(
        &emulator,
        format!("GET /__emulator/tasks/{task}/callees HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let listed: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(listed.len(), 12);
    assert_eq!(listed[0]["batch_id"].as_i64(), Some(batches[0]));
    assert_eq!(listed[0]["record"]["outId"], "v3-0");
}

#[tokio::test]
async fn signature_and_key_failures_have_the_vendor_codes() {
    let emulator = Emulator::new()
        .access_key("LTAIak", "ak-secret")
        .sts_access_key("STS.key", "sts-secret", "sts-token")
        .start_local()
        .await
        .unwrap();
    let cases = [
        (Credentials::new("LTAIak", "wrong"), "SignatureDoesNotMatch", 400),
        (Credentials::new("LTAInobody", "x"), "InvalidAccessKeyId.NotFound", 404),
        (Credentials::new("STS.key", "sts-secret"), "MissingSecurityToken", 400),
        (Credentials::sts("STS.key", "sts-secret", "other-token"), "InvalidSecurityToken.MismatchWithAccessKey", 400),
    ];
    for version in [SignatureVersion::V3, SignatureVersion::V1] {
        for (creds, code, status) in &cases {
            let err = client(&emulator, creds.clone(), version).start_ai_call_task("1").send().await.unwrap_err();
            let service = err.service_error().unwrap_or_else(|| panic!("{err}"));
            assert_eq!((service.code(), service.status()), (*code, *status), "{version:?}: {err}");
            assert!(service.request_id().is_some() && !service.message().is_empty());
        }
    }
}

#[tokio::test]
async fn clock_skew_and_nonce_reuse_are_refused() {
    // The emulator's clock runs 20 minutes ahead: a correct client is outside the 15-minute window.
    let skewed = Emulator::new().access_key("k", "s").clock_offset(20 * 60).start_local().await.unwrap();
    let err = client(&skewed, Credentials::new("k", "s"), SignatureVersion::V3)
        .start_ai_call_task("1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidTimeStamp.Expired"));
    assert!(err.to_string().contains("clock"), "{err}");

    // The same signed request twice: the second reuses the nonce.
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let config =
        Config::builder().endpoint(emulator.endpoint()).credentials(Credentials::new("k", "s")).build().unwrap();
    let service = ServiceClient::new(&config, &acsgen::aiccs::SERVICE);
    let request = acsgen::aiccs::StartAiCallTaskRequest::new("1");
    let signed =
        service.build_request(&request, &Credentials::new("k", "s"), SystemTime::now(), "fixed-nonce-1").unwrap();
    let wire = common::wire_of(&signed);
    let first = raw(&emulator, &wire).await.unwrap();
    assert_eq!((first.0, code_of(&first.1)), (200, "TaskNotExist".to_owned()), "signed correctly, task unknown");
    let second = raw(&emulator, &wire).await.unwrap();
    assert_eq!((second.0, code_of(&second.1)), (400, "SignatureNonceUsed".to_owned()));
}

#[tokio::test]
async fn import_rules_reject_whole_batches() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let c = client(&emulator, Credentials::new("k", "s"), SignatureVersion::V3);
    let task = create_task(&c).await;
    let raw_import = |records: Value, task: String| {
        // Bypasses the client's own validation, to see what the service answers.
        let service = service(&emulator);
        async move {
            let mut p = Params::new();
            p.push(Location::Query, "TaskId", Style::Default, &task).unwrap();
            p.push(Location::Query, "DataType", Style::Default, "JSON").unwrap();
            p.push(Location::Form, "PhoneNumberList", Style::Json, &records).unwrap();
            let meta = OperationMeta {
                action: "ImportTaskNumberDatas",
                method: Method::Post,
                idempotent: false,
                anonymous: false,
                protocol: acsgen::protocol::Protocol::Rpc,
            };
            service.execute(&meta, &p).await
        }
    };
    let many = Value::Array((0..1001).map(|i| json!({"calleeNumber": format!("{i}")})).collect());
    for (records, code) in [
        (many, "PhoneNumberList.TooMany"),
        (json!([{"calleeNumber": "1", "outId": "x".repeat(129)}]), "OutId.TooLong"),
        (json!([{"calleeNumber": "1"}, {"outId": "no-number"}]), "CalleeNumber.Missing"),
        (json!([{"calleeNumber": "1", "age": 18}]), "Variable.NotString"),
        (json!([]), "PhoneNumberList.Empty"),
    ] {
        let err = raw_import(records, task.clone()).await.unwrap_err();
        let service = err.service_error().unwrap();
        assert_eq!(
            (service.code(), service.status()),
            (code, 200),
            "business failures are HTTP 200 with Success false"
        );
        assert!(service.message().len() > 10);
    }
    let err = raw_import(json!([{"calleeNumber": "1"}]), "404404".into()).await.unwrap_err();
    assert_eq!(err.code(), Some("TaskNotExist"));

    // Protocol errors with their HTTP statuses: unknown action, bad enum value, missing parameter.
    let service = service(&emulator);
    let frobnicate = OperationMeta {
        action: "Frobnicate",
        method: Method::Post,
        idempotent: false,
        anonymous: false,
        protocol: acsgen::protocol::Protocol::Rpc,
    };
    let err = service.execute(&frobnicate, &Params::new()).await.unwrap_err();
    assert_eq!((err.code(), err.service_error().unwrap().status()), (Some("InvalidAction.NotFound"), 404));
    let import_meta = OperationMeta {
        action: "ImportTaskNumberDatas",
        method: Method::Post,
        idempotent: false,
        anonymous: false,
        protocol: acsgen::protocol::Protocol::Rpc,
    };
    let mut p = Params::new();
    p.push(Location::Query, "TaskId", Style::Default, &task).unwrap();
    p.push(Location::Query, "DataType", Style::Default, "XML").unwrap();
    let err = service.execute(&import_meta, &p).await.unwrap_err();
    assert_eq!((err.code(), err.service_error().unwrap().status()), (Some("InvalidParameter"), 400));
    let mut p = Params::new();
    p.push(Location::Query, "DataType", Style::Default, "JSON").unwrap();
    let err = service.execute(&import_meta, &p).await.unwrap_err();
    assert_eq!((err.code(), err.service_error().unwrap().status()), (Some("MissingParameter"), 400));
    assert!(err.to_string().contains("TaskId"), "{err}");
    assert_eq!(emulator.record_count(&task), Some(0), "nothing from a rejected request is stored");

    // The generated client refuses the same mistakes before sending anything.
    let err = c
        .import_task_number_datas(&task, DataType::Json)
        .phone_number_list(records("x", 1001))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Validation { .. }) && err.to_string().contains("1001 items, at most 1000"), "{err}");
    let long = vec![CalleeRecord::new("1").out_id("y".repeat(129))];
    let err = c.import_task_number_datas(&task, DataType::Json).phone_number_list(long).send().await.unwrap_err();
    assert!(err.to_string().contains("PhoneNumberList[0].outId: 129 characters, at most 128"), "{err}");
    assert_eq!(emulator.stats().requests, 1 + 6 + 3, "only the task creation and the raw calls reached the emulator");
}

#[tokio::test]
async fn fault_drills() {
    let emulator = Emulator::new().access_key("k", "s").seed(7).start_local().await.unwrap();
    let c = client(&emulator, Credentials::new("k", "s"), SignatureVersion::V3);
    let task = create_task(&c).await;
    let import = || c.import_task_number_datas(&task, DataType::Json).phone_number_list(records("f", 2)).send();

    emulator.set_faults(Faults { throttle: 1.0, ..Faults::default() });
    let err = import().await.unwrap_err();
    let service = err.service_error().unwrap();
    assert_eq!(
        (service.code(), service.status(), service.retry_after()),
        ("Throttling.User", 429, Some(Duration::from_millis(50)))
    );

    emulator.set_faults(Faults { server_error: 1.0, ..Faults::default() });
    assert_eq!(import().await.unwrap_err().code(), Some("InternalError"));

    emulator.set_faults(Faults { drop_before: 1.0, ..Faults::default() });
    assert!(import().await.unwrap_err().is_outcome_unknown());
    assert_eq!(emulator.record_count(&task), Some(0), "nothing stored by throttling, 500s or drops before");

    emulator.set_faults(Faults { drop_after: 1.0, ..Faults::default() });
    assert!(import().await.unwrap_err().is_outcome_unknown());
    assert_eq!(emulator.record_count(&task), Some(2), "a drop after processing keeps the batch");

    emulator.set_faults(Faults { latency: Duration::from_millis(200), ..Faults::default() });
    let started = std::time::Instant::now();
    import().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(200));
    let stats = emulator.stats();
    assert_eq!((stats.throttled, stats.server_errors, stats.dropped_before, stats.dropped_after), (1, 1, 1, 1));
}

/// A JSON body's members are parameters like the query's: a signed request whose body repeats a query
/// parameter is refused, not read with one of the two values.
#[tokio::test]
async fn a_json_body_member_that_repeats_a_query_parameter_is_refused() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let service = service(&emulator);
    let mut p = Params::new();
    p.push(Location::Query, "TaskId", Style::Default, "1").unwrap();
    p.push(Location::Body, "TaskId", Style::Default, "2").unwrap();
    let meta = OperationMeta {
        action: "StartAiCallTask",
        method: Method::Post,
        idempotent: false,
        anonymous: false,
        protocol: acsgen::protocol::Protocol::Rpc,
    };
    let err = service.execute(&meta, &p).await.unwrap_err();
    assert_eq!((err.code(), err.service_error().unwrap().status()), (Some("InvalidParameter"), 400), "{err}");
    assert!(err.to_string().contains("The parameter `TaskId` is given more than once."), "{err}");
}

#[tokio::test]
async fn hostile_input_gets_a_clear_4xx() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let post = |body: &[u8], content_type: &str| {
        let mut wire = format!(
            "POST /?Action=ImportTaskNumberDatas HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        wire.extend_from_slice(body);
        wire
    };
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (post(b"PhoneNumberList=%zz%%&&==", "application/x-www-form-urlencoded"), 400, "IncompleteSignature"),
        (post(&[0xff, 0xfe, b'=', 0x80], "application/x-www-form-urlencoded"), 400, "InvalidParameter"),
        // A JSON body is read only once the request is known to be signed.
        (post(b"{not json", "application/json"), 400, "IncompleteSignature"),
        (post(b"[1,2]", "application/json"), 400, "IncompleteSignature"),
        // Percent-encoded invalid UTF-8 is refused like raw invalid UTF-8; so is a parameter given twice
        // and a body of more parameters than any operation takes — all before any signature check.
        (post(b"PhoneNumberList=%FF%FE", "application/x-www-form-urlencoded"), 400, "InvalidParameter"),
        (post(b"TaskId=1&TaskId=2", "application/x-www-form-urlencoded"), 400, "InvalidParameter"),
        // A chunked body whose framing breaks is refused as such, not read as the bytes before the break.
        (
            b"POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\n3\r\na=1\r\nzz\r\n".to_vec(),
            400,
            "InvalidRequest",
        ),
        (post("a&".repeat(5000).as_bytes(), "application/x-www-form-urlencoded"), 400, "InvalidParameter"),
        (b"DELETE / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(), 405, "UnsupportedHTTPMethod"),
        (b"GET /nope HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(), 404, "InvalidAction.NotFound"),
        (
            b"GET /?Signature=x&AccessKeyId=k HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
            400,
            "MissingParameter",
        ),
        (b"GET /?Action=A&Action=B HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(), 400, "InvalidParameter"),
        (
            b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\nauthorization: ACS3-HMAC-SHA256 garbage\r\n\r\n"
                .to_vec(),
            400,
            "IncompleteSignature",
        ),
        (
            b"GET /__emulator/tasks/nope/callees HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_vec(),
            404,
            "TaskNotExist",
        ),
        (
            format!("POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n\r\n", 64 * 1024 * 1024)
                .into_bytes(),
            413,
            "RequestTooLarge",
        ),
    ];
    for (request, status, code) in cases {
        let (got, body) = raw(&emulator, &request).await.expect("an answer");
        assert_eq!(
            (got, code_of(&body)),
            (status, code.to_owned()),
            "{}",
            String::from_utf8_lossy(&request[..request.len().min(80)])
        );
    }
    // A 1.2 MB header line: answered 431 (it was cut off without an answer).
    let long = format!("GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-long: {}\r\n\r\n", "h".repeat(1_200_000));
    let (status, body) = raw(&emulator, long.as_bytes()).await.expect("an answer");
    assert_eq!((status, code_of(&body)), (431, "RequestHeaderFieldsTooLarge".to_owned()));
    // Not HTTP at all: the connection is answered (400) or closed, promptly.
    let _ = raw(&emulator, b"\x00\x01garbage\r\n\r\n").await;
    // An oversized body that really arrives (17 MB, chunked, no length): refused without exhausting anything.
    let mut stream = tokio::net::TcpStream::connect(emulator.addr()).await.unwrap();
    stream.write_all(b"POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ntransfer-encoding: chunked\r\ncontent-type: application/x-www-form-urlencoded\r\n\r\n").await.unwrap();
    let chunk = vec![b'a'; 1024 * 1024];
    for _ in 0..17 {
        if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).await.is_err()
            || stream.write_all(&chunk).await.is_err()
            || stream.write_all(b"\r\n").await.is_err()
        {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut response)).await.expect("no hang");
    assert!(String::from_utf8_lossy(&response).contains("RequestTooLarge"));
    // Still serving.
    let c = client(&emulator, Credentials::new("k", "s"), SignatureVersion::V3);
    assert!(!create_task(&c).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_imports_lose_and_duplicate_nothing() {
    // The load benchmark's shape, smaller: 10 clients x 5 imports of 1,000 records.
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let c = client(&emulator, Credentials::new("k", "s"), SignatureVersion::V3);
    let mut handles = Vec::new();
    for worker in 0..10 {
        let c = c.clone();
        handles.push(tokio::spawn(async move {
            let task = create_task(&c).await;
            for round in 0..5 {
                c.import_task_number_datas(&task, DataType::Json)
                    .phone_number_list(records(&format!("w{worker}-r{round}"), 1000))
                    .send()
                    .await
                    .unwrap();
            }
            task
        }));
    }
    for handle in handles {
        let task = handle.await.unwrap();
        let stored = emulator.callees(&task).unwrap();
        assert_eq!(stored.len(), 5000);
        let mut ids: Vec<&str> = stored.iter().map(|s| s.record["outId"].as_str().unwrap()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 5000);
    }
}

/// Playing STS opens one door to unsigned requests — AssumeRoleWithOIDC of STS's version — and no other:
/// unsigned AssumeRole, GetCallerIdentity, an aiccs operation, or AssumeRoleWithOIDC under aiccs's version
/// are refused as unsigned. Lifetimes beyond STS's twelve hours are refused, not a crash.
#[tokio::test]
async fn sts_takes_unsigned_requests_only_for_assume_role_with_oidc() {
    use acsgen_emulator::{MetadataSettings, StsSettings};
    let emulator =
        Emulator::new().access_key("k", "s").sts(StsSettings::default()).metadata(MetadataSettings::default());
    let emulator = emulator.start_local().await.unwrap();
    let get = |query: &str| format!("GET /?{query} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").into_bytes();
    for (query, code) in [
        ("Action=AssumeRole&Version=2015-04-01&RoleArn=acs:ram::1:role/r&RoleSessionName=s", "IncompleteSignature"),
        ("Action=GetCallerIdentity&Version=2015-04-01", "IncompleteSignature"),
        ("Action=ImportTaskNumberDatas&Version=2019-10-15&TaskId=1", "IncompleteSignature"),
        ("Action=AssumeRoleWithOIDC&Version=2019-10-15", "IncompleteSignature"),
        (
            "Action=AssumeRoleWithOIDC&Version=2015-04-01&OIDCProviderArn=p&RoleArn=acs:ram::1:role/r&OIDCToken=t",
            "AuthenticationFail.OIDCToken.Invalid",
        ),
    ] {
        let (status, body) = raw(&emulator, &get(query)).await.expect("an answer");
        assert_eq!((status, code_of(&body)), (400, code.to_owned()), "{query}");
    }
    // Signed, with a lifetime of 2^64 - 1 seconds: refused.
    let config =
        Config::builder().endpoint(emulator.endpoint()).credentials(Credentials::new("k", "s")).build().unwrap();
    let sts = acsgen::sts::Client::new(&config);
    let call = sts.assume_role("acs:ram::1:role/r", "s").duration_seconds(i64::MAX);
    let error = call.send().await.unwrap_err();
    assert_eq!(error.code(), Some("InvalidParameter.DurationSeconds"), "{error}");
    assert!(emulator.stats().sts_issued == 0);
    assert!(sts.get_caller_identity().send().await.unwrap().user_id.as_deref() == Some("k"));
}

/// Serving a ROA spec lets other paths and methods reach the emulator, but aiccs stays RPC: off `/` or by
/// PUT its operations are refused as before; the ROA operation is served at its path.
#[tokio::test]
async fn a_roa_spec_leaves_aiccs_at_its_path_and_methods() {
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/specs/roa.json");
    let emulator = Emulator::new().access_key("k", "s").spec_file(spec).unwrap().start_local().await.unwrap();
    let service = service(&emulator);
    let task = emulator.create_task();
    let mut p = Params::new();
    p.push(Location::Query, "TaskId", Style::Default, &task).unwrap();
    for (method, path, status, code) in
        [(Method::Put, "/", 405, "UnsupportedHTTPMethod"), (Method::Post, "/some/where", 404, "InvalidAction.NotFound")]
    {
        let protocol = acsgen::protocol::Protocol::Roa { path };
        let meta = OperationMeta { action: "StartAiCallTask", method, idempotent: false, anonymous: false, protocol };
        let err = service.execute(&meta, &p).await.unwrap_err();
        assert_eq!((err.code(), err.service_error().unwrap().status()), (Some(code), status), "{path}");
    }
    let start = OperationMeta {
        action: "StartAiCallTask",
        method: Method::Post,
        idempotent: false,
        anonymous: false,
        protocol: acsgen::protocol::Protocol::Rpc,
    };
    assert_eq!(service.execute(&start, &p).await.unwrap().body["Data"], json!(true), "at `/` it is served");
    let statuses: Vec<u16> = emulator.calls_of("StartAiCallTask").iter().map(|c| c.status).collect();
    assert_eq!(statuses, [405, 404, 200]);
}

/// The ready client's paginator over a task's call details: every imported record once, a page of 7 at a
/// time, the total ending the walk.
#[tokio::test]
async fn the_ready_client_walks_a_tasks_call_details() {
    use futures_util::StreamExt as _;
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let client = client(&emulator, Credentials::new("k", "s"), SignatureVersion::V3);
    let task = create_task(&client).await;
    for prefix in ["a", "b"] {
        let import =
            client.import_task_number_datas(task.as_str(), DataType::Json).phone_number_list(records(prefix, 125));
        import.send().await.unwrap();
    }
    let details: Vec<_> = client.query_ai_call_detail_page(task.as_str(), 0).page_size(7).items().collect().await;
    let out_ids: Vec<String> = details.into_iter().map(|d| d.unwrap().out_id.unwrap()).collect();
    let expected: Vec<String> = ["a", "b"].iter().flat_map(|p| (0..125).map(move |i| format!("{p}-{i}"))).collect();
    assert_eq!(out_ids, expected, "in import order, each once");
    assert_eq!(emulator.stats().requests, 1 + 2 + 250_u64.div_ceil(7), "one call a page, none after the last");
}
