//! What credential providers read the world through: variables and files (an [`Environment`]), and HTTP
//! to the two addresses a deployment may need to move — the ECS metadata service and STS. Tests hand in a
//! fixed environment and local stand-ins; nothing reaches the real environment, home or network.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::{Environment, OsEnvironment};
use crate::transport::{SendError, SignedRequest, Transport};

/// The ECS instance metadata service.
pub const ECS_METADATA_ENDPOINT: &str = "http://100.100.100.200";

/// Variable that replaces [`ECS_METADATA_ENDPOINT`] (a stand-in, a proxy).
pub const ECS_METADATA_ENDPOINT_VAR: &str = "ACSGEN_ECS_METADATA_ENDPOINT";

/// Variable that replaces the STS endpoint every provider would otherwise choose (any URL,
/// `http://127.0.0.1:PORT` included).
pub const STS_ENDPOINT_VAR: &str = "ACSGEN_STS_ENDPOINT";

/// Where providers read variables and files, and where they find the metadata service and STS.
#[derive(Clone, Debug)]
pub struct Context {
    env: Arc<dyn Environment>,
    ecs_metadata_endpoint: Option<String>,
    sts_endpoint: Option<String>,
    /// Made on first use: providers that never fetch anything never load TLS roots.
    http: Arc<OnceLock<Result<Transport, String>>>,
}

/// An HTTP answer to a provider's request.
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
}

/// Why a provider's request got no answer: nothing could be reached (`connected` false), or what was
/// reached did not answer in time.
pub(crate) struct Unanswered {
    pub connected: bool,
    pub reason: String,
}

impl std::fmt::Display for Unanswered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl Default for Context {
    fn default() -> Self {
        Self::new(Arc::new(OsEnvironment))
    }
}

impl Context {
    /// Reads variables and files through `env`; addresses from its variables, else the vendor's.
    pub fn new(env: Arc<dyn Environment>) -> Self {
        Self { env, ecs_metadata_endpoint: None, sts_endpoint: None, http: Arc::new(OnceLock::new()) }
    }

    /// Asks the metadata service at `url` instead of [`ECS_METADATA_ENDPOINT`] (wins over
    /// `ACSGEN_ECS_METADATA_ENDPOINT`).
    pub fn with_ecs_metadata_endpoint(mut self, url: impl Into<String>) -> Self {
        self.ecs_metadata_endpoint = Some(url.into());
        self
    }

    /// Calls STS at `url` whatever region or network a provider would choose (wins over
    /// `ACSGEN_STS_ENDPOINT`).
    pub fn with_sts_endpoint(mut self, url: impl Into<String>) -> Self {
        self.sts_endpoint = Some(url.into());
        self
    }

    /// The environment.
    pub fn env(&self) -> &dyn Environment {
        self.env.as_ref()
    }

    /// The environment, shared.
    pub fn shared_env(&self) -> Arc<dyn Environment> {
        self.env.clone()
    }

    /// Whether variable `name` is `true` (in any case).
    pub(crate) fn is_true(&self, name: &str) -> bool {
        self.env.var(name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    /// The metadata service's base URL, without a trailing `/`.
    pub(crate) fn ecs_metadata_endpoint(&self) -> String {
        let url = self.ecs_metadata_endpoint.clone().or_else(|| self.env.non_empty_var(ECS_METADATA_ENDPOINT_VAR));
        url.unwrap_or_else(|| ECS_METADATA_ENDPOINT.to_owned()).trim_end_matches('/').to_owned()
    }

    /// STS's URL: an override if any; else `sts[-vpc].<region>.aliyuncs.com` for a region given (by the
    /// provider's settings, else `ALIBABA_CLOUD_STS_REGION`), the VPC name when asked for (likewise, else
    /// `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED`); else the central `sts.aliyuncs.com`.
    pub(crate) fn sts_endpoint(&self, region: Option<&str>, vpc: Option<bool>) -> String {
        if let Some(url) = self.sts_endpoint.clone().or_else(|| self.env.non_empty_var(STS_ENDPOINT_VAR)) {
            return url;
        }
        let region = region.map(str::to_owned).or_else(|| self.env.non_empty_var("ALIBABA_CLOUD_STS_REGION"));
        let vpc = vpc.unwrap_or_else(|| self.is_true("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED"));
        match region {
            Some(region) if vpc => format!("https://sts-vpc.{region}.aliyuncs.com"),
            Some(region) => format!("https://sts.{region}.aliyuncs.com"),
            None => "https://sts.aliyuncs.com".to_owned(),
        }
    }

    /// Sends a request without a body, never through a proxy, and reads the answer within `limit`
    /// (connecting included).
    pub(crate) async fn request(
        &self,
        method: &'static str,
        url: &str,
        headers: &[(&str, &str)],
        limit: Duration,
    ) -> Result<Answer, Unanswered> {
        let http = self.http.get_or_init(|| Transport::direct(Duration::from_secs(1)));
        let http = http.as_ref().map_err(|reason| Unanswered { connected: false, reason: reason.clone() })?;
        let headers = headers.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let request = SignedRequest { method, url: url.to_owned(), headers, body: bytes::Bytes::new() };
        match http.send(&request, limit).await {
            Ok(answer) => {
                Ok(Answer { status: answer.status, body: String::from_utf8_lossy(&answer.body).into_owned() })
            }
            Err(SendError::Connect(reason)) => Err(Unanswered { connected: false, reason }),
            Err(SendError::NoAnswer(reason)) => Err(Unanswered { connected: true, reason }),
            Err(SendError::TimedOut) => {
                Err(Unanswered { connected: true, reason: format!("no answer within {limit:?}") })
            }
        }
    }
}
