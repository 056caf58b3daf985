//! What the front door and the tenants say to each other, and so both
//! must read alike: the updates the front door forwards and who sent
//! them, and the buttons' callback data.

pub mod callback;
pub mod update;
