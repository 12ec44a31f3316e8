//! The pub/sub benchmark: publishers PUBLISH timestamped payloads to one channel with
//! pipelining; subscribers on their own connections read the messages and record how long
//! each took from just before it was sent to when it arrived. Reports messages delivered per
//! second (summed over subscribers) and the publish-to-receive latency distribution.
//!
//! Plain threads and blocking sockets: a subscriber's only job is to read, and one thread per
//! connection keeps the client out of the measurement's way.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;

/// What one pub/sub run does.
#[derive(Debug, Clone)]
pub struct PubSubSpec {
    pub address: String,
    pub publishers: usize,
    pub subscribers: usize,
    pub payload: usize,
    pub pipeline: usize,
    pub duration: Duration,
}

/// What one run measured.
#[derive(Debug)]
pub struct PubSubResult {
    pub published_per_sec: f64,
    pub delivered_per_sec: f64,
    /// Publish-to-receive latency, microseconds.
    pub latency_us: Histogram<u64>,
}

const CHANNEL: &str = "aegisr-bench:pubsub";
/// The payload starts with the send time: nanoseconds since the run's start, 20 digits.
const STAMP: usize = 20;

fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    crate::resp::encode_command(&mut out, args);
    out
}

fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> anyhow::Result<()> {
    line.clear();
    if reader.read_until(b'\n', line)? == 0 {
        bail!("the server closed the connection");
    }
    if line.first() == Some(&b'-') {
        bail!("server error: {}", String::from_utf8_lossy(line).trim_end());
    }
    Ok(())
}

/// Reads one bulk string (`$n\r\n...\r\n`) into `buf`.
fn read_bulk(reader: &mut impl BufRead, line: &mut Vec<u8>, buf: &mut Vec<u8>) -> anyhow::Result<()> {
    read_line(reader, line)?;
    let len: usize = std::str::from_utf8(line.get(1..line.len().saturating_sub(2)).unwrap_or_default())?
        .parse()
        .context("bad bulk length from the server")?;
    buf.resize(len + 2, 0);
    reader.read_exact(buf)?;
    buf.truncate(len);
    Ok(())
}

/// Payload of the message that tells subscribers the run is over (it arrives after every
/// message published before it: a channel delivers in order).
const SENTINEL: &[u8] = b"STOP";

fn subscriber(address: &str, ready: &AtomicU64, start: Instant) -> anyhow::Result<(u64, Histogram<u64>)> {
    let stream = TcpStream::connect(address).with_context(|| format!("cannot connect to {address}"))?;
    stream.set_nodelay(true)?;
    // Only a stuck server trips this; the sentinel ends a normal run.
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut writer = stream.try_clone()?;
    writer.write_all(&command(&[b"SUBSCRIBE", CHANNEL.as_bytes()]))?;
    let mut reader = BufReader::with_capacity(256 * 1024, stream);
    let (mut line, mut buf) = (Vec::new(), Vec::new());
    // The confirmation: *3, "subscribe", channel, count.
    read_line(&mut reader, &mut line)?;
    read_bulk(&mut reader, &mut line, &mut buf)?;
    read_bulk(&mut reader, &mut line, &mut buf)?;
    read_line(&mut reader, &mut line)?;
    ready.fetch_add(1, Ordering::Release);
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut received = 0u64;
    loop {
        read_line(&mut reader, &mut line)?; // *3
        read_bulk(&mut reader, &mut line, &mut buf)?; // "message"
        read_bulk(&mut reader, &mut line, &mut buf)?; // channel
        read_bulk(&mut reader, &mut line, &mut buf)?; // payload
        if buf == SENTINEL {
            return Ok((received, histogram));
        }
        let now = start.elapsed().as_nanos() as u64;
        let sent: u64 = std::str::from_utf8(buf.get(..STAMP).unwrap_or_default())?.parse().unwrap_or(now);
        histogram.saturating_record(now.saturating_sub(sent) / 1000);
        received += 1;
    }
}

fn publisher(spec: &PubSubSpec, stop: &AtomicBool, start: Instant) -> anyhow::Result<u64> {
    let stream = TcpStream::connect(&spec.address).with_context(|| format!("cannot connect to {}", spec.address))?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    let mut payload = vec![b'x'; spec.payload.max(STAMP)];
    let mut batch = Vec::new();
    let mut line = Vec::new();
    let mut published = 0u64;
    while !stop.load(Ordering::Acquire) {
        batch.clear();
        for _ in 0..spec.pipeline {
            let stamp = format!("{:020}", start.elapsed().as_nanos() as u64);
            payload[..STAMP].copy_from_slice(stamp.as_bytes());
            crate::resp::encode_command(&mut batch, &[&b"PUBLISH"[..], CHANNEL.as_bytes(), &payload]);
        }
        writer.write_all(&batch)?;
        for _ in 0..spec.pipeline {
            read_line(&mut reader, &mut line)?;
        }
        published += spec.pipeline as u64;
    }
    Ok(published)
}

/// One run: subscribers connect and subscribe first, then publishers publish for the
/// run's duration; subscribers drain what is in flight before stopping.
pub fn run(spec: &PubSubSpec) -> anyhow::Result<PubSubResult> {
    let start = Instant::now();
    let ready = Arc::new(AtomicU64::new(0));
    let subscribers: Vec<_> = (0..spec.subscribers)
        .map(|_| {
            let (address, ready) = (spec.address.clone(), ready.clone());
            std::thread::spawn(move || subscriber(&address, &ready, start))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while ready.load(Ordering::Acquire) < spec.subscribers as u64 {
        if Instant::now() > deadline || subscribers.iter().any(|s| s.is_finished()) {
            bail!("subscribers could not subscribe to {}", spec.address);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let stop_publishers = Arc::new(AtomicBool::new(false));
    let began = Instant::now();
    let publishers: Vec<_> = (0..spec.publishers)
        .map(|_| {
            let (spec, stop) = (spec.clone(), stop_publishers.clone());
            std::thread::spawn(move || publisher(&spec, &stop, start))
        })
        .collect();
    std::thread::sleep(spec.duration);
    stop_publishers.store(true, Ordering::Release);
    let mut published = 0;
    for p in publishers {
        published += p.join().map_err(|_| anyhow::anyhow!("a publisher panicked"))??;
    }
    let publish_time = began.elapsed();
    let mut control = TcpStream::connect(&spec.address)?;
    control.write_all(&command(&[b"PUBLISH", CHANNEL.as_bytes(), SENTINEL]))?;
    let mut reply = [0u8; 64];
    let _ = control.read(&mut reply)?;
    let mut delivered = 0;
    let mut latency_us = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for s in subscribers {
        let (n, h) = s.join().map_err(|_| anyhow::anyhow!("a subscriber panicked"))??;
        delivered += n;
        latency_us.add(&h)?;
    }
    let secs = publish_time.as_secs_f64();
    Ok(PubSubResult {
        published_per_sec: published as f64 / secs,
        delivered_per_sec: delivered as f64 / secs,
        latency_us,
    })
}

/// A result as a table row.
pub fn describe(label: &str, r: &PubSubResult) -> String {
    let l = &r.latency_us;
    format!(
        "{label:<24} {:>12.0} {:>14.0} {:>9} {:>9} {:>9} {:>9}",
        r.published_per_sec,
        r.delivered_per_sec,
        l.value_at_quantile(0.5),
        l.value_at_quantile(0.99),
        l.value_at_quantile(0.999),
        l.max()
    )
}

pub const HEADER: &str = "server                    published/s    delivered/s  p50(us)  p99(us) p99.9(us)   max(us)";
