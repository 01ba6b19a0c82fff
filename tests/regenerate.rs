//! Regeneration: a crate using the macro is built; code using an optional parameter and a response field
//! its spec does not have yet fails to compile; the spec file alone is then edited to add both, and the
//! next `cargo check` — with no source file touched — notices by itself, regenerates, and compiles both
//! the old code and the new.

use std::fs;
use std::path::Path;
use std::process::Command;

use acsgen_tests::{target_dir, workspace_root};
use serde_json::json;

fn spec_v1() -> serde_json::Value {
    json!({
        "version": "1.0",
        "info": {"style": "RPC", "product": "widgets", "version": "2024-01-01"},
        "apis": {
            "DescribeWidgets": {
                "methods": ["get"],
                "parameters": [
                    {"name": "RegionId", "in": "query", "schema": {"type": "string", "required": true}},
                    {"name": "PageSize", "in": "query", "schema": {"type": "integer", "format": "int32", "maximum": "100"}}
                ],
                "responses": {"200": {"schema": {"type": "object", "properties": {
                    "RequestId": {"type": "string"},
                    "TotalCount": {"type": "integer", "format": "int64"}
                }}}}
            }
        },
        "endpoints": [{"regionId": "cn-hangzhou", "endpoint": "widgets.cn-hangzhou.aliyuncs.com"}]
    })
}

const OLD_CODE: &str = r#"
#[acsgen::api(spec = "spec/widgets.json")]
pub mod widgets {}

pub async fn old(client: &widgets::Client) -> Result<Option<i64>, acsgen::Error> {
    let answer = client.describe_widgets("cn-hangzhou").page_size(10).send().await?;
    Ok(answer.total_count)
}
"#;

const NEW_CODE: &str = r#"
pub async fn new(client: &widgets::Client) -> Result<Option<String>, acsgen::Error> {
    let answer = client.describe_widgets("cn-hangzhou").name_prefix("w-").send().await?;
    Ok(answer.next_token)
}
"#;

fn check(dir: &Path) -> (bool, String) {
    let output = Command::new(env!("CARGO"))
        .args(["check", "--message-format=short"])
        .current_dir(dir)
        // Shares compiled dependencies with the UI tests.
        .env("CARGO_TARGET_DIR", target_dir().join("tests/trybuild"))
        .output()
        .expect("run cargo");
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn editing_the_spec_regenerates_the_client_and_old_code_keeps_compiling() {
    let dir = target_dir().join("tests/regenerate/widgets-demo");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::create_dir_all(dir.join("spec")).unwrap();
    let runtime = workspace_root().join("runtime");
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"widgets-demo\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\nacsgen = {{ path = {:?} }}\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    let spec_path = dir.join("spec/widgets.json");
    fs::write(&spec_path, serde_json::to_string_pretty(&spec_v1()).unwrap()).unwrap();

    // 1. The crate builds against the first spec.
    fs::write(dir.join("src/lib.rs"), OLD_CODE).unwrap();
    let (ok, log) = check(&dir);
    assert!(ok, "first build failed:\n{log}");

    // 2. Code using the parameter and field the spec lacks does not compile.
    fs::write(dir.join("src/lib.rs"), format!("{OLD_CODE}{NEW_CODE}")).unwrap();
    let (ok, log) = check(&dir);
    assert!(!ok, "new code compiled before the spec had it:\n{log}");
    assert!(log.contains("no method named `name_prefix`"), "{log}");

    // 3. Only the spec changes: an optional parameter and a response field are added.
    let mut spec = spec_v1();
    let api = &mut spec["apis"]["DescribeWidgets"];
    api["parameters"].as_array_mut().unwrap().push(json!(
        {"name": "NamePrefix", "in": "query", "schema": {"type": "string", "maxLength": 64}}
    ));
    api["responses"]["200"]["schema"]["properties"]["NextToken"] = json!({"type": "string"});
    fs::write(&spec_path, serde_json::to_string_pretty(&spec).unwrap()).unwrap();
    let (ok, log) = check(&dir);
    assert!(ok, "cargo did not regenerate from the edited spec, or old code broke:\n{log}");
    assert!(log.contains("Checking widgets-demo"), "the crate was not rebuilt:\n{log}");

    // 4. Nothing changed: nothing is rebuilt.
    let (ok, log) = check(&dir);
    assert!(ok && !log.contains("Checking widgets-demo"), "rebuilt without a change:\n{log}");
}
