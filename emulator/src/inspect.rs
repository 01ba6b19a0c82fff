//! The unsigned endpoints outside the API, under `/__emulator/`: what the aiccs store holds, the record of
//! calls, and the queue of scripted answers.

use hyper::body::Incoming as IncomingBody;
use hyper::{Request, Response};
use serde_json::{Value, json};

use crate::reply::{self, Body};
use crate::server::{Shared, body_within_limits};

/// The inspection endpoints (unsigned):
/// - `GET /__emulator/tasks`: the task IDs and their record counts;
/// - `GET /__emulator/tasks/{TaskId}/callees`: the stored records, each with its batch ID;
/// - `GET /__emulator/calls[?action=NAME]`: the recorded calls; `DELETE` forgets them;
/// - `POST /__emulator/stubs`: queues scripted answers ([`crate::stubs`]); `GET` shows what is queued;
///   `DELETE` drops it.
pub async fn handle(shared: &Shared, request_id: &str, request: Request<IncomingBody>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let rest = parts.uri.path().trim_start_matches("/__emulator/").trim_end_matches('/');
    let segments: Vec<&str> = rest.split('/').collect();
    let action = parts
        .uri
        .query()
        .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "action").map(|(_, v)| v.into_owned()));
    match (parts.method.as_str(), segments.as_slice()) {
        ("GET", ["tasks"]) => {
            let tasks: Vec<Value> = shared
                .store
                .task_ids()
                .into_iter()
                .map(|id| {
                    let count = shared.store.record_count(&id).unwrap_or(0);
                    json!({"task_id": id, "records": count})
                })
                .collect();
            reply::document(request_id, &Value::Array(tasks))
        }
        ("GET", ["tasks", task, "callees"]) => match shared.store.callees(task) {
            Some(callees) => {
                let list: Vec<Value> =
                    callees
                    .into_iter()
                    .map(|c| json!({"batch_id": c.batch_id, "detail_id": c.detail_id, "cancelled": c.cancelled, "record": c.record}))
                    .collect();
                reply::document(request_id, &Value::Array(list))
            }
            None => reply::error(404, request_id, "TaskNotExist", &format!("The call task `{task}` does not exist.")),
        },
        ("GET", ["calls"]) => reply::document(request_id, &shared.calls.to_json(action.as_deref())),
        ("DELETE", ["calls"]) => {
            shared.calls.clear();
            reply::document(request_id, &json!({"cleared": true}))
        }
        ("GET", ["stubs"]) => {
            let pending: Vec<Value> =
                shared.stubs.pending().into_iter().map(|(a, n)| json!({"action": a, "responses": n})).collect();
            reply::document(request_id, &Value::Array(pending))
        }
        ("DELETE", ["stubs"]) => {
            shared.stubs.clear();
            reply::document(request_id, &json!({"cleared": true}))
        }
        ("POST", ["stubs"]) => {
            let body = match body_within_limits(&parts, body, request_id).await {
                Ok(body) => body,
                Err(refusal) => return refusal,
            };
            match shared.stubs.push_json(&body) {
                Ok(n) => reply::document(request_id, &json!({"queued": n})),
                Err(message) => reply::error(400, request_id, "InvalidStub", &message),
            }
        }
        _ => reply::error(
            404,
            request_id,
            "NotFound",
            "Inspection: GET /__emulator/tasks, /__emulator/tasks/{TaskId}/callees, /__emulator/calls; \
             POST /__emulator/stubs; DELETE /__emulator/calls or /__emulator/stubs.",
        ),
    }
}
