//! One clear message per way S3 access fails, instead of the SDK's layered error text.
//! Every message names the bucket or object and says what to check.

use std::error::Error as StdError;
use std::io;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use crate::credentials::CredentialSource;

/// Why listing or reading S3 failed. Each message says what to check.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    #[error("`{url}` is not a valid S3 location: {reason} (expected s3://bucket/prefix)")]
    InvalidUrl { url: String, reason: &'static str },
    #[error(
        "`{url}` is not a valid S3 endpoint URL: it must start with http:// or https:// (check --endpoint-url, AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL, and the profile's endpoint_url)"
    )]
    InvalidEndpoint { url: String },
    #[error("no AWS region is configured: pass --region, or set AWS_REGION, or a region in the AWS profile")]
    NoRegion,
    #[error("the S3 download runtime failed: {0}")]
    Runtime(#[source] io::Error),
    /// Where the credentials were to come from, what went wrong, and what to do.
    #[error("{explanation}")]
    NoCredentials { explanation: String },
    #[error(
        "S3 rejected the AWS credentials ({code}): check the access key and secret, the session token, or whether the session has expired"
    )]
    BadCredentials { code: String },
    #[error("bucket `{bucket}` does not exist (region {region}): check the bucket name and --region")]
    NoSuchBucket { bucket: String, region: String },
    #[error("bucket `{bucket}` is not in region {region}{}: check --region", actual.as_deref().map(|r| format!(" (S3 says it is in {r})")).unwrap_or_default())]
    WrongRegion { bucket: String, region: String, actual: Option<String> },
    #[error(
        "access denied to `{url}` (region {region}): check that the credentials are allowed {action} there, in both their IAM policy and the bucket policy"
    )]
    AccessDenied { url: String, region: String, action: &'static str },
    #[error(
        "cannot reach S3 at {endpoint} ({detail}): check the network, --endpoint-url (or AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's endpoint_url) and any proxy settings"
    )]
    Unreachable { endpoint: String, detail: String },
    #[error("`{url}` no longer exists (deleted after it was listed?)")]
    NoSuchKey { url: String },
    #[error(
        "`{url}` changed while it was being read (it was overwritten after it was listed): run again to read the new version; ALB never rewrites a log, so check what else writes under this prefix"
    )]
    ObjectChanged { url: String },
    #[error(
        "`{url}`: download broke off at byte {offset} and failed {attempts} times ({detail}): check the network and any proxy, then run again"
    )]
    Interrupted { url: String, offset: u64, attempts: u32, detail: String },
    #[error(
        "S3 {operation} on `{url}` failed: {code}: {message} (after retries): run again later; if it keeps failing, look the code up in the S3 error reference"
    )]
    Service { operation: &'static str, url: String, code: String, message: String },
}

impl S3Error {
    /// The [`io::ErrorKind`] a reader reports this error with.
    pub(crate) fn io_kind(&self) -> io::ErrorKind {
        match self {
            S3Error::NoSuchKey { .. } | S3Error::NoSuchBucket { .. } => io::ErrorKind::NotFound,
            S3Error::AccessDenied { .. } | S3Error::BadCredentials { .. } | S3Error::NoCredentials { .. } => {
                io::ErrorKind::PermissionDenied
            }
            S3Error::Unreachable { .. } => io::ErrorKind::ConnectionRefused,
            S3Error::Interrupted { .. } => io::ErrorKind::UnexpectedEof,
            _ => io::ErrorKind::Other,
        }
    }

    pub(crate) fn into_io(self) -> io::Error {
        io::Error::new(self.io_kind(), self)
    }
}

/// What a request was doing, to name it in messages.
pub(crate) struct Request<'a> {
    pub operation: Operation,
    pub bucket: &'a str,
    /// `s3://bucket/prefix` or `s3://bucket/key`.
    pub url: String,
    pub region: &'a str,
    pub endpoint: &'a str,
    pub credentials: &'a CredentialSource,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    List,
    Get,
    Put,
}

