//! A real S3-compatible server (s3s-fs over a temporary directory) on 127.0.0.1, with a
//! request log and injectable mid-body failures, plus helpers to fill it.

use std::collections::HashMap;
use std::future::Future as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use s3s::auth::SimpleAuth;
use s3s::path::S3Path;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;

use albmtls_s3::{S3Client, S3Options, StaticCredentials};

pub const REGION: &str = "us-east-1";
/// Keys the server accepts, distinctive enough that a test can tell they never leak
/// into output.
pub const ACCESS_KEY: &str = "AKIAALBMTLSTESTKEY01";
pub const SECRET_KEY: &str = "albmtls-test-secret-2yV7qR9w";
/// Threads for s3s-fs's file reads (tokio's blocking pool). Each read of an object is a
/// blocking task; tokio's default of up to 512 threads made the server start ~100 of them
/// for 2,000 small objects, which then spent its CPU handing work over (636,000 `futex`
/// calls a run), on the cores the client under test runs on: 1.58 s of CPU a run, 1.14 s
/// with two threads, and the client's run 1.8 -> 1.6 s.
const BLOCKING_THREADS: usize = 2;

/// Cut the bodies of the next `times` GETs of a key after `after` bytes.
#[derive(Clone, Copy)]
struct Fault {
    after: usize,
    times: usize,
}

#[derive(Default)]
struct State {
    /// `METHOD path?query [range]` of every request, in arrival order.
    log: Mutex<Vec<String>>,
    /// Keyed by request path (`/bucket/key`).
    faults: Mutex<HashMap<String, Fault>>,
}

pub struct TestServer {
    pub endpoint: String,
    state: Arc<State>,
    /// Uploads, deletes and bucket creation go through a plain SDK client.
    admin: aws_sdk_s3::Client,
    runtime: tokio::runtime::Runtime,
    /// Where objects live, as `<root>/<bucket>/<key>` files.
    root: PathBuf,
    /// The temporary directory behind `root`, removed with the server.
    _temporary: Option<tempfile::TempDir>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let temporary = tempfile::tempdir().unwrap();
        let mut server = TestServer::serve(temporary.path());
        server._temporary = Some(temporary);
        server
    }

    /// A server over an existing directory: each folder of `root` is a bucket, each file
    /// under it an object (benchmarks serve generated corpora this way). The directory
    /// is left as it is when the server stops.
    pub fn serve(root: &Path) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(BLOCKING_THREADS)
            .enable_all()
            .build()
            .unwrap();
        let state = Arc::new(State::default());
        let service = {
            let mut builder = S3ServiceBuilder::new(s3s_fs::FileSystem::new(root).unwrap());
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            builder.set_access(DenyPrivate);
            builder.build()
        };
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let served = Arc::clone(&state);
        runtime.spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                // Without TCP_NODELAY a response written in several small pieces (head,
                // then body) waits for the client's delayed ACK of the first piece, ~40 ms
                // on Linux: every small object then costs that much on loopback.
                let _ = socket.set_nodelay(true);
                let (service, state) = (service.clone(), Arc::clone(&served));
                let handler = service_fn(move |request: hyper::Request<Incoming>| {
                    let (service, state) = (service.clone(), Arc::clone(&state));
                    async move {
                        let fault = state.record(&request);
                        let response = service.call(request.map(s3s::Body::from)).await?;
                        Ok::<_, s3s::HttpError>(match fault {
                            Some(after) if response.status().is_success() => {
                                response.map(|body| s3s::Body::http_body(CutBody::new(body, after)))
                            }
                            _ => response,
                        })
                    }
                });
                tokio::spawn(async move {
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let _ = builder.serve_connection(TokioIo::new(socket), handler).await;
                });
            }
        });
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&endpoint)
            .force_path_style(true)
            .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
            .build();
        let admin = aws_sdk_s3::Client::from_conf(config);
        TestServer { endpoint, state, admin, runtime, root: root.to_owned(), _temporary: None }
    }

    /// Options reaching this server with the given credentials, independent of the
    /// machine's AWS configuration.
    pub fn options_with_keys(&self, access_key: &str, secret_key: &str) -> S3Options {
        S3Options {
            profile: None,
            region: Some(REGION.to_owned()),
            endpoint_url: Some(self.endpoint.clone()),
            force_path_style: None,
            concurrency: 4,
            max_attempts: 3,
            credentials: Some(StaticCredentials {
                access_key_id: access_key.to_owned(),
                secret_access_key: secret_key.to_owned(),
                session_token: None,
            }),
        }
    }

    pub fn options(&self) -> S3Options {
        self.options_with_keys(ACCESS_KEY, SECRET_KEY)
    }

    pub fn client(&self) -> S3Client {
        S3Client::connect(self.options()).unwrap()
    }

    pub fn create_bucket(&self, bucket: &str) {
        self.runtime.block_on(self.admin.create_bucket().bucket(bucket).send()).unwrap();
    }

    /// Stores objects the way s3s-fs does, as `<root>/<bucket>/<key>` files.
    ///
    /// Not through PutObject: s3s-fs keeps per-object metadata in a file whose name embeds
    /// the base64 of the key, which is too long a file name for real ALB key names (the
    /// server then answers InternalError). Without that file it lists and serves the object
    /// all the same (computing its ETag from the content).
    pub fn put_all(&self, bucket: &str, objects: &[(String, Vec<u8>)]) {
        for (key, body) in objects {
            let path = self.root.join(bucket).join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
    }

    /// The object's bytes, read through the S3 API (`None` when there is none).
    pub fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let response = self.runtime.block_on(self.admin.get_object().bucket(bucket).key(key).send()).ok()?;
        Some(self.runtime.block_on(response.body.collect()).ok()?.into_bytes().to_vec())
    }

    pub fn delete(&self, bucket: &str, key: &str) {
        self.runtime.block_on(self.admin.delete_object().bucket(bucket).key(key).send()).unwrap();
    }

    /// Makes the next `times` GETs of `bucket/key` break off after `after` body bytes.
    pub fn cut_bodies(&self, bucket: &str, key: &str, after: usize, times: usize) {
        self.state.faults.lock().unwrap().insert(format!("/{bucket}/{key}"), Fault { after, times });
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }
}

