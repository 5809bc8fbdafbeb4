//! The fuzz targets' bodies over damaged copies of real descriptors and of the lab LDIF, so
//! every build checks what `cargo fuzz` explores: errors, never panics.

mod common;

use rampart_directory::entry::Builder;
use rampart_directory::ldif;
use rampart_directory::sd::{self, ObjectKind, Target};
use std::path::Path;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn exercise(data: &[u8]) {
    let _ = sd::parse_sid(data);
    if let Ok(d) = sd::parse(data) {
        for kind in [
            ObjectKind::User,
            ObjectKind::Computer,
            ObjectKind::Group,
            ObjectKind::Domain,
        ] {
            let _ = sd::grants(
                &d,
                &Target {
                    kind,
                    laps: true,
                    laps_attributes: &[],
                },
            );
        }
    }
}

#[test]
fn damaged_lab_descriptors_never_panic() {
    let path = common::captures().join("directory.ldif");
    let mut sds = Vec::new();
    ldif::read(&path, |e| {
        if let Some(v) = e.first("ntsecuritydescriptor") {
            sds.push(v.to_vec());
        }
    })
    .expect("read");
    assert_eq!(sds.len(), 135);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for original in &sds {
        assert!(sd::parse(original).is_ok());
        for _ in 0..40 {
            let mut b = original.clone();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
            if rng.below(4) == 0 {
                b.truncate(rng.below(b.len()));
            }
            exercise(&b);
            parsed += usize::from(sd::parse(&b).is_ok());
        }
    }
    // Most single-byte damage lands in ACE masks and SIDs, which still parse.
    assert!(parsed > 0);
}

#[test]
fn damaged_lab_ldif_never_panics() {
    let text = std::fs::read(common::captures().join("directory.ldif")).expect("read");
    let mut rng = Rng(42);
    for _ in 0..20 {
        let mut b = text.clone();
        for _ in 0..50 {
            let i = rng.below(b.len());
            b[i] = [b'\n', b' ', b':', b'#', b'=', 0xff, b'A'][rng.below(7)];
        }
        let mut builder = Builder::new();
        let stats = ldif::read_from(&b[..], Path::new("damaged.ldif"), |e| builder.add(&e))
            .expect("in-memory read");
        let d = builder.finish();
        let _ = d.acl_edges();
        // 50 damaged bytes spoil at most 50 entries; the others are read.
        assert!(stats.entries >= 135 - 50, "entries read: {}", stats.entries);
        assert!(stats
            .errors
            .iter()
            .all(|e| e.to_string().starts_with("damaged.ldif:")));
    }
}
