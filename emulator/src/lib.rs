//! # acsgen-emulator
//!
//! A local Alibaba Cloud endpoint, like LocalStack or moto for AWS: it verifies real signatures (V3
//! `ACS3-HMAC-SHA256`, V1 `HMAC-SHA1`, STS tokens, the 15-minute window, nonce reuse), serves an aiccs
//! 2019-10-15 call task's life cycle with state (create, import, start, stop, query and cancel call
//! details) and the documented rules, shows what it stored at `GET /__emulator/tasks/{TaskId}/callees`,
//! and runs fault drills on demand. Given a product's metadata file ([`Emulator::spec_file`]) it serves
//! that product too: checked requests, answers built from the schemas, paged lists, scripted answers
//! ([`RunningEmulator::stub`]) and a record of calls ([`RunningEmulator::calls`]). Any client that signs
//! correctly can use it — the vendor's official SDKs included. On demand it also plays STS
//! ([`Emulator::sts`]) and the ECS metadata service ([`Emulator::metadata`]), so every kind of credentials
//! runs end to end offline.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let emulator = acsgen_emulator::Emulator::new().start_local().await?;
//! println!("{} with key {}", emulator.endpoint(), emulator.access_keys()[0].0);
//! # Ok(()) }
//! ```

mod aiccs;
mod auth;
mod calls;
mod inspect;
mod metadata;
mod params;
mod reply;
mod server;
mod specs;
mod sts;
mod stubs;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use aiccs::{MAX_OUT_ID, MAX_RECORDS, StoredCallee, VERSION};
pub use calls::{Call, KEPT as KEPT_CALLS, KEPT_BYTES as KEPT_CALL_BYTES, PARAMS as KEPT_PARAMS, VALUE_CHARS};
pub use metadata::{Imds, MetadataSettings};
pub use server::{Faults, MAX_BODY, RETRY_AFTER_MS};
pub use specs::{DEFAULT_LIST_ITEMS, SpecError};
pub use sts::StsSettings;
pub use stubs::Scripted;

use auth::{AccessKey, Verifier};
use calls::Calls;
use server::{Counters, Shared};
use specs::Catalog;
use stubs::Stubs;

/// The access key ID used when none is configured.
pub const DEMO_ACCESS_KEY_ID: &str = "acsgen-demo-key";
/// The access key secret used when none is configured.
pub const DEMO_ACCESS_KEY_SECRET: &str = "acsgen-demo-secret";

/// Settings for an emulator; [`Emulator::start`] runs it.
#[derive(Debug, Clone)]
pub struct Emulator {
    keys: Vec<AccessKey>,
    faults: Faults,
    seed: u64,
    clock_offset: i64,
    sts: Option<StsSettings>,
    metadata: Option<MetadataSettings>,
    /// The specs to serve, each read once, when added.
    catalog: Catalog,
    list_items: usize,
}

impl Default for Emulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Emulator {
    /// No keys yet (the demo pair is used if none is added), no faults, seed 0.
    pub fn new() -> Self {
        Self {
            keys: Vec::new(),
            faults: Faults::default(),
            seed: 0,
            clock_offset: 0,
            sts: None,
            metadata: None,
            catalog: Catalog::default(),
            list_items: DEFAULT_LIST_ITEMS,
        }
    }

    /// Accepts a long-term access key.
    pub fn access_key(mut self, id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.keys.push(AccessKey { id: id.into(), secret: secret.into(), token: None, expires: None });
        self
    }

    /// Accepts a temporary (STS) access key: requests must carry `token`.
    pub fn sts_access_key(
        mut self,
        id: impl Into<String>,
        secret: impl Into<String>,
        token: impl Into<String>,
    ) -> Self {
        self.keys.push(AccessKey { id: id.into(), secret: secret.into(), token: Some(token.into()), expires: None });
        self
    }

    /// Fault drills to run.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Seeds the generator behind drills, task IDs, batch IDs and request IDs.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Runs the emulator's clock `seconds` ahead (negative: behind), to drill clock skew.
    pub fn clock_offset(mut self, seconds: i64) -> Self {
        self.clock_offset = seconds;
        self
    }

    /// Plays STS 2015-04-01 as well: `AssumeRole`, `AssumeRoleWithOIDC` and `GetCallerIdentity`, issuing
    /// temporary keys that its other endpoints accept until they expire.
    pub fn sts(mut self, settings: StsSettings) -> Self {
        self.sts = Some(settings);
        self
    }

    /// Plays the ECS instance metadata service (under `/latest/`) for one RAM role, minting a temporary key
    /// at each fetch.
    pub fn metadata(mut self, settings: MetadataSettings) -> Self {
        self.metadata = Some(settings);
        self
    }

    /// Serves every operation of the API metadata file `text` (its path or name as `label`, for errors),
    /// RPC or ROA: requests are checked against it and answered with bodies built from its response
    /// schemas — the file's examples where it has them, otherwise values of the declared types, the same
    /// for the same seed — and list operations page over [`Emulator::list_items`] items. aiccs's
    /// call-task operations keep their stateful behaviour when the aiccs file is served.
    ///
    /// Fails when the file cannot be read by the generator's reader (every problem listed with where it
    /// is) or serves an action a spec added before serves for the same version.
    pub fn spec(mut self, label: impl Into<String>, text: impl Into<String>) -> Result<Self, SpecError> {
        self.catalog.add(&label.into(), &text.into())?;
        Ok(self)
    }

