#[acsgen::api(spec = "../../../../tests/ui/specs/roa.json")]
pub mod roa {}

fn main() {}
