//! The shapes the vendor's real metadata files have, from a spec written for the project
//! (`specs/shapes.json`), so the suite covers them without the vendor's files: every parameter location
//! and style the RPC files use (query and form; repeatList, flat, json, simple), each scalar type and
//! format, string, integer and list enums, constraints written as strings, free-form and keyed maps,
//! `$ref`s (one refers back to itself), property names that are keywords, start with a digit, hold dots
//! or differ only in case, GET/POST/PUT/DELETE, a deprecated operation, and one without parameters or
//! responses. Generated, compiled and used here.

#![allow(deprecated)]

use std::time::{Duration, SystemTime};

use acsgen::credentials::Credentials;
use acsgen::{Config, Error, SignedRequest};
use serde_json::json;

/// The client generated from `specs/shapes.json`.
#[acsgen::api(spec = "specs/shapes.json")]
pub mod widgets {}

use widgets::{Client, describe_widgets};

fn client(region: &str) -> Client {
    let config = Config::builder().region(region).credentials(Credentials::new("id", "secret")).build().unwrap();
    Client::new(&config)
}

fn signed<O: acsgen::Operation>(request: &O) -> Result<SignedRequest, Error> {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    client("cn-hangzhou").service_client().build_request(request, &Credentials::new("id", "secret"), time, "n")
}

/// Decoded `name=value` pairs of a URL's query or a form body.
fn pairs(encoded: &str) -> Vec<(String, String)> {
    let encoded = encoded.split_once('?').map_or(encoded, |(_, query)| query);
    encoded
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let decode = |s: &str| acsgen::encode::percent_decode(&s.replace('+', " "));
            (decode(k), decode(v))
        })
        .collect()
}

#[test]
fn every_operation_becomes_a_method() {
    assert_eq!(widgets::OPERATIONS, ["DescribeWidgets", "CreateWidget", "DeleteWidget", "ResizeWidget", "PingWidgets"]);
    let hangzhou = client("cn-hangzhou");
    let elsewhere = client("eu-central-1");
    assert_eq!(hangzhou.service_client().endpoint().unwrap().authority(), "widgets.cn-hangzhou.aliyuncs.com");
    assert_eq!(elsewhere.service_client().endpoint().unwrap().authority(), "widgets.eu-central-1.aliyuncs.com");
}

