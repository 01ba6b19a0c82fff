// Every problem in the file is reported at once, each with its JSON pointer.
#[acsgen::api(spec = "../../../../tests/ui/specs/problems.json")]
pub mod broken {}

fn main() {}
