//! `cargo xtask bench-net`: `rampart scan` on a large capture against `tshark -r` dissecting the
//! same protocols, measured in the same run.
//!
//! The corpus is one pcap built from the lab's recorded captures (`../shared/lab/captures/*.pcap`),
//! replicated until it reaches `--size-mb`. Each copy moves the client side of every packet to
//! its own loopback address (`127.<copy>.<copy>.1`-style, IPv4 header checksum recomputed) and
//! shifts time forward, so copies are new flows rather than retransmissions of the old ones, as
//! a day of a DC's traffic would be. Only link type Ethernet (what `tcpdump -i lo` writes) and
//! classic little-endian pcap are accepted, which is what the lab records. The corpus is kept
//! with a stamp (`bench-net.pcap.stamp`) and reused while the captures and size are the same.
//! Each tool runs once untimed before its measured runs.

use crate::proc::{self, Exit, Outcome};
use anyhow::{bail, Context as _, Result};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const MB: f64 = 1_000_000.0;
/// pcap global header magic, microsecond resolution, little-endian.
const PCAP_MAGIC_LE: u32 = 0xa1b2_c3d4;
const LINKTYPE_ETHERNET: u32 = 1;

#[derive(clap::Args)]
pub struct Args {
    /// Corpus size to reach, in MB (10^6 bytes).
    #[arg(long, value_name = "MB", default_value_t = 1000)]
    size_mb: u64,
    /// Runs of each measurement; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 1)]
    runs: usize,
    /// The lab captures folder [default: <workspace>/../shared/lab/captures].
    #[arg(long, value_name = "DIR")]
    captures: Option<PathBuf>,
    /// Use this rampart binary instead of building `cargo build --release -p rampart`.
    #[arg(long, value_name = "PATH")]
    bin: Option<PathBuf>,
    /// Skip tshark (when it is not installed): only rampart's figures are printed.
    #[arg(long)]
    no_tshark: bool,
}

/// One packet record of a capture: header fields and the frame bytes.
struct Packet {
    ts_sec: u32,
    ts_usec: u32,
    orig_len: u32,
    data: Vec<u8>,
}

/// Reads a classic little-endian Ethernet pcap whole (the lab captures are small).
fn read_pcap(path: &Path) -> Result<Vec<Packet>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let u32_at = |off: usize| -> Option<u32> {
        bytes
            .get(off..off + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    if u32_at(0) != Some(PCAP_MAGIC_LE) {
        bail!("{}: not a little-endian microsecond pcap", path.display());
    }
    if u32_at(20) != Some(LINKTYPE_ETHERNET) {
        bail!("{}: link type is not Ethernet", path.display());
    }
    let mut packets = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let (Some(ts_sec), Some(ts_usec), Some(incl), Some(orig_len)) = (
            u32_at(off),
            u32_at(off + 4),
            u32_at(off + 8),
            u32_at(off + 12),
        ) else {
            break;
        };
        let start = off + 16;
        let Some(data) = bytes.get(start..start + incl as usize) else {
            bail!("{}: truncated packet at byte {off}", path.display());
        };
        packets.push(Packet {
            ts_sec,
            ts_usec,
            orig_len,
            data: data.to_vec(),
        });
        off = start + incl as usize;
    }
    Ok(packets)
}

/// Moves 127.0.0.1 (the lab's clients) to the copy's own address and fixes the IPv4 checksum.
fn rewrite_client(frame: &mut [u8], copy: u32) {
    const ETH: usize = 14;
    if frame.len() < ETH + 20 || frame[12] != 0x08 || frame[13] != 0x00 {
        return;
    }
    let ihl = usize::from(frame[ETH] & 0x0f) * 4;
    if ihl < 20 || frame.len() < ETH + ihl {
        return;
    }
    let new = [127, 1 + (copy >> 8) as u8 % 250, (copy & 0xff) as u8, 1];
    for field in [ETH + 12, ETH + 16] {
        if frame[field..field + 4] == [127, 0, 0, 1] {
            frame[field..field + 4].copy_from_slice(&new);
        }
    }
    frame[ETH + 10] = 0;
    frame[ETH + 11] = 0;
    let mut sum: u32 = 0;
    for pair in frame[ETH..ETH + ihl].chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    let sum = !(sum as u16);
    frame[ETH + 10..ETH + 12].copy_from_slice(&sum.to_be_bytes());
}

/// The corpus for these captures and size: the one already built when its stamp says it was
/// built from the same captures (names, sizes, modification times) to the same size, else a
/// new one. Reading a gigabyte written moments before is slower for a while than reading a
/// settled one, so rebuilding on every run skewed the first measurement.
fn corpus_for(captures: &Path, out: &Path, size: u64) -> Result<(u64, u64)> {
    let stamp_path = out.with_extension("pcap.stamp");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(captures).with_context(|| format!("{}", captures.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "pcap") {
            let meta = std::fs::metadata(&path)?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            inputs.push(format!("{} {} {mtime}", path.display(), meta.len()));
        }
    }
    inputs.sort();
    let stamp = format!("size {size}\n{}\n", inputs.join("\n"));
    if let Ok(old) = std::fs::read_to_string(&stamp_path) {
        if let Some((head, rest)) = old.split_once("\nbuilt ") {
            let built: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            let on_disk = std::fs::metadata(out).map(|m| m.len()).ok();
            if format!("{head}\n") == stamp && built.len() == 2 && on_disk == Some(built[0]) {
                eprintln!("bench-net: reusing the corpus built before (same captures and size)");
                return Ok((built[0], built[1]));
            }
        }
    }
    let _ = std::fs::remove_file(&stamp_path);
    let (bytes, packets) = build_corpus(captures, out, size)?;
    std::fs::write(&stamp_path, format!("{stamp}built {bytes} {packets}\n"))
        .with_context(|| format!("writing {}", stamp_path.display()))?;
    Ok((bytes, packets))
}

