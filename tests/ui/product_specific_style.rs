// OSS, SLS, FC, PDS and AliGenie have protocols of their own: refused at the spec literal, naming the style.
#[acsgen::api(spec = "../../../../tests/ui/specs/oss.json")]
pub mod oss {}

fn main() {}
