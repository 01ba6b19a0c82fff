// The deepest types acsgen accepts compile, and a call that sends them is a future that can be spawned:
// a chain of 31 `$ref`s, 30 components each referring to all the others, and 31 levels of lists, of maps,
// and 15 of objects holding a list or a map of the next — each a parameter, one level below its request.
#[acsgen::api(spec = "../../../../tests/ui/specs/deepest-accepted.json")]
pub mod deepest {}

fn spawnable<F: std::future::Future + Send>(_: F) {}

async fn put(client: &deepest::Client) {
    let _ = client.put().send().await;
}

#[allow(dead_code)]
fn check(client: &deepest::Client) {
    spawnable(put(client));
}

fn main() {}
