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
        let Some(text) = vendor(file) else { return };
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
    let Some(text) = vendor("ecs-2014-05-26.json") else { return };
    let source = generate(&request(&text, "ecs")).unwrap();
    assert!(source.len() > 1000);
}

/// The project's own spec of the shapes real files have.
fn shapes() -> String {
    std::fs::read_to_string(root().join("tests/specs/shapes.json")).unwrap()
}

/// The directory of the vendor's real metadata files, when `ACSGEN_VENDOR_METADATA` names one (CI sets
/// it); tests of the real files are skipped otherwise, with a note.
fn vendor_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("ACSGEN_VENDOR_METADATA").map(PathBuf::from)?;
    Some(if dir.is_absolute() { dir } else { root().join(dir) })
}

fn vendor(file: &str) -> Option<String> {
    let Some(dir) = vendor_dir() else {
        eprintln!("ACSGEN_VENDOR_METADATA is not set: skipped the vendor's {file}");
        return None;
    };
    Some(std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(file).display())))
}

#[test]
fn operations_filter_generates_only_what_is_asked() {
    let text = shapes();
    let mut req = request(&text, "shapes.json");
    req.operations = Some(vec!["DescribeWidgets".into(), "DeleteWidget".into()]);
    let source = generate(&req).unwrap();
    let listed = source.lines().find(|l| l.starts_with("pub const OPERATIONS")).unwrap();
    assert!(listed.contains(r#""DescribeWidgets""#) && listed.contains(r#""DeleteWidget""#), "{listed}");
    assert_eq!(listed.matches('"').count(), 4, "{listed}");
    assert!(source.contains("pub fn describe_widgets(") && source.contains("pub fn delete_widget("));
    assert!(!source.contains("pub fn create_widget("));
}

#[test]
fn unknown_operations_are_reported_where_written_with_close_matches() {
    let text = shapes();
    let mut req = request(&text, "shapes.json");
    req.operations = Some(vec!["DescribeWidgets".into(), "DescribeWidget".into(), "Frobnicate".into()]);
    req.idempotent = vec!["DeleteWidgets".into()];
    let errors = generate(&req).unwrap_err();
    assert_eq!(
        errors,
        [
            (
                At::Operation(1),
                "`DescribeWidget` is not an operation of shapes.json; did you mean `DescribeWidgets`?".to_owned()
            ),
            (At::Operation(2), "`Frobnicate` is not an operation of shapes.json".to_owned()),
            (
                At::Idempotent(0),
                "`DeleteWidgets` is not an operation of shapes.json; did you mean `DeleteWidget`?".to_owned()
            ),
        ]
    );
}

/// From the hostile-input pass: a `$ref` alias cycle (X → Y → X) names no type, and becomes any JSON (as
/// the docs say); an enum value listed twice is one variant (it was two, with an unreachable match arm).
#[test]
fn alias_cycles_are_any_json_and_repeated_enum_values_one_variant() {
    let text = r##"{"info":{"product":"p","version":"1"},"components":{"schemas":{
        "X":{"$ref":"#/components/schemas/Y"},"Y":{"$ref":"#/components/schemas/X"},
        "E":{"type":"string","enum":["a","b","a"]}}},
        "apis":{"Put":{"methods":["post"],"parameters":[
            {"name":"V","in":"query","style":"json","schema":{"$ref":"#/components/schemas/X"}},
            {"name":"K","in":"query","schema":{"$ref":"#/components/schemas/E"}}]}}}"##;
    let source = generate(&request(text, "alias.json")).unwrap();
    assert!(source.contains("pub v: Option<__rt::__private::serde_json::Value>"), "{source}");
    assert!(source.contains(r#"pub const VALUES: &'static [&'static str] = &["a", "b"];"#), "{source}");
    assert!(!source.contains("A2"), "{source}");
}

/// Every vendor file also compiles, in the vendor-file suite (`tests/vendor-specs`).
#[test]
fn every_vendor_file_generates_code_that_parses() {
    for file in [
        "aiccs-2019-10-15.2024-06.json",
        "aiccs-2019-10-15.2025-12.stripped.json",
        "dysmsapi-2017-05-25.json",
        "sts-2015-04-01.json",
        "actiontrail-2020-07-06.json",
        "cs-2015-12-15.json",
        "ocr-api-2021-07-07.json",
    ] {
        let Some(text) = vendor(file) else { return };
        let source = generate(&request(&text, file)).unwrap_or_else(|e| panic!("{file}: {e:?}"));
        syn::parse_file(&source).unwrap_or_else(|e| panic!("{file}: generated code does not parse: {e}"));
    }
}

// Every vendor file of the suite, with the name of its snapshots of generated names.
include!("../../tests/vendor-specs/vendor_files.rs");

/// The naming promise: the public names generated for each vendor file — client methods with their
/// positional arguments, setters, types with their fields, enums with their variants — are pinned, so a
/// change of any generated name shows up in review (`cargo insta review` after a deliberate change).
#[test]
fn generated_names_of_every_vendor_file() {
    for (name, file) in VENDOR_FILES {
        let Some(text) = vendor(file) else { return };
        let spec = crate::spec::read(&text, None).unwrap_or_else(|p| panic!("{file}: {p:?}"));
        let ir = crate::ir::build(&spec, &crate::ir::Options::default());
        vendor_snapshot(name, &public_names(&ir));
    }
}

/// Which operations of each vendor file get a paginator, how they page and the list they page — so a
/// wrong match shows up in review.
#[test]
fn paged_operations_of_every_vendor_file() {
    for (name, file) in VENDOR_FILES {
        let Some(text) = vendor(file) else { return };
        let spec = crate::spec::read(&text, None).unwrap_or_else(|p| panic!("{file}: {p:?}"));
        let ir = crate::ir::build(&spec, &crate::ir::Options::default());
        vendor_snapshot(&format!("paged_{name}"), &paged_operations(&ir));
    }
}

/// One line per paged operation: `op: token token_field/size_field next=path list=path` or
/// `op: page page_field/size_field total=path|none list=path`, then the count.
fn paged_operations(ir: &crate::ir::Ir) -> String {
    use crate::ir::paging::{Paging, Step};
    let path = |steps: &[Step]| steps.iter().map(|s| s.rust.as_str()).collect::<Vec<_>>().join(".");
    let mut lines: Vec<String> = ir
        .ops
        .iter()
        .filter_map(|op| {
            let paged = op.paged.as_ref()?;
            let how = match &paged.paging {
                Paging::Token { token, size, next } => {
                    format!("token {}/{} next={}", token.rust, size.rust, path(next))
                }
                Paging::Page { page, size, total } => {
                    let total = total.as_deref().map_or("none".to_owned(), path);
                    format!("page {}/{} total={total}", page.rust, size.rust)
                }
            };
            Some(format!("{}: {how} list={}", op.action, path(&paged.list)))
        })
        .collect();
    lines.push(format!("{} of {} operations page", lines.len(), ir.ops.len()));
    lines.join("\n") + "\n"
}

/// Asserts the snapshot `name` of what was generated from a vendor file. Kept beside the crate, out of its
/// package: they are names from the vendor's files.
fn vendor_snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../vendor-names");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name.to_owned(), text));
}

