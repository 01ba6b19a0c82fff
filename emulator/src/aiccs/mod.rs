//! The aiccs operations the emulator serves with state — a call task's life cycle: `CreateAiCallTask`,
//! `StartAiCallTask`, `StopAiCallTask`, `ImportTaskNumberDatas` — with the documented rules, and the tasks
//! and callees they store. A rejected request stores nothing: a batch is checked completely before any
//! record of it is kept. Each stored record is a call detail of its task ([`details`]: reading and
//! cancelling them).

mod details;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};

/// The API version served.
pub const VERSION: &str = "2019-10-15";
/// Records one `ImportTaskNumberDatas` request may carry.
pub const MAX_RECORDS: usize = 1000;
/// The operations the store plays (a spec served beside it answers aiccs's others).
pub const ACTIONS: &[&str] = &[
    "CreateAiCallTask",
    "StartAiCallTask",
    "StopAiCallTask",
    "ImportTaskNumberDatas",
    "QueryAiCallTaskDetail",
    "QueryAiCallDetailPage",
    "CancelAiCallDetails",
];
/// Characters an `outId` may have.
pub const MAX_OUT_ID: usize = 128;

/// How an operation ended.
#[derive(Debug)]
pub enum Outcome {
    /// Success with this `Data`.
    Data(Value),
    /// A protocol error: HTTP status, code, message.
    Error(u16, &'static str, String),
    /// A business failure (HTTP 200, `"Success": false`): code, message.
    Failure(&'static str, String),
}

/// One stored callee record: its call detail, and the import batch it arrived in.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCallee {
    /// The import batch the record arrived in.
    pub batch_id: i64,
    /// The record's call detail ID.
    pub detail_id: i64,
    /// Cancelled with `CancelAiCallDetails`: it will not be called, and queries no longer find it.
    pub cancelled: bool,
    /// The record as stored.
    pub record: Value,
}

/// An import batch: its records as compact JSON (about 70 bytes a record, so a million fit easily), their
/// call details numbered from `first_detail`.
struct Batch {
    id: i64,
    imported_ms: i64,
    first_detail: i64,
    records: Vec<Box<str>>,
}

/// A call task: its settings, state and records.
#[derive(Default)]
struct Task {
    /// The `CreateAiCallTask` parameters, by name, as sent.
    settings: Vec<(String, String)>,
    started: bool,
    batches: Vec<Batch>,
    records: usize,
    cancelled: HashSet<i64>,
    /// The details of each `outId`.
    by_out_id: HashMap<Box<str>, Vec<i64>>,
}

/// The emulator's data: tasks and their callees.
pub struct Store {
    inner: Mutex<Inner>,
}

struct Inner {
    tasks: HashMap<String, Task>,
    next_task: i64,
    next_batch: i64,
    next_detail: i64,
}

impl Store {
    /// Task IDs and batch IDs start from `seed`-derived bases; batch IDs have 18–19 digits, beyond 2^53.
    pub fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        Self {
            inner: Mutex::new(Inner {
                tasks: HashMap::new(),
                next_task: 100_000_000_000 + rng.i64(0..800_000_000_000),
                next_batch: 100_000_000_000_000_000 + rng.i64(0..8_000_000_000_000_000_000),
                next_detail: 1_000_000_000 + rng.i64(0..8_000_000_000),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every record stored for `task`, in arrival order; `None` for an unknown task.
    pub fn callees(&self, task: &str) -> Option<Vec<StoredCallee>> {
        let inner = self.lock();
        let task = inner.tasks.get(task)?;
        let mut out = Vec::with_capacity(task.records);
        for batch in &task.batches {
            for (detail_id, record) in (batch.first_detail..).zip(&batch.records) {
                let record = serde_json::from_str(record).unwrap_or(Value::Null);
                let cancelled = task.cancelled.contains(&detail_id);
                out.push(StoredCallee { batch_id: batch.id, detail_id, cancelled, record });
            }
        }
        Some(out)
    }

    /// How many records `task` holds.
    pub fn record_count(&self, task: &str) -> Option<usize> {
        self.lock().tasks.get(task).map(|t| t.records)
    }

    /// The IDs of every task.
    pub fn task_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().tasks.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Runs `action` with `params`.
    pub fn call(&self, action: &str, version: &str, params: &[(String, String)]) -> Outcome {
        if version != VERSION {
            return Outcome::Error(
                400,
                "InvalidVersion",
                format!("Specified version `{version}` is not valid for aiccs (use {VERSION})."),
            );
        }
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        match action {
            "CreateAiCallTask" => self.create_task(params, &get),
            "StartAiCallTask" => self.set_started(&get, true),
            "StopAiCallTask" => self.set_started(&get, false),
            "ImportTaskNumberDatas" => self.import(&get),
            "QueryAiCallTaskDetail" => self.task_detail(&get),
            "QueryAiCallDetailPage" => self.detail_page(&get),
            "CancelAiCallDetails" => self.cancel_details(&get),
            _ => Outcome::Error(404, "InvalidAction.NotFound", format!("Specified api `{action}` is not found.")),
        }
    }

    fn create_task<'p>(&self, params: &[(String, String)], get: &dyn Fn(&str) -> Option<&'p str>) -> Outcome {
        for required in ["TaskName", "AgentId", "VirtualNumber", "StartType", "CallTime", "CallDay"] {
            if get(required).is_none_or(str::is_empty) {
                return missing(required);
            }
        }
        for list in ["CallTime", "CallDay"] {
            let valid = get(list)
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .is_some_and(|v| v.as_array().is_some_and(|items| items.iter().all(Value::is_string)));
            if !valid {
                return Outcome::Error(400, "InvalidParameter", format!("{list} must be a JSON array of strings."));
            }
        }
        let id = self.new_task();
        if let Some(task) = self.lock().tasks.get_mut(&id.to_string()) {
            task.settings = params.to_vec();
        }
        Outcome::Data(Value::from(id))
    }

    /// Creates an empty task and returns its ID.
    pub fn new_task(&self) -> i64 {
        let mut inner = self.lock();
        let id = inner.next_task;
        inner.next_task += 1;
        inner.tasks.insert(id.to_string(), Task::default());
        id
    }

    /// `QueryAiCallTaskDetail`: the task's settings as created.
    fn task_detail<'p>(&self, get: &dyn Fn(&str) -> Option<&'p str>) -> Outcome {
        let Some(task_id) = get("TaskId").filter(|t| !t.is_empty()) else { return missing("TaskId") };
        let inner = self.lock();
        let Some(task) = inner.tasks.get(task_id) else { return no_task(task_id) };
        let setting = |name: &str| task.settings.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let strings =
            |name: &str| serde_json::from_str::<Vec<String>>(setting(name).unwrap_or("[]")).unwrap_or_default();
        let times: Vec<Value> = strings("CallTime")
            .iter()
            .map(|t| {
                let (from, to) = t.split_once('-').unwrap_or((t, ""));
                json!({"StartTime": from, "EndTime": to})
            })
            .collect();
        Outcome::Data(json!({
            "TaskId": task_id, "TaskName": setting("TaskName"), "AgentId": setting("AgentId"),
            "StartType": setting("StartType"), "CallerNumber": setting("VirtualNumber"),
            "CallDays": strings("CallDay"), "CallTimes": times.clone(), "CallableTimes": times,
            "RetryEnable": setting("MissCallRetry") == Some("true"),
        }))
    }

    /// `StartAiCallTask` (`started`) and `StopAiCallTask`.
    fn set_started<'p>(&self, get: &dyn Fn(&str) -> Option<&'p str>, started: bool) -> Outcome {
        let Some(task_id) = get("TaskId").filter(|t| !t.is_empty()) else { return missing("TaskId") };
        let mut inner = self.lock();
        match inner.tasks.get_mut(task_id) {
            Some(task) => {
                task.started = started;
                Outcome::Data(Value::Bool(true))
            }
            None => no_task(task_id),
        }
    }

