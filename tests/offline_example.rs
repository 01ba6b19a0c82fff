//! Testing code that calls Alibaba Cloud, offline: an emulator started in the test serves the product's
//! spec, a stub makes the service throttle twice, and the test checks what the code sent.

use acsgen::Config;
use acsgen_emulator::{Emulator, Scripted};
use futures_util::StreamExt as _;

/// The client, generated from the product's metadata file.
#[acsgen::api(spec = "specs/paged.json")]
pub mod lists {}

/// The code under test: counts the things, fifty a page.
async fn count_things(client: &lists::Client) -> Result<usize, acsgen::Error> {
    let mut things = client.list_things().max_results(50).items();
    let mut count = 0;
    while let Some(thing) = things.next().await {
        thing?;
        count += 1;
    }
    Ok(count)
}

#[tokio::test]
async fn counts_every_thing_through_throttling() {
    // Serve every operation of the same file, with 120 things to list.
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/paged.json");
    let emulator = Emulator::new().spec_file(spec).unwrap().list_items(120).start_local().await.unwrap();
    // The first two calls are throttled, as the service throttles: HTTP 400 `Throttling`.
    emulator.stub("ListThings", vec![Scripted::throttling(20), Scripted::throttling(20)]);

    let config = Config::builder().endpoint(emulator.endpoint()).credentials(emulator.credentials()).build().unwrap();
    let client = lists::Client::new(&config);
    assert_eq!(count_things(&client).await.unwrap(), 120);

    // Two throttled calls, retried; then three pages of 50, 50 and 20.
    let calls = emulator.calls_of("ListThings");
    let statuses: Vec<u16> = calls.iter().map(|call| call.status).collect();
    assert_eq!(statuses, [400, 400, 200, 200, 200]);
    assert!(calls.iter().all(|call| call.param("MaxResults") == Some("50")));
}
