//! Random ROA-style specs over every parameter location (path, query, header, formData, body) and style
//! (none, json, simple, repeatList, flat), every schema type and every body kind (one body parameter or
//! two, an upload among them), with names that paging and the call's own methods use: whatever the generator
//! accepts must compile. Twelve specs are generated per run — from `ACSGEN_RANDOM_SPECS_SEED`, else a fresh
//! seed printed on failure — expanded by `#[acsgen::api]` in one crate and checked by cargo at once.

use std::fmt::Write as _;
use std::fs;
use std::process::Command;

use acsgen_tests::{target_dir, workspace_root};

const SPECS: usize = 12;

fn pick<'a>(rng: &mut fastrand::Rng, options: &[&'a str]) -> &'a str {
    options[rng.usize(..options.len())]
}

/// A schema of a random type, `depth` levels of nesting at most.
fn schema(rng: &mut fastrand::Rng, depth: u32, required: bool) -> String {
    let kinds: &[&str] = if depth == 0 {
        &["string", "int32", "int64", "number", "boolean"]
    } else {
        &["string", "int32", "int64", "number", "boolean", "array", "object", "map", "any"]
    };
    let req = if required { r#","required":true"# } else { "" };
    match pick(rng, kinds) {
        "int32" | "int64" => {
            format!(r#"{{"type":"integer","format":"{}","maximum":"100"{req}}}"#, pick(rng, &["int32", "int64"]))
        }
        "array" => format!(r#"{{"type":"array","maxItems":5,"items":{}{req}}}"#, schema(rng, depth - 1, false)),
        "object" => {
            let mut props = Vec::new();
            for i in 0..rng.usize(1..4) {
                let name = pick(rng, &["name", "Name", "type", "key", "Key"]);
                let required = rng.bool();
                props.push(format!(r#""{name}{i}":{}"#, schema(rng, depth - 1, required)));
            }
            format!(r#"{{"type":"object","properties":{{{}}}{req}}}"#, props.join(","))
        }
        "map" => format!(r#"{{"type":"object","additionalProperties":{}{req}}}"#, schema(rng, depth - 1, false)),
        "any" => format!(r#"{{"description":"anything"{req}}}"#),
        scalar => format!(r#"{{"type":"{scalar}","maxLength":64{req}}}"#),
    }
}

/// One operation: path parameters in its template, other parameters anywhere, and at most one body.
fn operation(rng: &mut fastrand::Rng, index: usize) -> String {
    let mut params = Vec::new();
    let mut path = format!("/things{index}");
    for p in 0..rng.usize(0..3) {
        let name = format!("{}{p}", pick(rng, &["ThingId", "thing_id", "Id"]));
        write!(path, "/{{{name}}}/sub").unwrap();
        params.push(format!(r#"{{"name":"{name}","in":"path","schema":{{"type":"string"}}}}"#));
    }
    for p in 0..rng.usize(0..5) {
        let location = pick(rng, &["query", "header", "formData"]);
        let style = pick(rng, &["", "json", "simple", "repeatList", "flat"]);
        let style = if style.is_empty() { String::new() } else { format!(r#","style":"{style}""#) };
        let required = rng.bool();
        let schema = schema(rng, 2, required);
        let name = pick(
            rng,
            &["Name", "page_size", "Tags", "type", "Items", "Pages", "NextToken", "MaxResults", "PageNumber"],
        );
        params.push(format!(r#"{{"name":"{name}{p}","in":"{location}"{style},"schema":{schema}}}"#));
    }
    if rng.bool() {
        let body = match rng.usize(..3) {
            0 => r#"{"type":"string","format":"binary"}"#.to_owned(),
            1 => format!(r#"{{"type":"array","items":{}}}"#, schema(rng, 2, false)),
            _ => schema(rng, 3, false),
        };
        params.push(format!(r#"{{"name":"body","in":"body","style":"json","schema":{body}}}"#));
        if rng.bool() {
            // A second body parameter: both are members of a JSON body then, an upload among them too.
            params.push(r#"{"name":"Upload","in":"body","schema":{"type":"string","format":"binary"}}"#.to_owned());
        }
    }
    let method = pick(rng, &["get", "post", "put", "delete", "patch"]);
    let answer = match rng.usize(..4) {
        0 => String::new(),
        1 => format!(r#","responses":{{"200":{{"schema":{{"type":"array","items":{}}}}}}}"#, schema(rng, 2, false)),
        2 => r#","responses":{"200":{"schema":{"type":"string"}}}"#.to_owned(),
        _ => format!(r#","responses":{{"200":{{"schema":{}}}}}"#, schema(rng, 2, false)),
    };
    format!(r#""Op{index}":{{"path":"{path}","methods":["{method}"],"parameters":[{}]{answer}}}"#, params.join(","))
}

fn spec(rng: &mut fastrand::Rng) -> String {
    let ops: Vec<String> = (0..rng.usize(1..6)).map(|i| operation(rng, i)).collect();
    format!(r#"{{"info":{{"style":"ROA","product":"things","version":"2024-01-01"}},"apis":{{{}}}}}"#, ops.join(","))
}

fn accepted(text: &str) -> bool {
    let request = acsgen_codegen::Request {
        text,
        label: "random.json",
        spec_path: "/random.json",
        operations: None,
        runtime: "::acsgen",
        idempotent: Vec::new(),
        central: None,
    };
    acsgen_codegen::generate(&request).is_ok()
}

#[test]
fn random_roa_specs_that_are_accepted_compile() {
    let seed = std::env::var("ACSGEN_RANDOM_SPECS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let mut rng = fastrand::Rng::with_seed(seed);
    let dir = target_dir().join("random-specs");
    fs::create_dir_all(dir.join("src")).unwrap();
    let mut lib = String::from("#![allow(deprecated, dead_code)]\n");
    let mut kept = 0;
    for i in 0..SPECS {
        let text = spec(&mut rng);
        if !accepted(&text) {
            continue;
        }
        fs::write(dir.join(format!("spec{i}.json")), &text).unwrap();
        writeln!(lib, "#[acsgen::api(spec = \"spec{i}.json\")]\npub mod m{i} {{}}").unwrap();
        kept += 1;
    }
    assert!(kept >= SPECS / 2, "seed {seed}: only {kept} of {SPECS} random specs were accepted");
    fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let runtime = workspace_root().join("runtime");
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"random-specs\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n[workspace]\n\
             [dependencies]\nacsgen = {{ path = {:?} }}\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    let output = Command::new(env!("CARGO"))
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .args(["check", "--offline", "--quiet"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "seed {seed}: accepted specs (in {}) do not compile:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