/// Builds the corpus; returns (bytes, packets).
fn build_corpus(captures: &Path, out: &Path, size: u64) -> Result<(u64, u64)> {
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(captures).with_context(|| format!("{}", captures.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "pcap") {
            inputs.push(path);
        }
    }
    inputs.sort();
    if inputs.is_empty() {
        bail!("no .pcap files in {}", captures.display());
    }
    let mut packets = Vec::new();
    for p in &inputs {
        packets.extend(read_pcap(p)?);
    }
    packets.sort_by_key(|p| (p.ts_sec, p.ts_usec));
    let span = packets
        .last()
        .zip(packets.first())
        .map_or(1, |(l, f)| l.ts_sec.saturating_sub(f.ts_sec) + 1);
    let mut w = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?,
    );
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&PCAP_MAGIC_LE.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&0i32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&262_144u32.to_le_bytes());
    header.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    w.write_all(&header)?;
    let (mut bytes, mut count, mut copy) = (24u64, 0u64, 0u32);
    while bytes < size {
        for p in &packets {
            let mut frame = p.data.clone();
            rewrite_client(&mut frame, copy);
            let ts = p.ts_sec.saturating_add(copy.saturating_mul(span + 60));
            w.write_all(&ts.to_le_bytes())?;
            w.write_all(&p.ts_usec.to_le_bytes())?;
            w.write_all(&(frame.len() as u32).to_le_bytes())?;
            w.write_all(&p.orig_len.to_le_bytes())?;
            w.write_all(&frame)?;
            bytes += 16 + frame.len() as u64;
            count += 1;
        }
        copy += 1;
    }
    // Write the corpus through to disk before anything is timed: otherwise the kernel's
    // writeback of a just-written gigabyte competes with the first measured run.
    w.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .with_context(|| format!("syncing {}", out.display()))?;
    Ok((bytes, count))
}

struct Measured {
    name: &'static str,
    command: String,
    outcome: Outcome,
}

fn measure(name: &'static str, mut cmd: Command, runs: usize) -> Result<Measured> {
    let command = format!("{cmd:?}");
    let mut outcomes = Vec::new();
    // One run first that is not counted: the tool's binary and libraries come into memory.
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    proc::run(&mut cmd, Some(Duration::from_secs(3600)))?;
    for _ in 0..runs.max(1) {
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        let o = proc::run(&mut cmd, Some(Duration::from_secs(3600)))?;
        if !matches!(o.exit, Exit::Code(0) | Exit::Code(1)) || o.timed_out {
            bail!("{name} failed: {:?} (timed out: {})", o.exit, o.timed_out);
        }
        outcomes.push(o);
    }
    outcomes.sort_by_key(|o| o.wall);
    let outcome = outcomes[outcomes.len() / 2].clone();
    Ok(Measured {
        name,
        command,
        outcome,
    })
}

pub fn run(args: Args) -> Result<()> {
    let root = crate::workspace_root();
    let captures = args
        .captures
        .unwrap_or_else(|| root.join("../shared/lab/captures"));
    let bin = crate::rampart_binary(args.bin)?;
    let corpus = crate::target_dir().join("bench-net.pcap");
    eprintln!(
        "bench-net: building {} MB corpus at {}",
        args.size_mb,
        corpus.display()
    );
    let (bytes, packets) = corpus_for(&captures, &corpus, args.size_mb * 1_000_000)?;
    // Warm the page cache so both tools read from memory, through a small buffer: a child
    // forked from a process holding the whole file would count those pages in its peak RSS.
    warm_page_cache(&corpus)?;

    let mut results = Vec::new();
    let mut scan = Command::new(&bin);
    scan.args(["scan", "--quiet", "--format", "jsonl"])
        .arg(&corpus);
    results.push(measure("rampart scan", scan, args.runs)?);
    if !args.no_tshark {
        let mut tshark = Command::new("tshark");
        tshark.args(["-n", "-r"]).arg(&corpus).args([
            "-q",
            "-Y",
            "kerberos or ldap or cldap or dns or smb2 or dcerpc or ntlmssp",
        ]);
        results.push(measure("tshark -r", tshark, args.runs)?);
    }
    println!(
        "corpus: {} ({:.0} MB, {packets} packets, from {})",
        corpus.display(),
        bytes as f64 / MB,
        captures.display()
    );
    println!(
        "{:<14} {:>9} {:>9} {:>12} {:>9} {:>10}",
        "tool", "wall s", "cpu s", "packets/s", "MB/s", "peak MiB"
    );
    for m in &results {
        let secs = m.outcome.wall.as_secs_f64().max(1e-9);
        println!(
            "{:<14} {:>9.2} {:>9.2} {:>12.0} {:>9.1} {:>10.1}",
            m.name,
            secs,
            m.outcome.cpu.as_secs_f64(),
            packets as f64 / secs,
            bytes as f64 / MB / secs,
            m.outcome.max_rss_kib as f64 / 1024.0
        );
    }
    if let [r, t] = results.as_slice() {
        println!(
            "rampart / tshark throughput: {:.1}x",
            t.outcome.wall.as_secs_f64() / r.outcome.wall.as_secs_f64().max(1e-9)
        );
    }
    for m in &results {
        eprintln!("{}: {}", m.name, m.command);
    }
    Ok(())
}

/// Reads `path` once, 1 MiB at a time, so that its pages are cached and none are held.
fn warm_page_cache(path: &Path) -> Result<()> {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    while f.read(&mut buf)? > 0 {}
    Ok(())
}
