use serde_json::json;

use super::*;

fn detail(id: &str, batch: i64, at: i64, number: &str, options: &str) -> Detail {
    let options = Some(options.to_owned());
    Detail { detail_id: id.into(), batch_id: Some(batch), imported_ms: at, number: number.into(), options }
}

fn record(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn rows_settle_as_found_absent_or_unsettled() {
    let listing = Listing::of_details(vec![
        ("a", detail("12", 900, 5, "100", r#"{"name":"Tom"}"#)),
        ("a", detail("11", 800, 4, "100", r#"{"name":"Tom"}"#)),
        ("c", detail("13", 900, 5, "999", "{}")),
    ]);
    let records = [
        record(json!({"calleeNumber": "100", "outId": "a", "name": "Tom"})),
        record(json!({"calleeNumber": "101", "outId": "b"})),
        record(json!({"calleeNumber": "102"})),
        record(json!({"calleeNumber": "103", "outId": "c", "age": "3"})),
    ];
    let settlement = settle(&listing, &[2, 3, 4, 5], &records).unwrap();
    assert!(settle(&listing, &[2, 3], &records).is_err(), "as many lines as records");
    assert_eq!(
        settlement,
        Settlement {
            found: vec![
                Found { line: 2, batch_id: Some(800), differs: None },
                Found {
                    line: 5,
                    batch_id: Some(900),
                    differs: Some("the task holds other calleeNumber and call variables".into())
                },
            ],
            absent: vec![3],
            unsettled: vec![4],
        },
        "the earliest import of `a` is batch 800"
    );
    let doubles = listing.doubles();
    assert_eq!(doubles.len(), 1);
    assert_eq!((doubles[0].kept.detail_id.as_str(), doubles[0].extra[0].detail_id.as_str()), ("11", "12"));
}

#[test]
fn a_subset_of_a_batch_reads_back_as_its_records() {
    let records = vec![
        record(json!({"calleeNumber": "1", "outId": "x y&z", "名": "值"})),
        record(json!({"calleeNumber": "2"})),
        record(json!({"calleeNumber": "3", "outId": "w"})),
    ];
    let encoded = subset(&records, &[0, 2]);
    assert_eq!(super::records(&encoded).unwrap(), vec![records[0].clone(), records[2].clone()]);
    assert!(super::records(b"Other=1").is_err());
}
