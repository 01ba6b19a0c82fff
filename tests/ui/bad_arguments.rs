#[acsgen::api(spec = "../../../../api-spec/aiccs-2019-10-15.json", retries = 3)]
pub mod unknown_option {}

#[acsgen::api(operations = ["ImportTaskNumberDatas"])]
pub mod no_spec {}

#[acsgen::api(spec = "../../../../api-spec/aiccs-2019-10-15.json")]
pub mod not_inline;

fn main() {}
