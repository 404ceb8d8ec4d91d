//! Writing one finished output (a report, a partial file) to S3 in a single PutObject:
//! S3 shows the object only once it has all of it, so an interrupted run leaves none.

use aws_sdk_s3::primitives::ByteStream;

use crate::client::S3Client;
use crate::error::Operation;
use crate::{S3Error, S3Location};

impl S3Client {
    /// Stores `body` as the object `location` names (its prefix is the key), replacing
    /// any object of that key.
    pub fn put(&self, location: &S3Location, body: Vec<u8>, content_type: &str) -> Result<(), S3Error> {
        let key = location.prefix();
        if key.is_empty() || key.ends_with('/') {
            return Err(S3Error::InvalidUrl { url: location.to_string(), reason: "an output needs an object key, not a folder" });
        }
        let shared = &self.shared;
        let request = shared.client.put_object().bucket(location.bucket()).key(key).content_type(content_type).body(ByteStream::from(body));
        self.runtime
            .block_on(request.send())
            .map(drop)
            .map_err(|err| shared.request(Operation::Put, location.bucket(), location.to_string()).classify(err))
    }
}
