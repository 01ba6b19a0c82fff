#[acsgen::api(spec = "../../../../tests/ui/specs/malformed.json")]
pub mod broken {}

fn main() {}
