// 100 schemas in a `$ref` chain (A0 → A1 → … → A99): a clear error at the parameter that starts it,
// not a crash of rustc or of the macro.
#[acsgen::api(spec = "../../../../tests/ui/specs/deep-chain.json")]
pub mod chain {}

fn main() {}
