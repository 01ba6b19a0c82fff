#[acsgen::api(spec = "specs/does-not-exist.json")]
pub mod missing {}

fn main() {}