impl Request<'_> {
    /// Turns an SDK failure (after the SDK's own retries) into one clear error.
    pub(crate) fn classify<E>(&self, err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>) -> S3Error
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match &err {
            SdkError::ServiceError(_) => {}
            SdkError::TimeoutError(_) => return self.unreachable("timed out".to_owned()),
            SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
                if let Some(cred) = chain(&err).find_map(|e| e.downcast_ref::<CredentialsError>()) {
                    return S3Error::NoCredentials { explanation: self.credentials.explain(&one_line(&innermost(cred))) };
                }
                return self.unreachable(innermost(&err));
            }
            _ => {
                let status = err.raw_response().map(|r| r.status().as_u16());
                let detail = innermost(&err);
                return self.service("unreadable response", format!("{detail} (HTTP status {status:?})"));
            }
        }
        let status = err.raw_response().map_or(0, |r| r.status().as_u16());
        let bucket_region = err.raw_response().and_then(|r| r.headers().get("x-amz-bucket-region")).map(str::to_owned);
        let code = err.code().unwrap_or_default().to_owned();
        let message = err.message().unwrap_or_default().to_owned();
        match (code.as_str(), status) {
            ("NoSuchBucket", _) => self.no_such_bucket(),
            ("NoSuchKey", _) => S3Error::NoSuchKey { url: self.url.clone() },
            (
                "InvalidAccessKeyId"
                | "SignatureDoesNotMatch"
                | "ExpiredToken"
                | "InvalidToken"
                | "TokenRefreshRequired"
                | "InvalidClientTokenId"
                | "NotSignedUp",
                _,
            ) => S3Error::BadCredentials { code },
            ("PermanentRedirect" | "AuthorizationHeaderMalformed" | "IllegalLocationConstraintException", _) | (_, 301) => {
                S3Error::WrongRegion {
                    bucket: self.bucket.to_owned(),
                    region: self.region.to_owned(),
                    actual: bucket_region.filter(|r| r != self.region),
                }
            }
            ("AccessDenied" | "AllAccessDisabled", _) | ("", 403) => S3Error::AccessDenied {
                url: self.url.clone(),
                region: self.region.to_owned(),
                action: match self.operation {
                    Operation::List => "s3:ListBucket",
                    Operation::Get => "s3:GetObject",
                    Operation::Put => "s3:PutObject",
                },
            },
            ("PreconditionFailed", _) | ("", 412) => S3Error::ObjectChanged { url: self.url.clone() },
            ("", 404) => match self.operation {
                Operation::List | Operation::Put => self.no_such_bucket(),
                Operation::Get => S3Error::NoSuchKey { url: self.url.clone() },
            },
            ("", _) => self.service(&format!("HTTP {status}"), message),
            _ => self.service(&code, message),
        }
    }

    fn no_such_bucket(&self) -> S3Error {
        S3Error::NoSuchBucket { bucket: self.bucket.to_owned(), region: self.region.to_owned() }
    }

    fn unreachable(&self, detail: String) -> S3Error {
        S3Error::Unreachable { endpoint: self.endpoint.to_owned(), detail }
    }

    fn service(&self, code: &str, message: String) -> S3Error {
        S3Error::Service {
            operation: match self.operation {
                Operation::List => "ListObjectsV2",
                Operation::Get => "GetObject",
                Operation::Put => "PutObject",
            },
            url: self.url.clone(),
            code: code.to_owned(),
            message,
        }
    }
}

fn chain<'a>(err: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |e: &&'a (dyn StdError + 'static)| (*e).source())
}

/// `text` on one line and at most a few hundred characters: a credential_process error
/// carries the script's whole stderr.
fn one_line(text: &str) -> String {
    const MOST: usize = 300;
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    match joined.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}...", &joined[..cut]),
        None => joined,
    }
}

