//! `herald-bench`: durable ingest throughput and ingest → client delivery latency of real
//! herald-server nodes with M agents on real WebSockets. On a SQLite file
//! (`synchronous = FULL`) always; with `--postgres <cluster>` also one node and two nodes on
//! fresh PostgreSQL databases, and the rate at which PostgreSQL's notifications (the hints
//! nodes send each other) saturate, all printed side by side.
//!
//! Prints numbers, not a verdict: the machine is shared. The peer in the same run is the
//! same server committing every event on its own (no group commit).
//!
//! - `setup`: the nodes on one new database, agents and an ingest key;
//! - `load`: the throughput phases (one event per request, batches);
//! - `latency`: every agent streaming, events at a steady rate, delivery times (same node
//!   and cross node apart);
//! - `hints`: NOTIFY throughput with Herald's hint payloads.
//!
//! ```text
//! cargo run --release -p herald-server --bin herald-bench -- --agents 1000 --events 20000
//! scripts/bench-postgres.sh   # a durable throwaway cluster, then every configuration
//! ```

mod hints;
mod latency;
mod load;
mod setup;

use std::time::Duration;

use clap::Parser;
use herald_server::admin;
use herald_server::db::DatabaseUrl;

use latency::Delivery;

/// Benchmark options.
#[derive(Parser, Debug)]
struct Args {
    /// Agents, each with a live WebSocket.
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    /// Events for the throughput phase.
    #[arg(long, default_value_t = 20_000)]
    events: usize,
    /// Concurrent HTTP clients posting events in the throughput phase.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Events per request in the batched throughput phase (`POST /events/batch`).
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Events per second in the latency phase.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// Seconds of the latency phase.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Only seed this database with `--agents` agents ("a0@bench.test"…, password
    /// "bench password", hashed once) and print an ingest key; for `scripts/bench-peers.sh`,
    /// which runs the real binary on it.
    #[arg(long)]
    seed: Option<std::path::PathBuf>,
    /// A PostgreSQL cluster (`postgres://user@host:port/db`): the same phases again on one
    /// node and on two nodes, each on a new database in it, and the hint saturation.
    #[arg(long)]
    postgres: Option<String>,
    /// Seconds of each shape of the hint saturation phase.
    #[arg(long, default_value_t = 3)]
    hint_seconds: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(path) = &args.seed {
        let db = herald_server::db::Db::open(&DatabaseUrl::Sqlite(path.clone())).await?;
        setup::seed_agents(&db, args.agents).await?;
        let (_, key) = admin::create_ingest_key(&db, "Bench", None).await?;
        db.close().await;
        println!("{key}");
        return Ok(());
    }
    if let Ok(filter) = std::env::var("HERALD_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    println!(
        "herald-bench: {} agents, {} events, {} clients, latency at {}/s for {} s",
        args.agents, args.events, args.concurrency, args.rate, args.seconds
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let mut runs = vec![("SQLite, 1 node", run(&args, None, 1).await?)];
    let mut saturation = Vec::new();
    if let Some(cluster) = &args.postgres {
        runs.push(("PostgreSQL, 1 node", run(&args, Some(cluster), 1).await?));
        runs.push(("PostgreSQL, 2 nodes", run(&args, Some(cluster), 2).await?));
        println!("\n--- PostgreSQL notifications (hints between nodes) ---");
        saturation = hints::saturation(cluster, args.hint_seconds).await?;
    }
    summary(&runs, &saturation);
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One configuration's numbers.
struct Run {
    rate: f64,
    batch_rate: f64,
    /// The per-event-commit peer (one node only).
    peer_rate: Option<f64>,
    delivery: Delivery,
}

/// Every phase on one configuration: the per-event-commit peer (one node), group commit,
/// batched requests, and delivery latency with every agent streaming.
async fn run(args: &Args, postgres: Option<&str>, nodes: usize) -> anyhow::Result<Run> {
    let store = if postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("\n--- {store}, {nodes} node(s) ---");
    let peer_rate = if nodes == 1 {
        // Peer: the same server committing every event on its own.
        let peer = setup::setup(args.agents.min(100), 1, postgres, 1).await?;
        let events = args.events.min(5000);
        let rate = load::throughput(
            &peer.urls(),
            &peer.key,
            args.agents.min(100),
            events,
            args.concurrency,
            "peer",
        )
        .await?;
        peer.shutdown().await;
        println!("durable ingest, commit per event:  {rate:>9.0} events/s ({events} events, one per request, peer)");
        Some(rate)
    } else {
        None
    };

    let bench = setup::setup(
        args.agents,
        herald_server::ingest::MAX_BATCH,
        postgres,
        nodes,
    )
    .await?;
    let urls = bench.urls();
    let rate = load::throughput(
        &urls,
        &bench.key,
        args.agents,
        args.events,
        args.concurrency,
        "tp",
    )
    .await?;
    let batch_rate =
        load::batched(&urls, &bench.key, args.agents, args.events, args.batch, 8).await?;
    println!("durable ingest, group commit:      {rate:>9.0} events/s ({} events, one per request, {} clients)", args.events, args.concurrency);
    println!("durable ingest, batched requests:  {batch_rate:>9.0} events/s ({} events, {} per request, 8 clients)", args.events, args.batch);
    if let Some(peer) = peer_rate {
        println!("group commit / per-event commit:   {:>9.1}x", rate / peer);
    }
    let delivery = latency::delivery(&bench, args.agents, args.rate, args.seconds).await?;
    println!(
        "ingest -> client delivery at {}/s: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} of {} delivered)",
        args.rate,
        ms(delivery.p50()),
        ms(delivery.p99()),
        ms(delivery.all.last().copied().unwrap_or_default()),
        delivery.all.len(),
        delivery.sent
    );
    bench.shutdown().await;
    Ok(Run {
        rate,
        batch_rate,
        peer_rate,
        delivery,
    })
}

fn p(list: &[Duration], q: f64) -> String {
    if list.is_empty() {
        return "-".into();
    }
    format!("{:.2}", ms(load::percentile(list, q)))
}

/// The table of every configuration, the ratios the goals are about, and the hints.
fn summary(runs: &[(&str, Run)], saturation: &[hints::HintRun]) {
    println!("\n=== Side by side, same run ===");
    println!(
        "{:<22}{:>11}{:>11}{:>11}{:>9}{:>9}{:>12}{:>12}{:>11}",
        "",
        "ingest/s",
        "batched/s",
        "peer/s",
        "p50 ms",
        "p99 ms",
        "same p99",
        "cross p99",
        "delivered"
    );
    for (name, run) in runs {
        let d = &run.delivery;
        println!(
            "{name:<22}{:>11.0}{:>11.0}{:>11}{:>9}{:>9}{:>12}{:>12}{:>11}",
            run.rate,
            run.batch_rate,
            run.peer_rate.map_or("-".into(), |r| format!("{r:.0}")),
            p(&d.all, 0.5),
            p(&d.all, 0.99),
            p(&d.same_node, 0.99),
            p(&d.cross_node, 0.99),
            format!("{}/{}", d.all.len(), d.sent)
        );
    }
    let by = |name: &str| runs.iter().find(|(n, _)| *n == name).map(|(_, r)| r);
    if let (Some(sqlite), Some(pg)) = (by("SQLite, 1 node"), by("PostgreSQL, 1 node")) {
        println!(
            "PostgreSQL 1 node / SQLite, ingest:         {:.2}x (batched {:.2}x)",
            pg.rate / sqlite.rate,
            pg.batch_rate / sqlite.batch_rate
        );
    }
    if let (Some(one), Some(two)) = (by("PostgreSQL, 1 node"), by("PostgreSQL, 2 nodes")) {
        println!(
            "PostgreSQL 2 nodes / 1 node, ingest:        {:.2}x (batched {:.2}x)",
            two.rate / one.rate,
            two.batch_rate / one.batch_rate
        );
        let (same, cross) = (&two.delivery.same_node, &two.delivery.cross_node);
        if !same.is_empty() && !cross.is_empty() {
            println!(
                "2 nodes: cross-node / same-node delivery:   p50 {:.2}x, p99 {:.2}x",
                ms(load::percentile(cross, 0.5)) / ms(load::percentile(same, 0.5)),
                ms(load::percentile(cross, 0.99)) / ms(load::percentile(same, 0.99))
            );
        }
    }
    if !saturation.is_empty() {
        println!(
            "\nNOTIFY from 4 connections to 1 listener:\n{:>16}{:>15}{:>14}{:>20}{:>14}",
            "hints/commit", "payload bytes", "commits/s", "hints received/s", "backlog ms"
        );
        for s in saturation {
            println!(
                "{:>16}{:>15}{:>14.0}{:>20.0}{:>14.0}",
                s.hints_per_commit,
                s.payload_bytes,
                s.commits,
                s.received_hints,
                ms(s.drain)
            );
        }
    }
}
