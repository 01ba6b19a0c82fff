//! The instance metadata service is asked directly, whatever proxy the process is told to use: a proxy
//! would answer with its own host's credentials, or see the instance's. The check runs in a child process
//! of this test binary, started with the proxy variables set (they are process-wide).

mod support;

use std::io::Read;
use std::process::Command;
use std::sync::Arc;

use acsgen::credentials::{Context, EcsRamRole, FixedEnvironment, ProvideCredentials};
use support::{ScriptedServer, Step};

const CHILD: &str = "ACSGEN_METADATA_DIRECT_CHILD";

fn text(body: &str) -> Step {
    Step::Respond { status: 200, headers: vec![], body: body.to_owned() }
}

#[test]
fn metadata_requests_ignore_proxy_variables() {
    if std::env::var_os(CHILD).is_some() {
        return fetch_through_the_metadata_service();
    }
    // A "proxy" that counts the connections it gets and answers none.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = proxy.local_addr().unwrap();
    proxy.set_nonblocking(true).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args(["--exact", "metadata_requests_ignore_proxy_variables", "--nocapture"]).env(CHILD, "1");
    for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        child.env(name, format!("http://{address}"));
    }
    child.env_remove("NO_PROXY").env_remove("no_proxy");
    let output = child.output().unwrap();
    let shown = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{shown}");
    let mut seen = Vec::new();
    while let Ok((mut stream, _)) = proxy.accept() {
        let mut head = [0u8; 256];
        let n = stream.read(&mut head).unwrap_or(0);
        seen.push(String::from_utf8_lossy(&head[..n]).into_owned());
    }
    assert!(seen.is_empty(), "the proxy was asked: {seen:?}");
}

#[tokio::main(flavor = "current_thread")]
async fn fetch_through_the_metadata_service() {
    let credentials = r#"{"Code":"Success","AccessKeyId":"STS.direct","AccessKeySecret":"s","SecurityToken":"t","Expiration":"2030-01-01T00:00:00Z"}"#;
    let metadata = ScriptedServer::start(vec![text("a-token"), text("Role"), text(credentials)]).await;
    let context = Context::new(Arc::new(FixedEnvironment::new())).with_ecs_metadata_endpoint(&metadata.endpoint);
    let found = EcsRamRole::new(context).provide_credentials().await.unwrap();
    assert_eq!(found.access_key_id(), "STS.direct");
    let asked: Vec<String> = metadata.requests().iter().map(|r| format!("{} {}", r.method, r.target)).collect();
    let roles = "/latest/meta-data/ram/security-credentials/";
    assert_eq!(asked, ["PUT /latest/api/token".to_owned(), format!("GET {roles}"), format!("GET {roles}Role")]);
    assert_eq!(metadata.requests()[1].header("x-aliyun-ecs-metadata-token"), Some("a-token"));
}