    fn import<'p>(&self, get: &dyn Fn(&str) -> Option<&'p str>) -> Outcome {
        let Some(task_id) = get("TaskId").filter(|t| !t.is_empty()) else { return missing("TaskId") };
        let Some(data_type) = get("DataType").filter(|t| !t.is_empty()) else { return missing("DataType") };
        match data_type {
            "JSON" => {}
            "EXCEL" => {
                return Outcome::Failure(
                    "DataTypeNotSupported",
                    "API calls support only the JSON data type; import spreadsheets through the console.".into(),
                );
            }
            other => {
                return Outcome::Error(
                    400,
                    "InvalidParameter",
                    format!("DataType `{other}` is not one of EXCEL, JSON."),
                );
            }
        }
        let Some(list) = get("PhoneNumberList") else {
            return Outcome::Failure(
                "PhoneNumberList.Empty",
                "PhoneNumberList is required when DataType is JSON.".into(),
            );
        };
        let records = match serde_json::from_str::<Value>(list) {
            Ok(Value::Array(records)) => records,
            Ok(_) => {
                return Outcome::Error(
                    400,
                    "InvalidParameter",
                    "PhoneNumberList must be a JSON array of records.".into(),
                );
            }
            Err(e) => {
                return Outcome::Error(400, "InvalidParameter", format!("PhoneNumberList is not valid JSON: {e}"));
            }
        };
        if records.is_empty() {
            return Outcome::Failure("PhoneNumberList.Empty", "PhoneNumberList holds no records.".into());
        }
        if records.len() > MAX_RECORDS {
            return Outcome::Failure(
                "PhoneNumberList.TooMany",
                format!("PhoneNumberList holds {} records; at most {MAX_RECORDS} per request.", records.len()),
            );
        }
        let mut compact = Vec::with_capacity(records.len());
        let mut out_ids = Vec::with_capacity(records.len());
        for (i, record) in records.iter().enumerate() {
            if let Err((code, problem)) = check_record(record) {
                return Outcome::Failure(code, format!("record {i}: {problem}"));
            }
            compact.push(record.to_string().into_boxed_str());
            out_ids.push(record.get("outId").and_then(Value::as_str).map(Box::<str>::from));
        }
        let mut guard = self.lock();
        let inner = &mut *guard;
        let (id, first_detail) = (inner.next_batch, inner.next_detail);
        let Some(task) = inner.tasks.get_mut(task_id) else { return no_task(task_id) };
        task.records += compact.len();
        for (detail_id, out_id) in (first_detail..).zip(out_ids) {
            if let Some(out_id) = out_id {
                task.by_out_id.entry(out_id).or_default().push(detail_id);
            }
        }
        inner.next_detail += compact.len() as i64;
        task.batches.push(Batch { id, imported_ms: now_ms(), first_detail, records: compact });
        inner.next_batch += 1;
        Outcome::Data(Value::from(id))
    }
}

