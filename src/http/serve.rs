//! `apig serve`'s HTTP server: the router on a TCP listener, every connection bounded in
//! time and their number capped ([`ServeSettings`]).
//!
//! * headers: hyper's header-read timeout (from the first read of a request's head, so a
//!   connection that sends nothing, or trickles its headers, is closed), and a 64 KiB read
//!   buffer per connection (longer heads get 431), so a stalled connection holds little;
//! * body: the handlers read it with a deadline (`Limits::body_timeout`, see `body`), and
//!   refuse bad credentials before reading any of it;
//! * idle: a kept-alive connection without a request in progress is closed after
//!   `idle_timeout`;
//! * count: at most `max_connections` are served at once; the next clients wait in the
//!   listen backlog, not in memory.
//!
//! axum::serve has none of these knobs, hence this loop on hyper's own connection builder
//! (hyper and hyper-util are what axum::serve runs on).

use crate::config::ServeSettings;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt;

/// The read buffer of a connection, which bounds a request head.
const MAX_BUF_BYTES: usize = 64 * 1024;

/// Serve the router on `addr` until Ctrl-C or SIGTERM, with the default settings.
pub async fn serve(router: Router, addr: SocketAddr) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr).await?;
    serve_listener(router, listener).await
}

/// Serve the router on a bound listener (port 0 in tests) until Ctrl-C or SIGTERM, with the
/// default settings.
pub async fn serve_listener(router: Router, listener: TcpListener) -> std::io::Result<()> {
    serve_listener_with(router, listener, ServeSettings::default()).await
}

/// Serve the router on a bound listener until Ctrl-C or SIGTERM; then stop accepting and
/// let the open connections finish their requests.
pub async fn serve_listener_with(
    router: Router,
    listener: TcpListener,
    settings: ServeSettings,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(
            target: "apig_import::http",
            %addr,
            header_timeout_secs = settings.header_timeout.as_secs(),
            idle_timeout_secs = settings.idle_timeout.as_secs(),
            max_connections = settings.max_connections,
            "listening"
        );
    }
    let slots = Arc::new(Semaphore::new(settings.max_connections));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = pin!(shutdown_signal());
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(target: "apig_import::http", %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let router = router.clone();
        let settings = settings.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            connection(stream, router, &settings, stopped).await;
            drop(permit);
        });
    }
    let _ = stop.send(true);
    // Every connection gives its slot back when it ends.
    let all = u32::try_from(settings.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// When a connection last finished a request, and how many it has in progress.
struct Activity {
    in_flight: AtomicUsize,
    since: Mutex<Instant>,
}

impl Activity {
    fn idle_since(&self) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        self.since.lock().map(|since| *since).ok()
    }
}

/// Marks a request in progress until dropped (also when its future is dropped).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(activity))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut since) = self.0.since.lock() {
            *since = Instant::now();
        }
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn connection(
    stream: TcpStream,
    router: Router,
    settings: &ServeSettings,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity {
        in_flight: AtomicUsize::new(0),
        since: Mutex::new(Instant::now()),
    });
    let service = {
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let busy = InFlight::start(&activity);
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(axum::body::Body::new)).await;
                drop(busy);
                response
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout)
        .max_buf_size(MAX_BUF_BYTES)
        .keep_alive(true);
    let mut conn = pin!(builder.serve_connection(TokioIo::new(stream), service));
    let mut closing = false;
    loop {
        let idle_deadline = activity.idle_since().map_or_else(
            || Instant::now() + settings.idle_timeout,
            |since| since + settings.idle_timeout,
        );
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(target: "apig_import::http", %error, "connection ended");
                }
                return;
            }
            _ = tokio::time::sleep_until(idle_deadline), if !closing => {
                let idle_for = activity.idle_since().map(|since| since.elapsed());
                if idle_for.is_some_and(|idle| idle >= settings.idle_timeout) {
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
            _ = stopped.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
