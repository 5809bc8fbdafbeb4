//! Damaged copies of real logs: reading them never panics, reports the damage, and keeps what
//! is readable.

mod common;
use common::*;
use rampart_ingest::{discover, read_file, IngestError, ReadOptions};
use std::io::Write;

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Reads `bytes` as a file named `name`; returns (records, warnings, error).
fn read_bytes(
    dir: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> (u64, usize, Option<IngestError>) {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
    let (files, errors) = discover(&[path]);
    if let Some(e) = errors.into_iter().next() {
        return (0, 0, Some(e));
    }
    let mut sink = Collect::default();
    match read_file(
        &files[0],
        &ReadOptions {
            threads: 2,
            ..ReadOptions::default()
        },
        &mut sink,
    ) {
        Ok(stats) => {
            assert_eq!(stats.events as usize, sink.events.len());
            (stats.records, sink.warnings.len(), None)
        }
        Err(e) => {
            assert!(e.to_string().contains(name), "{e}");
            (0, sink.warnings.len(), Some(e))
        }
    }
}

#[test]
fn mangled_evtx_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut panics = Vec::new();
    for rel in [
        "evtx/oev__Security_with_size_t.evtx",
        "evtx/e2m__ID4768-4771-Kerberos_brutforce_with_non_existing_users.evtx",
        "evtx/oev__sysmon.evtx",
    ] {
        let original = std::fs::read(datasets().join(rel)).unwrap();
        let (intact, _) = read(rel, 1);
        for variant in 0..12 {
            let mut bytes = original.clone();
            match variant % 4 {
                // Scattered byte flips after the file header.
                0 => {
                    for _ in 0..(1 + variant * 20) {
                        let i = 4096 + rng.below(bytes.len() - 4096);
                        bytes[i] ^= (rng.next() as u8) | 1;
                    }
                }
                // A run of garbage inside a chunk's records.
                1 => {
                    let start = 4096 + 512 + rng.below(bytes.len() - 4096 - 4096);
                    for b in &mut bytes[start..start + 1024] {
                        *b = rng.next() as u8;
                    }
                }
                // Truncated part-way.
                2 => bytes.truncate(4096 + rng.below(bytes.len() - 4096)),
                // A chunk header wiped.
                _ => {
                    let chunks = (bytes.len() - 4096) / 65536;
                    let n = rng.below(chunks.max(1));
                    let at = 4096 + n * 65536;
                    bytes[at..at + 512].fill(0xAA);
                }
            }
            let name = format!("mangled-{variant}.evtx");
            let (records, warnings, err) = read_bytes(dir.path(), &name, &bytes);
            match err {
                Some(IngestError::Panic { .. }) => {
                    panics.push(format!("{rel} #{variant}"));
                    continue;
                }
                Some(e) => panic!("{rel} #{variant}: a readable file failed: {e}"),
                None => {}
            }
            // One wiped chunk header loses that chunk only, and says so.
            if variant % 4 == 3 {
                assert!(warnings >= 1, "{rel} #{variant}");
                if chunk_count(&original) > 1 {
                    assert!(records > 0, "{rel} #{variant}");
                }
            }
            assert!(records <= intact.records, "{rel} #{variant}");
        }
    }
    // A parser panic is survived (it is an error for that file), but it is a parser bug we
    // want to know about.
    println!("parser panics survived: {panics:?}");
}

fn chunk_count(evtx: &[u8]) -> usize {
    (evtx.len() - 4096) / 65536
}

#[test]
fn damaged_headers_and_empty_files_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    // An EVTX magic and nothing else.
    let (_, _, err) = read_bytes(dir.path(), "short.evtx", b"ElfFile\0");
    assert!(matches!(err, Some(IngestError::Corrupt { .. })), "{err:?}");
    // An intact header with no chunks: nothing to read, not an error.
    let original = std::fs::read(datasets().join("evtx/ebs__CA_DCSync_4662.evtx")).unwrap();
    let (records, _, err) = read_bytes(dir.path(), "header-only.evtx", &original[..4096]);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(records, 0);
    // A gzipped EVTX reads like the plain one.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&original).unwrap();
    let (records, warnings, err) = read_bytes(dir.path(), "dcsync.evtx.gz", &gz.finish().unwrap());
    assert!(err.is_none(), "{err:?}");
    assert_eq!((records, warnings), (3, 0));
    // A truncated gzip stream is an error naming the file.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&original).unwrap();
    let full = gz.finish().unwrap();
    let (_, _, err) = read_bytes(dir.path(), "cut.evtx.gz", &full[..full.len() / 2]);
    assert!(err.is_some());
}

#[test]
fn mangled_json_lines_warn_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read(
        datasets().join("json/otrf__empire_shell_rubeus_asktgt_ptt_2020-09-21223848.json"),
    )
    .unwrap();
    let (intact, _) = read(
        "json/otrf__empire_shell_rubeus_asktgt_ptt_2020-09-21223848.json",
        1,
    );
    let mut rng = Rng(42);
    let mut bytes = original.clone();
    let mut damaged_lines = 0;
    // Cut 30 lines short (drop their closing brace): each is one bad line, the rest read.
    let line_ends: Vec<usize> = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let mut cut: Vec<usize> = (0..30)
        .map(|_| line_ends[rng.below(line_ends.len())])
        .collect();
    cut.sort_unstable();
    cut.dedup();
    for &end in cut.iter().rev() {
        if bytes[end - 1] == b'}' {
            bytes.remove(end - 1);
            damaged_lines += 1;
        }
    }
    let (records, warnings, err) = read_bytes(dir.path(), "cut.json", &bytes);
    assert!(err.is_none());
    assert_eq!(warnings, damaged_lines);
    assert_eq!(records, intact.records - damaged_lines as u64);
    // Binary garbage after a valid start.
    let mut garbage = original[..2000].to_vec();
    garbage.extend((0..5000).map(|_| rng.next() as u8));
    let (_, warnings, err) = read_bytes(dir.path(), "garbage.json", &garbage);
    assert!(err.is_none());
    assert!(warnings >= 1);
}
