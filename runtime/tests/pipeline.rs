//! The call pipeline against a scripted local server: every error shape, the retry rules (what is resent
//! and what is not), time limits, and that secrets never reach logs, `Debug` or `Display`.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acsgen::credentials::Credentials;
use acsgen::sign::SignatureVersion;
use acsgen::{Config, Error, RetryPolicy, ServiceClient};
use serde_json::json;
use support::{IDEMPOTENT, NON_IDEMPOTENT, Ping, SERVICE, ScriptedServer, Step};

fn config(endpoint: &str, retry: RetryPolicy) -> Config {
    Config::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new("test-id", "test-secret"))
        .retry_policy(retry)
        .build()
        .unwrap()
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(attempts).with_backoff(Duration::from_millis(20), Duration::from_millis(100))
}

async fn call(server: &ScriptedServer, retry: RetryPolicy, idempotent: bool) -> Result<acsgen::RawResponse, Error> {
    let client = ServiceClient::new(&config(&server.endpoint, retry), &SERVICE);
    let meta = if idempotent { &IDEMPOTENT } else { &NON_IDEMPOTENT };
    client.execute(meta, &Ping::new("hello").params().unwrap()).await
}

/// Every error shape the service sends, read into one error type with all its fields.
#[tokio::test]
async fn error_shapes() {
    struct Case {
        step: Step,
        status: u16,
        code: &'static str,
        message: &'static str,
        request_id: Option<&'static str>,
        display: &'static [&'static str],
    }
    let retry_after = |ms: &str| vec![("x-acs-retry-after".to_owned(), ms.to_owned())];
    let cases = vec![
        Case {
            step: Step::json(400, json!({"Code":"InvalidParameter","Message":"TaskId is invalid","RequestId":"r-400","HostId":"aiccs.aliyuncs.com","Recommend":"https://api.aliyun.com/troubleshoot?q=InvalidParameter"})),
            status: 400, code: "InvalidParameter", message: "TaskId is invalid", request_id: Some("r-400"),
            display: &["InvalidParameter", "TaskId is invalid", "r-400"],
        },
        Case {
            step: Step::json(403, json!({"Code":"Forbidden.RAM","Message":"denied","RequestId":"r-403","AccessDeniedDetail":"{\"PolicyType\":\"AccountLevelIdentityBasedPolicy\"}"})),
            status: 403, code: "Forbidden.RAM", message: "denied", request_id: Some("r-403"), display: &["Forbidden.RAM", "r-403"],
        },
        Case {
            step: Step::json(200, json!({"Code":"TaskNotExist","Message":"task not found","RequestId":"r-200","Success":false})),
            status: 200, code: "TaskNotExist", message: "task not found", request_id: Some("r-200"),
            display: &["TaskNotExist", "task not found", "r-200", "HTTP 200"],
        },
        Case {
            step: Step::json(400, json!({"Code":"InvalidTimeStamp.Expired","Message":"Specified time stamp or date value is expired.","RequestId":"r-ts"})),
            status: 400, code: "InvalidTimeStamp.Expired", message: "Specified time stamp or date value is expired.", request_id: Some("r-ts"),
            display: &["InvalidTimeStamp.Expired", "check this machine's clock"],
        },
        Case {
            step: Step::json(400, json!({"Code":"IllegalTimestamp","Message":"skewed","RequestId":"r-ts2"})),
            status: 400, code: "IllegalTimestamp", message: "skewed", request_id: Some("r-ts2"), display: &["clock"],
        },
        Case {
            step: Step::json(404, json!({"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found.","RequestId":"r-404"})),
            status: 404, code: "InvalidAccessKeyId.NotFound", message: "Specified access key is not found.", request_id: Some("r-404"),
            display: &["access key ID is unknown"],
        },
        Case {
            step: Step::Respond { status: 429, headers: retry_after("1500"), body: json!({"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"r-429"}).to_string() },
            status: 429, code: "Throttling.User", message: "Request was denied due to user flow control.", request_id: Some("r-429"), display: &["Throttling.User"],
        },
        Case {
            step: Step::Respond { status: 502, headers: vec![], body: "<html>bad gateway</html>".into() },
            status: 502, code: "HTTP502", message: "HTTP 502 with a body that is not a JSON object (24 bytes)", request_id: None, display: &["HTTP502"],
        },
    ];
    for case in cases {
        let server = ScriptedServer::start(vec![case.step.clone()]).await;
        let err = call(&server, RetryPolicy::disabled(), false).await.unwrap_err();
        let service = err.service_error().unwrap_or_else(|| panic!("{:?}: {err}", case.step));
        assert_eq!(
            (service.status(), service.code(), service.message(), service.request_id()),
            (case.status, case.code, case.message, case.request_id)
        );
        let shown = err.to_string();
        for part in case.display {
            assert!(shown.contains(part), "`{shown}` lacks `{part}`");
        }
        assert!(!service.raw_body().is_empty());
    }

    // The optional fields, from the first two shapes.
    let server = ScriptedServer::start(vec![
        Step::json(400, json!({"Code":"X","Message":"m","RequestId":"r","HostId":"h","Recommend":"https://r"})),
        Step::json(403, json!({"Code":"Y","Message":"m","RequestId":"r","AccessDeniedDetail":"detail"})),
        Step::Respond { status: 429, headers: retry_after("1500"), body: json!({"Code":"Throttling"}).to_string() },
    ])
    .await;
    let e = call(&server, RetryPolicy::disabled(), false).await.unwrap_err();
    let s = e.service_error().unwrap();
    assert_eq!((s.host_id(), s.recommend(), s.access_denied_detail()), (Some("h"), Some("https://r"), None));
    let e = call(&server, RetryPolicy::disabled(), false).await.unwrap_err();
    assert_eq!(e.service_error().unwrap().access_denied_detail(), Some("detail"));
    let e = call(&server, RetryPolicy::disabled(), false).await.unwrap_err();
    assert_eq!(e.service_error().unwrap().retry_after(), Some(Duration::from_millis(1500)));
}

/// A 200 whose body is not JSON: for a non-idempotent call the outcome is unknown; otherwise a decode error.
#[tokio::test]
async fn unreadable_success_bodies() {
    let not_json = || Step::Respond { status: 200, headers: vec![], body: "not json".into() };
    let server = ScriptedServer::start(vec![not_json()]).await;
    assert!(call(&server, RetryPolicy::disabled(), false).await.unwrap_err().is_outcome_unknown());
    let server = ScriptedServer::start(vec![not_json()]).await;
    let err = call(&server, RetryPolicy::disabled(), true).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
}

#[tokio::test]
async fn throttling_is_retried_with_backoff_and_resigned() {
    let server = ScriptedServer::start(vec![
        Step::Respond {
            status: 400,
            headers: vec![("x-acs-retry-after".into(), "120".into())],
            body: json!({"Code":"Throttling.User","Message":"slow down","RequestId":"t1"}).to_string(),
        },
        Step::json(503, json!({"Code":"Throttling","Message":"slow down","RequestId":"t2"})),
        Step::ok(),
    ])
    .await;
    let started = Instant::now();
    let policy = RetryPolicy::new(3).with_backoff(Duration::from_millis(100), Duration::from_secs(1));
    let answer = call(&server, policy, false).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(answer.request_id.as_deref(), Some("req-ok"));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // 120 ms as the service asked, then at least half of the second backoff step (200 ms).
    assert!(elapsed >= Duration::from_millis(220), "{elapsed:?}");
    let nonces: Vec<_> = requests.iter().map(|r| r.header("x-acs-signature-nonce").unwrap().to_owned()).collect();
    assert!(nonces[0] != nonces[1] && nonces[1] != nonces[2], "each attempt is signed afresh");
    assert_eq!(requests[0].header("x-acs-retry-attempts"), None);
    assert_eq!(requests[1].header("x-acs-retry-attempts"), Some("1"));
    assert_eq!(requests[1].header("x-acs-retry-delay"), Some("120"));
    assert_eq!(requests[2].header("x-acs-retry-attempts"), Some("2"));
}

/// A loopback port held by this test (bound, not listening): connecting to it is refused.
fn closed_port() -> tokio::net::TcpSocket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket
}

#[tokio::test]
async fn connect_failure_is_retried() {
    // A port that is bound but not listening refuses connections, and no other test can take it; it
    // starts listening after the first attempt.
    let socket = closed_port();
    let endpoint = format!("http://{}", socket.local_addr().unwrap());
    let received = Arc::new(Mutex::new(None));
    let slot = received.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let listener = socket.listen(16).unwrap();
        *slot.lock().unwrap() = Some(ScriptedServer::serve(listener, vec![Step::ok()]));
    });
    let policy = RetryPolicy::new(4).with_backoff(Duration::from_millis(200), Duration::from_millis(400));
    let client = ServiceClient::new(&config(&endpoint, policy), &SERVICE);
    let answer = client.execute(&NON_IDEMPOTENT, &Ping::new("x").params().unwrap()).await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(received.lock().unwrap().as_ref().unwrap().requests().len(), 1);

    // With nothing listening at all, the error says the request was never delivered.
    let held = closed_port();
    let dead = format!("http://{}", held.local_addr().unwrap());
    let client = ServiceClient::new(&config(&dead, fast_retries(2)), &SERVICE);
    let err = client.execute(&NON_IDEMPOTENT, &Ping::new("x").params().unwrap()).await.unwrap_err();
    assert!(matches!(err, Error::Connect { .. }) && err.is_not_sent(), "{err}");
}