/// One line per generated item: `fn op(required…) .setter…`, `struct path { field… }`, `enum path { Variant… }`.
fn public_names(ir: &crate::ir::Ir) -> String {
    use crate::ir::{Body, Home};
    let mut out = String::new();
    for op in &ir.ops {
        let Body::Struct { fields, .. } = &ir.types[op.request].body else { continue };
        let required: Vec<&str> = fields.iter().filter(|f| !f.optional).map(|f| f.rust.as_str()).collect();
        let setters: Vec<String> = fields.iter().filter(|f| f.optional).map(|f| format!(".{}", f.setter)).collect();
        out.push_str(&format!("fn {}({}) {}\n", op.ident, required.join(", "), setters.join(" ")));
    }
    let mut types: Vec<String> = ir
        .types
        .iter()
        .map(|t| {
            let path = match t.home {
                Home::Top => t.name.clone(),
                Home::Op(i) => format!("{}::{}", ir.ops[i].ident, t.name),
            };
            match &t.body {
                Body::Struct { fields, extra } => {
                    let mut names: Vec<&str> = fields.iter().map(|f| f.rust.as_str()).collect();
                    names.extend(extra.as_ref().map(|e| e.rust.as_str()));
                    format!("struct {path} {{ {} }}", names.join(" "))
                }
                Body::Enum { variants } => {
                    let names: Vec<&str> = variants.iter().map(|v| v.rust.as_str()).collect();
                    format!("enum {path} {{ {} }}", names.join(" "))
                }
            }
        })
        .collect();
    types.sort();
    out.push_str(&types.join("\n"));
    out.push('\n');
    out
}

mod no_panics {
    //! Arbitrary input never panics the generator, and whatever it accepts parses as Rust (that it also
    //! compiles is checked on random ROA specs by `tests/random_specs.rs`, which runs cargo).
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
                "path",
                "header",
                "body",
                "ROA",
                "V3",
                "simple",
                "binary",
                "patch",
                "/things/{ThingId}",
                "{",
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

