//! Generator tests: snapshots of the generated code for the project's own spec, the vendor's real
//! metadata files through the whole pipeline, and arbitrary input never panicking.

use std::path::{Path, PathBuf};

use crate::{At, Request, generate};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn request<'a>(text: &'a str, label: &'a str) -> Request<'a> {
    Request {
        text,
        label,
        spec_path: "/spec.json",
        operations: None,
        runtime: "::acsgen",
        idempotent: Vec::new(),
        central: None,
    }
}

fn pretty(source: &str) -> String {
    let file = syn::parse_file(source).unwrap_or_else(|e| panic!("generated code does not parse: {e}"));
    prettyplease::unparse(&file)
}

#[test]
fn aiccs_spec_snapshot() {
    let text = std::fs::read_to_string(root().join("api-spec/aiccs-2019-10-15.json")).unwrap();
    let source = generate(&request(&text, "api-spec/aiccs-2019-10-15.json")).unwrap();
    insta::assert_snapshot!("aiccs", pretty(&source));
}

#[test]
#[ignore]
fn stage_timings() {
    use std::time::Instant;
    for file in ["aiccs-2019-10-15.2024-06.json", "ecs-2014-05-26.json"] {
        let text = std::fs::read_to_string(root().join("../shared/metadata").join(file)).unwrap();
        let t = Instant::now();
        let spec = crate::spec::read(&text, None).unwrap();
        let t_read = t.elapsed();
        let t = Instant::now();
        let ir = crate::ir::build(&spec, &crate::ir::Options::default());
        let t_ir = t.elapsed();
        let t = Instant::now();
        let out = crate::emit::module(&ir, "::acsgen", "/x");
        let t_emit = t.elapsed();
        eprintln!(
            "{file}: read {t_read:?} ir {t_ir:?} emit {t_emit:?} ({} bytes, {} types)",
            out.len(),
            ir.types.len()
        );
    }
}

#[test]
#[ignore]
fn dump_generated() {
    let file = std::env::var("ACSGEN_DUMP_SPEC").unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let source = generate(&request(&text, "dump")).unwrap();
    std::fs::write("/tmp/generated.rs", &source).unwrap();
}

#[test]
#[ignore]
fn generate_ecs_once() {
    let text = std::fs::read_to_string(root().join("../shared/metadata/ecs-2014-05-26.json")).unwrap();
    let source = generate(&request(&text, "ecs")).unwrap();
    assert!(source.len() > 1000);
}

fn vendor(file: &str) -> String {
    std::fs::read_to_string(root().join("../shared/metadata").join(file)).unwrap()
}

#[test]
fn operations_filter_generates_only_what_is_asked() {
    let text = vendor("ecs-2014-05-26.json");
    let mut req = request(&text, "ecs.json");
    req.operations = Some(vec!["DescribeInstances".into(), "StartInstance".into()]);
    let source = generate(&req).unwrap();
    let listed = source.lines().find(|l| l.starts_with("pub const OPERATIONS")).unwrap();
    assert!(listed.contains(r#""DescribeInstances""#) && listed.contains(r#""StartInstance""#), "{listed}");
    assert_eq!(listed.matches('"').count(), 4, "{listed}");
    assert!(source.contains("pub fn describe_instances(") && source.contains("pub fn start_instance("));
    assert!(!source.contains("pub fn run_instances("));
}

#[test]
fn unknown_operations_are_reported_where_written_with_close_matches() {
    let text = vendor("ecs-2014-05-26.json");
    let mut req = request(&text, "ecs.json");
    req.operations = Some(vec!["DescribeInstances".into(), "DescribeInstance".into(), "Frobnicate".into()]);
    req.idempotent = vec!["StartInstanse".into()];
    let errors = generate(&req).unwrap_err();
    assert_eq!(
        errors,
        [
            (
                At::Operation(1),
                "`DescribeInstance` is not an operation of ecs.json; did you mean `DescribeInstances`?".to_owned()
            ),
            (At::Operation(2), "`Frobnicate` is not an operation of ecs.json".to_owned()),
            (
                At::Idempotent(0),
                "`StartInstanse` is not an operation of ecs.json; did you mean `StartInstance` or `StartInstances`?"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn every_vendor_file_generates_code_that_parses() {
    for file in [
        "aiccs-2019-10-15.2024-06.json",
        "aiccs-2019-10-15.2025-12.stripped.json",
        "dysmsapi-2017-05-25.json",
        "sts-2015-04-01.json",
        "actiontrail-2020-07-06.json",
    ] {
        let text = vendor(file);
        let source = generate(&request(&text, file)).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        syn::parse_file(&source).unwrap_or_else(|e| panic!("{file}: generated code does not parse: {e}"));
    }
}

mod no_panics {
    //! Arbitrary input never panics the generator, and whatever it accepts becomes valid Rust.
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
            prop::sample::select(vec![
                "string",
                "integer",
                "array",
                "object",
                "json",
                "repeatList",
                "formData",
                "query",
                "int64",
                "self",
                "type",
                "Self",
                "1st",
                "#/components/schemas/CalleeRecord",
                "",
                "^(",
                "中文",
                "\"#",
            ])
            .prop_map(|s| Value::String(s.into())),
            Just(serde_json::json!({})),
            Just(serde_json::json!([])),
        ]
    }

    /// Replaces the node at a random path of `doc` with `value`.
    fn mutate(node: &mut Value, mut choices: Vec<usize>, value: Value) {
        let Some(choice) = choices.pop() else {
            *node = value;
            return;
        };
        match node {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(choice % map.len()).cloned().unwrap();
                mutate(map.get_mut(&key).unwrap(), choices, value);
            }
            Value::Array(items) if !items.is_empty() => {
                let n = items.len();
                mutate(&mut items[choice % n], choices, value);
            }
            _ => *node = value,
        }
    }

    fn check(text: &str) {
        match generate(&request(text, "fuzz.json")) {
            Ok(source) => {
                syn::parse_file(&source)
                    .unwrap_or_else(|e| panic!("accepted input gave code that does not parse: {e}"));
            }
            Err(errors) => assert!(!errors.is_empty()),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn mutated_specs(mutations in prop::collection::vec((prop::collection::vec(any::<usize>(), 0..8), leaf()), 1..4)) {
            let mut doc: Value = serde_json::from_str(
                &std::fs::read_to_string(root().join("api-spec/aiccs-2019-10-15.json")).unwrap(),
            ).unwrap();
            for (path, value) in mutations {
                mutate(&mut doc, path, value);
            }
            check(&doc.to_string());
        }

        #[test]
        fn arbitrary_text(text in ".{0,200}") {
            check(&text);
        }
    }
}
