//! A scripted HTTP server on loopback for the runtime's pipeline tests: each connection gets the next
//! step of a script (answer, drop, stall), and every request received is recorded.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use acsgen::encode::{EncodeError, Location, Params, Style};
use acsgen::validate::{Validate, Validator};
use acsgen::{Method, OperationMeta};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one connection.
#[derive(Clone, Debug)]
pub enum Step {
    /// Reads the request and answers.
    Respond { status: u16, headers: Vec<(String, String)>, body: String },
    /// Reads the request, then closes the connection without answering.
    DropAfterRead,
    /// Reads the request and answers only after the delay.
    Stall(Duration),
}

impl Step {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Step::Respond { status, headers: vec![], body: body.to_string() }
    }

    pub fn ok() -> Self {
        Self::json(200, serde_json::json!({"RequestId": "req-ok", "Code": "OK", "Success": true, "Data": 1}))
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Decoded query parameters.
    pub fn query(&self) -> Vec<(String, String)> {
        let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (acsgen::encode::percent_decode(k), acsgen::encode::percent_decode(v))
            })
            .collect()
    }
}

pub struct ScriptedServer {
    pub endpoint: String,
    pub received: Arc<Mutex<Vec<Recorded>>>,
}

impl ScriptedServer {
    pub async fn start(script: Vec<Step>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::serve(listener, script)
    }

    /// Serves `script` on an already-bound listener.
    pub fn serve(listener: TcpListener, script: Vec<Step>) -> Self {
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.into_iter()));
        let log = received.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let step = script.lock().unwrap().next().unwrap_or(Step::Respond {
                    status: 500,
                    headers: vec![],
                    body: r#"{"Code":"ScriptExhausted","Message":"no more steps"}"#.into(),
                });
                let log = log.clone();
                tokio::spawn(handle(stream, step, log));
            }
        });
        Self { endpoint, received }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.received.lock().unwrap().clone()
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_owned();
    let target = first.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())))
        .collect();
    let length: usize =
        headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded { method, target, headers, body })
}

async fn handle(mut stream: TcpStream, step: Step, log: Arc<Mutex<Vec<Recorded>>>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    log.lock().unwrap().push(request);
    let (status, headers, body) = match step {
        Step::DropAfterRead => return,
        Step::Stall(delay) => {
            tokio::time::sleep(delay).await;
            (200, vec![], r#"{"RequestId":"late","Success":true}"#.to_owned())
        }
        Step::Respond { status, headers, body } => (status, headers, body),
    };
    let mut response = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (k, v) in headers {
        response.push_str(&format!("{k}: {v}\r\n"));
    }
    response.push_str("content-type: application/json\r\n\r\n");
    response.push_str(&body);
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// A hand-written operation, standing in for generated code.
pub struct Ping {
    pub text: String,
    pub idempotent: bool,
}

impl Validate for Ping {
    fn validate(&self, v: &mut Validator) {
        v.field("Text", |v| v.max_length(&self.text, 64));
    }
}

pub const NON_IDEMPOTENT: OperationMeta = OperationMeta {
    action: "Ping",
    method: Method::Post,
    idempotent: false,
    anonymous: false,
    protocol: acsgen::protocol::Protocol::Rpc,
};
pub const IDEMPOTENT: OperationMeta = OperationMeta {
    action: "DescribePing",
    method: Method::Post,
    idempotent: true,
    anonymous: false,
    protocol: acsgen::protocol::Protocol::Rpc,
};

impl Ping {
    pub fn new(text: &str) -> Self {
        Self { text: text.into(), idempotent: false }
    }

    pub fn meta(&self) -> &'static OperationMeta {
        if self.idempotent { &IDEMPOTENT } else { &NON_IDEMPOTENT }
    }

    pub fn params(&self) -> Result<Params, EncodeError> {
        let mut p = Params::new();
        p.push(Location::Query, "Text", Style::Default, &self.text)?;
        p.push(Location::Form, "Items", Style::Json, &serde_json::json!([{"calleeNumber": "13800000000"}]))?;
        Ok(p)
    }
}

impl acsgen::Operation for Ping {
    type Output = serde_json::Value;
    const SERVICE: &'static acsgen::Service = &SERVICE;
    const META: OperationMeta = NON_IDEMPOTENT;
    fn encode(&self, params: &mut Params) -> Result<(), EncodeError> {
        *params = self.params()?;
        Ok(())
    }
}

pub static SERVICE: acsgen::Service = acsgen::Service {
    product: "ping",
    version: "2020-01-01",
    endpoints: acsgen::endpoint::ServiceEndpoints {
        product: "ping",
        rule: acsgen::endpoint::EndpointRule::Central,
        map: &[],
    },
};
