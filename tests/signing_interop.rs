//! Requests signed by the runtime are accepted by an independent verifier built on the vendor's official
//! Python SDK (`tests/python/verifier.py`), with V3 and V1 signatures, long-term keys and STS tokens.

use std::process::Command;

use acsgen::credentials::Credentials;
use acsgen::encode::{Location, Params, Style};
use acsgen::endpoint::{EndpointRule, ServiceEndpoints};
use acsgen::sign::SignatureVersion;
use acsgen::{Config, RetryPolicy, Service, ServiceClient};
use acsgen::{Method, OperationMeta};
use acsgen_tests::{ChildServer, python, python_script};
use serde_json::json;

static SERVICE: Service = Service {
    product: "aiccs",
    version: "2019-10-15",
    endpoints: ServiceEndpoints { product: "aiccs", rule: EndpointRule::Central, map: &[] },
};

const IMPORT: OperationMeta = OperationMeta {
    action: "ImportTaskNumberDatas",
    method: Method::Post,
    idempotent: false,
    anonymous: false,
    protocol: acsgen::protocol::Protocol::Rpc,
};
const DESCRIBE: OperationMeta = OperationMeta {
    action: "DescribeThings",
    method: Method::Get,
    idempotent: true,
    anonymous: false,
    protocol: acsgen::protocol::Protocol::Rpc,
};

fn verifier() -> ChildServer {
    ChildServer::start(Command::new(python()).arg(python_script("verifier.py")).args([
        "--key",
        "LTAIlongterm:longterm-secret",
        "--key",
        "STSkey:sts-secret:sts-token",
    ]))
}

fn client(endpoint: &str, credentials: Credentials, version: SignatureVersion) -> ServiceClient {
    let config = Config::builder()
        .endpoint(endpoint)
        .credentials(credentials)
        .signature_version(version)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    ServiceClient::new(&config, &SERVICE)
}

/// Parameters with everything that stresses encoding: Unicode, spaces, reserved characters, a JSON form body.
fn params() -> Params {
    let mut p = Params::new();
    p.push(Location::Query, "TaskId", Style::Default, "119181071278").unwrap();
    p.push(Location::Query, "DataType", Style::Default, "JSON").unwrap();
    p.push(Location::Query, "Note", Style::Default, "a b*c~d/e?f=g&h+i 中文 ✓").unwrap();
    let records = json!([
        {"calleeNumber": "13800000000", "name": "Tom O'Brien, Jr.", "outId": "id-1"},
        {"calleeNumber": "13900000000", "name": "张三 & 李四", "outId": "id-2 *~"}
    ]);
    p.push(Location::Form, "PhoneNumberList", Style::Json, &records).unwrap();
    p.push(Location::Form, "Tags", Style::RepeatList, &json!([{"Key": "k 1", "Value": "v=1"}])).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread")]
async fn official_sdk_verifies_our_signatures() {
    let server = verifier();
    let keys =
        [Credentials::new("LTAIlongterm", "longterm-secret"), Credentials::sts("STSkey", "sts-secret", "sts-token")];
    for version in [SignatureVersion::V3, SignatureVersion::V1] {
        for creds in &keys {
            let client = client(&server.endpoint, creds.clone(), version);
            let answer =
                client.execute(&IMPORT, &params()).await.unwrap_or_else(|e| panic!("{version:?} {creds:?}: {e}"));
            let body = answer.body;
            let expected = if version == SignatureVersion::V3 { "v3" } else { "v1" };
            assert_eq!(body["Verified"], expected, "{body}");
            assert_eq!(body["Method"], "POST");
            assert_eq!(body["Query"]["Note"], "a b*c~d/e?f=g&h+i 中文 ✓");
            assert_eq!(body["Query"]["TaskId"], "119181071278");
            let list: serde_json::Value =
                serde_json::from_str(body["Form"]["PhoneNumberList"].as_str().unwrap()).unwrap();
            assert_eq!(list[1]["name"], "张三 & 李四");
            assert_eq!(body["Form"]["Tags.1.Value"], "v=1");

            // A GET with only query parameters, for an idempotent operation.
            let mut p = Params::new();
            p.push(Location::Query, "PageSize", Style::Default, &20).unwrap();
            p.push(Location::Query, "Ids", Style::Simple, &json!([1, 2, 3])).unwrap();
            let answer = client.execute(&DESCRIBE, &p).await.unwrap_or_else(|e| panic!("{version:?} GET: {e}"));
            assert_eq!(answer.body["Method"], "GET");
            assert_eq!(answer.body["Query"]["Ids"], "1,2,3");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn official_sdk_rejects_a_wrong_secret() {
    let server = verifier();
    for version in [SignatureVersion::V3, SignatureVersion::V1] {
        let client = client(&server.endpoint, Credentials::new("LTAIlongterm", "wrong-secret"), version);
        let err = client.execute(&IMPORT, &params()).await.unwrap_err();
        assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{version:?}: {err}");
        assert!(err.to_string().contains("check the access key secret"), "{err}");
    }
}
