//! Any bytes as a spec file: the reader and the generator never panic, and whatever they accept produces
//! source text; what they refuse is refused with at least one problem.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let request = acsgen_codegen::Request {
        text,
        label: "fuzz.json",
        spec_path: "/fuzz.json",
        operations: None,
        runtime: "::acsgen",
        idempotent: Vec::new(),
        central: None,
    };
    match acsgen_codegen::generate(&request) {
        Ok(source) => assert!(source.contains("pub struct Client")),
        Err(problems) => assert!(!problems.is_empty()),
    }
});
