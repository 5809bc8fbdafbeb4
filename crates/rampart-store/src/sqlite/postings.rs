//! The `entity_event.event_ids` encoding: ascending ids as LEB128 varints of their differences.
//!
//! Ids inserted in one batch are consecutive or nearly so, so most differences take one byte.

/// Encodes ascending `ids` (the first as its difference from 0).
pub(super) fn encode(ids: &[i64], out: &mut Vec<u8>) {
    out.clear();
    let mut prev = 0i64;
    for &id in ids {
        // Ids ascend, so differences are non-negative; a non-ascending input still round-trips
        // because the difference is encoded as its two's-complement bit pattern.
        let mut d = id.wrapping_sub(prev) as u64;
        prev = id;
        loop {
            let byte = (d & 0x7f) as u8;
            d >>= 7;
            if d == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
}

/// Decodes what [`encode`] wrote; `None` if the bytes are not such an encoding.
pub(super) fn decode(bytes: &[u8]) -> Option<Vec<i64>> {
    let mut ids = Vec::with_capacity(bytes.len());
    let mut prev = 0i64;
    let mut d = 0u64;
    let mut shift = 0u32;
    for &b in bytes {
        if shift > 63 {
            return None;
        }
        d |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            prev = prev.wrapping_add(d as i64);
            ids.push(prev);
            d = 0;
            shift = 0;
        } else {
            shift += 7;
        }
    }
    (shift == 0).then_some(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let cases: [&[i64]; 5] = [
            &[],
            &[1],
            &[1, 2, 3, 4, 200, 201, 100_000, 1 << 40],
            &[i64::MAX - 1, i64::MAX],
            &[5, 3, -1],
        ];
        let mut buf = Vec::new();
        for ids in cases {
            encode(ids, &mut buf);
            assert_eq!(decode(&buf).as_deref(), Some(ids));
        }
        encode(&[1000, 1001, 1002, 1003], &mut buf);
        assert_eq!(buf.len(), 2 + 3, "consecutive ids take a byte each");
    }

    #[test]
    fn refuses_truncated_or_overlong_input() {
        assert_eq!(decode(&[0x80]), None);
        assert_eq!(decode(&[0xff; 11]), None);
    }
}
