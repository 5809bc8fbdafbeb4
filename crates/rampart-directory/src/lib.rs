//! The directory as Rampart sees it.

pub mod posture;
