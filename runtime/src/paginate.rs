//! Walking a paged listing: the part every caller of a list operation otherwise writes by hand, with its
//! classic bugs (the last page read twice or missed, a token that repeats forever).
//!
//! [`Pager`] is the decision, sans-I/O: given what a page held — its next token, or the total and how many
//! items came — it says where the next page starts, that the listing is done, or that the service handed
//! back a token it gave already. [`pages`] drives it: one call per page through the runtime's pipeline
//! (so each page is retried by the client's policy), as an async stream of answers.

use std::collections::HashSet;

use futures_core::Stream;

use crate::error::Error;

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Token paging: no token for the first page, then the one the previous page gave.
    Token(Option<String>),
    /// Page-number paging, counting from 1.
    Page(i64),
}

/// What a page said about the listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageSeen {
    /// The token for the next page (token paging); none or empty on the last page.
    pub next_token: Option<String>,
    /// How many items the listing holds in all, when the answer says (page-number paging).
    pub total: Option<i64>,
    /// How many items this page held.
    pub items: usize,
}

/// The paging decision for one listing.
#[derive(Debug, Clone)]
pub struct Pager {
    by_token: bool,
    first_token: Option<String>,
    seen_tokens: HashSet<String>,
    page: i64,
    items: u64,
}

impl Pager {
    /// Token paging (`NextToken` + `MaxResults`), from the caller's token when it set one.
    pub fn by_token(first_token: Option<String>) -> Self {
        let first_token = first_token.filter(|t| !t.is_empty());
        Self { by_token: true, first_token, seen_tokens: HashSet::new(), page: 1, items: 0 }
    }

    /// Page-number paging from `first_page` (1 unless the caller asked for another), with the caller's
    /// page size when it set one (it counts the items before a later first page).
    pub fn by_page(first_page: i64, page_size: Option<i64>) -> Self {
        let page = first_page.max(1);
        // The pages before the first one count towards the total.
        let before = page_size.map_or(0, |size| (page - 1).saturating_mul(size.max(0)));
        let items = before.max(0) as u64;
        Self { by_token: false, first_token: None, seen_tokens: HashSet::new(), page, items }
    }

    /// Where the first page starts.
    pub fn first(&self) -> Cursor {
        if self.by_token { Cursor::Token(self.first_token.clone()) } else { Cursor::Page(self.page) }
    }

    /// After a page: where the next one starts, `None` when the listing is done, or why it cannot go on.
    pub fn after(&mut self, seen: &PageSeen) -> Result<Option<Cursor>, String> {
        self.items += seen.items as u64;
        if self.by_token {
            let Some(token) = seen.next_token.as_deref().filter(|t| !t.is_empty()) else { return Ok(None) };
            if !self.seen_tokens.insert(token.to_owned()) {
                return Err(format!(
                    "the service handed back a page token it gave already ({} characters)",
                    token.len()
                ));
            }
            return Ok(Some(Cursor::Token(Some(token.to_owned()))));
        }
        // Without a total only an empty page ends the listing: a service may cap the page size below the
        // one asked for, and a short page is then not the last.
        let all_read = seen.total.is_some_and(|total| self.items >= total.max(0) as u64);
        if seen.items == 0 || all_read {
            return Ok(None);
        }
        self.page += 1;
        Ok(Some(Cursor::Page(self.page)))
    }
}

/// The pages of a listing as an async stream: `fetch` sends the request for a cursor (through the client,
/// with its retries) and `seen` reads what a page said. The stream ends after the last page, or with an
/// error: a failed call, or — after the page that carried it — a token the service gave already.
///
/// The stream is boxed, so it is `Unpin`: a caller can `next()` it in a loop without pinning it first.
pub fn pages<T, F, Fut>(
    action: &'static str,
    pager: Pager,
    fetch: F,
    seen: fn(&T) -> PageSeen,
) -> impl Stream<Item = Result<T, Error>> + Unpin
where
    F: FnMut(Cursor) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let state = Walk::Next { cursor: pager.first(), pager, fetch, read: 0 };
    Box::pin(futures_util::stream::unfold(state, move |state| async move {
        let (cursor, mut pager, mut fetch, read) = match state {
            Walk::Next { cursor, pager, fetch, read } => (cursor, pager, fetch, read),
            Walk::Failed(error) => return Some((Err(error), Walk::Done)),
            Walk::Done => return None,
        };
        let page = match fetch(cursor).await {
            Ok(page) => page,
            Err(e) => return Some((Err(e), Walk::Done)),
        };
        let read = read + 1;
        let next = match pager.after(&seen(&page)) {
            Ok(Some(cursor)) => Walk::Next { cursor, pager, fetch, read },
            Ok(None) => Walk::Done,
            Err(reason) => Walk::Failed(Error::Paging { action, page: read, reason }),
        };
        Some((Ok(page), next))
    }))
}

