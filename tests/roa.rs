//! ROA-style operations, from a spec written for the project (`specs/roa.json`): what CS lacks — header
//! parameters, `simple` style, formData, a top-level array body, a JSON string body, a raw body, PATCH — and
//! what it has (path parameters needing encoding, `json` query style, a JSON body with nested lists and
//! maps, GET/POST/PUT/DELETE). Each call is sent by the generated client and by the vendor's official generic
//! caller (`alibabacloud-tea-openapi` `call_api` with the matching `Params`) to a capturing server, and the two
//! requests compared; the answers of every top-level kind (object, array, string, empty) are decoded.

use std::collections::BTreeMap;
use std::process::Command;

use acsgen_tests::capture::{self, assert_same_request, captured};
use acsgen_tests::{ChildServer, python, python_script};
use serde_json::{Value, json};

/// The client generated from `specs/roa.json`.
#[acsgen::api(spec = "specs/roa.json")]
pub mod things {}

use things::{Client, Tag, create_thing};

const THING: &str = "t 1/é~x";
const THING_PATH: &str = "/things/t%201%2F%C3%A9~x";
const ICON: &[u8] = b"\x89PNG\r\n\x1a\n\x00\xff raw";

/// The answers the capturing server gives, by method and path: one of each top-level kind.
fn answers() -> Vec<(String, String)> {
    vec![
        (format!("GET {THING_PATH}"), r#"{"thing_id":"t-1","name":"n","tags":[{"key":"k","value":"v"}]}"#.into()),
        ("GET /things".into(), r#"[{"thing_id":"t-1"},{"thing_id":"t-2","tags":[]}]"#.into()),
        (format!("DELETE {THING_PATH}"), String::new()),
        (format!("PATCH {THING_PATH}/labels"), r#"["a","b"]"#.into()),
        // A string answer comes as plain text.
        (format!("POST {THING_PATH}/name"), "renamed".into()),
        (format!("PUT {THING_PATH}/icon"), String::new()),
    ]
}

fn capturing_server() -> ChildServer {
    let mut command = Command::new(python());
    command.arg(python_script("capture.py")).args(["--key", "LTAItest:test-secret"]);
    for (at, text) in answers() {
        command.arg("--answer").arg(at).arg(text);
    }
    ChildServer::start(&mut command)
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::new(key).value(value)
}

/// The same calls, described for the official generic caller.
fn official_calls() -> Value {
    let tags = json!([{"key": "k 1", "value": "v=1&x"}, {"key": "中"}]);
    let path = json!({"ThingId": THING});
    json!([
        {"action": "GetThing", "method": "GET", "path": "/things/{ThingId}", "path_params": path,
         "query": {"fields": [["name", "tags"], "simple"]}, "headers": {"x-things-trace": "trace 1"}},
        {"action": "ListThings", "method": "GET", "path": "/things", "answer": "array",
         "query": {"page_size": ["20", null], "filter": [{"name": "a b", "zones": ["z1", "z2"]}, "json"],
                   "tags": [tags, "json"]}},
        {"action": "CreateThing", "method": "POST", "path": "/things", "body_kind": "json",
         "body": {"name": "n 1", "spec": {"cpu": 4, "labels": {"env": "prod", "名": "值"}},
                  "disks": [{"size": 40, "category": "ssd"}, {"size": 9_007_199_254_740_993_i64}],
                  "tags": tags, "dry_run": false}},
        {"action": "UpdateThing", "method": "PUT", "path": "/things/{ThingId}", "path_params": path,
         "body_kind": "json", "body": {"name": "m"}},
        {"action": "DeleteThing", "method": "DELETE", "path": "/things/{ThingId}", "path_params": path,
         "query": {"force": ["true", null]}, "answer": "none"},
        {"action": "LabelThing", "method": "PATCH", "path": "/things/{ThingId}/labels", "path_params": path,
         "body_kind": "json", "body": tags, "answer": "array"},
        {"action": "RenameThing", "method": "POST", "path": "/things/{ThingId}/name", "path_params": path,
         "body_kind": "json", "body": "new \"name\"", "answer": "string"},
        {"action": "UploadThingIcon", "method": "PUT", "path": "/things/{ThingId}/icon", "path_params": path,
         "body_kind": "binary", "body": ICON.iter().map(|b| char::from(*b)).collect::<String>(), "answer": "none"},
        {"action": "SubmitThingForm", "method": "POST", "path": "/things/{ThingId}/form", "path_params": path,
         "body_kind": "form", "body": {"Comment": "a b+c", "Zones": ["z1", "z 2"]}},
    ])
}

fn official(endpoint: &str) {
    let output = Command::new(python())
        .arg(python_script("sdk_generic.py"))
        .args([endpoint, "LTAItest", "test-secret", "2024-05-01", &official_calls().to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    // The official caller cannot read some answers into its generic shape; what it sent is what counts.
    assert_eq!(stdout.lines().count(), 9, "{stdout}");
}

/// Our nine calls; returns what each answer decoded to, for the checks on answers.
async fn ours(endpoint: &str) -> BTreeMap<&'static str, String> {
    let config = capture::config(endpoint);
    let client = Client::new(&config);
    let tags = vec![tag("k 1", "v=1&x"), Tag::new("中")];
    let mut seen = BTreeMap::new();
    let thing = client.get_thing(THING).fields(["name".to_owned(), "tags".to_owned()]).x_things_trace("trace 1");
    seen.insert("get", format!("{:?}", thing.send().await.unwrap()));
    let filter = things::list_things::Filter::new().name("a b").zones(["z1".to_owned(), "z2".to_owned()]);
    let list = client.list_things().page_size(20).filter(filter).tags(tags.clone()).send().await.unwrap();
    seen.insert("list", format!("{:?}", list.iter().map(|t| t.thing_id.clone()).collect::<Vec<_>>()));
    let spec =
        create_thing::Spec::new().cpu(4).labels([("env".to_owned(), "prod".to_owned()), ("名".into(), "值".into())]);
    let disks = vec![
        create_thing::Disks::new(40).category(create_thing::Category::Ssd),
        create_thing::Disks::new(9_007_199_254_740_993),
    ];
    let create = client.create_thing("n 1").spec(spec).disks(disks).tags(tags.clone()).dry_run(false);
    seen.insert("create", format!("{:?}", create.send().await.unwrap().request_id));
    client.update_thing(THING).name("m").send().await.unwrap();
    seen.insert("delete", format!("{:?}", client.delete_thing(THING).force(true).send().await.unwrap()));
    seen.insert("label", format!("{:?}", client.label_thing(THING, tags).send().await.unwrap()));
    seen.insert("rename", format!("{:?}", client.rename_thing(THING, "new \"name\"").send().await.unwrap()));
    seen.insert("upload", format!("{:?}", client.upload_thing_icon(THING, ICON).send().await.unwrap()));
    let form = client.submit_thing_form(THING).comment("a b+c").zones(["z1".to_owned(), "z 2".to_owned()]);
    seen.insert("form", format!("{:?}", form.send().await.unwrap().ok));
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn roa_calls_match_the_official_generic_caller_and_every_answer_kind_decodes() {
    let server = capturing_server();
    official(&server.endpoint);
    let answers = ours(&server.endpoint).await;
    let requests = captured(&server);
    assert_eq!(requests.len(), 18, "nine calls each");
    let (sdk, mine) = requests.split_at(9);
    let actions = ["GetThing", "ListThings", "CreateThing", "UpdateThing", "DeleteThing", "LabelThing", "RenameThing"];
    let actions = actions.iter().chain(&["UploadThingIcon", "SubmitThingForm"]);
    for ((sdk, mine), action) in sdk.iter().zip(mine).zip(actions) {
        assert_same_request(sdk, mine, action);
    }
    assert_eq!(mine[0]["path"], THING_PATH);
    assert_eq!(mine[7]["body_hex"], Value::from(hex(ICON)));

    assert!(answers["get"].contains(r#"thing_id: Some("t-1")"#), "{}", answers["get"]);
    assert_eq!(answers["list"], r#"[Some("t-1"), Some("t-2")]"#);
    assert_eq!(answers["delete"], "Null");
    assert_eq!(answers["label"], r#"["a", "b"]"#);
    assert_eq!(answers["rename"], r#""renamed""#);
    assert_eq!(answers["upload"], "Null");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
