//! What users type and upload for the group features, turned into clean
//! data or a clear reason: group selections, files, numbers, vCards and
//! invite links, names of new groups, group photos. Pure functions, tested
//! without a server.

pub mod file;
pub mod links;
pub mod names;
pub mod numbers;
pub mod photo;
pub mod selection;
pub mod vcf;
