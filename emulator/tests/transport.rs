//! The emulator at the transport level, as a client or an attacker sees it: request smuggling (a length and
//! chunking together, two lengths), path traversal, nonce replay across actions and signature versions, the
//! 15-minute time window on both sides and for both versions, hundreds of idle connections, and a slowloris
//! trickle — each refused cleanly or shrugged off, with the server still serving.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use acsgen::aiccs::{CalleeRecord, Client, DataType, ImportTaskNumberDatasRequest, StartAiCallTaskRequest};
use acsgen::credentials::Credentials;
use acsgen::sign::SignatureVersion;
use acsgen::{Config, RetryPolicy, ServiceClient, SignedRequest};
use acsgen_emulator::{Emulator, RunningEmulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod common;

fn config(emulator: &RunningEmulator, version: SignatureVersion) -> Config {
    Config::builder()
        .endpoint(emulator.endpoint())
        .credentials(Credentials::new("k", "s"))
        .signature_version(version)
        .retry_policy(RetryPolicy::disabled())
        .attempt_timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn client(emulator: &RunningEmulator, version: SignatureVersion) -> Client {
    Client::new(&config(emulator, version))
}

/// A normal signed call through the generated client, which must succeed within 5 seconds.
async fn normal_call(emulator: &RunningEmulator) {
    let task = emulator.create_task();
    let client = client(emulator, SignatureVersion::V3);
    let call = client.start_ai_call_task(&task).send();
    let answer = tokio::time::timeout(Duration::from_secs(5), call).await.expect("answered promptly").unwrap();
    assert_eq!(answer.data, Some(true));
}

/// Writes `request` on a fresh connection and reads until the server closes it (`true`) or `wait` passes
/// (`false`); returns what was read and whether the server closed.
async fn exchange(emulator: &RunningEmulator, request: &[u8], wait: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(emulator.addr()).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let closed = tokio::time::timeout(wait, stream.read_to_end(&mut response)).await.is_ok();
    (String::from_utf8_lossy(&response).into_owned(), closed)
}

/// How many HTTP responses `text` holds (their status lines).
fn answers(text: &str) -> usize {
    text.matches("HTTP/1.1 ").count()
}

fn status_of(text: &str) -> u16 {
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn code_of(text: &str) -> String {
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["Code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.to_owned())
}

/// Sends an already-signed request as it is, body included, over a fresh connection: (status, code).
async fn send_signed(emulator: &RunningEmulator, signed: &SignedRequest) -> (u16, String) {
    let (text, closed) = exchange(emulator, &common::wire_of(signed), Duration::from_secs(10)).await;
    assert!(closed, "the connection hung: {text}");
    (status_of(&text), code_of(&text))
}

/// Smuggling with a length and chunking together: the emulator reads the body as chunked (the length is
/// ignored), answers that one request and closes the connection — so bytes after the chunked body, or a
/// request hidden inside a chunk where the length would have ended the body, never get an answer of their
/// own. A front end and the emulator cannot be made to disagree about where a request ends.
#[tokio::test]
async fn a_length_with_chunking_is_read_as_chunked_and_answered_once() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let smuggled = "GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n";
    // CL.TE: the length covers everything; chunking ends the body at the zero chunk, before the smuggled request.
    let body = format!("0\r\n\r\n{smuggled}");
    let cl_te = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\ntransfer-encoding: chunked\r\n\r\n{body}",
        body.len()
    );
    // TE.CL: the length would end the body after 4 bytes, leaving the smuggled request to be read as the next.
    let chunk = format!("{:x}\r\n{smuggled}\r\n0\r\n\r\n", smuggled.len());
    let te_cl = format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\ntransfer-encoding: chunked\r\n\r\n{chunk}");
    // Header order and case do not matter.
    let te_first =
        format!("POST / HTTP/1.1\r\nhost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n{chunk}");
    for request in [cl_te, te_cl, te_first] {
        let (text, closed) = exchange(&emulator, request.as_bytes(), Duration::from_secs(5)).await;
        assert!(closed, "the server keeps a connection open after a length with chunking: {text}");
        assert_eq!(answers(&text), 1, "{request:?} got {text}");
        // The POST itself, unsigned: not the smuggled GET's 404.
        assert_eq!((status_of(&text), code_of(&text)), (400, "IncompleteSignature".to_owned()), "{request:?}");
        assert!(!text.contains("InvalidAction.NotFound"), "{text}");
    }
    // The same smuggled bytes after a plain length-delimited request on a kept-alive connection are answered:
    // the check above would notice a server that simply never reads a second request.
    let pipelined = format!("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n{smuggled}");
    let (text, _) = exchange(&emulator, pipelined.as_bytes(), Duration::from_secs(2)).await;
    assert_eq!(answers(&text), 2, "{text}");
    assert!(text.contains("InvalidAction.NotFound"), "{text}");
    normal_call(&emulator).await;
}

/// Smuggling with lengths that disagree — two differing `Content-Length` headers, a list in one, a transfer
/// coding other than chunked, or an obfuscated `Transfer-Encoding` name — is refused with a bare 400 (the HTTP layer's, no vendor body) and
/// the connection closed, before anything in the body is read as a request. Two equal lengths are one length.
#[tokio::test]
async fn conflicting_lengths_are_refused_before_any_body_is_read() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let smuggled = "GET /smuggled HTTP/1.1\r\nhost: x\r\n\r\n";
    let heads = [
        "content-length: 4\r\ncontent-length: 40",
        "content-length: 40\r\ncontent-length: 4",
        "content-length: 4, 40",
        "content-length: 4\r\ntransfer-encoding: identity",
        "content-length: 4\r\ntransfer-encoding: chunked, identity",
        // An obfuscated coding (a space before the colon) that a lenient front end might skip.
        "transfer-encoding : chunked\r\ncontent-length: 4",
    ];
    for head in heads {
        let request = format!("POST / HTTP/1.1\r\nhost: x\r\n{head}\r\n\r\n{smuggled}");
        let (text, closed) = exchange(&emulator, request.as_bytes(), Duration::from_secs(5)).await;
        assert!(closed, "{head:?}: the connection stayed open: {text}");
        assert_eq!(answers(&text), 1, "{head:?} got {text}");
        assert_eq!(status_of(&text), 400, "{head:?} got {text}");
        assert_eq!(code_of(&text), "", "{head:?}: an empty body, not the smuggled request's answer: {text}");
    }
    // Two equal lengths: read as that length, the request answered once (unsigned), nothing smuggled.
    let body = "x".repeat(smuggled.len());
    let same = format!(
        "POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {n}\r\ncontent-length: {n}\r\n\r\n{body}",
        n = body.len()
    );
    let (text, closed) = exchange(&emulator, same.as_bytes(), Duration::from_secs(5)).await;
    assert!(closed && answers(&text) == 1, "{text}");
    assert_eq!((status_of(&text), code_of(&text)), (400, "IncompleteSignature".to_owned()));
    normal_call(&emulator).await;
}

/// Paths that climb out of the root — raw, percent-encoded, through the inspection endpoint, in absolute
/// form — are answered with the vendor's 404 JSON error, never with a file's contents.
#[tokio::test]
async fn path_traversal_gets_a_vendor_404() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let task = emulator.create_task();
    let cases = [
        ("/../../etc/passwd", "InvalidAction.NotFound"),
        ("/%2e%2e/%2e%2e/etc/passwd", "InvalidAction.NotFound"),
        ("/..%2f..%2fetc%2fpasswd", "InvalidAction.NotFound"),
        ("/..\\..\\etc\\passwd", "InvalidAction.NotFound"),
        ("/./?Action=StartAiCallTask", "InvalidAction.NotFound"),
        ("http://x/../../etc/passwd", "InvalidAction.NotFound"),
        ("/__emulator/tasks/../../x/callees", "NotFound"),
        ("/__emulator/../../etc/passwd", "NotFound"),
        (&format!("/__emulator/tasks/{task}/../../../etc/passwd"), "NotFound"),
        ("/__emulator/tasks/%2e%2e%2f%2e%2e%2fetc%2fpasswd/callees", "TaskNotExist"),
        ("/__emulator/tasks/../callees", "TaskNotExist"),
    ];
    for (target, code) in cases {
        let request = format!("GET {target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        let (text, closed) = exchange(&emulator, request.as_bytes(), Duration::from_secs(5)).await;
        assert!(closed, "{target}: the connection hung");
        assert_eq!((status_of(&text), code_of(&text)), (404, code.to_owned()), "{target}: {text}");
        assert!(text.contains("application/json") && !text.contains("root:"), "{target}: {text}");
    }
    // A target that is not a path at all: the HTTP layer's bare 400.
    let (text, closed) =
        exchange(&emulator, b"GET ../../etc/passwd HTTP/1.1\r\nhost: x\r\n\r\n", Duration::from_secs(5)).await;
    assert!(closed && status_of(&text) == 400 && code_of(&text).is_empty(), "{text}");
    // The real inspection path still answers, so the 404s above are not the endpoint being gone.
    let request = format!("GET /__emulator/tasks/{task}/callees HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    let (text, _) = exchange(&emulator, request.as_bytes(), Duration::from_secs(5)).await;
    assert_eq!((status_of(&text), code_of(&text)), (200, "[]".to_owned()), "{text}");
}

/// A signature nonce is spent once per access key, whatever the action and whatever the signature
/// version: a captured nonce reused in a correctly signed request of another action is refused with
/// `SignatureNonceUsed`, and that request does nothing.
#[tokio::test]
async fn a_nonce_is_refused_when_reused_by_another_action_or_signature_version() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let creds = Credentials::new("k", "s");
    let v3 = ServiceClient::new(&config(&emulator, SignatureVersion::V3), &acsgen::aiccs::SERVICE);
    let v1 = ServiceClient::new(&config(&emulator, SignatureVersion::V1), &acsgen::aiccs::SERVICE);
    let task = emulator.create_task();
    let start = StartAiCallTaskRequest::new(task.as_str());
    let mut import = ImportTaskNumberDatasRequest::new(task.as_str(), DataType::Json);
    import.phone_number_list = Some(vec![CalleeRecord::new("13800000000"), CalleeRecord::new("13800000001")]);
    let now = SystemTime::now;

    // V3 StartAiCallTask spends the nonce; V3 and V1 ImportTaskNumberDatas with it are refused.
    let first = v3.build_request(&start, &creds, now(), "nonce-a").unwrap();
    assert_eq!(send_signed(&emulator, &first).await, (200, "OK".to_owned()));
    for service in [&v3, &v1] {
        let replay = service.build_request(&import, &creds, now(), "nonce-a").unwrap();
        assert_eq!(send_signed(&emulator, &replay).await, (400, "SignatureNonceUsed".to_owned()));
    }
    assert_eq!(emulator.record_count(&task), Some(0), "a refused replay stores nothing");

    // V1 ImportTaskNumberDatas spends another; V3 StartAiCallTask with it is refused.
    let first = v1.build_request(&import, &creds, now(), "nonce-b").unwrap();
    assert_eq!(send_signed(&emulator, &first).await, (200, "OK".to_owned()));
    assert_eq!(emulator.record_count(&task), Some(2));
    let replay = v3.build_request(&start, &creds, now(), "nonce-b").unwrap();
    assert_eq!(send_signed(&emulator, &replay).await, (400, "SignatureNonceUsed".to_owned()));

    // The refused requests were signed correctly: with fresh nonces the same requests are accepted.
    let fresh = v3.build_request(&import, &creds, now(), "nonce-c").unwrap();
    assert_eq!(send_signed(&emulator, &fresh).await, (200, "OK".to_owned()));
    assert_eq!(emulator.record_count(&task), Some(4));
    let fresh = v3.build_request(&start, &creds, now(), "nonce-d").unwrap();
    assert_eq!(send_signed(&emulator, &fresh).await.0, 200);
    assert_eq!(emulator.stats().rejected, 3);
}

/// The 15-minute window holds on both sides and for both signature versions: a client whose clock is
/// 16 minutes behind or ahead of the service (V3 `x-acs-date`, V1 `Timestamp`) is refused with
/// `InvalidTimeStamp.Expired` (HTTP 400); 14 minutes either way is accepted.
#[tokio::test]
async fn sixteen_minutes_either_way_is_refused_for_v3_and_v1() {
    for version in [SignatureVersion::V3, SignatureVersion::V1] {
        for minutes in [16i64, -16, 14, -14] {
            // The emulator's clock runs `minutes` ahead: the client's is that much behind it.
            let emulator = Emulator::new().access_key("k", "s").clock_offset(minutes * 60).start_local().await.unwrap();
            let task = emulator.create_task();
            let result = client(&emulator, version).start_ai_call_task(&task).send().await;
            if minutes.abs() < 15 {
                assert_eq!(result.unwrap().data, Some(true), "{version:?} {minutes:+} min");
                continue;
            }
            let err = result.unwrap_err();
            let service = err.service_error().unwrap_or_else(|| panic!("{version:?} {minutes:+} min: {err}"));
            assert_eq!(
                (service.code(), service.status()),
                ("InvalidTimeStamp.Expired", 400),
                "{version:?} {minutes:+} min: {err}"
            );
            assert_eq!(emulator.stats().rejected, 1);
        }
    }
    // A captured request replayed 16 minutes after it was signed (or dated 16 minutes ahead): refused too.
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let task = emulator.create_task();
    let request = StartAiCallTaskRequest::new(task.as_str());
    let sixteen = Duration::from_secs(16 * 60);
    for version in [SignatureVersion::V3, SignatureVersion::V1] {
        let service = ServiceClient::new(&config(&emulator, version), &acsgen::aiccs::SERVICE);
        for (i, time) in [SystemTime::now() - sixteen, SystemTime::now() + sixteen].into_iter().enumerate() {
            let signed = service
                .build_request(&request, &Credentials::new("k", "s"), time, &format!("{version:?}-{i}"))
                .unwrap();
            assert_eq!(send_signed(&emulator, &signed).await, (400, "InvalidTimeStamp.Expired".to_owned()));
        }
    }
}

/// Hundreds of connections that send nothing, or half a request line, and wait: a normal client is still
/// served promptly meanwhile, and after they go away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_idle_connections_do_not_block_a_normal_call() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let mut idle = Vec::with_capacity(500);
    for i in 0..500 {
        let mut stream = TcpStream::connect(emulator.addr()).await.unwrap();
        if i % 2 == 1 {
            stream.write_all(b"POST /?Action=StartAiCall").await.unwrap();
        }
        idle.push(stream);
    }
    normal_call(&emulator).await;
    normal_call(&emulator).await;
    // The idle connections are still open (the server has not answered or closed them yet): the calls
    // above were served alongside them.
    let mut byte = [0u8; 1];
    for stream in idle.iter_mut().step_by(50) {
        let read = tokio::time::timeout(Duration::from_millis(20), stream.read(&mut byte)).await;
        assert!(read.is_err(), "an idle connection was answered or closed: {read:?}");
    }
    drop(idle);
    normal_call(&emulator).await;
}

