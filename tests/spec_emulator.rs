//! The emulator serving a spec it reads at run time (`specs/paged.json`), walked by the client generated
//! from the same file: `.items()` yields every synthetic item once, in as many calls as the rule says, for
//! page sizes 1, 7 and 100 (the maximum); a scripted token handed back twice ends the walk with the paging
//! error; throttling scripted twice is retried to success, three calls on record; the call record over
//! HTTP is the one the library gives.

use acsgen::{Config, Error};
use acsgen_emulator::{Emulator, RunningEmulator, Scripted};
use acsgen_tests::{collected, emulator_config};
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The client generated from `specs/paged.json`.
#[acsgen::api(spec = "specs/paged.json")]
pub mod lists {}

/// One walk of each operation: `ListThings` ids, `DescribeThings` and `QueryRows` items.
type Walk = (Vec<Option<i64>>, Vec<i64>, Vec<i64>);

const ITEMS: usize = 250;

async fn emulator() -> RunningEmulator {
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/paged.json");
    Emulator::new().spec_file(spec).unwrap().list_items(ITEMS).seed(11).start_local().await.unwrap()
}

fn client(emulator: &RunningEmulator) -> lists::Client {
    lists::Client::new(&emulator_config(emulator))
}

/// Each walk against a fresh emulator of the same seed: the same items whatever the page size.
#[tokio::test(flavor = "multi_thread")]
async fn items_walk_the_synthetic_lists_once_at_any_page_size() {
    let mut walks: Vec<Walk> = Vec::new();
    for size in [1_usize, 7, 100] {
        let pages = ITEMS.div_ceil(size);
        let emulator = emulator().await;
        let client = client(&emulator);
        let things = collected(client.list_things().max_results(size as i32).items()).await;
        let things: Vec<Option<i64>> = things.iter().map(|t| t.id).collect();
        assert_eq!(emulator.calls_of("ListThings").len(), pages, "token pages, size {size}");
        let numbered = collected(client.describe_things().page_size(size as i32).items()).await;
        assert_eq!(emulator.calls_of("DescribeThings").len(), pages, "the total ends it, size {size}");
        let rows = collected(client.query_rows(1).page_size(size.to_string()).items()).await;
        assert_eq!(emulator.calls_of("QueryRows").len(), pages + 1, "an empty page ends it, size {size}");
        assert!(emulator.calls().iter().all(|c| c.status == 200));
        assert_eq!((things.len(), numbered.len(), rows.len()), (ITEMS, ITEMS, ITEMS), "size {size}");
        walks.push((things, numbered, rows));
    }
    assert!(walks.windows(2).all(|w| w[0] == w[1]), "item i is the same item on whatever page it falls");
    // Integers are drawn from 0..=1000 unless the schema bounds them: most of 250 differ.
    let distinct: std::collections::HashSet<i64> = walks[0].1.iter().copied().collect();
    assert!(distinct.len() > ITEMS * 3 / 4, "synthetic items differ: {} distinct of {ITEMS}", distinct.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scripted_repeated_token_ends_the_walk_with_the_error() {
    let emulator = emulator().await;
    let page = |token: &str| json!({"NextToken": token, "Things": {"Thing": [{"Id": 1}]}});
    emulator.stub("ListThings", vec![Scripted::body(page("same")), Scripted::body(page("same"))]);
    let walked: Vec<Result<_, Error>> = client(&emulator).list_things().pages().collect().await;
    assert_eq!(walked.len(), 3, "two pages, then the error");
    let err = walked[2].as_ref().unwrap_err();
    assert!(matches!(err, Error::Paging { action: "ListThings", page: 2, .. }), "{err}");
    let calls = emulator.calls_of("ListThings");
    assert_eq!(calls.len(), 2, "no call after the repeated token");
    assert_eq!(calls[1].param("NextToken"), Some("same"));
}

/// One raw HTTP/1.1 exchange with the emulator's unsigned endpoints: the answer's body as JSON.
async fn inspect(emulator: &RunningEmulator, method: &str, path: &str, body: &str) -> Value {
    let mut stream = tokio::net::TcpStream::connect(emulator.addr()).await.unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap()
}

/// Throttling scripted over HTTP twice, then a success: the client's default policy retries and succeeds,
/// and the call record over HTTP shows the three calls.
#[tokio::test(flavor = "multi_thread")]
async fn throttled_twice_then_answered_the_client_retries_to_success() {
    let emulator = emulator().await;
    let script = json!({"action": "DescribeThings", "responses": [
        {"code": "Throttling", "message": "Request was denied due to request throttling.", "retry_after_ms": 20},
        {"status": 429, "code": "Throttling.User", "retry_after_ms": 20},
        {"body": {"TotalCount": 1, "Data": {"Items": [42]}}}]});
    assert_eq!(inspect(&emulator, "POST", "/__emulator/stubs", &script.to_string()).await, json!({"queued": 3}));
    let config = Config::builder().endpoint(emulator.endpoint()).credentials(emulator.credentials()).build().unwrap();
    let answer = lists::Client::new(&config).describe_things().send().await.unwrap();
    assert_eq!(answer.data.unwrap().items, [42]);
    let calls = inspect(&emulator, "GET", "/__emulator/calls", "").await;
    let seen: Vec<(Value, Value, Value)> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["action"].clone(), c["status"].clone(), c["code"].clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (json!("DescribeThings"), json!(400), json!("Throttling")),
            (json!("DescribeThings"), json!(429), json!("Throttling.User")),
            (json!("DescribeThings"), json!(200), Value::Null)
        ]
    );
}

/// `GET /__emulator/calls` over HTTP shows what `RunningEmulator::calls` gives.
#[tokio::test(flavor = "multi_thread")]
async fn the_call_record_over_http_is_the_librarys() {
    let emulator = emulator().await;
    let client = client(&emulator);
    client.describe_things().page_number(2).page_size(5).send().await.unwrap();
    let refused = client.describe_things().page_number(2).page_size(500).send().await;
    assert!(refused.is_err(), "over the spec's maximum: refused before sending, or by the emulator");
    let body = inspect(&emulator, "GET", "/__emulator/calls?action=DescribeThings", "").await;
    let library: Vec<Value> = emulator
        .calls_of("DescribeThings")
        .iter()
        .map(|c| {
            let params: serde_json::Map<String, Value> =
                c.params.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
            json!({"action": c.action, "version": c.version, "method": c.method, "path": c.path, "params": params, "more_params": c.more_params,
                   "status": c.status, "code": c.code})
        })
        .collect();
    assert_eq!(body, Value::Array(library));
    assert_eq!(body[0]["params"], json!({"PageNumber": "2", "PageSize": "5"}));
}