/// Denies everything in the bucket [`PRIVATE`] (and unauthenticated requests, as the
/// default access check does).
struct DenyPrivate;

/// A bucket that exists but that the test credentials may not read.
pub const PRIVATE: &str = "private";

#[async_trait::async_trait]
impl s3s::access::S3Access for DenyPrivate {
    async fn check(&self, cx: &mut s3s::access::S3AccessContext<'_>) -> s3s::S3Result<()> {
        let private = match cx.s3_path() {
            S3Path::Bucket { bucket } | S3Path::Object { bucket, .. } => &**bucket == PRIVATE,
            S3Path::Root => false,
        };
        if private || cx.credentials().is_none() {
            return Err(s3s::s3_error!(AccessDenied));
        }
        Ok(())
    }
}

impl State {
    /// Logs a request; returns where to cut its body, if a fault is armed for it.
    fn record(&self, request: &hyper::Request<Incoming>) -> Option<usize> {
        let range = request.headers().get("range").and_then(|r| r.to_str().ok()).unwrap_or("");
        let line = format!("{} {} {range}", request.method(), request.uri());
        self.log.lock().unwrap().push(line.trim_end().to_owned());
        if request.method() != hyper::Method::GET {
            return None;
        }
        let path = percent_decode(request.uri().path());
        let mut faults = self.faults.lock().unwrap();
        let fault = faults.get_mut(&path)?;
        if fault.times == 0 {
            return None;
        }
        fault.times -= 1;
        Some(fault.after)
    }
}

fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A response body that passes `left` bytes through and then fails, as a connection
/// reset mid-download would: hyper aborts the connection.
struct CutBody {
    inner: s3s::Body,
    left: usize,
    /// Before failing, a pause that lets hyper flush what was sent (an abort discards
    /// unflushed bytes, and the client would not even see the response head).
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl CutBody {
    fn new(inner: s3s::Body, left: usize) -> CutBody {
        CutBody { inner, left, pause: None }
    }
}

impl http_body::Body for CutBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if self.left == 0 {
            let pause = self.pause.get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(50))));
            return match pause.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected fault")))),
            };
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                Ok(mut data) => {
                    data.truncate(self.left);
                    self.left -= data.len();
                    Poll::Ready(Some(Ok(Frame::data(data))))
                }
                Err(frame) => Poll::Ready(Some(Ok(frame))),
            },
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(std::io::Error::other(err.to_string())))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
