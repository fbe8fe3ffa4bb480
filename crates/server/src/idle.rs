//! An inactivity timeout on a connection: [`Inactivity`] wraps a socket and fails its reads and
//! writes with `TimedOut` once no byte has moved either way for the configured time, while the
//! connection is waiting on the socket. It catches what a header timeout does not: a stalled
//! request body, a client that stops reading its response. The timer is re-armed lazily (the
//! last activity is a plain instant), so bytes that flow cost no timer reset.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// `inner` with an inactivity timeout of `limit`.
pub struct Inactivity<T> {
    inner: T,
    limit: Duration,
    last_activity: Instant,
    timer: Pin<Box<Sleep>>,
}

impl<T> Inactivity<T> {
    pub fn new(inner: T, limit: Duration) -> Self {
        let now = Instant::now();
        Inactivity {
            inner,
            limit,
            last_activity: now,
            timer: Box::pin(tokio::time::sleep_until(now + limit)),
        }
    }

    fn moved(&mut self, bytes: usize) {
        if bytes > 0 {
            self.last_activity = Instant::now();
        }
    }

    /// Called while the socket is not ready: registers the timer, and fails once it is due.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while self.timer.as_mut().poll(cx).is_ready() {
            let deadline = self.last_activity + self.limit;
            if deadline <= Instant::now() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no bytes moved on the connection within the idle timeout",
                ));
            }
            self.timer.as_mut().reset(deadline);
        }
        Ok(())
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Inactivity<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.moved(buf.filled().len() - before);
                Poll::Ready(result)
            }
            Poll::Pending => match this.check(cx) {
                Ok(()) => Poll::Pending,
                Err(error) => Poll::Ready(Err(error)),
            },
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Inactivity<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                this.moved(written);
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => match this.check(cx) {
                Ok(()) => Poll::Pending,
                Err(error) => Poll::Ready(Err(error)),
            },
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(written)) => {
                this.moved(written);
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => match this.check(cx) {
                Ok(()) => Poll::Pending,
                Err(error) => Poll::Ready(Err(error)),
            },
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_silent_peer_times_out_and_a_talking_one_does_not() {
        let (client, server) = tokio::io::duplex(64);
        let mut server = Inactivity::new(server, Duration::from_millis(300));
        let mut client = client;
        let mut byte = [0u8; 1];
        // A byte every 150 ms keeps it open past 300 ms.
        let started = Instant::now();
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(150)).await;
            client.write_all(b"x").await.unwrap();
            server.read_exact(&mut byte).await.unwrap();
        }
        assert!(started.elapsed() >= Duration::from_millis(600));
        let silent = Instant::now();
        let error = server.read_exact(&mut byte).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        let waited = silent.elapsed();
        assert!(
            waited < Duration::from_millis(300) + Duration::from_millis(200),
            "{waited:?}"
        );
    }
}
