// A name in `operations` the file lacks is reported at that name, with close matches.
#[acsgen::api(spec = "../../../../api-spec/aiccs-2019-10-15.json", operations = ["ImportTaskNumberDatas", "StartAiCallTsk"])]
pub mod aiccs {}

fn main() {}
