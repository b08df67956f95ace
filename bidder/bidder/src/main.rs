use bidder::{Args, Settings};
use clap::Parser;

fn main() -> anyhow::Result<()> {
    rtbhttp::process::init_tracing();
    let settings = Settings::from_args(Args::parse())?;
    rtbhttp::process::run_service(settings.workers, settings.listen, |listener, shutdown| {
        bidder::run(settings, listener, shutdown)
    })
}