#[test]
fn parameters_are_encoded_in_each_style() {
    let request = client("cn-hangzhou")
        .describe_widgets("cn-hangzhou")
        .page_size(50)
        .tag(vec![describe_widgets::Tag::new().key("env").value("prod"), describe_widgets::Tag::new().key_2("old")])
        .widget_ids(vec!["w-1".to_owned(), "w-2".to_owned()])
        .zone_ids(vec!["z1".to_owned(), "z2".to_owned()])
        .filter(describe_widgets::Filter::new().status(describe_widgets::Status::Running).min_cpu(2))
        .options(describe_widgets::Options::new().dry_run(true))
        .weight(0.5)
        .owner_id(1_234_567_890_123_456_789)
        .verbose(true)
        .level(2)
        .kinds(vec!["small".to_owned()])
        .name("ab-1")
        .into_request();
    let sent = signed(&request).unwrap();
    let mut query = pairs(&sent.url);
    query.sort();
    let expected = [
        ("Filter.MinCpu", "2"),
        ("Filter.Status", "Running"),
        ("Kinds.1", "small"),
        ("Level", "2"),
        ("Name", "ab-1"),
        ("Options", r#"{"DryRun":true}"#),
        ("OwnerId", "1234567890123456789"),
        ("PageSize", "50"),
        ("RegionId", "cn-hangzhou"),
        ("Tag.1.Key", "env"),
        ("Tag.1.Value", "prod"),
        ("Tag.2.key", "old"),
        ("Verbose", "true"),
        ("Weight", "0.5"),
        ("WidgetIds", r#"["w-1","w-2"]"#),
        ("ZoneIds", "z1,z2"),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(query, expected);
    assert_eq!(sent.method, "POST", "the first method the spec lists");

    // Unset parameters are not sent, in any style; an empty list of a joined style is sent empty.
    let widgets = client("cn-hangzhou");
    let bare = signed(&widgets.describe_widgets("cn-hangzhou").into_request()).unwrap();
    assert_eq!(pairs(&bare.url), [("RegionId".to_owned(), "cn-hangzhou".to_owned())]);
    let empty = widgets.describe_widgets("cn-hangzhou").zone_ids(Vec::<String>::new()).into_request();
    let empty = signed(&empty).unwrap();
    assert!(pairs(&empty.url).contains(&("ZoneIds".to_owned(), String::new())), "{}", empty.url);
}

#[test]
fn constraints_are_checked_before_anything_is_sent() {
    let request = client("cn-hangzhou")
        .describe_widgets("cn-hangzhou")
        .page_size(101)
        .weight(1.0)
        .name("A")
        .tag(vec![describe_widgets::Tag::new(); 21])
        .into_request();
    let Err(Error::Validation { errors, .. }) = signed(&request) else { panic!("not refused") };
    let paths: Vec<&str> = errors.errors().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["PageSize", "Tag", "Weight", "Name", "Name"], "{errors}");
}

/// Members are written in the spec's declaration order (`Part` declares `PartId` before `Count`), as the
/// official SDKs' models write them.
#[test]
fn a_form_body_carries_a_recursive_ref_and_a_keyed_map() {
    use widgets::{Colour, Design, Part};
    let root = Part::new("p").parts(vec![Part::new("q").count(2)]);
    let design = Design::new().colour(Colour::Red).root(root).settings([("a".to_owned(), "b c".to_owned())]);
    let request = client("cn-hangzhou").create_widget(design).notes("hi").counts(vec![1, 2]).into_request();
    let sent = signed(&request).unwrap();
    assert_eq!(sent.header("content-type"), Some("application/x-www-form-urlencoded"));
    let body = pairs(std::str::from_utf8(&sent.body).unwrap());
    assert_eq!(
        body,
        [
            ("Counts.1".to_owned(), "1".to_owned()),
            ("Counts.2".to_owned(), "2".to_owned()),
            (
                "Design".to_owned(),
                r#"{"Colour":"red","Root":{"PartId":"p","Parts":[{"PartId":"q","Count":2}]},"Settings":{"a":"b c"}}"#
                    .to_owned()
            ),
            ("Notes".to_owned(), "hi".to_owned()),
        ]
    );
    assert_eq!(signed(&client("cn-hangzhou").delete_widget("w").into_request()).unwrap().method, "DELETE");
    assert_eq!(signed(&client("cn-hangzhou").resize_widget("w", 4).into_request()).unwrap().method, "PUT");
    assert_eq!(signed(&client("cn-hangzhou").ping_widgets().into_request()).unwrap().method, "GET");
}

#[test]
fn responses_of_every_shape_decode() {
    let body = json!({
        "RequestId": "r", "NextToken": "t", "TotalCount": "2",
        "Widgets": {"Widget": [{
            "WidgetId": "w-1", "Id": 1_152_921_504_606_846_977_i64, "Cpu": 4, "Price": 1.5, "Enabled": true,
            "type": "big", "3DModel": "m", "SystemDisk.Size": 40, "Labels": {"a": 1, "b": [true]},
            "Tags": {"Tag": [{"Key": "env", "Value": "prod"}]}, "Zones": ["z1"], "Unknown": "kept out"
        }, {}]}
    });
    let answer: widgets::DescribeWidgetsResponse = acsgen::decode::decode_response(body).unwrap();
    assert_eq!(answer.total_count, Some(2), "a number sent as text is read");
    let widgets = answer.widgets.unwrap().widget;
    let first = &widgets[0];
    assert_eq!(first.id, Some(1_152_921_504_606_846_977), "int64 beyond 2^53 is exact");
    assert_eq!(
        (first.type_.as_deref(), first.n3d_model.as_deref(), first.system_disk_size),
        (Some("big"), Some("m"), Some(40))
    );
    assert_eq!(first.labels["b"], json!([true]));
    assert_eq!(first.tags.as_ref().unwrap().tag[0].value.as_deref(), Some("prod"));
    assert_eq!((widgets[1].zones.len(), widgets[1].id), (0, None), "absent lists are empty, absent values None");
    let wrong = json!({"Widgets": {"Widget": [{"Cpu": "four"}]}});
    let error = acsgen::decode::decode_response::<widgets::DescribeWidgetsResponse>(wrong).unwrap_err();
    assert!(error.to_string().contains("Widgets.Widget[0].Cpu"), "{error}");
}
