//! Paged operations over a synthetic list: which items a request's page holds, by the same rule that
//! gives generated clients their paginators (`acsgen_codegen::paging`), and writing them — with the next
//! token, or the total and page echoed — into an answer built from the schema.

use acsgen_codegen::paging::{PageKind, PagedOperation};
use serde_json::{Map, Value};

use super::check::{Refusal, invalid};

/// The page size when a request names none.
pub const DEFAULT_PAGE_SIZE: usize = 10;

/// One page of the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The items it holds, `start..end` of `total`.
    pub start: usize,
    pub end: usize,
    pub total: usize,
    /// The page number asked for (page-number paging).
    pub number: usize,
    pub size: usize,
}

/// A next token: the offset it continues from, in a shape a client cannot mistake for an offset it made.
fn token(offset: usize) -> String {
    format!("acsgen-next-{offset:x}")
}

fn offset_of(token: &str, total: usize) -> Option<usize> {
    let offset = usize::from_str_radix(token.strip_prefix("acsgen-next-")?, 16).ok()?;
    (offset < total).then_some(offset)
}

/// The page a request asks for, out of `total` items; `get` reads a request parameter.
pub fn page(op: &PagedOperation, total: usize, get: &dyn Fn(&str) -> Option<String>) -> Result<Page, Refusal> {
    let size = match get(&op.size).filter(|s| !s.is_empty()) {
        None => DEFAULT_PAGE_SIZE,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(invalid(&op.size, "a page size is a whole number from 1")),
        },
    };
    let (start, number) = match &op.kind {
        PageKind::Token { token, .. } => match get(token).filter(|t| !t.is_empty()) {
            None => (0, 1),
            Some(text) => match offset_of(&text, total) {
                Some(offset) => (offset, offset / size + 1),
                None => return Err(invalid(token, "it is not a token this listing handed out")),
            },
        },
        PageKind::Number { page, .. } => match get(page).filter(|p| !p.is_empty()).map(|p| p.parse::<usize>()) {
            None => (0, 1),
            Some(Ok(n)) if n >= 1 => (size.saturating_mul(n - 1).min(total), n),
            Some(_) => return Err(invalid(page, "a page number is a whole number from 1")),
        },
    };
    Ok(Page { start, end: start.saturating_add(size).min(total), total, number, size })
}

/// Writes `page`'s `items` into `answer` at the list's place, with the next token (empty on the last
/// page), or the total and the page number and size where the answer has members for them.
pub fn fill(answer: &mut Value, op: &PagedOperation, page: &Page, items: Vec<Value>) {
    *slot(answer, &op.list) = Value::Array(items);
    match &op.kind {
        PageKind::Token { next, .. } => {
            let token = if page.end < page.total { token(page.end) } else { String::new() };
            *slot(answer, next) = Value::String(token);
        }
        PageKind::Number { page: page_name, total } => {
            if let Some(path) = total {
                set_like(slot(answer, path), page.total);
                echo(answer, &path[..path.len() - 1], page_name, &op.size, page);
            }
            echo(answer, &[], page_name, &op.size, page);
        }
    }
}

/// Page number and size into the members of the object at `path` named like the request's.
fn echo(answer: &mut Value, path: &[String], page_name: &str, size_name: &str, page: &Page) {
    let Value::Object(members) = slot(answer, path) else { return };
    for (name, n) in [(page_name, page.number), (size_name, page.size)] {
        if let Some(member) = members.get_mut(name) {
            set_like(member, n);
        }
    }
}

/// `n` into `slot`, as a string if the schema made it one, otherwise as a number.
fn set_like(slot: &mut Value, n: usize) {
    *slot = match slot {
        Value::String(_) => Value::String(n.to_string()),
        _ => Value::from(n),
    };
}

/// The member at `path` under `value`, made (with the objects on the way) if missing.
fn slot<'v>(value: &'v mut Value, path: &[String]) -> &'v mut Value {
    let mut current = value;
    for key in path {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        let Value::Object(members) = current else { unreachable!("made an object just above") };
        current = members.entry(key.clone()).or_insert(Value::Null);
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_op() -> PagedOperation {
        let kind = PageKind::Token { token: "NextToken".into(), next: vec!["NextToken".into()] };
        PagedOperation {
            action: "List".into(),
            size: "MaxResults".into(),
            kind,
            list: vec!["Items".into(), "Item".into()],
        }
    }

    fn number_op() -> PagedOperation {
        let kind = PageKind::Number { page: "PageNumber".into(), total: Some(vec!["TotalCount".into()]) };
        PagedOperation { action: "Describe".into(), size: "PageSize".into(), kind, list: vec!["Data".into()] }
    }

    fn ask(op: &PagedOperation, total: usize, params: &[(&str, &str)]) -> Result<Page, Refusal> {
        let get = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string());
        page(op, total, &get)
    }

    #[test]
    fn token_pages_cover_the_list_once() {
        let op = token_op();
        let (mut seen, mut next) = (Vec::new(), None::<String>);
        loop {
            let mut params = vec![("MaxResults", "7")];
            if let Some(t) = &next {
                params.push(("NextToken", t));
            }
            let page = ask(&op, 20, &params).unwrap();
            let mut answer = Value::Object(Map::new());
            fill(&mut answer, &op, &page, (page.start..page.end).map(Value::from).collect());
            seen.extend(answer["Items"]["Item"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()));
            match answer["NextToken"].as_str().unwrap() {
                "" => break,
                t => next = Some(t.to_owned()),
            }
        }
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
        let refused = ask(&op, 20, &[("NextToken", "acsgen-next-14")]).unwrap_err();
        assert_eq!(refused.code, "InvalidParameter");
        assert!(refused.message.contains("\"NextToken\""), "{}", refused.message);
    }

    #[test]
    fn numbered_pages_report_the_total_in_the_schema_type() {
        let op = number_op();
        let page = ask(&op, 25, &[("PageNumber", "3"), ("PageSize", "10")]).unwrap();
        assert_eq!((page.start, page.end), (20, 25));
        let mut answer = serde_json::json!({"TotalCount": "0", "PageNumber": 0, "PageSize": "1"});
        fill(&mut answer, &op, &page, vec![Value::from(1)]);
        assert_eq!(answer, serde_json::json!({"TotalCount": "25", "PageNumber": 3, "PageSize": "10", "Data": [1]}));
        let beyond = ask(&op, 25, &[("PageNumber", "9"), ("PageSize", "10")]).unwrap();
        assert_eq!((beyond.start, beyond.end), (25, 25));
        assert_eq!(ask(&op, 25, &[("PageNumber", "0")]).unwrap_err().code, "InvalidParameter");
        assert_eq!(ask(&op, 25, &[("PageSize", "x")]).unwrap_err().code, "InvalidParameter");
    }

    #[test]
    fn extreme_sizes_and_tokens_are_answered_not_panicked_on() {
        let max = usize::MAX.to_string();
        let page = ask(&number_op(), 25, &[("PageNumber", &max), ("PageSize", &max)]).unwrap();
        assert_eq!((page.start, page.end), (25, 25));
        let page = ask(&token_op(), 25, &[("MaxResults", &max)]).unwrap();
        assert_eq!((page.start, page.end), (0, 25));
        let long = format!("acsgen-next-{}", "f".repeat(100));
        assert_eq!(ask(&token_op(), 25, &[("NextToken", &long)]).unwrap_err().code, "InvalidParameter");
        assert_eq!(ask(&token_op(), 25, &[("MaxResults", "-1")]).unwrap_err().code, "InvalidParameter");
    }
}
