//! Configuration: the AWS credential chain and region, the endpoint, retries, and the
//! tokio runtime downloads run on.

use std::fmt;
use std::sync::Arc;

use aws_config::BehaviorVersion;
use aws_config::ecs::EcsCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
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
    /// AWS profile named explicitly (`--profile`): as in the AWS CLI, its credentials
    /// win over `AWS_ACCESS_KEY_ID` in the environment. `None` leaves the choice to the
    /// standard chain (environment keys, else the profile `AWS_PROFILE` names, else
    /// `default`).
    pub profile: Option<String>,
    /// Region (else `AWS_REGION` / the profile's region).
    pub region: Option<String>,
    /// Endpoint of an S3-compatible server, winning over every configured one (else
    /// `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's).
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
        let endpoint_url = options.endpoint_url.clone().or_else(|| configured_s3_endpoint_url(&sdk));
        if let Some(url) = &endpoint_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(S3Error::InvalidEndpoint { url: url.clone() });
        }
        let path_style = options.force_path_style.unwrap_or(endpoint_url.is_some());
        let mut config = aws_sdk_s3::config::Builder::from(&sdk).force_path_style(path_style);
        // On the S3 configuration itself, not the shared one: the SDK puts an S3-only
        // setting (AWS_ENDPOINT_URL_S3, a profile's `services` section) above a shared one.
        if let Some(url) = &options.endpoint_url {
            config = config.endpoint_url(url);
        }
        if let (Some(profile), None) = (&options.profile, &options.credentials) {
            config = config.credentials_provider(profile_before_environment(profile, &sdk, max_attempts));
        }
        let config = config.build();
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

/// The endpoint the configuration gives S3 requests, found as the SDK finds it:
/// `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then the profile's `services` and
/// `endpoint_url` settings (none of them when `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is
/// set). The SDK config alone holds only the global setting, which would miss an S3-only
/// endpoint (and its path-style addressing).
fn configured_s3_endpoint_url(sdk: &aws_config::SdkConfig) -> Option<String> {
    let key = ServiceConfigKey::builder().service_id("S3").env("AWS_ENDPOINT_URL").profile("endpoint_url").build().ok()?;
    sdk.service_config().and_then(|config| config.load_config(key)).or_else(|| sdk.endpoint_url().map(str::to_owned))
}

/// The credential chain for a profile named on the command line: the SDK's default chain
/// without its first link, the environment's keys. The AWS CLI drops that link too when
/// `--profile` is given (but not for `AWS_PROFILE`), so stray keys in the environment do
/// not silently replace the profile asked for.
fn profile_before_environment(profile: &str, sdk: &aws_config::SdkConfig, max_attempts: u32) -> CredentialsProviderChain {
    let conf = ProviderConfig::default()
        .with_region(sdk.region().cloned())
        .with_behavior_version(Some(BehaviorVersion::latest()))
        .with_retry_config(RetryConfig::standard().with_max_attempts(max_attempts));
    CredentialsProviderChain::first_try("Profile", ProfileFileCredentialsProvider::builder().configure(&conf).profile_name(profile).build())
        .or_else("WebIdentityToken", WebIdentityTokenCredentialsProvider::builder().configure(&conf).build())
        .or_else("EcsContainer", EcsCredentialsProvider::builder().configure(&conf).build())
        .or_else("Ec2InstanceMetadata", ImdsCredentialsProvider::builder().configure(&conf).build())
}
