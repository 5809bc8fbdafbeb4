//! [`RawSelect`]: which records readers also deliver verbatim, as
//! [`EventKind::RawRecord`](rampart_core::EventKind::RawRecord) events, for rules that match
//! raw fields (Sigma). Selection is by channel and event id so that a reader parses only the
//! records some rule could match; with no selection (the default) nothing changes and
//! nothing is paid.

use std::collections::HashSet;

/// A set of (channel, event ids) to keep raw. Channels compare ignoring ASCII case; the
/// channel `*` stands for every channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawSelect {
    /// Every record of every channel.
    everything: bool,
    /// Lower-case channel name, and its event ids (`None`: all of them).
    channels: Vec<(Vec<u8>, Option<HashSet<u32>>)>,
}

impl RawSelect {
    /// Keeps every record.
    pub fn everything() -> RawSelect {
        RawSelect {
            everything: true,
            channels: Vec::new(),
        }
    }

    /// Keeps the records of `channel` with one of `ids`, or all of its records when `ids` is
    /// `None`. Adding a channel twice widens its selection.
    pub fn add(&mut self, channel: &str, ids: Option<&[u32]>) {
        let name = channel.to_ascii_lowercase().into_bytes();
        let new_ids = ids.map(|ids| ids.iter().copied().collect::<HashSet<u32>>());
        match self.channels.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => match (existing.as_mut(), new_ids) {
                (Some(have), Some(more)) => have.extend(more),
                _ => *existing = None,
            },
            None => self.channels.push((name, new_ids)),
        }
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.channels.is_empty()
    }

    /// Whether a record of `event_id` in `channel` (raw bytes, as readers see them) is kept.
    pub fn wants(&self, channel: &[u8], event_id: u32) -> bool {
        if self.everything {
            return true;
        }
        self.channels.iter().any(|(name, ids)| {
            (name == b"*" || (name.len() == channel.len() && name.eq_ignore_ascii_case(channel)))
                && ids.as_ref().is_none_or(|ids| ids.contains(&event_id))
        })
    }

    /// [`Self::wants`] for an optional selection.
    pub fn wanted(select: Option<&RawSelect>, channel: &[u8], event_id: u32) -> bool {
        select.is_some_and(|s| s.wants(channel, event_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_by_channel_and_id() {
        let mut s = RawSelect::default();
        assert!(s.is_empty());
        s.add("Security", Some(&[1102, 4688]));
        s.add("Microsoft-Windows-Sysmon/Operational", None);
        assert!(s.wants(b"security", 4688));
        assert!(!s.wants(b"Security", 4624));
        assert!(s.wants(b"Microsoft-Windows-Sysmon/Operational", 7));
        assert!(!s.wants(b"System", 104));
        s.add("security", Some(&[4624]));
        assert!(s.wants(b"Security", 4624) && s.wants(b"Security", 1102));
        s.add("Security", None);
        assert!(s.wants(b"Security", 5156));
        assert!(RawSelect::everything().wants(b"Anything", 1));
        assert!(!RawSelect::wanted(None, b"Security", 4688));
        let mut any = RawSelect::default();
        any.add("*", Some(&[4624]));
        assert!(any.wants(b"ForwardedEvents", 4624) && !any.wants(b"Security", 4625));
    }
}
