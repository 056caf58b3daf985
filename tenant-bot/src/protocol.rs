//! What the rooms share and so must read alike: the updates the front
//! door forwards to tenants and who sent them, the buttons' callback
//! data, and the account registry the front door, the standalone
//! supervisor and the import all write through.

pub mod callback;
pub mod registry;
pub mod update;