fn no_task(task_id: &str) -> Outcome {
    Outcome::Failure("TaskNotExist", format!("The call task `{}` does not exist.", crate::params::shown(task_id)))
}

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn missing(name: &str) -> Outcome {
    Outcome::Error(
        400,
        "MissingParameter",
        format!("The input parameter `{name}` that is mandatory for processing this request is not supplied."),
    )
}

/// One record: an object with a non-empty string `calleeNumber`, an `outId` of at most 128 characters,
/// and string call variables.
fn check_record(record: &Value) -> Result<(), (&'static str, String)> {
    let Value::Object(fields) = record else {
        return Err(("Record.NotObject", "a record must be a JSON object".into()));
    };
    match fields.get("calleeNumber") {
        Some(Value::String(n)) if !n.trim().is_empty() => {}
        Some(Value::String(_)) => return Err(("CalleeNumber.Missing", "calleeNumber is empty".into())),
        Some(_) => return Err(("CalleeNumber.Invalid", "calleeNumber must be a string".into())),
        None => return Err(("CalleeNumber.Missing", "calleeNumber is required".into())),
    }
    if let Some(out_id) = fields.get("outId") {
        let Value::String(out_id) = out_id else { return Err(("OutId.Invalid", "outId must be a string".into())) };
        let n = out_id.chars().count();
        if n > MAX_OUT_ID {
            return Err(("OutId.TooLong", format!("outId has {n} characters, at most {MAX_OUT_ID}")));
        }
    }
    check_variables(fields)
}

