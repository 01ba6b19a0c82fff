//! The emulator serving the vendor's real ECS file (`acsgen-emulator --spec`): the official Python ECS SDK
//! (`alibabacloud-ecs20140526`) gets answers its models accept, every value of the JSON type the schema
//! declares (checked here, not only by the SDK, which accepts almost anything), and the vendor's error codes
//! for a missing required parameter, a wrong enum value and one out of range; the generated ECS client's
//! `.items()` walks a token-paged and a page-numbered listing of 2,500 items, each item once, in as many
//! calls as pages, at page sizes 1, 7, 100 and the spec's maximum. Part of the vendor-file suite.
#![cfg(vendor_metadata)]

use std::collections::HashSet;
use std::process::Command;

use acsgen_codegen::spec::{self, Additional, Kind, Schema, Spec};
use acsgen_emulator::{Emulator, RunningEmulator};
use acsgen_tests::{ChildServer, collected, emulator_config, python, python_script, target_dir, workspace_root};
use acsgen_vendor_specs::ecs;
use serde_json::Value;

const ITEMS: usize = 2500;

fn ecs_file() -> std::path::PathBuf {
    let dir = std::env::var_os("ACSGEN_VENDOR_METADATA").expect("the vendor-file suite runs with it set");
    workspace_root().join(dir).join("ecs-2014-05-26.json")
}

fn ecs_spec() -> Spec {
    spec::read(&std::fs::read_to_string(ecs_file()).unwrap(), None).unwrap()
}

/// Where `value` is not of the JSON type `schema` declares, as `path: expected, got`; `checked` counts the
/// values looked at.
fn type_errors(spec: &Spec, schema: &Schema, value: &Value, path: &str, checked: &mut usize) -> Vec<String> {
    *checked += 1;
    let resolve = |name: &str| spec.components.iter().find(|(n, _)| n == name).map(|(_, s)| s);
    let wrong = |what: &str| vec![format!("{path}: expected {what}, got {value}")];
    match (&schema.kind, value) {
        (Kind::Ref(name), _) => match resolve(name) {
            Some(target) => type_errors(spec, target, value, path, checked),
            None => wrong("a known $ref"),
        },
        (Kind::Any, _) | (Kind::String | Kind::Binary, Value::String(_)) | (Kind::Boolean, Value::Bool(_)) => vec![],
        (Kind::Integer(_), Value::Number(n)) if n.is_i64() || n.is_u64() => vec![],
        (Kind::Number, Value::Number(_)) => vec![],
        (Kind::Array(items), Value::Array(list)) => list
            .iter()
            .enumerate()
            .flat_map(|(i, item)| type_errors(spec, items, item, &format!("{path}[{i}]"), checked))
            .collect(),
        (Kind::Object { properties, additional }, Value::Object(members)) => members
            .iter()
            .flat_map(|(key, member)| {
                let inner = format!("{path}.{key}");
                match (properties.iter().find(|(name, _)| name == key), additional) {
                    (Some((_, schema)), _) => type_errors(spec, schema, member, &inner, checked),
                    (None, Additional::Typed(schema)) => type_errors(spec, schema, member, &inner, checked),
                    (None, Additional::Any) => vec![],
                    (None, _) if properties.is_empty() => vec![],
                    (None, _) => vec![format!("{inner}: not in the schema")],
                }
            })
            .collect(),
        (Kind::String | Kind::Binary, _) => wrong("a string"),
        (Kind::Integer(_), _) => wrong("an integer"),
        (Kind::Number, _) => wrong("a number"),
        (Kind::Boolean, _) => wrong("a boolean"),
        (Kind::Array(_), _) => wrong("an array"),
        (Kind::Object { .. }, _) => wrong("an object"),
    }
}

/// The emulator command, built as the workspace builds it, serving the ECS file.
fn emulator_command() -> ChildServer {
    let build = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "acsgen-emulator", "--bin", "acsgen-emulator"])
        .current_dir(workspace_root())
        .status()
        .unwrap();
    assert!(build.success(), "build the emulator command");
    let binary = target_dir().join("debug/acsgen-emulator");
    ChildServer::start(Command::new(binary).arg("--spec").arg(ecs_file()).args(["--access-key", "ecs-key:ecs-secret"]))
}

