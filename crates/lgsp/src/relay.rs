//! The upstream's answer on its way to the client, for both of the gateway's paths: the body
//! relayed as it comes, hashed, counted and kept when the service asks; the exchange logged
//! when the body ends or the client leaves.

use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use data_encoding::BASE64;
use sha2::{Digest, Sha512};

use crate::Lgsp;
use crate::gateway::LOGGED_BODY_MAX;
use crate::log::Exchange;

/// Adds a chunk of a body to its hash and, when the service asks for bodies, to the copy kept
/// for the log (up to [`LOGGED_BODY_MAX`]).
pub(crate) fn take_in(hasher: &mut Sha512, kept: &mut Option<Vec<u8>>, c: &[u8]) {
    hasher.update(c);
    if let Some(b) = kept.as_mut()
        && b.len() + c.len() <= LOGGED_BODY_MAX
    {
        b.extend_from_slice(c);
    }
}

/// The answer to the client: the upstream's status and `headers`, its body relayed (hashed,
/// counted, kept when the service asks), the exchange logged when the body ends or the client
/// leaves.
pub(crate) fn relay<B>(
    l: &Lgsp,
    x: Exchange,
    started: Instant,
    log_bodies: bool,
    status: StatusCode,
    headers: HeaderMap,
    body: B,
) -> Response
where
    B: http_body::Body<Data = Bytes> + Unpin + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let mut log =
        Logged { lgsp: l.clone(), x, started, hasher: Sha512::new(), body: log_bodies.then(Vec::new), finished: body.is_end_stream() };
    log.x.status = status.as_u16() as i64;
    let mut r = Response::new(Body::new(Tap { inner: body, watch: log }));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r
}

/// What the log record is built from while the body streams; written when dropped, that is
/// when the response ended or the client left.
struct Logged {
    lgsp: Lgsp,
    x: Exchange,
    started: Instant,
    hasher: Sha512,
    body: Option<Vec<u8>>,
    finished: bool,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let mut x = std::mem::take(&mut self.x);
        x.response_hash = BASE64.encode(&std::mem::take(&mut self.hasher).finalize());
        x.response_body = self.body.take();
        x.duration_ms = self.started.elapsed().as_millis() as i64;
        if !self.finished && x.error.is_none() {
            x.error = Some("the client left before the end of the response".into());
        }
        self.lgsp.log(x);
    }
}

/// What a [`Tap`] is told as a body passes through it.
pub(crate) trait Watch {
    /// A chunk of data; an error cuts the body off there.
    fn data(&mut self, c: &Bytes) -> Result<(), axum::BoxError>;
    /// The body broke off with `e`.
    fn broke(&mut self, _e: &axum::BoxError) {}
    /// The body reached its end.
    fn ended(&mut self) {}
}

/// A body passed on as it comes, with `watch` told of each chunk, a break and the end.
pub(crate) struct Tap<B, W> {
    pub(crate) inner: B,
    pub(crate) watch: W,
}

impl<B, W> http_body::Body for Tap<B, W>
where
    B: http_body::Body<Data = Bytes> + Unpin,
    B::Error: Into<axum::BoxError>,
    W: Watch + Unpin,
{
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let std::task::Poll::Ready(item) = std::pin::Pin::new(&mut this.inner).poll_frame(cx) else {
            return std::task::Poll::Pending;
        };
        std::task::Poll::Ready(match item {
            Some(Ok(frame)) => {
                if let Some(c) = frame.data_ref()
                    && let Err(e) = this.watch.data(c)
                {
                    return std::task::Poll::Ready(Some(Err(e)));
                }
                if this.inner.is_end_stream() {
                    this.watch.ended();
                }
                Some(Ok(frame))
            }
            Some(Err(e)) => {
                let e: axum::BoxError = e.into();
                this.watch.broke(&e);
                Some(Err(e))
            }
            None => {
                this.watch.ended();
                None
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The upstream's response body on its way to the client: hashed, counted, kept when the
/// service asks, its end or break noted for the log record.
impl Watch for Logged {
    fn data(&mut self, c: &Bytes) -> Result<(), axum::BoxError> {
        self.x.response_bytes += c.len() as i64;
        take_in(&mut self.hasher, &mut self.body, c);
        Ok(())
    }

    fn broke(&mut self, e: &axum::BoxError) {
        self.x.error = Some(format!("the response broke off: {e}"));
    }

    fn ended(&mut self) {
        self.finished = true;
    }
}
