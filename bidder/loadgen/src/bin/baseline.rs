//! The bare hyper server the bidder is measured against: answers every request with 204 (after
//! an optional delay, which stands in for a bidder slower than the exchange's tmax).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use clap::Parser;
use http_body_util::Empty;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;

#[derive(Parser)]
struct Cli {
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Answer each request after this many milliseconds.
    #[arg(long, default_value_t = 0)]
    delay_ms: u64,
    #[arg(long)]
    workers: Option<usize>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = cli.workers {
        rt.worker_threads(n);
    }
    rt.enable_all().build()?.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cli.listen).await?;
        let delay = Duration::from_millis(cli.delay_ms);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(move |_req| async move {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let mut r = Response::new(Empty::<Bytes>::new());
                    *r.status_mut() = StatusCode::NO_CONTENT;
                    Ok::<_, Infallible>(r)
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    })
}