#[tokio::test]
async fn dropped_connection_after_sending_is_not_resent_for_non_idempotent_calls() {
    let server = ScriptedServer::start(vec![Step::DropAfterRead, Step::ok()]).await;
    let err = call(&server, fast_retries(3), false).await.unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert!(err.to_string().contains("not idempotent"), "{err}");
    assert_eq!(server.requests().len(), 1, "sent once, never again");

    // The same failure is retried for an idempotent operation.
    let server = ScriptedServer::start(vec![Step::DropAfterRead, Step::ok()]).await;
    assert_eq!(call(&server, fast_retries(3), true).await.unwrap().status, 200);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn server_errors_are_resent_only_when_idempotent() {
    let internal = || Step::json(500, json!({"Code":"InternalError","Message":"oops","RequestId":"e"}));
    let server = ScriptedServer::start(vec![internal(), Step::ok()]).await;
    let err = call(&server, fast_retries(3), false).await.unwrap_err();
    assert_eq!(err.code(), Some("InternalError"));
    assert_eq!(server.requests().len(), 1);

    let server = ScriptedServer::start(vec![internal(), Step::ok()]).await;
    assert!(call(&server, fast_retries(3), true).await.is_ok());
    assert_eq!(server.requests().len(), 2);

    // ServiceUnavailable and nonce rejections mean the service did nothing: resent even when not idempotent.
    let server = ScriptedServer::start(vec![
        Step::json(503, json!({"Code":"ServiceUnavailable","Message":"busy","RequestId":"u"})),
        Step::json(400, json!({"Code":"SignatureNonceUsed","Message":"nonce","RequestId":"n"})),
        Step::ok(),
    ])
    .await;
    assert!(call(&server, fast_retries(3), false).await.is_ok());
    assert_eq!(server.requests().len(), 3);

    // Business errors are final.
    let server =
        ScriptedServer::start(vec![Step::json(400, json!({"Code":"InvalidParameter","Message":"m"})), Step::ok()])
            .await;
    assert!(call(&server, fast_retries(3), true).await.is_err());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn attempt_and_call_time_limits() {
    let config = |endpoint: &str, retry| {
        Config::builder()
            .endpoint(endpoint)
            .credentials(Credentials::new("id", "secret"))
            .retry_policy(retry)
            .attempt_timeout(Duration::from_millis(200))
            .build()
            .unwrap()
    };
    let server = ScriptedServer::start(vec![Step::Stall(Duration::from_secs(2)), Step::ok()]).await;
    let client = ServiceClient::new(&config(&server.endpoint, fast_retries(3)), &SERVICE);
    let err = client.execute(&NON_IDEMPOTENT, &Ping::new("x").params().unwrap()).await.unwrap_err();
    assert!(err.is_outcome_unknown() && err.to_string().contains("no answer within"), "{err}");
    assert_eq!(server.requests().len(), 1);

    let server = ScriptedServer::start(vec![Step::Stall(Duration::from_secs(2)), Step::ok()]).await;
    let client = ServiceClient::new(&config(&server.endpoint, fast_retries(3)), &SERVICE);
    assert!(client.execute(&IDEMPOTENT, &Ping::new("x").params().unwrap()).await.is_ok());

    let server = ScriptedServer::start(vec![Step::Stall(Duration::from_secs(2)); 5]).await;
    let config = Config::builder()
        .endpoint(&server.endpoint)
        .credentials(Credentials::new("id", "secret"))
        .retry_policy(fast_retries(5))
        .attempt_timeout(Duration::from_millis(200))
        .call_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = ServiceClient::new(&config, &SERVICE)
        .execute(&IDEMPOTENT, &Ping::new("x").params().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
}

#[tokio::test]
async fn validation_happens_before_any_io() {
    let server = ScriptedServer::start(vec![Step::ok()]).await;
    let client = ServiceClient::new(&config(&server.endpoint, RetryPolicy::disabled()), &SERVICE);
    let err = client.send(&Ping::new(&"x".repeat(65))).await.unwrap_err();
    assert_eq!(err.to_string(), "Ping: invalid request, nothing was sent: Text: 65 characters, at most 64");
    assert!(err.is_not_sent());
    assert!(server.requests().is_empty());
    let answer = client.send(&Ping::new("fine")).await.unwrap();
    assert_eq!(answer["Data"], 1);
}

/// A writer that keeps everything the tracing subscriber prints.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn secrets_tokens_signatures_and_phone_numbers_stay_out_of_logs_debug_and_display() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let secret = "SECRET-abc123xyz";
    let token = "TOKEN-sts-987654";
    let phone = "13800000000";
    let mut shown = String::new();
    let mut signatures = Vec::new();
    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            for version in [SignatureVersion::V3, SignatureVersion::V1] {
                let server = ScriptedServer::start(vec![
                    Step::json(400, json!({"Code":"Throttling.User","Message":"m","RequestId":"r1"})),
                    Step::ok(),
                    Step::json(400, json!({"Code":"InvalidParameter","Message":"bad","RequestId":"r2"})),
                    Step::DropAfterRead,
                ])
                .await;
                let config = Config::builder()
                    .endpoint(&server.endpoint)
                    .credentials(Credentials::sts("visible-key-id", secret, token))
                    .signature_version(version)
                    .retry_policy(fast_retries(2))
                    .build()
                    .unwrap();
                let client = ServiceClient::new(&config, &SERVICE);
                let params = Ping::new(phone).params().unwrap();
                let ok = client.execute(&NON_IDEMPOTENT, &params).await.unwrap();
                let bad = client.execute(&NON_IDEMPOTENT, &params).await.unwrap_err();
                let dropped = client.execute(&NON_IDEMPOTENT, &params).await.unwrap_err();
                shown.push_str(&format!("{config:?} {client:?} {ok:?} {bad} {bad:?} {dropped} {dropped:?} {params:?}"));
                for request in server.requests() {
                    if let Some(auth) = request.header("authorization") {
                        signatures.push(auth.rsplit("Signature=").next().unwrap().to_owned());
                    }
                    if let Some((_, sig)) = request.query().into_iter().find(|(k, _)| k == "Signature") {
                        signatures.push(sig);
                    }
                    assert!(
                        request.header("x-acs-security-token") == Some(token)
                            || request.query().iter().any(|(k, v)| k == "SecurityToken" && v == token),
                        "the token is sent to the service"
                    );
                }
            }
        })
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("acsgen.call") && logs.contains("Ping") && logs.contains("retrying"), "{logs}");
    assert!(logs.contains("request_id") && logs.contains("latency_ms") && logs.contains("attempt"), "{logs}");
    assert_eq!(signatures.len(), 8, "every request was signed");
    let everything = format!("{logs}\n{shown}");
    for needle in [secret, token, phone].iter().map(|s| s.to_string()).chain(signatures) {
        assert!(!everything.contains(&needle), "`{needle}` leaked:\n{everything}");
    }
    assert!(shown.contains("visible-key-id"), "the key ID itself is not secret");
}

