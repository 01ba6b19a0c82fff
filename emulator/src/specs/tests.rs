use serde_json::{Value, json};

use super::*;

const RPC: &str = r#"{"info": {"style": "RPC", "product": "Demo", "version": "2020-01-01"},
  "apis": {
    "RunThing": {"methods": ["post"], "parameters": [
      {"name": "RegionId", "in": "query", "schema": {"type": "string", "required": true}},
      {"name": "Kind", "in": "query", "schema": {"type": "string", "enum": ["small", "large"]}},
      {"name": "Count", "in": "query", "schema": {"type": "integer", "format": "int32", "minimum": "1", "maximum": "100"}},
      {"name": "Name", "in": "query", "schema": {"type": "string", "maxLength": 8, "pattern": "^[a-z]+$"}},
      {"name": "Tag", "in": "query", "style": "repeatList", "schema": {"type": "array", "maxItems": 2,
        "items": {"type": "object", "properties": {"Key": {"type": "string"}}}}},
      {"name": "Config", "in": "query", "style": "json", "schema": {"type": "object", "properties": {
        "Size": {"type": "integer", "required": true}}}}
    ], "responses": {"200": {"schema": {"type": "object", "properties": {
      "RequestId": {"type": "string"}, "Success": {"type": "boolean"},
      "Ids": {"type": "object", "properties": {"Id": {"type": "array", "items": {"type": "string"}}}},
      "Amount": {"type": "number", "example": "1.5"}, "Zone": {"type": "string", "example": "cn-x-a"},
      "Kind": {"type": "string", "enum": ["a", "b"]}, "Count": {"type": "integer", "format": "int32", "maximum": "3"}}}}}}
  }}"#;

const ROA: &str = r#"{"info": {"style": "ROA", "product": "Boxes", "version": "2021-01-01"},
  "apis": {
    "PutBox": {"path": "/boxes/{BoxId}", "methods": ["put"], "parameters": [
      {"name": "BoxId", "in": "path", "schema": {"type": "string", "required": true}},
      {"name": "body", "in": "body", "schema": {"type": "object", "properties": {
        "size": {"type": "integer", "required": true}, "labels": {"type": "array", "items": {"type": "string"}}}}}
    ], "responses": {"200": {"schema": {"type": "object", "properties": {"box_id": {"type": "string"}}}}}}
  }}"#;

