//! Configuration: the AWS credential chain and region, the endpoint, retries, and the
//! tokio runtime downloads run on.

use std::fmt;
use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_s3::config::{Credentials, Region};
use tokio::runtime::Runtime;
use tokio::sync::Semaphore;

use aws_types::service_config::ServiceConfigKey;

use crate::S3Error;
use crate::credentials::CredentialSource;
use crate::error::{Operation, Request};
use crate::stats::S3Stats;

/// Objects downloaded at once unless told otherwise. S3 takes 20-50 ms to a GET's first
/// byte; two cores read ~4,000 small (1,200-line) objects a second, so fewer than ~100
/// requests in flight leave them waiting on 10,000 small objects. 128 keep them busy up
/// to ~30 ms and cost ~0.3 MB each at most (an object's buffered chunks): ~60 MB in all
/// on small objects (measured), less on large ones, where fewer are in flight per byte.
pub const DEFAULT_CONCURRENCY: usize = 128;

/// How to reach S3. [`Default`] uses the standard AWS chain for everything.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// AWS profile (else `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
    /// Region (else `AWS_REGION` / the profile's region).
    pub region: Option<String>,
    /// Endpoint of an S3-compatible server (else `AWS_ENDPOINT_URL` / the profile's).
    pub endpoint_url: Option<String>,
    /// Path-style requests (`http://host/bucket/key`); `None` means on exactly when an
    /// endpoint is configured, as local S3-compatible servers need.
    pub force_path_style: Option<bool>,
    /// Objects downloaded at once (at least 1); also the day folders listed at once.
    pub concurrency: usize,
    /// Attempts per request, counting the first (at least 1): the SDK retries transient
    /// failures with exponential backoff, and a download that breaks off mid-body resumes
    /// from the byte it reached, this many times.
    pub max_attempts: u32,
    /// Keys to use instead of the standard credential chain.
    pub credentials: Option<StaticCredentials>,
}

impl Default for S3Options {
    fn default() -> S3Options {
        S3Options {
            profile: None,
            region: None,
            endpoint_url: None,
            force_path_style: None,
            concurrency: DEFAULT_CONCURRENCY,
            max_attempts: 5,
            credentials: None,
        }
    }
}

/// An access key pair (and optional session token) given explicitly.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.session_token.as_ref().map(|_| "** redacted **"))
            .finish()
    }
}

/// A configured S3 client with its own download runtime.
///
/// Its methods block; call them from ordinary threads, never from inside an async runtime.
pub struct S3Client {
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) shared: Arc<Shared>,
}

/// What download tasks need; it holds no reference to the runtime itself, so the
/// runtime is never dropped from one of its own threads.
pub(crate) struct Shared {
    pub client: aws_sdk_s3::Client,
    /// Where download tasks are spawned.
    pub handle: tokio::runtime::Handle,
    pub region: String,
    /// The endpoint as named in messages.
    pub endpoint: String,
    pub concurrency: usize,
    pub max_attempts: u32,
    /// One permit per object in flight, shared by every `open_all` of this client.
    pub slots: Arc<Semaphore>,
    pub stats: Arc<S3Stats>,
    /// Where credentials come from, to explain a failure to get them.
    pub credentials: CredentialSource,
}

impl Shared {
    pub(crate) fn request<'a>(&'a self, operation: Operation, bucket: &'a str, url: String) -> Request<'a> {
        Request { operation, bucket, url, region: &self.region, endpoint: &self.endpoint, credentials: &self.credentials }
    }
}

impl S3Client {
    /// Loads the AWS configuration (credentials are resolved lazily, on the first request)
    /// and starts the download runtime.
    pub fn connect(options: S3Options) -> Result<S3Client, S3Error> {
        if let Some(url) = &options.endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(S3Error::InvalidEndpoint { url: url.clone() });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("albmtls-s3")
            .enable_all()
            .build()
            .map_err(S3Error::Runtime)?;
        let max_attempts = options.max_attempts.max(1);
        let (sdk, credentials) = runtime.block_on(async {
            let mut loader =
                aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::standard().with_max_attempts(max_attempts));
            if let Some(profile) = &options.profile {
                loader = loader.profile_name(profile);
            }
            if let Some(region) = &options.region {
                loader = loader.region(Region::new(region.clone()));
            }
            if let Some(url) = &options.endpoint_url {
                loader = loader.endpoint_url(url);
            }
            if let Some(keys) = &options.credentials {
                loader = loader.credentials_provider(Credentials::new(
                    &keys.access_key_id,
                    &keys.secret_access_key,
                    keys.session_token.clone(),
                    None,
                    "albmtls",
                ));
            }
            let credentials = CredentialSource::detect(options.profile.as_deref(), options.credentials.is_some()).await;
            (loader.load().await, credentials)
        });
        let region = sdk.region().ok_or(S3Error::NoRegion)?.to_string();
        let endpoint_url = s3_endpoint_url(&sdk);
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(S3Error::InvalidEndpoint { url: url.clone() });
        }
        let path_style = options.force_path_style.unwrap_or(endpoint_url.is_some());
        let config = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(path_style).build();
        let concurrency = options.concurrency.max(1);
        let shared = Shared {
            client: aws_sdk_s3::Client::from_conf(config),
            handle: runtime.handle().clone(),
            endpoint: endpoint_url.unwrap_or_else(|| format!("the AWS S3 endpoint of region {region}")),
            region,
            concurrency,
            max_attempts,
            slots: Arc::new(Semaphore::new(concurrency)),
            stats: Arc::default(),
            credentials,
        };
        Ok(S3Client { runtime: Arc::new(runtime), shared: Arc::new(shared) })
    }

    /// The region requests go to.
    pub fn region(&self) -> &str {
        &self.shared.region
    }

    /// Download counters, to poll for progress while readers are being read.
    pub fn stats(&self) -> Arc<S3Stats> {
        Arc::clone(&self.shared.stats)
    }
}

/// The endpoint S3 requests go to when one is configured, found as the SDK finds it:
/// `--endpoint-url` first, then `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` and the
/// profile's `services` and `endpoint_url` settings. The SDK config alone holds only the
/// global setting, which would miss an S3-only endpoint (and its path-style addressing).
fn s3_endpoint_url(sdk: &aws_config::SdkConfig) -> Option<String> {
    if sdk.get_origin("endpoint_url").is_client_config() {
        return sdk.endpoint_url().map(str::to_owned);
    }
    let key = ServiceConfigKey::builder().service_id("S3").env("AWS_ENDPOINT_URL").profile("endpoint_url").build().ok()?;
    sdk.service_config().and_then(|config| config.load_config(key)).or_else(|| sdk.endpoint_url().map(str::to_owned))
}
