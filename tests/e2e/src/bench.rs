//! `mfs-e2e --bench`: key-store scale benchmark inside OP-TEE on QEMU
//! (run by `scripts/bench` on a fresh in-memory secure storage).
//!
//! Measures, at 1, 100 and 1,000 keys in the TA, the median latency of a
//! `KeySign` with the first key (whose object was written first), of
//! `KeyInfo`, of a `TxSign` (PIN session, PIN check, counter, event log and
//! signature) and of the last generates, against the anchor of an empty
//! `Ping` measured in the same run. Every generate, sign and tx appends to
//! the event log, so by 1,000 keys the log has rolled over. Prints
//! `MFS-BENCH` lines. Also at each count: `PinVerify` with the right and
//! with a wrong PIN, `LogHead`, a whole log export, and the number of
//! objects in OP-TEE's REE FS directory (every file but `dirf.db`: the
//! benchmark runs alone on fresh storage, so they are the TA's). Each
//! figure is the median with min and max and the sample count.

use std::time::{Duration, Instant};

use mfs_host::proto::pin::Pin;
use mfs_host::proto::{KeyPolicy, Purpose, TxRecord};
use mfs_host::{Client, LoginMethod, TeecTransport};

const SAMPLES: usize = 25;
/// Keys one client may hold (`MAX_KEYS_PER_CLIENT`).
const PER_CLIENT: usize = 100;
/// Where tee-supplicant keeps the REE FS objects in the test image.
const REE_FS_DIR: &str = "/var/lib/optee-client/data/tee";

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v.get(v.len() / 2).map_or(f64::NAN, |d| ms(*d))
}

/// Median, min, max (ms) and count of `v`.
fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let (lo, hi) = (v.first().copied(), v.last().copied());
    let (lo, hi) = (lo.map_or(f64::NAN, ms), hi.map_or(f64::NAN, ms));
    format!("{:.2} {lo:.2} {hi:.2} {}", median(v.clone()), v.len())
}

fn samples<T>(n: usize, mut f: impl FnMut() -> Result<T, String>) -> Result<Vec<Duration>, String> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        v.push(t.elapsed());
    }
    Ok(v)
}

fn time<T>(n: usize, f: impl FnMut() -> Result<T, String>) -> Result<f64, String> {
    Ok(median(samples(n, f)?))
}

/// Generates `n` keys as another client (this binary re-run as `uid`);
/// the median of its last generates, ms.
fn fill_as(uid: u32, n: usize) -> Result<f64, String> {
    let child = crate::as_uid(uid, &["--bench-fill", &n.to_string()])?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("fill_ms="))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("fill as uid {uid}: {text}"))
}

/// `--bench-fill N`: generates `N` keys as this process's client and
/// prints the median of the last generates.
pub fn fill(n: usize) -> Result<(), String> {
    let e = |e: mfs_host::Error| e.to_string();
    let mut c = TeecTransport::open(mfs_host::proto::TA_UUID, LoginMethod::User)
        .map(Client::new)
        .map_err(e)?;
    let mut gens = Vec::with_capacity(n);
    for i in 0..n {
        let t = Instant::now();
        c.key_generate(&format!("fill-{i}"), KeyPolicy::plain(Purpose::Sign))
            .map_err(e)?;
        gens.push(t.elapsed());
    }
    let last = gens.split_off(gens.len().saturating_sub(SAMPLES));
    println!("fill_ms={:.2}", median(last));
    Ok(())
}

/// Files in the REE FS directory but `dirf.db`, with their sizes
/// (`None` if it cannot be read).
fn ree_fs_objects() -> Option<(usize, String)> {
    let dir = std::fs::read_dir(REE_FS_DIR).ok()?;
    let mut files: Vec<(String, u64)> = dir
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "dirf.db")
        .map(|e| {
            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
            (e.file_name().to_string_lossy().into_owned(), size)
        })
        .collect();
    files.sort();
    let names = files
        .iter()
        .map(|(n, s)| format!("{n}:{s}"))
        .collect::<Vec<_>>()
        .join(",");
    Some((files.len(), names))
}

