//! The Rampart binary's library half: the offline scan pipeline, the live sensor loop and output
//! writers, shared by the
//! `rampart` command and the project's scoreboard and benchmark tooling.

pub mod output;
pub mod scan;
pub mod sensor;