/// The most specific message in an error chain (the SDK's outer layers say only
/// "dispatch failure" and the like).
fn innermost(err: &(dyn StdError + 'static)) -> String {
    chain(err).last().map(ToString::to_string).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    //! Failures s3s-fs cannot produce (regions, expired sessions, a missing credential
    //! chain), built as the SDK reports them.

    use aws_sdk_s3::config::http::HttpResponse;
    use aws_sdk_s3::error::{ConnectorError, ErrorMetadata};
    use aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Error;
    use aws_sdk_s3::primitives::SdkBody;

    use super::*;

    fn listing() -> Request<'static> {
        Request {
            operation: Operation::List,
            bucket: "logs",
            url: "s3://logs/AWSLogs/".to_owned(),
            region: "us-east-1",
            endpoint: "the AWS S3 endpoint of region us-east-1",
            credentials: &CredentialSource::InstanceOrNothing,
        }
    }

    fn service_error(status: u16, code: &str, headers: &[(&str, &str)]) -> SdkError<ListObjectsV2Error, HttpResponse> {
        let mut meta = ErrorMetadata::builder().message("text from S3");
        if !code.is_empty() {
            meta = meta.code(code);
        }
        let mut raw = HttpResponse::new(status.try_into().unwrap(), SdkBody::empty());
        for (name, value) in headers {
            raw.headers_mut().insert((*name).to_owned(), (*value).to_owned());
        }
        SdkError::service_error(ListObjectsV2Error::generic(meta.build()), raw)
    }

    fn message(err: SdkError<ListObjectsV2Error, HttpResponse>) -> String {
        listing().classify(err).to_string()
    }

    #[test]
    fn a_bucket_in_another_region_names_both_regions() {
        assert_eq!(
            message(service_error(301, "PermanentRedirect", &[("x-amz-bucket-region", "eu-west-1")])),
            "bucket `logs` is not in region us-east-1 (S3 says it is in eu-west-1): check --region"
        );
        assert_eq!(
            message(service_error(400, "AuthorizationHeaderMalformed", &[])),
            "bucket `logs` is not in region us-east-1: check --region"
        );
    }

    #[test]
    fn credential_failures_say_what_to_check() {
        assert_eq!(
            message(service_error(400, "ExpiredToken", &[])),
            "S3 rejected the AWS credentials (ExpiredToken): check the access key and secret, the session token, or whether the session has expired"
        );
        let missing = CredentialsError::not_loaded("no providers in chain provided credentials");
        let err = SdkError::dispatch_failure(ConnectorError::other(Box::new(missing), None));
        assert_eq!(
            message(err),
            "no usable AWS credentials (no providers in chain provided credentials): pass --profile or set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        );
    }

    #[test]
    fn status_codes_without_an_error_code_are_still_named() {
        assert!(matches!(listing().classify(service_error(404, "", &[])), S3Error::NoSuchBucket { .. }));
        assert!(matches!(listing().classify(service_error(403, "", &[])), S3Error::AccessDenied { .. }));
        assert_eq!(
            message(service_error(503, "SlowDown", &[])),
            "S3 ListObjectsV2 on `s3://logs/AWSLogs/` failed: SlowDown: text from S3 (after retries): run again later; if it keeps failing, look the code up in the S3 error reference"
        );
        assert!(
            message(service_error(500, "", &[]))
                .starts_with("S3 ListObjectsV2 on `s3://logs/AWSLogs/` failed: HTTP 500: text from S3 (after retries): run again later")
        );
    }

    #[test]
    fn failures_of_a_read_say_what_to_do_next() {
        let interrupted =
            S3Error::Interrupted { url: "s3://b/k".to_owned(), offset: 10, attempts: 5, detail: "connection reset".to_owned() };
        assert!(interrupted.to_string().ends_with("(connection reset): check the network and any proxy, then run again"), "{interrupted}");
        let changed = S3Error::ObjectChanged { url: "s3://b/k".to_owned() }.to_string();
        assert!(changed.contains(": run again to read the new version"), "{changed}");
    }

    #[test]
    fn readers_report_a_matching_io_kind() {
        let gone = S3Error::NoSuchKey { url: "s3://b/k".to_owned() }.into_io();
        assert_eq!(gone.kind(), io::ErrorKind::NotFound);
        assert_eq!(gone.to_string(), "`s3://b/k` no longer exists (deleted after it was listed?)");
        assert!(matches!(gone.get_ref().and_then(|e| e.downcast_ref::<S3Error>()), Some(S3Error::NoSuchKey { .. })));
    }
}