fn check_variables(fields: &Map<String, Value>) -> Result<(), (&'static str, String)> {
    for (key, value) in fields {
        if key != "calleeNumber" && key != "outId" && !value.is_string() {
            let key = crate::params::shown(key);
            return Err(("Variable.NotString", format!("call variable `{key}` must be a string")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn create(store: &Store) -> String {
        let p = params(&[
            ("TaskName", "t"),
            ("AgentId", "a"),
            ("VirtualNumber", "v"),
            ("StartType", "IMMEDIATELY"),
            ("CallTime", r#"["09:00-12:00"]"#),
            ("CallDay", r#"["1"]"#),
        ]);
        match store.call("CreateAiCallTask", VERSION, &p) {
            Outcome::Data(id) => id.as_i64().unwrap().to_string(),
            other => panic!("{other:?}"),
        }
    }

    fn import(store: &Store, task: &str, records: Value) -> Outcome {
        let list = records.to_string();
        store.call(
            "ImportTaskNumberDatas",
            VERSION,
            &params(&[("TaskId", task), ("DataType", "JSON"), ("PhoneNumberList", &list)]),
        )
    }

    #[test]
    fn import_rules() {
        let store = Store::new(1);
        let task = create(&store);
        let code = |o: Outcome| match o {
            Outcome::Failure(code, _) | Outcome::Error(_, code, _) => code.to_owned(),
            Outcome::Data(_) => "OK".to_owned(),
        };
        assert_eq!(code(import(&store, &task, json!([{"calleeNumber": "1", "outId": "a", "name": "Tom"}]))), "OK");
        assert_eq!(code(import(&store, "999", json!([{"calleeNumber": "1"}]))), "TaskNotExist");
        assert_eq!(code(import(&store, &task, json!([]))), "PhoneNumberList.Empty");
        assert_eq!(
            code(import(&store, &task, Value::Array(vec![json!({"calleeNumber": "1"}); 1001]))),
            "PhoneNumberList.TooMany"
        );
        assert_eq!(code(import(&store, &task, json!([{"calleeNumber": "1"}, {"outId": "x"}]))), "CalleeNumber.Missing");
        assert_eq!(code(import(&store, &task, json!([{"calleeNumber": " "}]))), "CalleeNumber.Missing");
        assert_eq!(
            code(import(&store, &task, json!([{"calleeNumber": "1", "outId": "é".repeat(129)}]))),
            "OutId.TooLong"
        );
        assert_eq!(code(import(&store, &task, json!([{"calleeNumber": "1", "age": 18}]))), "Variable.NotString");
        assert_eq!(code(import(&store, &task, json!({"calleeNumber": "1"}))), "InvalidParameter");
        // Only the first, valid batch was stored.
        let stored = store.callees(&task).unwrap();
        assert_eq!(stored.len(), 1);
        assert!(stored[0].batch_id > 1 << 53, "batch IDs are beyond 2^53");
        assert_eq!(stored[0].record, json!({"calleeNumber": "1", "outId": "a", "name": "Tom"}));
    }

    fn data(outcome: Outcome) -> Value {
        match outcome {
            Outcome::Data(data) => data,
            other => panic!("{other:?}"),
        }
    }

    fn query(store: &Store, list: &[(&str, &str)]) -> Value {
        data(store.call("QueryAiCallDetailPage", VERSION, &params(list)))
    }

    /// Each stored record is a call detail: found by outId, batch and number, a page at a time, until it
    /// is cancelled.
    #[test]
    fn call_details_are_found_paged_and_cancelled() {
        let store = Store::new(2);
        let task = create(&store);
        let batch = |records: Value| data(import(&store, &task, records)).as_i64().unwrap().to_string();
        let first =
            batch(json!([{"calleeNumber": "100", "outId": "a", "name": "Tom"}, {"calleeNumber": "101", "outId": "b"}]));
        let second = batch(json!([{"calleeNumber": "102", "outId": "a"}, {"calleeNumber": "103"}]));
        let base = [("TaskId", task.as_str()), ("Status", "0")];
        let with = |extra: &[(&'static str, &'static str)]| [&base[..], extra].concat();
        let by_a = query(&store, &with(&[("OutId", "a")]));
        assert_eq!(by_a["Total"], 2, "outId a was imported twice");
        assert_eq!(by_a["List"][0]["BatchId"], first.as_str());
        assert_eq!(by_a["List"][1]["BatchId"], second.as_str());
        assert_eq!(by_a["List"][0]["Options"], r#"{"name":"Tom"}"#);
        assert_eq!(by_a["List"][0]["Status"], 0, "initialised until the task starts");
        let page = query(&store, &with(&[("PageNo", "2"), ("PageSize", "3")]));
        assert_eq!((page["Total"].as_u64(), page["List"].as_array().unwrap().len()), (Some(4), 1));
        assert_eq!(page["List"][0]["CalledNumber"], "103");
        assert_eq!(query(&store, &[&base[..], &[("BatchId", second.as_str())]].concat())["Total"], 2);
        assert_eq!(query(&store, &with(&[("CallResult", "Answered")]))["Total"], 0, "nobody was called");
        assert_eq!(query(&store, &[("TaskId", task.as_str()), ("Status", "1")])["Total"], 0);

        let later = by_a["List"][1]["DetailId"].as_str().unwrap().to_owned();
        let ids = format!(r#"["{later}", "999"]"#);
        let cancelled =
            data(store.call("CancelAiCallDetails", VERSION, &params(&[("TaskId", &task), ("DetailIdList", &ids)])));
        assert_eq!((cancelled["SucceedCount"].as_u64(), cancelled["FailedCount"].as_u64()), (Some(1), Some(1)));
        assert_eq!(query(&store, &with(&[("OutId", "a")]))["Total"], 1, "the cancelled detail is not found");
        let by_batch = [("TaskId", task.as_str()), ("BatchId", first.as_str()), ("PhoneNumbers", r#"["101"]"#)];
        assert_eq!(data(store.call("CancelAiCallDetails", VERSION, &params(&by_batch)))["SucceedCount"], 1);
        let callees = store.callees(&task).unwrap();
        assert_eq!(callees.iter().filter(|c| c.cancelled).count(), 2);

        data(store.call("StartAiCallTask", VERSION, &params(&[("TaskId", &task)])));
        assert_eq!(query(&store, &with(&[("OutId", "a")]))["List"][0]["Status"], 1, "waiting for a call");
        let detail = data(store.call("QueryAiCallTaskDetail", VERSION, &params(&[("TaskId", &task)])));
        assert_eq!(
            (detail["TaskName"].as_str(), detail["CallTimes"][0]["EndTime"].as_str()),
            (Some("t"), Some("12:00"))
        );
        assert_eq!(data(store.call("StopAiCallTask", VERSION, &params(&[("TaskId", &task)]))), true);
        let refused = |list: &[(&str, &str)]| match store.call("QueryAiCallDetailPage", VERSION, &params(list)) {
            Outcome::Error(_, code, _) | Outcome::Failure(code, _) => code,
            Outcome::Data(_) => "OK",
        };
        assert_eq!(refused(&[("TaskId", &task)]), "MissingParameter");
        assert_eq!(refused(&[("TaskId", &task), ("Status", "7")]), "InvalidParameter");
        assert_eq!(refused(&[("TaskId", "nope"), ("Status", "0")]), "TaskNotExist");
        assert_eq!(refused(&[("TaskId", &task), ("Status", "0"), ("PageNo", "0")]), "InvalidParameter");
        assert_eq!(refused(&[("TaskId", &task), ("Status", "0"), ("PageSize", "2147483648")]), "InvalidParameter");
        let first_id = query(&store, &with(&[("OutId", "a")]))["List"][0]["DetailId"].as_str().unwrap().to_owned();
        let twice = format!(r#"["{first_id}", "{first_id}"]"#);
        let again =
            data(store.call("CancelAiCallDetails", VERSION, &params(&[("TaskId", &task), ("DetailIdList", &twice)])));
        assert_eq!(
            (again["TotalCount"].as_u64(), again["SucceedCount"].as_u64()),
            (Some(1), Some(1)),
            "a repeated ID counts once"
        );
    }
}