fn catalog() -> Catalog {
    let mut catalog = Catalog::default().with(7, 30);
    catalog.add("rpc.json", RPC).unwrap();
    catalog.add("roa.json", ROA).unwrap();
    catalog
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn run(catalog: &Catalog, action: &str, flat: &[(&str, &str)]) -> Result<Value, Failure> {
    let flat = pairs(flat);
    let call = Call { method: "POST", path: "/", flat: &flat, body: None, headers: &[], request_id: "RID" };
    catalog.answer("2020-01-01", action, &call)
}

#[test]
fn requests_are_checked_as_the_service_checks_them() {
    let catalog = catalog();
    let refused = |flat: &[(&str, &str)]| run(&catalog, "RunThing", flat).unwrap_err();
    let (status, code, message) = refused(&[]);
    assert_eq!((status, code), (400, "MissingParameter"));
    assert!(message.contains("\"RegionId\""), "{message}");
    let cases: [(&[(&str, &str)], &str); 8] = [
        (&[("Kind", "medium")], "\"Kind\" is not valid: `medium` is not one of small, large"),
        (&[("Count", "0")], "\"Count\" is not valid: it is below the minimum 1"),
        (&[("Count", "101")], "\"Count\" is not valid: it is above the maximum 100"),
        (&[("Count", "ten")], "\"Count\" is not valid: `ten` is not an integer"),
        (&[("Name", "abcdefghi")], "\"Name\" is not valid: it has 9 characters, more than 8"),
        (&[("Name", "ABC")], "\"Name\" is not valid: it does not match"),
        (
            &[("Tag.1.Key", "a"), ("Tag.2.Key", "b"), ("Tag.3.Key", "c")],
            "\"Tag\" is not valid: it has 3 items, more than 2",
        ),
        (&[("Config", "{\"Other\":1}")], "\"Config.Size\" that is mandatory"),
    ];
    for (extra, expected) in cases {
        let mut flat = vec![("RegionId", "cn-hangzhou")];
        flat.extend_from_slice(extra);
        let (status, _, message) = refused(&flat);
        assert_eq!(status, 400);
        assert!(message.contains(expected), "{extra:?}: {message}");
    }
    let fine = [("RegionId", "r"), ("Kind", "large"), ("Count", "100"), ("Tag.1.Key", "a"), ("Config", "{\"Size\":2}")];
    assert!(run(&catalog, "RunThing", &fine).is_ok());
    let (status, code, _) = run(&catalog, "Unknown", &[]).unwrap_err();
    assert_eq!((status, code), (404, "InvalidAction.NotFound"));
}

#[test]
fn answers_follow_the_schema_and_the_seed() {
    let catalog = catalog();
    let answer = run(&catalog, "RunThing", &[("RegionId", "r")]).unwrap();
    assert_eq!(answer["RequestId"], "RID");
    assert_eq!(answer["Success"], true);
    assert_eq!(answer["Amount"], 1.5, "the example");
    assert_eq!(answer["Zone"], "cn-x-a");
    assert!(["a", "b"].contains(&answer["Kind"].as_str().unwrap()));
    assert!((0..=3).contains(&answer["Count"].as_i64().unwrap()));
    assert!(answer["Ids"]["Id"].as_array().unwrap().iter().all(Value::is_string));
    assert_eq!(run(&catalog, "RunThing", &[("RegionId", "r")]).unwrap(), answer, "same seed, same request");
    let mut other = Catalog::default().with(8, 30);
    other.add("rpc.json", RPC).unwrap();
    assert_ne!(run(&other, "RunThing", &[("RegionId", "r")]).unwrap()["Ids"], answer["Ids"], "another seed");
}

#[test]
fn roa_operations_take_their_path_and_body() {
    let catalog = catalog();
    let body = json!({"size": 3, "labels": ["x"]});
    let call = |method, path, body: &Value| {
        let call = Call { method, path, flat: &[], body: Some(body), headers: &[], request_id: "RID" };
        catalog.answer("2021-01-01", "PutBox", &call)
    };
    assert!(call("PUT", "/boxes/b%201", &body).unwrap()["box_id"].is_string());
    assert_eq!(call("POST", "/boxes/b1", &body).unwrap_err().0, 405);
    assert_eq!(call("PUT", "/crates/b1", &body).unwrap_err().1, "InvalidAction.NotFound");
    assert_eq!(call("PUT", "/boxes/", &body).unwrap_err().1, "InvalidAction.NotFound");
    let (_, code, message) = call("PUT", "/boxes/b1", &json!({"labels": []})).unwrap_err();
    assert_eq!((code, message.contains("\"size\"")), ("MissingParameter", true));
    let (_, _, message) = call("PUT", "/boxes/b1", &json!({"size": "3"})).unwrap_err();
    assert!(message.contains("\"size\" is not valid: expected an integer, got a string"), "{message}");
    assert_eq!(route::match_path("/a/{X}/b", "/a/x%2Fy/b"), Some(vec![("X".to_owned(), "x/y".to_owned())]));
}

#[test]
fn a_spec_that_cannot_be_served_says_where_and_what() {
    let mut catalog = catalog();
    let error = catalog.add("again.json", RPC).unwrap_err();
    assert_eq!(error.problems, ["2020-01-01 RunThing is served by an earlier spec"]);
    let error = catalog.add("broken.json", r#"{"info": {"style": "RPC"}, "apis": 3}"#).unwrap_err();
    assert!(error.to_string().starts_with("broken.json cannot be served:\n  /"), "{error}");
}

#[test]
fn list_items_have_numbered_identifiers() {
    use acsgen_codegen::spec::{Additional, Schema};
    let mut id = Schema::new("/id".into(), Kind::String);
    id.example = Some("i-bp67acfmxazb4p****".into());
    let mut short = Schema::new("/short".into(), Kind::String);
    short.max_length = Some(4);
    let mut fixed = Schema::new("/fixed".into(), Kind::String);
    fixed.enum_values = vec!["AnId".into()];
    let properties = vec![("InstanceId".into(), id), ("ZoneID".into(), short), ("KindId".into(), fixed)];
    let schema = Schema::new("/item".into(), Kind::Object { properties, additional: Additional::Unspecified });
    let mut item = json!({"InstanceId": "i-bp67acfmxazb4p****", "ZoneID": "zone", "KindId": "AnId", "Name": "x"});
    answer::number_ids(&mut item, &schema, 42);
    assert_eq!(item, json!({"InstanceId": "i-000042", "ZoneID": "0042", "KindId": "AnId", "Name": "x"}));
}

#[test]
fn hostile_or_unusual_values_get_clear_answers() {
    let catalog = catalog();
    // An item's members need not be together.
    let interleaved =
        [("RegionId", "r"), ("Tag.1.Key", "a"), ("Tag.2.Key", "b"), ("Tag.1.Value", "c"), ("Tag.2.Value", "d")];
    assert!(run(&catalog, "RunThing", &interleaved).is_ok());
    let call = |body: &Value| {
        let call =
            Call { method: "PUT", path: "/boxes/b1", flat: &[], body: Some(body), headers: &[], request_id: "R" };
        catalog.answer("2021-01-01", "PutBox", &call)
    };
    let (status, code, message) = call(&json!([1, 2, 3])).unwrap_err();
    assert_eq!((status, code, message.as_str()), (400, "InvalidParameter", "The JSON body is not a JSON object."));
}

#[test]
fn generated_numbers_keep_to_a_lone_maximum() {
    use acsgen_codegen::spec::{Bound, IntFormat, Schema};
    let spec = acsgen_codegen::spec::read(RPC, None).unwrap();
    let index = std::collections::HashMap::new();
    let components = Components { spec: &spec, index: &index };
    let mut integer = Schema::new("/i".into(), Kind::Integer(IntFormat::I64));
    integer.maximum = Some(Bound::Int(-5));
    let mut number = Schema::new("/n".into(), Kind::Number);
    number.maximum = Some(Bound::Float(-0.5));
    number.exclusive_maximum = true;
    let mut bounded = Schema::new("/b".into(), Kind::Number);
    (bounded.minimum, bounded.maximum, bounded.exclusive_minimum) = (Some(Bound::Int(1)), Some(Bound::Int(1)), false);
    for seed in 0..200 {
        let mut synth = answer::Synth::new(&components, seed);
        assert!(synth.value("i", &integer, 0).as_i64().unwrap() <= -5);
        assert!(synth.value("n", &number, 0).as_f64().unwrap() < -0.5);
        assert_eq!(synth.value("b", &bounded, 0).as_f64(), Some(1.0));
    }
    let mut long = Schema::new("/s".into(), Kind::String);
    (long.min_length, long.max_length) = (Some(5000), Some(6000));
    let text = answer::Synth::new(&components, 1).value("s", &long, 0);
    assert_eq!(text.as_str().unwrap().chars().count(), 5000);
}