        /// Mutations of the project's RPC spec (aiccs) and of its ROA spec (every location and style: path,
        /// header, body of each kind, formData, simple, json).
        #[test]
        fn mutated_specs(
            roa in any::<bool>(),
            mutations in prop::collection::vec((prop::collection::vec(any::<usize>(), 0..8), leaf()), 1..4),
        ) {
            let base = if roa { "tests/specs/roa.json" } else { "api-spec/aiccs-2019-10-15.json" };
            let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(root().join(base)).unwrap()).unwrap();
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

/// The IR of a spec given as text.
fn ir_of(text: &str) -> crate::ir::Ir {
    let spec = crate::spec::read(text, None).unwrap_or_else(|p| panic!("{p:?}"));
    crate::ir::build(&spec, &crate::ir::Options::default())
}

/// The request fields of operation `i`: (Rust name, optional, how it travels).
fn request_fields(ir: &crate::ir::Ir, i: usize) -> Vec<(String, bool, crate::ir::Travel)> {
    let crate::ir::Body::Struct { fields, .. } = &ir.types[ir.ops[i].request].body else { panic!("not a struct") };
    fields.iter().map(|f| (f.rust.clone(), f.optional, f.param.unwrap())).collect()
}

/// ROA bodies: an object's members become fields sent as members; a lone array, string or free-form body
/// is the whole JSON body; `format: binary` is the raw body (shown by size). Path parameters are required
/// whatever the file says; the method is the first listed.
#[test]
fn roa_bodies_path_parameters_and_methods() {
    use crate::ir::Travel::{BinaryBody, JsonBody, Param};
    use crate::spec::{Location, Style};
    let text = r#"{"info":{"style":"ROA","product":"p","version":"1"},"apis":{
        "Make":{"path":"/x/{Id}","methods":["patch","post"],"parameters":[
            {"name":"Id","in":"path","schema":{"type":"string"}},
            {"name":"body","in":"body","schema":{"type":"object","properties":{
                "name":{"type":"string","required":true},"spec":{"type":"object","properties":{"a":{"type":"integer"}}}}}}]},
        "List":{"path":"/x","methods":["put"],"parameters":[
            {"name":"items","in":"body","schema":{"type":"array","items":{"type":"string"}}}]},
        "Upload":{"path":"/u","methods":["put"],"parameters":[
            {"name":"file","in":"body","schema":{"type":"string","format":"binary","required":true}}]}}}"#;
    let ir = ir_of(text);
    let body = Param(Location::Body, Style::Default);
    assert_eq!(
        request_fields(&ir, 0),
        [
            ("id".to_owned(), false, Param(Location::Path, Style::Default)),
            ("name".to_owned(), false, body),
            ("spec".to_owned(), true, body)
        ]
    );
    assert_eq!((ir.ops[0].method, ir.ops[0].path.as_deref()), ("PATCH", Some("/x/{Id}")));
    assert_eq!(request_fields(&ir, 1), [("items".to_owned(), true, JsonBody)]);
    assert_eq!(request_fields(&ir, 2), [("file".to_owned(), false, BinaryBody)]);
    let crate::ir::Body::Struct { fields, .. } = &ir.types[ir.ops[2].request].body else { unreachable!() };
    assert!(fields[0].sensitive, "an upload is shown by its size only");
}

/// In an RPC file a body parameter stays one member of a JSON object, and a call with a body is a POST.
#[test]
fn rpc_body_parameters_stay_members() {
    use crate::ir::Travel::Param;
    use crate::spec::{Location, Style};
    let text = r#"{"info":{"style":"RPC","product":"p","version":"1"},"apis":{
        "Put":{"methods":["get","post"],"parameters":[
            {"name":"Doc","in":"body","schema":{"type":"object","properties":{"a":{"type":"string"}}}}]}}}"#;
    let ir = ir_of(text);
    assert_eq!(request_fields(&ir, 0), [("doc".to_owned(), true, Param(Location::Body, Style::Default))]);
    assert_eq!(ir.ops[0].method, "POST");
    assert_eq!(ir.ops[0].path, None);
}

/// Vendor files mark some creating, updating or deleting operations `operationType: read`; their system
/// tags say otherwise, and such a call is never resent.
#[test]
fn operations_whose_system_tags_say_they_change_things_are_not_idempotent() {
    let text = r#"{"info":{"style":"ROA","product":"p","version":"1"},"apis":{
        "DeleteThing":{"path":"/t","methods":["delete"],"operationType":"read","systemTags":{"operationType":"delete"}},
        "GetThing":{"path":"/t","methods":["get"],"operationType":"read","systemTags":{"operationType":"get"}},
        "DescribeThing":{"path":"/t","methods":["get"]}}}"#;
    let ir = ir_of(text);
    let idempotent: Vec<(&str, bool)> = ir.ops.iter().map(|o| (o.action.as_str(), o.idempotent)).collect();
    assert_eq!(idempotent, [("DeleteThing", false), ("GetThing", true), ("DescribeThing", true)]);
}

