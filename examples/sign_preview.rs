//! Builds and signs an ImportTaskNumberDatas request offline and shows what would go on the wire:
//! `cargo run --example sign_preview`. Needs no network and no credentials (it uses demo keys).

use std::time::SystemTime;

use acsgen::credentials::Credentials;
use acsgen::encode::{EncodeError, Location, Params, Style};
use acsgen::endpoint::{EndpointRule, ServiceEndpoints};
use acsgen::validate::{Validate, Validator};
use acsgen::{Config, Operation, Service, ServiceClient};
use acsgen::{Method, OperationMeta};
use serde_json::json;

static AICCS: Service = Service {
    product: "aiccs",
    version: "2019-10-15",
    endpoints: ServiceEndpoints { product: "aiccs", rule: EndpointRule::Central, map: &[] },
};

struct Import {
    records: serde_json::Value,
}

impl Validate for Import {
    fn validate(&self, v: &mut Validator) {
        v.field("PhoneNumberList", |v| v.max_items(self.records.as_array().map_or(0, Vec::len), 1000));
    }
}

impl Operation for Import {
    type Output = serde_json::Value;
    const SERVICE: &'static acsgen::Service = &AICCS;
    const META: OperationMeta = OperationMeta {
        action: "ImportTaskNumberDatas",
        method: Method::Post,
        idempotent: false,
        anonymous: false,
        protocol: acsgen::protocol::Protocol::Rpc,
    };
    fn encode(&self, p: &mut Params) -> Result<(), EncodeError> {
        p.push(Location::Query, "TaskId", Style::Default, "119181071278")?;
        p.push(Location::Query, "DataType", Style::Default, "JSON")?;
        p.push(Location::Form, "PhoneNumberList", Style::Json, &self.records)
    }
}

fn main() -> Result<(), acsgen::Error> {
    let config =
        Config::builder().region("cn-hangzhou").credentials(Credentials::new("demo-id", "demo-secret")).build()?;
    let client = ServiceClient::new(&config, &AICCS);
    let request = Import { records: json!([{"calleeNumber": "13800000000", "name": "Tom", "outId": "id-1"}]) };
    let signed = client.build_request(
        &request,
        &Credentials::new("demo-id", "demo-secret"),
        SystemTime::now(),
        "0123456789abcdef",
    )?;
    println!("{} {}", signed.method, signed.url);
    for (name, value) in &signed.headers {
        let shown = if name == "authorization" {
            "ACS3-HMAC-SHA256 Credential=demo-id,SignedHeaders=…,Signature=…"
        } else {
            value
        };
        println!("{name}: {shown}");
    }
    println!("\n{}", String::from_utf8_lossy(&signed.body));
    Ok(())
}