    /// [`Emulator::spec`] with the file at `path`.
    pub fn spec_file(self, path: impl AsRef<std::path::Path>) -> Result<Self, SpecError> {
        let path = path.as_ref();
        let label = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => self.spec(label, text),
            Err(e) => Err(SpecError { label, problems: vec![format!("cannot be read: {e}")] }),
        }
    }

    /// How many synthetic items each list operation of a served spec pages over (25 unless set).
    pub fn list_items(mut self, n: usize) -> Self {
        self.list_items = n;
        self
    }

    /// Listens on `addr` and serves in the background until the returned handle is dropped.
    pub async fn start(self, addr: SocketAddr) -> std::io::Result<RunningEmulator> {
        let catalog = self.catalog.with(self.seed, self.list_items);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let mut keys = self.keys;
        if keys.is_empty() {
            keys.push(AccessKey {
                id: DEMO_ACCESS_KEY_ID.into(),
                secret: DEMO_ACCESS_KEY_SECRET.into(),
                token: None,
                expires: None,
            });
        }
        let shared = Arc::new(Shared {
            store: aiccs::Store::new(self.seed),
            verifier: Verifier::new(keys, self.clock_offset),
            faults: Mutex::new(self.faults),
            rng: Mutex::new(fastrand::Rng::with_seed(self.seed)),
            counters: Counters::default(),
            sts: self.sts,
            metadata: self.metadata,
            metadata_tokens: Default::default(),
            catalog,
            stubs: Stubs::default(),
            calls: Calls::default(),
        });
        let task = tokio::spawn(server::serve(listener, shared.clone()));
        Ok(RunningEmulator { addr, shared, task })
    }

    /// Listens on `127.0.0.1` on a free port.
    pub async fn start_local(self) -> std::io::Result<RunningEmulator> {
        self.start(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }
}

/// A running emulator. Dropping it stops the server.
pub struct RunningEmulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator").field("endpoint", &self.endpoint()).finish_non_exhaustive()
    }
}

/// What the emulator has seen so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// API requests received (inspection excluded).
    pub requests: u64,
    /// Requests refused by signature, time or key checks.
    pub rejected: u64,
    /// Throttling drills.
    pub throttled: u64,
    /// Server-error drills.
    pub server_errors: u64,
    /// Connections dropped before processing.
    pub dropped_before: u64,
    /// Connections dropped after processing.
    pub dropped_after: u64,
    /// Temporary keys issued by STS.
    pub sts_issued: u64,
    /// Temporary keys minted by the metadata service.
    pub metadata_issued: u64,
}

impl RunningEmulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://HOST:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The accepted keys as (ID, secret, STS token).
    pub fn access_keys(&self) -> Vec<(String, String, Option<String>)> {
        self.shared.verifier.keys().iter().map(|k| (k.id.clone(), k.secret.clone(), k.token.clone())).collect()
    }

    /// Credentials for the first accepted key, for a client of this emulator.
    pub fn credentials(&self) -> acsgen::credentials::Credentials {
        let key = &self.shared.verifier.keys()[0];
        let creds = acsgen::credentials::Credentials::new(key.id.clone(), key.secret.clone());
        match &key.token {
            Some(token) => creds.with_security_token(token.clone()),
            None => creds,
        }
    }

    /// Every record stored for `task_id`, in arrival order, with its batch ID; `None` for an unknown task.
    pub fn callees(&self, task_id: &str) -> Option<Vec<StoredCallee>> {
        self.shared.store.callees(task_id)
    }

    /// Creates a task directly in the store (what `CreateAiCallTask` does, without a request) and returns
    /// its ID: for tests and tools that need a task to import into.
    pub fn create_task(&self) -> String {
        self.shared.store.new_task().to_string()
    }

    /// How many records `task_id` holds.
    pub fn record_count(&self, task_id: &str) -> Option<usize> {
        self.shared.store.record_count(task_id)
    }

    /// Changes the fault drills while running.
    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// Counters of what it has seen.
    pub fn stats(&self) -> Stats {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &self.shared.counters;
        Stats {
            requests: c.requests.load(Relaxed),
            rejected: c.rejected.load(Relaxed),
            throttled: c.throttled.load(Relaxed),
            server_errors: c.server_errors.load(Relaxed),
            dropped_before: c.dropped_before.load(Relaxed),
            dropped_after: c.dropped_after.load(Relaxed),
            sts_issued: c.sts_issued.load(Relaxed),
            metadata_issued: c.metadata_issued.load(Relaxed),
        }
    }

    /// Every API call received so far (the newest [`KEPT_CALLS`]), oldest first: action, version,
    /// method, path, parameters, and the answer's status and error code.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.list(None)
    }

    /// The calls of `action` only.
    pub fn calls_of(&self, action: &str) -> Vec<Call> {
        self.shared.calls.list(Some(action))
    }

    /// Forgets the calls recorded so far.
    pub fn clear_calls(&self) {
        self.shared.calls.clear();
    }

    /// Queues `answers` for the next calls of `action` (any version), after any already queued: each
    /// call takes the next one instead of the emulator's own answer, until none is left.
    pub fn stub(&self, action: &str, answers: Vec<Scripted>) {
        self.shared.stubs.push(action, None, answers);
    }

    /// Stops serving.
    pub fn shutdown(self) {}
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
