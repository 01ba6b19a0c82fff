//! The CS client generated from the vendor's real ROA file sends what the official Python CS SDK
//! (`alibabacloud-cs20151215`) sends: twelve operations covering path parameters that need encoding, `json`
//! query style, JSON bodies with nested lists and maps, top-level array bodies and GET/POST/PUT/DELETE, each
//! sent by both to a capturing server and compared (`acsgen_tests::capture::assert_same_request`), our V3
//! signature included. Part of the vendor-file suite: it runs when `ACSGEN_VENDOR_METADATA` is set.
#![cfg(vendor_metadata)]
// Deprecated parameters are still sent by the official SDK, and so by us.
#![allow(deprecated)]

use std::process::Command;

use acsgen_tests::capture::{self, assert_same_request, captured};
use acsgen_tests::{ChildServer, python, python_script};
use acsgen_vendor_specs::cs::{
    Client, Runtime, Tag, create_cluster, delete_cluster, install_cluster_addons, modify_cluster,
    modify_node_pool_node_config,
};
use serde_json::json;

// No boolean goes in a query here: the Python SDK writes Python's `True`/`False` there, where its Java
// and Go siblings — and we — write `true`/`false`.
const CLUSTER: &str = "c 1/é~x";
const POOL: &str = "np+1?";

fn tag(key: &str, value: &str) -> Tag {
    Tag::new().key(key).value(value)
}

/// The same calls for the official SDK: client method, positional arguments, request model and its members.
fn official_calls() -> serde_json::Value {
    let tags = json!([{"key": "env", "value": "prod 1"}, {"key": "名", "value": "值&="}]);
    let call = |call: &str, args: serde_json::Value, request: Option<&str>, fields: serde_json::Value| {
        let mut c = json!({"call": call, "args": args});
        if let Some(request) = request {
            c["request"] = request.into();
            c["fields"] = fields.to_string().into();
        }
        c
    };
    json!([
        call("describe_cluster_detail_with_options", json!([CLUSTER]), None, json!(null)),
        call(
            "describe_clusters_v1with_options",
            json!([]),
            Some("DescribeClustersV1Request"),
            json!({"name": "a b", "cluster_type": "ManagedKubernetes", "page_size": 10, "page_number": 2})
        ),
        call(
            "delete_cluster_with_options",
            json!([CLUSTER]),
            Some("DeleteClusterRequest"),
            json!({"retain_resources": ["r-1", "r 2"],
                    "delete_options": [{"resource_type": "SLB", "delete_mode": "delete"}]})
        ),
        call(
            "create_cluster_with_options",
            json!([]),
            Some("CreateClusterRequest"),
            json!({"name": "k8s 1", "region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes",
                    "vpcid": "vpc-1", "service_cidr": "172.21.0.0/20", "vswitch_ids": ["vsw-1", "vsw-2"],
                    "kubernetes_version": "1.30.1-aliyun.1", "runtime": {"name": "containerd", "version": "1.6"},
                    "tags": tags, "num_of_nodes": 3, "deletion_protection": true,
                    "worker_data_disks": [{"category": "cloud_essd", "size": "120"}]})
        ),
        call(
            "modify_cluster_with_options",
            json!([CLUSTER]),
            Some("ModifyClusterRequest"),
            json!({"deletion_protection": true, "access_control_list": ["10.0.0.0/8"],
                    "api_server_custom_cert_sans": {"action": "append",
                                                    "subject_alternative_names": ["a.example.com", "10.0.0.1"]}})
        ),
        call(
            "install_cluster_addons_with_options",
            json!([CLUSTER]),
            Some("InstallClusterAddonsRequest"),
            json!({"body": [{"name": "logtail-ds", "version": "v1.0", "config": "{\"IngressDashboardEnabled\":\"true\"}"}]})
        ),
        call(
            "modify_cluster_tags_with_options",
            json!([CLUSTER]),
            Some("ModifyClusterTagsRequest"),
            json!({"body": tags})
        ),
        call(
            "scale_cluster_node_pool_with_options",
            json!([CLUSTER, POOL]),
            Some("ScaleClusterNodePoolRequest"),
            json!({"count": 2})
        ),
        call(
            "delete_cluster_nodepool_with_options",
            json!([CLUSTER, POOL]),
            Some("DeleteClusterNodepoolRequest"),
            json!({})
        ),
        call(
            "modify_node_pool_node_config_with_options",
            json!([CLUSTER, POOL]),
            Some("ModifyNodePoolNodeConfigRequest"),
            json!({"os_config": {"sysctl": {"net.core.somaxconn": "1024", "vm.max_map_count": "262144"}}})
        ),
        call(
            "remove_node_pool_nodes_with_options",
            json!([CLUSTER, POOL]),
            Some("RemoveNodePoolNodesRequest"),
            json!({"nodes": ["cn-hangzhou.10.0.0.1"], "instance_ids": ["i-1", "i-2"]})
        ),
        call(
            "list_tag_resources_with_options",
            json!([]),
            Some("ListTagResourcesRequest"),
            json!({"resource_ids": ["c-1", "c 2"], "resource_type": "CLUSTER", "region_id": "cn-hangzhou",
                    "tags": tags})
        ),
    ])
}

