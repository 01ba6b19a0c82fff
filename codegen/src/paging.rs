//! The paging rule behind generated paginators, in the names on the wire: for tools that serve or walk
//! a spec's lists without generated code (the emulator pages synthetic lists by it). The rule itself is
//! documented on the generator's paging module and in `docs/generated-code.md`; this is the same
//! decision, read off the same model, so a tool and a generated client never disagree.

use crate::ir;
use crate::spec::Spec;

/// How one operation pages, every name as it travels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagedOperation {
    /// The action name.
    pub action: String,
    /// The request parameter holding the page size (`MaxResults`, `PageSize`).
    pub size: String,
    /// Token or page-number paging.
    pub kind: PageKind,
    /// The JSON members from the answer's root down to the list (`Instances`, `Instance`).
    pub list: Vec<String>,
}

/// The two ways an operation pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    /// The request's `token` parameter takes the answer's `next` member (a path from the root); no
    /// `next`, or an empty one, ends the listing.
    Token {
        /// The request parameter (`NextToken`).
        token: String,
        /// The answer's members down to the next token.
        next: Vec<String>,
    },
    /// The request's `page` parameter counts pages from 1; `total`, when the answer has it, is the
    /// number of items in all pages.
    Number {
        /// The request parameter (`PageNumber`, `CurrentPage`, `PageNo`, …).
        page: String,
        /// The answer's members down to the total item count.
        total: Option<Vec<String>>,
    },
}

/// Every operation of `spec` that pages by the rule, in file order.
pub fn paged_operations(spec: &Spec) -> Vec<PagedOperation> {
    let built = ir::build(spec, &ir::Options::default());
    let wire = |steps: &[ir::paging::Step]| steps.iter().map(|s| s.wire.clone()).collect::<Vec<_>>();
    built
        .ops
        .iter()
        .filter_map(|op| {
            let paged = op.paged.as_ref()?;
            let (size, kind) = match &paged.paging {
                ir::paging::Paging::Token { token, size, next } => {
                    (size, PageKind::Token { token: token.wire.clone(), next: wire(next) })
                }
                ir::paging::Paging::Page { page, size, total } => {
                    (size, PageKind::Number { page: page.wire.clone(), total: total.as_deref().map(wire) })
                }
            };
            Some(PagedOperation { action: op.action.clone(), size: size.wire.clone(), kind, list: wire(&paged.list) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_reads_in_wire_names() {
        let text = include_str!("../../tests/specs/paged.json");
        let spec = crate::spec::read(text, None).expect("the paging spec reads");
        let names = |path: &[&str]| path.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let expected = [
            PagedOperation {
                action: "ListThings".into(),
                size: "MaxResults".into(),
                kind: PageKind::Token { token: "NextToken".into(), next: names(&["NextToken"]) },
                list: names(&["Things", "Thing"]),
            },
            PagedOperation {
                action: "DescribeThings".into(),
                size: "PageSize".into(),
                kind: PageKind::Number { page: "PageNumber".into(), total: Some(names(&["TotalCount"])) },
                list: names(&["Data", "Items"]),
            },
            PagedOperation {
                action: "QueryRows".into(),
                size: "PageSize".into(),
                kind: PageKind::Number { page: "CurrentPage".into(), total: None },
                list: names(&["Data", "List"]),
            },
        ];
        assert_eq!(paged_operations(&spec), expected);
    }
}
