//! What a user sees when a call misses a required parameter or a spec is broken: each case in `ui/`
//! fails to compile with the message pinned beside it.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
    cases.pass("ui/pass/*.rs");
}
