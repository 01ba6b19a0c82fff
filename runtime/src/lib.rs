//! # acsgen
//!
//! Typed Alibaba Cloud API clients, generated at build time from the vendor's own API metadata by
//! [`macro@api`], on a runtime that validates, signs, sends, retries and decodes.
//!
//! ```ignore
//! #[acsgen::api(spec = "api-spec/aiccs-2019-10-15.json")]
//! pub mod aiccs {}
//!
//! let config = acsgen::Config::from_env()?;
//! let client = aiccs::Client::new(&config);
//! let answer = client
//!     .import_task_number_datas("119181071278", aiccs::DataType::Json)
//!     .phone_number_list(records)
//!     .send()
//!     .await?;
//! println!("batch {}", answer.data.unwrap_or_default());
//! ```
//!
//! What a generated client calls: [`ServiceClient`] (the call pipeline: validate, encode, sign, send,
//! retry, decode), configured by a [`Config`] with its [`RetryPolicy`], failing with an [`Error`]. The
//! parts a user may reach for directly have a module each: [`credentials`] (providers and the vendor's
//! default chain), [`protocol`] (RPC and ROA requests), [`paginate`] (walking paged listings), [`sign`] (V3 and V1 signatures, sans-I/O),
//! [`encode`] (parameter styles, percent-encoding), [`endpoint`], [`validate`], [`decode`] and [`redact`].

mod client;
mod config;
pub mod credentials;
pub mod decode;
pub mod encode;
pub mod endpoint;
mod error;
pub mod paginate;
pub mod protocol;
pub mod redact;
mod retry;
pub mod sign;
mod transport;
pub mod validate;

pub use acsgen_macros::api;

/// The ready-made client for aiccs 2019-10-15 (AI contact center), generated from
/// `api-spec/aiccs-2019-10-15.json`: a call task's life cycle — `CreateAiCallTask`,
/// `ImportTaskNumberDatas`, `StartAiCallTask`, `StopAiCallTask`, `QueryAiCallTaskDetail`,
/// `QueryAiCallDetailPage` (paged: `.items()` walks the call details) and `CancelAiCallDetails`.
///
/// ```no_run
/// # async fn run() -> Result<(), acsgen::Error> {
/// use acsgen::aiccs::{CalleeRecord, Client, DataType};
///
/// let client = Client::new(&acsgen::Config::from_env()?);
/// let records = vec![CalleeRecord::new("13800000000").out_id("crm-1").variables("name", "Tom")];
/// let answer = client.import_task_number_datas("119181071278", DataType::Json).phone_number_list(records).send().await?;
/// println!("import batch {:?}", answer.data);
/// # Ok(()) }
/// ```
#[cfg(feature = "aiccs")]
#[api(spec = "api-spec/aiccs-2019-10-15.json", crate = "crate")]
pub mod aiccs {}

/// The client for STS 2015-04-01 (Security Token Service), generated from `api-spec/sts-2015-04-01.json`:
/// `AssumeRole`, `AssumeRoleWithOIDC` (sent unsigned: the OIDC token is the proof) and
/// `GetCallerIdentity`. The credential providers that assume roles call STS through it; it is yours to
/// use as well.
///
/// ```no_run
/// # async fn run() -> Result<(), acsgen::Error> {
/// let client = acsgen::sts::Client::new(&acsgen::Config::from_env()?);
/// let me = client.get_caller_identity().send().await?;
/// println!("calling as {:?}", me.arn);
/// # Ok(()) }
/// ```
#[api(spec = "api-spec/sts-2015-04-01.json", crate = "crate")]
pub mod sts {}

pub use client::{Method, Operation, OperationMeta, RawResponse, Service, ServiceClient};
pub use config::{Config, ConfigBuilder, Timeouts};
pub use error::{Error, ServiceError};
pub use retry::RetryPolicy;
pub use transport::SignedRequest;

/// What generated code reaches through the `crate = "…"` path; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use bytes;
    pub use futures_core;
    pub use serde;
    pub use serde_json;
}