/// Runs the benchmark at each of `targets` key counts (ascending; 1, 100
/// and 1,000 for the full run); `Err` on any failure.
pub fn run(issuer_pub: &[u8; 65], targets: &[usize]) -> Result<(), String> {
    let e = |e: mfs_host::Error| e.to_string();
    let mut c = TeecTransport::open(mfs_host::proto::TA_UUID, LoginMethod::User)
        .map(Client::new)
        .map_err(e)?;
    if !c.info().map_err(e)?.provisioned {
        c.provision(5, 0, issuer_pub).map_err(e)?;
    }
    let pin = Pin::new("2580").map_err(|_| "pin")?;
    if !c.pin_status().map_err(e)?.set {
        c.pin_set(&pin, None).map_err(e)?;
    }
    let record = TxRecord {
        amount: 1250,
        currency: "EUR".try_into().map_err(|_| "currency")?,
        payee: "bench shop".try_into().map_err(|_| "payee")?,
        display: "Pay 12.50 EUR to bench shop?"
            .try_into()
            .map_err(|_| "display")?,
        challenge: "5a"
            .repeat(16)
            .as_str()
            .try_into()
            .map_err(|_| "challenge")?,
        time: 1_763_800_000,
    };
    let ping = time(100, || c.ping(1).map_err(e))?;
    println!("MFS-BENCH anchor ping_ms={ping:.3}");
    let first = c
        .key_generate("bench-0", KeyPolicy::plain(Purpose::Sign))
        .map_err(e)?;
    let mut count = 1usize;
    let msg = b"benchmark payment record";
    for &target in targets {
        let mut gens = Vec::new();
        let mut filled = None;
        while count < target {
            if count < PER_CLIENT {
                let t = Instant::now();
                c.key_generate(&format!("bench-{count}"), KeyPolicy::plain(Purpose::Sign))
                    .map_err(e)?;
                gens.push(t.elapsed());
                count += 1;
            } else {
                // Beyond one client's quota: other clients (other uids)
                // fill the store, 100 keys each.
                let n = (target - count).min(PER_CLIENT);
                let uid = 62_000 + u32::try_from(count / PER_CLIENT).map_err(|_| "uid")?;
                filled = Some(fill_as(uid, n)?);
                count += n;
            }
        }
        let last_gens = gens.split_off(gens.len().saturating_sub(SAMPLES));
        let generate = filled.unwrap_or_else(|| median(last_gens));
        let sign = time(SAMPLES, || c.key_sign(&first.id, msg).map_err(e))?;
        let info = time(SAMPLES, || c.key_info(&first.id).map_err(e))?;
        let tx = time(SAMPLES, || {
            c.tx_sign(&first.id, &pin, None, &record).map_err(e)
        })?;
        println!(
            "MFS-BENCH keys={target} sign_ms={sign:.2} info_ms={info:.2} tx_sign_ms={tx:.2} generate_ms={generate:.2} sign_per_ping={:.1} tx_per_ping={:.1}",
            sign / ping,
            tx / ping
        );
        // Median min max samples, per operation.
        let (mut right, mut wrong) = (Vec::new(), Vec::new());
        let bad = Pin::new("0000").map_err(|_| "pin")?;
        for _ in 0..SAMPLES {
            // a wrong PIN, then the right one (which restores the tries)
            let t = Instant::now();
            let r = c.pin_verify(&bad, None);
            wrong.push(t.elapsed());
            match r {
                Err(mfs_host::Error::Status { .. }) => {}
                other => return Err(format!("wrong PIN: {other:?}")),
            }
            let t = Instant::now();
            c.pin_verify(&pin, None).map_err(e)?;
            right.push(t.elapsed());
        }
        println!(
            "MFS-BENCH keys={target} op=pin_verify_right {}",
            stats(right)
        );
        println!(
            "MFS-BENCH keys={target} op=pin_verify_wrong {}",
            stats(wrong)
        );
        let sign = samples(SAMPLES, || c.key_sign(&first.id, msg).map_err(e))?;
        println!("MFS-BENCH keys={target} op=key_sign {}", stats(sign));
        let tx = samples(SAMPLES / 5, || {
            c.tx_sign(&first.id, &pin, None, &record).map_err(e)
        })?;
        println!("MFS-BENCH keys={target} op=tx_sign {}", stats(tx));
        let head = samples(SAMPLES, || c.log_head(b"bench").map_err(e))?;
        println!("MFS-BENCH keys={target} op=log_head {}", stats(head));
        let mut entries = 0;
        let export = samples(3, || {
            let x = c.log_export(b"bench").map_err(e)?;
            entries = x.entries.len();
            Ok(())
        })?;
        println!(
            "MFS-BENCH keys={target} op=log_export entries={entries} {}",
            stats(export)
        );
        match ree_fs_objects() {
            Some((n, files)) => println!("MFS-BENCH keys={target} ree_fs_files={n} {files}"),
            None => println!("MFS-BENCH keys={target} ree_fs_files=unknown"),
        }
    }
    Ok(())
}