#[test]
fn the_official_ecs_sdk_gets_typed_answers_and_the_vendor_codes() {
    let server = emulator_command();
    let output = Command::new(python())
        .arg(python_script("sdk_ecs.py"))
        .args([server.endpoint.as_str(), "ecs-key", "ecs-secret"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    let spec = ecs_spec();
    for line in &lines[..3] {
        let action = line["call"].as_str().unwrap();
        assert!(line.get("raw").is_some(), "{action} succeeded: {line}");
        let api = spec.apis.iter().find(|api| api.name == action).unwrap();
        let mut checked = 0;
        let errors = type_errors(&spec, api.response.as_ref().unwrap(), &line["raw"], action, &mut checked);
        assert!(errors.is_empty(), "{action}: {errors:#?}");
        assert!(checked >= 5, "{action}: only {checked} values");
        assert_eq!(line["model"], line["raw"], "{action}: the SDK's models hold every member it was sent");
    }
    // The check itself can fail: a string member sent as a number is caught.
    let mut broken = lines[0]["raw"].clone();
    broken["RequestId"] = Value::from(5);
    let regions = spec.apis.iter().find(|api| api.name == "DescribeRegions").unwrap();
    let errors = type_errors(&spec, regions.response.as_ref().unwrap(), &broken, "DescribeRegions", &mut 0);
    assert_eq!(errors, ["DescribeRegions.RequestId: expected a string, got 5"]);
    let instances = &lines[1]["raw"]["Instances"]["Instance"];
    assert_eq!(instances.as_array().map(Vec::len), Some(5), "MaxResults=5 of the listing");
    let refusals: Vec<(&str, &str, i64)> = lines[3..]
        .iter()
        .map(|l| (l["call"].as_str().unwrap(), l["code"].as_str().unwrap_or("none"), l["status"].as_i64().unwrap_or(0)))
        .collect();
    assert_eq!(
        refusals,
        [
            ("DescribeInstances.NoRegion", "MissingParameter", 400),
            ("DescribeInstanceTypes.WrongEnum", "InvalidParameter", 400),
            ("RunInstances.TooMany", "InvalidParameter", 400)
        ]
    );
}

async fn emulator() -> RunningEmulator {
    Emulator::new().spec_file(ecs_file()).unwrap().list_items(ITEMS).start_local().await.unwrap()
}

fn client(emulator: &RunningEmulator) -> ecs::Client {
    ecs::Client::new(&emulator_config(emulator))
}

/// The page sizes to walk at: 1, 7, 100 and the spec's maximum for `parameter` of `action`.
fn sizes(action: &str, parameter: &str) -> Vec<usize> {
    let spec = ecs_spec();
    let api = spec.apis.iter().find(|api| api.name == action).unwrap();
    let param = api.params.iter().find(|p| p.name == parameter).unwrap();
    let Some(spec::Bound::Int(max)) = param.schema.maximum else { panic!("{action}.{parameter} has a maximum") };
    let mut sizes = vec![1, 7, 100, max as usize];
    sizes.dedup();
    sizes
}

fn assert_each_once(ids: &[String], what: &str) {
    assert_eq!(ids.len(), ITEMS, "{what}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ITEMS, "{what}: each item once");
}

#[tokio::test(flavor = "multi_thread")]
async fn items_walk_describe_instances_by_token() {
    for size in sizes("DescribeInstances", "MaxResults") {
        let emulator = emulator().await;
        let client = client(&emulator);
        let instances = collected(client.describe_instances("cn-hangzhou").max_results(size as i32).items()).await;
        let ids: Vec<String> = instances.into_iter().map(|i| i.instance_id.unwrap()).collect();
        assert_each_once(&ids, &format!("DescribeInstances, size {size}"));
        assert_eq!(emulator.calls_of("DescribeInstances").len(), ITEMS.div_ceil(size), "pages at size {size}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn items_walk_describe_images_by_page_number() {
    for size in sizes("DescribeImages", "PageSize") {
        let emulator = emulator().await;
        let client = client(&emulator);
        let images = collected(client.describe_images("cn-hangzhou").page_size(size as i32).items()).await;
        let ids: Vec<String> = images.into_iter().map(|i| i.image_id.unwrap()).collect();
        assert_each_once(&ids, &format!("DescribeImages, size {size}"));
        let calls = emulator.calls_of("DescribeImages");
        assert_eq!(calls.len(), ITEMS.div_ceil(size), "pages at size {size}: the total ends the walk");
        assert!(calls.iter().all(|c| c.status == 200));
    }
}