/// The items of a listing, page after page: `list` takes each page's list out of its answer. An error ends
/// the stream after the items before it. `Unpin`, as the pages are.
pub fn items<T, I>(
    pages: impl Stream<Item = Result<T, Error>> + Unpin,
    list: fn(T) -> Vec<I>,
) -> impl Stream<Item = Result<I, Error>> + Unpin {
    use futures_util::StreamExt as _;
    pages.flat_map(move |page| {
        let items: Vec<Result<I, Error>> = match page {
            Ok(page) => list(page).into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures_util::stream::iter(items)
    })
}

/// Where a walk through the pages stands.
enum Walk<F> {
    /// The next page starts at `cursor`; `read` pages so far.
    Next {
        cursor: Cursor,
        pager: Pager,
        fetch: F,
        read: u64,
    },
    /// The last page read said the listing cannot go on: this error comes next.
    Failed(Error),
    Done,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(next_token: Option<&str>, total: Option<i64>, items: usize) -> PageSeen {
        PageSeen { next_token: next_token.map(str::to_owned), total, items }
    }

    #[test]
    fn token_paging_follows_tokens_and_stops_without_one() {
        let mut pager = Pager::by_token(None);
        assert_eq!(pager.first(), Cursor::Token(None));
        assert_eq!(pager.after(&seen(Some("t1"), None, 10)), Ok(Some(Cursor::Token(Some("t1".into())))));
        assert_eq!(pager.after(&seen(Some("t2"), None, 10)), Ok(Some(Cursor::Token(Some("t2".into())))));
        assert_eq!(pager.after(&seen(Some(""), None, 3)), Ok(None));
        let mut pager = Pager::by_token(None);
        assert_eq!(pager.after(&seen(None, None, 0)), Ok(None));
        // A walk resumed from the caller's token starts there.
        assert_eq!(Pager::by_token(Some("t7".into())).first(), Cursor::Token(Some("t7".into())));
        assert_eq!(Pager::by_token(Some(String::new())).first(), Cursor::Token(None));
    }

    #[test]
    fn a_token_given_twice_is_an_error_not_a_loop() {
        let mut pager = Pager::by_token(None);
        pager.after(&seen(Some("t1"), None, 10)).unwrap();
        pager.after(&seen(Some("t2"), None, 10)).unwrap();
        let err = pager.after(&seen(Some("t1"), None, 10)).unwrap_err();
        assert!(err.contains("gave already"), "{err}");
    }

    #[test]
    fn page_paging_stops_at_the_total_without_an_extra_call() {
        // 25 items, 10 a page: pages 1, 2, 3 and no fourth.
        let mut pager = Pager::by_page(1, Some(10));
        assert_eq!(pager.first(), Cursor::Page(1));
        assert_eq!(pager.after(&seen(None, Some(25), 10)), Ok(Some(Cursor::Page(2))));
        assert_eq!(pager.after(&seen(None, Some(25), 10)), Ok(Some(Cursor::Page(3))));
        assert_eq!(pager.after(&seen(None, Some(25), 5)), Ok(None));
        // Exactly two full pages: the total ends it, no empty third page is asked for.
        let mut pager = Pager::by_page(1, Some(10));
        pager.after(&seen(None, Some(20), 10)).unwrap();
        assert_eq!(pager.after(&seen(None, Some(20), 10)), Ok(None));
    }

    #[test]
    fn without_a_total_only_an_empty_page_is_the_last() {
        // A service that caps pages at 4 although 10 were asked for: short pages are not the end.
        let mut pager = Pager::by_page(1, Some(10));
        assert_eq!(pager.after(&seen(None, None, 4)), Ok(Some(Cursor::Page(2))));
        assert_eq!(pager.after(&seen(None, None, 4)), Ok(Some(Cursor::Page(3))));
        assert_eq!(pager.after(&seen(None, None, 0)), Ok(None));
        // Starting at page 3 of 10-item pages, 20 items lie before it: a total of 25 ends it after one page.
        let mut pager = Pager::by_page(3, Some(10));
        assert_eq!(pager.after(&seen(None, Some(25), 5)), Ok(None));
        // No size known: only an empty page ends it.
        let mut pager = Pager::by_page(3, None);
        assert_eq!(pager.first(), Cursor::Page(3));
        assert_eq!(pager.after(&seen(None, None, 4)), Ok(Some(Cursor::Page(4))));
        assert_eq!(pager.after(&seen(None, None, 0)), Ok(None));
    }

    /// The stream over a scripted service: every page once, in order; a repeated token ends it with the
    /// error after the pages before it.
    #[tokio::test]
    async fn the_stream_yields_each_page_once_and_ends_on_a_repeated_token() {
        use futures_util::StreamExt as _;
        let script = |tokens: Vec<Option<&'static str>>| {
            move |cursor: Cursor| {
                let index = match cursor {
                    Cursor::Token(None) => 0,
                    Cursor::Token(Some(t)) => t.trim_start_matches('t').parse::<usize>().unwrap(),
                    Cursor::Page(_) => unreachable!(),
                };
                let next = tokens[index];
                async move { Ok::<_, Error>((index, next)) }
            }
        };
        let read = |page: &(usize, Option<&'static str>)| PageSeen {
            next_token: page.1.map(str::to_owned),
            total: None,
            items: 1,
        };
        let walked: Vec<_> =
            pages("List", Pager::by_token(None), script(vec![Some("t1"), Some("t2"), None]), read).collect().await;
        let indices: Vec<usize> = walked.into_iter().map(|p| p.unwrap().0).collect();
        assert_eq!(indices, [0, 1, 2]);
        let looping: Vec<_> =
            pages("List", Pager::by_token(None), script(vec![Some("t1"), Some("t1")]), read).collect().await;
        // Page 0 gives t1, page 1 gives t1 again: both pages are read, then the error ends the stream.
        assert_eq!(looping.len(), 3);
        assert!(looping[0].is_ok() && looping[1].is_ok());
        let err = looping[2].as_ref().unwrap_err();
        assert!(matches!(err, Error::Paging { action: "List", page: 2, .. }), "{err}");
    }
}
