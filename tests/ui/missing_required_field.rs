// A callee record needs its number: the constructor takes it, and struct literals are not allowed
// (the type is #[non_exhaustive], so a spec update that adds a field breaks nobody).
use acsgen::aiccs::CalleeRecord;

fn main() {
    let _ = CalleeRecord::new();
    let _ = CalleeRecord { callee_number: "138".into(), out_id: None, variables: Default::default() };
}
