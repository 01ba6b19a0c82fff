//! The paginators of a paged operation's fluent call: `.pages()` (an async stream of answers) and
//! `.items()` (an async stream of the list's elements), on the runtime's `paginate` module.

use std::fmt::Write as _;

use super::{RESULT, VEC, Writer, lit};
use crate::ir::paging::{Paged, Paging, Step};
use crate::ir::{Home, Op, Ty};

/// Writes `pages` and `items` into the `impl Call` block of `op`, whose module is `home`.
pub fn paginators(w: &mut Writer<'_>, op: &Op, paged: &Paged, home: Home) {
    let rt = w.rt(home);
    let response = format!("super::{}", op.response_name);
    let item = w.ty(&paged.item, home);
    let stream = format!("{rt}::__private::futures_core::Stream");
    let (pager, set, seen) = match &paged.paging {
        Paging::Token { token, next, .. } => (
            format!("{rt}::paginate::Pager::by_token({})", token_of(token)),
            format!("if let {rt}::paginate::Cursor::Token(t) = cursor {{ {} }}", assign(token, "t")),
            format!("next_token: {}.cloned(), total: None,", by_ref("page", next)),
        ),
        Paging::Page { page, size, total } => (
            format!(
                "{rt}::paginate::Pager::by_page({}.unwrap_or(1), {})",
                number(page, "request"),
                number(size, "request")
            ),
            format!("if let {rt}::paginate::Cursor::Page(n) = cursor {{ {} }}", assign(page, "n")),
            format!("next_token: None, total: {},", total.as_ref().map_or("None".to_owned(), |t| total_of(t))),
        ),
    };
    w.docs(
        &[
            format!("Every page of the listing from this call's parameters on, as an async stream of answers: one `{}` call a page, each retried as the configuration allows, until the last page (or the first error, which ends the stream).", op.action),
            String::new(),
            "A page size set on the call is honoured. The stream is `Unpin`: `next()` it in a loop as it is.".into(),
        ],
        "",
    );
    let _ = writeln!(
        w.out,
        "pub fn pages(self) -> impl {stream}<Item = {RESULT}<{response}, {rt}::Error>> + ::core::marker::Unpin + 'c {{ let (client, request) = (self.client, self.request); let pager = {pager}; \
         {rt}::paginate::pages({}, pager, move |cursor| {{ let mut request = request.clone(); {set} async move {{ client.send(&request).await }} }}, \
         |page: &{response}| {rt}::paginate::PageSeen {{ {seen} items: {}.map_or(0, |l| l.len()) }}) }}",
        lit(&op.action),
        by_ref("page", &paged.list),
    );
    w.docs(
        &["Every element of the listing, page after page, as an async stream (see [`pages`](Self::pages)).".into()],
        "",
    );
    let _ = writeln!(
        w.out,
        "pub fn items(self) -> impl {stream}<Item = {RESULT}<{item}, {rt}::Error>> + ::core::marker::Unpin + 'c {{ {rt}::paginate::items(self.pages(), |page: {response}| -> {VEC}<{item}> {{ {}.unwrap_or_default() }}) }}",
        by_value("page", &paged.list),
    );
}

/// `Option<&T>` of the field at `path` from `root` (a reference).
fn by_ref(root: &str, path: &[Step]) -> String {
    walk(root, path, ".as_ref()", "&")
}

/// `Option<T>` of the field at `path`, taken out of `root` (owned).
fn by_value(root: &str, path: &[Step]) -> String {
    walk(root, path, "", "")
}

/// `Some(root)` followed down `path`: an optional field through `and_then` (`field{borrow}`), another
/// through `map` (`{take}field`).
fn walk(root: &str, path: &[Step], borrow: &str, take: &str) -> String {
    let mut out = format!("Some({root})");
    for step in path {
        if step.optional {
            let _ = write!(out, ".and_then(|x| x.{}{borrow})", step.rust);
        } else {
            let _ = write!(out, ".map(|x| {take}x.{})", step.rust);
        }
    }
    out
}

/// The request field `field` of `request` as `Option<i64>`.
fn number(field: &Step, request: &str) -> String {
    let value = match (&field.ty, field.optional) {
        (Ty::String, true) => format!("{request}.{}.as_deref().and_then(|v| v.parse::<i64>().ok())", field.rust),
        (Ty::String, false) => format!("{request}.{}.parse::<i64>().ok()", field.rust),
        (_, true) => format!("{request}.{}.map(i64::from)", field.rust),
        (_, false) => format!("Some(i64::from({request}.{}))", field.rust),
    };
    format!("({value})")
}

/// The statement setting request field `field` to `value`: the cursor's token (`t`, an `Option<String>`)
/// or page number (`n`, an `i64`).
fn assign(field: &Step, value: &str) -> String {
    let name = &field.rust;
    match (&field.ty, value, field.optional) {
        (_, "t", true) => format!("request.{name} = t;"),
        // A required token field takes the token when there is one.
        (_, "t", false) => format!("if let Some(t) = t {{ request.{name} = t; }}"),
        (Ty::String, _, true) => format!("request.{name} = Some({value}.to_string());"),
        (Ty::String, _, false) => format!("request.{name} = {value}.to_string();"),
        (_, _, true) => format!("request.{name} = Some({value}.try_into().unwrap_or_default());"),
        (_, _, false) => format!("request.{name} = {value}.try_into().unwrap_or_default();"),
    }
}

/// The caller's token in request field `field`, as `Option<String>`.
fn token_of(field: &Step) -> String {
    if field.optional {
        format!("request.{}.clone()", field.rust)
    } else {
        format!("Some(request.{}.clone())", field.rust)
    }
}

/// The total at `path` from `page` as `Option<i64>`.
fn total_of(path: &[Step]) -> String {
    let found = by_ref("page", path);
    match path.last().map(|s| &s.ty) {
        Some(Ty::String) => format!("{found}.and_then(|t| t.parse::<i64>().ok())"),
        _ => format!("{found}.map(|t| i64::from(*t))"),
    }
}