/// A provider that must not be asked: an anonymous operation needs no credentials.
#[derive(Debug)]
struct Unreachable;

impl acsgen::credentials::ProvideCredentials for Unreachable {
    fn provide_credentials(&self) -> acsgen::credentials::CredentialsFuture<'_> {
        panic!("an anonymous operation asked for credentials")
    }
}

/// An anonymous operation (STS AssumeRoleWithOIDC) goes out with the protocol's own parameters and
/// neither an access key nor a signature, in both signature styles, and never asks for credentials.
#[tokio::test]
async fn anonymous_operations_are_sent_unsigned() {
    const ANONYMOUS: acsgen::OperationMeta = acsgen::OperationMeta {
        action: "AssumeRoleWithOIDC",
        method: acsgen::Method::Post,
        idempotent: false,
        anonymous: true,
        protocol: acsgen::protocol::Protocol::Rpc,
    };
    for version in [SignatureVersion::V3, SignatureVersion::V1] {
        let server = ScriptedServer::start(vec![Step::ok()]).await;
        let config = Config::builder()
            .endpoint(&server.endpoint)
            .credentials(Unreachable)
            .signature_version(version)
            .build()
            .unwrap();
        let client = ServiceClient::new(&config, &SERVICE);
        client.execute(&ANONYMOUS, &Ping::new("hello").params().unwrap()).await.unwrap();
        let sent = &server.requests()[0];
        let names: Vec<String> = sent.query().into_iter().map(|(k, _)| k).collect();
        assert!(sent.header("authorization").is_none(), "{version:?}");
        for signed_only in ["AccessKeyId", "Signature", "SignatureMethod", "SecurityToken"] {
            assert!(!names.iter().any(|n| n == signed_only), "{version:?} sent {signed_only}");
        }
        match version {
            SignatureVersion::V1 => {
                for name in ["Action", "Version", "Timestamp", "SignatureNonce"] {
                    assert!(names.iter().any(|n| n == name), "V1 lacks {name}: {names:?}");
                }
            }
            _ => assert!(sent.header("x-acs-date").is_some() && sent.header("x-acs-signature-nonce").is_some()),
        }
    }
}

/// The generator takes anonymity from the metadata's `security`: schemes named, none of them `AK`.
#[test]
fn the_sts_client_sends_only_assume_role_with_oidc_unsigned() {
    use acsgen::Operation;
    let anonymous = [
        acsgen::sts::AssumeRoleWithOidcRequest::META,
        acsgen::sts::AssumeRoleRequest::META,
        acsgen::sts::GetCallerIdentityRequest::META,
    ]
    .map(|meta| meta.anonymous);
    assert_eq!(anonymous, [true, false, false]);
}
