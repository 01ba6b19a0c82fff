//! Which operations page their results, and how: the rule behind generated paginators.
//!
//! An operation pages when its request has a **token pair** — `NextToken` and `MaxResults` — or a **page
//! pair** — a page number (`PageNumber`, `CurrentPage` or `PageNo`) and `PageSize` — and its answer is an
//! object holding exactly **one list** within three levels (`Instances.Instance` in ECS, `Data.Records`
//! elsewhere). A token pair also needs a `NextToken` in the answer, beside the list or above it (or in an
//! object beside the way to it); a page pair may have a total (`TotalCount`, `TotalNum`, `Total`) there,
//! and without one an empty page is the last. The request's paging fields are strings
//! or integers (the token a string). Names compare in any case and spelling (`page_number`, `pageNo`). The token pair
//! wins when an operation has both. Anything else — no list, two lists, a token the answer lacks — gets no
//! paginator: never a wrong one.

use super::{Body, Field, Ir, Op, Ty};

/// A field on the way: its Rust name, its name on the wire, its type, and whether it is an `Option`.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub rust: String,
    pub wire: String,
    pub ty: Ty,
    pub optional: bool,
}

impl Step {
    fn of(field: &Field) -> Self {
        Step { rust: field.rust.clone(), wire: field.wire.clone(), ty: field.ty.clone(), optional: field.optional }
    }
}

/// How an operation pages.
#[derive(Debug, Clone, PartialEq)]
pub enum Paging {
    /// Request field `token` takes the answer's `next` path; `size` is the page size.
    Token { token: Step, size: Step, next: Vec<Step> },
    /// Request field `page` counts from 1; `size` is the page size; `total`, when the answer has it.
    Page { page: Step, size: Step, total: Option<Vec<Step>> },
}

/// A paged operation: how it pages, and the list it pages (path and item type).
#[derive(Debug, Clone, PartialEq)]
pub struct Paged {
    pub paging: Paging,
    pub list: Vec<Step>,
    pub item: Ty,
}

/// Lowercase, without `_` and `-`: how names compare.
fn norm(name: &str) -> String {
    name.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// The request field whose wire name is one of `names` (normalized), of a type paging can set: a string,
/// or for numbers an integer or a string.
fn request_field(fields: &[Field], names: &[&str], number: bool) -> Option<Step> {
    let field = fields.iter().find(|f| names.contains(&norm(&f.wire).as_str()))?;
    let settable = matches!(field.ty, Ty::String) || (number && matches!(field.ty, Ty::I32 | Ty::I64));
    (settable && !field.boxed).then(|| Step::of(field))
}

/// How `op` pages, if it does by the rule above.
pub fn recognise(ir: &Ir, op: &Op) -> Option<Paged> {
    let Body::Struct { fields, .. } = &ir.types[op.request].body else { return None };
    let Ty::Named(response) = op.response else { return None };
    let list = only_list(ir, response)?;
    let (list_path, item) = list;
    // Markers sit beside the list or above it: on the way to it.
    let on_the_way = |names: &[&str]| marker(ir, response, &list_path, names);
    let token = request_field(fields, &["nexttoken"], false);
    let max = request_field(fields, &["maxresults"], true);
    if let (Some(token), Some(size)) = (token, max)
        && let Some(next) = on_the_way(&["nexttoken"]).filter(|path| path.last().is_some_and(|s| s.ty == Ty::String))
    {
        let paging = Paging::Token { token, size, next };
        return Some(Paged { paging, list: list_path, item });
    }
    let page = request_field(fields, &["pagenumber", "currentpage", "pageno"], true)?;
    let size = request_field(fields, &["pagesize"], true)?;
    let total = on_the_way(&["totalcount", "totalnum", "total"]);
    let paging = Paging::Page { page, size, total };
    Some(Paged { paging, list: list_path, item })
}

/// The one list in the struct `index` within three levels of struct fields, with its item type.
fn only_list(ir: &Ir, index: usize) -> Option<(Vec<Step>, Ty)> {
    let mut found = Vec::new();
    collect_lists(ir, index, &mut Vec::new(), &mut found, 3);
    if found.len() == 1 { found.pop() } else { None }
}

fn collect_lists(ir: &Ir, index: usize, path: &mut Vec<Step>, found: &mut Vec<(Vec<Step>, Ty)>, depth: u8) {
    let Body::Struct { fields, .. } = &ir.types[index].body else { return };
    for f in fields {
        path.push(Step::of(f));
        match &f.ty {
            Ty::Vec(item) => found.push((path.clone(), (**item).clone())),
            Ty::Named(inner) if depth > 1 && !f.boxed => collect_lists(ir, *inner, path, found, depth - 1),
            _ => {}
        }
        path.pop();
    }
}

/// A scalar field named one of `names` in a struct on the way down `list` (from the answer `index` to
/// the list), or in an object beside that way (CS: `page_info.total_count` beside `clusters`).
fn marker(ir: &Ir, index: usize, list: &[Step], names: &[&str]) -> Option<Vec<Step>> {
    let mut current = index;
    let mut path = Vec::new();
    for step in list {
        if let Some(found) = scalar_named(ir, current, names) {
            path.push(found);
            return Some(path);
        }
        let Body::Struct { fields, .. } = &ir.types[current].body else { return None };
        for beside in fields.iter().filter(|f| f.rust != step.rust) {
            if let Ty::Named(inner) = beside.ty
                && let Some(found) = scalar_named(ir, inner, names)
            {
                path.push(Step::of(beside));
                path.push(found);
                return Some(path);
            }
        }
        let next = fields.iter().find(|f| f.rust == step.rust)?;
        let Ty::Named(inner) = next.ty else { return None };
        path.push(step.clone());
        current = inner;
    }
    None
}

/// The string or integer field of struct `index` named one of `names`.
fn scalar_named(ir: &Ir, index: usize, names: &[&str]) -> Option<Step> {
    let Body::Struct { fields, .. } = &ir.types[index].body else { return None };
    let scalar = |f: &&Field| matches!(f.ty, Ty::String | Ty::I32 | Ty::I64);
    let f = fields.iter().filter(scalar).find(|f| names.contains(&norm(&f.wire).as_str()))?;
    Some(Step::of(f))
}
