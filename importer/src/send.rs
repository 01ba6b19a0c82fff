//! Sending one batch, and reading what the answer means for it: imported, rejected, uncertain — or a
//! refusal that stops the run, since no batch can succeed until its cause is fixed.

use std::time::Duration;

use acsgen::Error;
use acsgen::aiccs::{Client, DataType, ImportTaskNumberDatasRequest, ImportTaskNumberDatasResponse};
use acsgen::encode::EncodedForm;

use crate::error::Stop;
use crate::tally::Outcome;
use crate::wire::Spares;

/// How one batch's request ended.
#[derive(Debug)]
pub(crate) enum Sent {
    /// The batch's outcome.
    Settled(Outcome),
    /// Refused without acting, for a reason that stops the run: the batch is to be sent again once the
    /// cause is fixed.
    Stopped(Stop),
}

/// What one call's result means.
enum Answer {
    Sent(Sent),
    /// Refused without acting, for a reason that may pass (throttling, unavailable, unreachable).
    Again(Error),
}

/// Codes that mean the credentials are wrong: no batch can succeed until they are fixed.
const CREDENTIAL_CODES: &[&str] = &[
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId",
    "InvalidAccessKeyId.Inactive",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingSecurityToken",
    "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey",
];

fn classify(result: Result<ImportTaskNumberDatasResponse, Error>, task_id: &str) -> Answer {
    let error = match result {
        Ok(answer) => return Answer::Sent(Sent::Settled(Outcome::Imported(answer.data))),
        Err(error) => error,
    };
    let stop = |stop| Answer::Sent(Sent::Stopped(stop));
    let settle = |outcome| Answer::Sent(Sent::Settled(outcome));
    match &error {
        Error::Service(e) if e.refused_without_acting() && e.is_clock_skew() => stop(Stop::ClockSkew(error)),
        Error::Service(e) if e.refused_without_acting() => Answer::Again(error),
        Error::Connect { .. } => Answer::Again(error),
        Error::Service(e) if CREDENTIAL_CODES.contains(&e.code()) || e.code().starts_with("Forbidden") => {
            stop(Stop::CredentialsRefused(error))
        }
        Error::Service(e) if e.code() == "TaskNotExist" => {
            stop(Stop::UnknownTask { task_id: task_id.to_owned(), error })
        }
        Error::Service(e) if e.status() >= 500 => settle(Outcome::Uncertain(error.to_string())),
        Error::Service(_) | Error::Validation { .. } | Error::Encode { .. } => {
            settle(Outcome::Rejected(error.to_string()))
        }
        Error::Credentials(_) | Error::Endpoint(_) | Error::Config(_) => stop(Stop::Unconfigured(error)),
        _ => settle(Outcome::Uncertain(error.to_string())),
    }
}

/// Sends one batch through the runtime's pipeline — the operation's own request, with the batch's wire
/// form as its form body — with signing, retries and time limits; throttling and unreachability (nothing
/// acted on) get `rounds` more tries after the client's own retries. The batch's buffer then goes back to
/// `spares`, for reuse, if the HTTP stack has let go of it.
pub(crate) async fn send(client: &Client, task_id: &str, body: Vec<u8>, rounds: u32, spares: &Spares) -> Sent {
    let request = ImportTaskNumberDatasRequest::new(task_id, DataType::Json);
    let body = bytes::Bytes::from(body);
    let service = client.service_client();
    let mut round = 0;
    let sent = loop {
        let result = service.send_with_form(&request, EncodedForm::new(body.clone())).await;
        match classify(result, task_id) {
            Answer::Sent(sent) => break sent,
            Answer::Again(last) if round >= rounds => {
                break Sent::Stopped(Stop::KeptRefusing { rounds: rounds + 1, last });
            }
            Answer::Again(_) => {
                round += 1;
                tokio::time::sleep(Duration::from_secs(u64::from(round))).await;
            }
        }
    };
    spares.give_body(body);
    sent
}
