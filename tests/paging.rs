//! Generated paginators on a spec written for the project (`specs/paged.json`): a token-paged operation
//! whose list is wrapped as ECS wraps its lists, a page-numbered one with a total, and one numbered by a
//! required `CurrentPage` without a total. A small listing server in the test serves 600 numbered items;
//! `.items()` must yield every one exactly once, in as many calls as there are pages, for page sizes 1, 7,
//! 100 and the maximum; a server that hands back a token twice ends the stream with the paging error.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use acsgen::credentials::Credentials;
use acsgen::{Config, Error, RetryPolicy};
use acsgen_tests::collected;
use futures_util::StreamExt as _;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// The client generated from `specs/paged.json`.
#[acsgen::api(spec = "specs/paged.json")]
pub mod lists {}

const ITEMS: i64 = 600;

/// How the server answers a token request.
#[derive(Clone, Copy)]
enum Tokens {
    /// `o<offset>` tokens, none after the last page.
    Honest,
    /// The same token on every page.
    Repeating,
}

/// The listing server: its address and how many calls it took.
async fn server(tokens: Tokens) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let calls = counted.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                let mut read = 0;
                while !buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                calls.fetch_add(1, Ordering::SeqCst);
                let head = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let body = answer(&head, tokens).to_string();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    (address, calls)
}

/// The answer to one request, from its action header and query.
fn answer(head: &str, tokens: Tokens) -> Value {
    let target = head.split_whitespace().nth(1).unwrap_or_default();
    let query: HashMap<String, String> = target
        .split_once('?')
        .map(|(_, q)| acsgen_tests::capture::query_pairs(q).into_iter().collect())
        .unwrap_or_default();
    let action = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("x-acs-action")).map(|(_, v)| v.trim()))
        .unwrap_or_default();
    let number = |name: &str, default: i64| query.get(name).and_then(|v| v.parse::<i64>().ok()).unwrap_or(default);
    let slice = |offset: i64, size: i64| (offset..(offset + size).min(ITEMS)).collect::<Vec<i64>>();
    match action {
        "ListThings" => {
            let offset = query.get("NextToken").map_or(0, |t| t.trim_start_matches('o').parse().unwrap_or(0));
            let size = number("MaxResults", 10);
            let things: Vec<Value> = slice(offset, size).into_iter().map(|id| json!({"Id": id})).collect();
            let next = match tokens {
                Tokens::Honest => (offset + size < ITEMS).then(|| format!("o{}", offset + size)),
                Tokens::Repeating => Some("o1".to_owned()),
            };
            json!({"RequestId": "r", "NextToken": next.unwrap_or_default(), "Things": {"Thing": things}})
        }
        "DescribeThings" => {
            let size = number("PageSize", 10);
            let items = slice((number("PageNumber", 1) - 1) * size, size);
            json!({"TotalCount": ITEMS, "Data": {"Items": items}})
        }
        _ => {
            // Capped at 100 a page, whatever is asked for, as some services do.
            let size = number("PageSize", 10).min(100);
            json!({"Data": {"List": slice((number("CurrentPage", 1) - 1) * size, size)}})
        }
    }
}

fn client(endpoint: &str) -> lists::Client {
    let config = Config::builder()
        .endpoint(endpoint)
        .credentials(Credentials::new("id", "secret"))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .unwrap();
    lists::Client::new(&config)
}

#[tokio::test(flavor = "multi_thread")]
async fn items_walk_every_listing_once_in_as_many_calls_as_pages() {
    let all: Vec<i64> = (0..ITEMS).collect();
    for size in [1_i64, 7, 100] {
        let pages = (ITEMS + size - 1) / size;

        let (endpoint, calls) = server(Tokens::Honest).await;
        let things = collected(client(&endpoint).list_things().max_results(size as i32).items()).await;
        assert_eq!(things.iter().map(|t| t.id.unwrap()).collect::<Vec<_>>(), all, "token, size {size}");
        assert_eq!(calls.load(Ordering::SeqCst) as i64, pages, "token pages, size {size}");

        let (endpoint, calls) = server(Tokens::Honest).await;
        let items = collected(client(&endpoint).describe_things().page_size(size as i32).items()).await;
        assert_eq!(items, all, "numbered with a total, size {size}");
        assert_eq!(calls.load(Ordering::SeqCst) as i64, pages, "the total ends it: no extra call, size {size}");

        let (endpoint, calls) = server(Tokens::Honest).await;
        let rows = collected(client(&endpoint).query_rows(1).page_size(size.to_string()).items()).await;
        assert_eq!(rows, all, "numbered without a total, size {size}");
        // Without a total only an empty page ends the walk: one call more than there are pages.
        assert_eq!(calls.load(Ordering::SeqCst) as i64, pages + 1, "size {size}");
    }
}

/// The streams are `Unpin`: `next()` in a loop, as users write it, without pinning.
#[tokio::test(flavor = "multi_thread")]
async fn the_streams_are_walked_with_next_as_they_are() {
    let (endpoint, _) = server(Tokens::Honest).await;
    let client = client(&endpoint);
    let mut things = client.list_things().max_results(100).items();
    let mut count = 0;
    while let Some(thing) = things.next().await {
        assert_eq!(thing.unwrap().id, Some(count));
        count += 1;
    }
    assert_eq!(count, ITEMS);
    let mut pages = client.describe_things().page_number(5).page_size(100).pages();
    assert!(pages.next().await.is_some() && pages.next().await.is_some() && pages.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_start_where_the_call_says() {
    let (endpoint, calls) = server(Tokens::Honest).await;
    let pages = collected(client(&endpoint).describe_things().page_number(5).page_size(100).pages()).await;
    assert_eq!(pages.len(), 2, "pages 5 and 6 of 6");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(pages[0].data.as_ref().unwrap().items.first(), Some(&400));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_set_on_the_call_resumes_the_walk_there() {
    let (endpoint, calls) = server(Tokens::Honest).await;
    let things = collected(client(&endpoint).list_things().next_token("o550").max_results(20).items()).await;
    assert_eq!(things.iter().map(|t| t.id.unwrap()).collect::<Vec<_>>(), (550..ITEMS).collect::<Vec<_>>());
    assert_eq!(calls.load(Ordering::SeqCst), 3, "items 550..570, 570..590, 590..600");
}

/// A service that caps its pages below the size asked for, without a total: short pages are not the last.
#[tokio::test(flavor = "multi_thread")]
async fn capped_pages_without_a_total_are_walked_to_the_end() {
    let (endpoint, _) = server(Tokens::Honest).await;
    let rows = collected(client(&endpoint).query_rows(1).page_size("1000").items()).await;
    assert_eq!(rows, (0..ITEMS).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_handed_back_twice_ends_the_stream_with_the_error() {
    let (endpoint, calls) = server(Tokens::Repeating).await;
    let walked: Vec<Result<_, Error>> = client(&endpoint).list_things().max_results(10).pages().collect().await;
    assert_eq!(walked.len(), 3, "two pages, then the error");
    assert!(walked[0].is_ok() && walked[1].is_ok());
    let err = walked[2].as_ref().unwrap_err();
    assert!(matches!(err, Error::Paging { action: "ListThings", page: 2, .. }), "{err}");
    assert!(err.to_string().contains("gave already"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "no call after the repeated token");
}