/// A slowloris client, trickling its headers a byte every 100 ms, does not hold up other clients; the
/// emulator gives up on it (without answering) once the 10-second header timeout of `server.rs` passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_trickle_does_not_block_others_and_is_cut_off() {
    let emulator = Emulator::new().access_key("k", "s").start_local().await.unwrap();
    let connected = Instant::now();
    let (mut reader, mut writer) = TcpStream::connect(emulator.addr()).await.unwrap().into_split();
    let sent = Arc::new(AtomicUsize::new(0));
    let trickle = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let head = format!("POST / HTTP/1.1\r\nhost: x\r\nx-slow: {}", "a".repeat(200));
            for byte in head.as_bytes() {
                if writer.write_all(&[*byte]).await.is_err() {
                    break;
                }
                sent.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let before = sent.load(Ordering::SeqCst);
    normal_call(&emulator).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sent.load(Ordering::SeqCst) > before, "the trickle was still going during the call");

    // The header timeout (10 s from the connection's start) ends it: closed, with no answer.
    let mut response = Vec::new();
    let deadline = Duration::from_secs(14).saturating_sub(connected.elapsed());
    let read = tokio::time::timeout(deadline, reader.read_to_end(&mut response)).await;
    assert!(read.is_ok(), "the trickling connection was still open after {:?}", connected.elapsed());
    assert!(response.is_empty(), "{}", String::from_utf8_lossy(&response));
    assert!(sent.load(Ordering::SeqCst) < 200, "the whole head was accepted");
    trickle.abort();
    normal_call(&emulator).await;
}