/// Properties differing only by case: the capitalised spelling gets the plain name, whichever is declared
/// first and whichever is deprecated — a spec update that flips `deprecated` keeps every name.
#[test]
fn case_collisions_are_named_by_the_names_alone() {
    let spec = |deprecated: &str, order: [&str; 2]| {
        let prop = |name: &str| {
            let flag = if name == deprecated { r#","deprecated":true"# } else { "" };
            format!(r#""{name}":{{"type":"string"{flag}}}"#)
        };
        format!(
            r#"{{"info":{{"product":"p","version":"1"}},"apis":{{"Put":{{"parameters":[
            {{"name":"Tag","in":"query","style":"json","schema":{{"type":"object","properties":{{{},{}}}}}}}]}}}}}}"#,
            prop(order[0]),
            prop(order[1])
        )
    };
    for (deprecated, order) in [("key", ["key", "Key"]), ("Key", ["key", "Key"]), ("key", ["Key", "key"])] {
        let ir = ir_of(&spec(deprecated, order));
        let tag = ir.types.iter().find(|t| t.name == "Tag").unwrap();
        let crate::ir::Body::Struct { fields, .. } = &tag.body else { panic!() };
        let mut names: Vec<(&str, &str)> = fields.iter().map(|f| (f.wire.as_str(), f.setter.as_str())).collect();
        names.sort();
        assert_eq!(names, [("Key", "key"), ("key", "key_2")], "deprecated {deprecated}, order {order:?}");
    }
}

/// The paging rule on a spec written for the project: a token pair with a token in the answer, a page pair
/// in another spelling with a total beside the list's wrapper, one without a total; and what gets no
/// paginator — two lists, no list, a token pair whose answer has no token.
#[test]
fn paged_operations_are_recognised_by_the_rule() {
    let text = r#"{"info":{"product":"p","version":"1"},"apis":{
        "ListA":{"parameters":[{"name":"NextToken","in":"query","schema":{"type":"string"}},
                               {"name":"MaxResults","in":"query","schema":{"type":"integer"}}],
                 "responses":{"200":{"schema":{"type":"object","properties":{"NextToken":{"type":"string"},
                     "Items":{"type":"object","properties":{"Item":{"type":"array","items":{"type":"string"}}}}}}}}},
        "ListB":{"parameters":[{"name":"page_no","in":"query","schema":{"type":"integer"}},
                               {"name":"pageSize","in":"query","schema":{"type":"integer"}}],
                 "responses":{"200":{"schema":{"type":"object","properties":{
                     "Data":{"type":"object","properties":{"TotalNum":{"type":"integer"},
                         "Rows":{"type":"array","items":{"type":"object","properties":{"Id":{"type":"string"}}}}}}}}}}},
        "ListC":{"parameters":[{"name":"CurrentPage","in":"query","schema":{"type":"integer"}},
                               {"name":"PageSize","in":"query","schema":{"type":"integer"}}],
                 "responses":{"200":{"schema":{"type":"object","properties":{"List":{"type":"array","items":{"type":"integer"}}}}}}},
        "TwoLists":{"parameters":[{"name":"PageNumber","in":"query","schema":{"type":"integer"}},
                               {"name":"PageSize","in":"query","schema":{"type":"integer"}}],
                 "responses":{"200":{"schema":{"type":"object","properties":{"A":{"type":"array","items":{"type":"string"}},
                     "B":{"type":"array","items":{"type":"string"}}}}}}},
        "NoList":{"parameters":[{"name":"PageNumber","in":"query","schema":{"type":"integer"}},
                               {"name":"PageSize","in":"query","schema":{"type":"integer"}}],
                 "responses":{"200":{"schema":{"type":"object","properties":{"Rows":{"type":"string"}}}}}},
        "NoToken":{"parameters":[{"name":"NextToken","in":"query","schema":{"type":"string"}},
                               {"name":"MaxResults","in":"query","schema":{"type":"integer"}}],
                 "responses":{"200":{"schema":{"type":"object","properties":{"Items":{"type":"array","items":{"type":"string"}}}}}}}}}"#;
    let ir = ir_of(text);
    assert_eq!(
        paged_operations(&ir),
        "ListA: token next_token/max_results next=next_token list=items.item\n\
         ListB: page page_no/page_size total=data.total_num list=data.rows\n\
         ListC: page current_page/page_size total=none list=list\n\
         3 of 6 operations page\n"
    );
}
