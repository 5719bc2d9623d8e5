//! The listener: HTTPS and plain HTTP on one port, told apart by the first
//! byte a client sends (a TLS handshake starts with 0x16).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt as _;

use crate::arm::resource_id::{self, Scheme};

const TLS_HANDSHAKE: u8 = 0x16;

/// Accepts connections until the process ends.
pub async fn serve(listener: TcpListener, router: Router, tls: Option<Arc<rustls::ServerConfig>>) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let mut first = [0u8; 1];
            let is_tls =
                matches!(stream.peek(&mut first).await, Ok(1) if first[0] == TLS_HANDSHAKE);
            match (is_tls, acceptor) {
                (true, Some(acceptor)) => match acceptor.accept(stream).await {
                    Ok(tls) => connection(TokioIo::new(tls), router, "https").await,
                    Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
                },
                _ => plain(stream, router).await,
            }
        });
    }
}

async fn plain(stream: TcpStream, router: Router) {
    connection(TokioIo::new(stream), router, "http").await;
}

async fn connection<I>(io: I, router: Router, scheme: &'static str)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = tower::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let mut req: Request = req.map(axum::body::Body::new);
        req.extensions_mut().insert(Scheme(scheme));
        router.clone().oneshot(resource_id::normalize(req))
    });
    let result = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, TowerToHyperService::new(service))
        .with_upgrades()
        .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection closed with an error");
    }
}