fn official(endpoint: &str) {
    let output = Command::new(python())
        .arg(python_script("sdk_cs.py"))
        .args([endpoint, "LTAItest", "test-secret", &official_calls().to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.lines().count(), 12, "{stdout}");
}

async fn ours(endpoint: &str) {
    let config = capture::config(endpoint);
    let cs = Client::new(&config);
    let tags = || vec![tag("env", "prod 1"), tag("名", "值&=")];
    // The capturing server answers every call with the same object; what counts here is what was sent.
    let _ = cs.describe_cluster_detail(CLUSTER).send().await;
    let _ = cs
        .describe_clusters_v1()
        .name("a b")
        .cluster_type("ManagedKubernetes")
        .page_size(10)
        .page_number(2)
        .send()
        .await;
    let options = delete_cluster::DeleteOptions::new().resource_type("SLB").delete_mode("delete");
    let delete = cs.delete_cluster(CLUSTER).retain_resources(["r-1".to_owned(), "r 2".to_owned()]);
    let _ = delete.delete_options(vec![options]).send().await;
    let create = cs
        .create_cluster(
            "k8s 1",
            "cn-hangzhou",
            "ManagedKubernetes",
            "vpc-1",
            "172.21.0.0/20",
            ["vsw-1".to_owned(), "vsw-2".to_owned()],
        )
        .kubernetes_version("1.30.1-aliyun.1")
        .runtime(Runtime::new().name("containerd").version("1.6"))
        .tags(tags())
        .num_of_nodes(3)
        .deletion_protection(true)
        .worker_data_disks(vec![create_cluster::WorkerDataDisks::new("cloud_essd", "120")]);
    let _ = create.send().await;
    let sans = modify_cluster::ApiServerCustomCertSans::new()
        .action(modify_cluster::Action::Append)
        .subject_alternative_names(["a.example.com".to_owned(), "10.0.0.1".to_owned()]);
    let modify = cs.modify_cluster(CLUSTER).deletion_protection(true).access_control_list(["10.0.0.0/8".to_owned()]);
    let _ = modify.api_server_custom_cert_sans(sans).send().await;
    let addon = install_cluster_addons::Body::new("logtail-ds", "v1.0").config(r#"{"IngressDashboardEnabled":"true"}"#);
    let _ = cs.install_cluster_addons(CLUSTER).body(vec![addon]).send().await;
    let _ = cs.modify_cluster_tags(CLUSTER).body(tags()).send().await;
    let _ = cs.scale_cluster_node_pool(CLUSTER, POOL).count(2).send().await;
    let _ = cs.delete_cluster_nodepool(CLUSTER, POOL).send().await;
    let sysctl = [("net.core.somaxconn".to_owned(), json!("1024")), ("vm.max_map_count".into(), json!("262144"))];
    let os = modify_node_pool_node_config::OsConfig::new().sysctl(sysctl);
    let _ = cs.modify_node_pool_node_config(CLUSTER, POOL).os_config(os).send().await;
    let remove = cs.remove_node_pool_nodes(CLUSTER, POOL).nodes(["cn-hangzhou.10.0.0.1".to_owned()]);
    let _ = remove.instance_ids(["i-1".to_owned(), "i-2".to_owned()]).send().await;
    let list = cs.list_tag_resources(["c-1".to_owned(), "c 2".to_owned()], "CLUSTER", "cn-hangzhou").tags(tags());
    let _ = list.send().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cs_calls_match_the_official_cs_sdk() {
    let mut command = Command::new(python());
    command.arg(python_script("capture.py")).args(["--key", "LTAItest:test-secret"]);
    let server = ChildServer::start(&mut command);
    official(&server.endpoint);
    ours(&server.endpoint).await;
    let requests = captured(&server);
    assert_eq!(requests.len(), 24, "twelve calls each");
    let (sdk, mine) = requests.split_at(12);
    for (i, (sdk, mine)) in sdk.iter().zip(mine).enumerate() {
        let action =
            mine["headers"].as_array().unwrap().iter().find(|h| h[0] == "x-acs-action").map(|h| h[1].to_string());
        assert_same_request(sdk, mine, &format!("call {i} {}", action.unwrap_or_default()));
    }
    assert_eq!(mine[0]["path"], "/clusters/c%201%2F%C3%A9~x");
    let methods: Vec<&str> = mine.iter().map(|r| r["method"].as_str().unwrap()).collect();
    for method in ["GET", "POST", "PUT", "DELETE"] {
        assert!(methods.contains(&method), "{method} is covered: {methods:?}");
    }
}

/// A CS answer of each top-level kind — object, array, string, empty — decodes into the generated types
/// with every value the fixture holds.
#[tokio::test(flavor = "multi_thread")]
async fn cs_answers_of_every_kind_decode() {
    let object = r#"{"cluster_id":"c1","name":"k8s 1","deletion_protection":true,"tags":[{"key":"a","value":"b"}]}"#;
    let array = r#"[{"cluster_id":"c1","instance_id":"lb-1","resource_type":"SLB","auto_create":1,"dependencies":[]},
        {"cluster_id":"c1","instance_id":"vpc-1","resource_type":"VPC","auto_create":0}]"#;
    let string = r#""curl http://example.com/attach.sh | bash""#;
    let mut command = Command::new(python());
    command.arg(python_script("capture.py"));
    for (at, text) in [
        ("GET /clusters/c1", object),
        ("GET /clusters/c1/resources", array),
        ("POST /clusters/c1/attachscript", string),
        ("DELETE /templates/t1", ""),
    ] {
        command.args(["--answer", at, text]);
    }
    let server = ChildServer::start(&mut command);
    let config = capture::config(&server.endpoint);
    let cs = Client::new(&config);

    let detail = cs.describe_cluster_detail("c1").send().await.unwrap();
    assert_eq!((detail.cluster_id.as_deref(), detail.name.as_deref()), (Some("c1"), Some("k8s 1")));
    assert_eq!(detail.deletion_protection, Some(true));
    assert_eq!(
        detail.tags.iter().map(|t| (t.key.as_deref(), t.value.as_deref())).collect::<Vec<_>>(),
        [(Some("a"), Some("b"))]
    );
    let resources = cs.describe_cluster_resources("c1").send().await.unwrap();
    let got: Vec<_> =
        resources.iter().map(|r| (r.instance_id.as_deref(), r.resource_type.as_deref(), r.auto_create)).collect();
    assert_eq!(got, [(Some("lb-1"), Some("SLB"), Some(1)), (Some("vpc-1"), Some("VPC"), Some(0))]);
    let script = cs.describe_cluster_attach_scripts("c1").send().await.unwrap();
    assert_eq!(script, "curl http://example.com/attach.sh | bash");
    let deleted = cs.delete_template("t1").send().await.unwrap();
    assert_eq!(deleted, serde_json::Value::Null);
}
