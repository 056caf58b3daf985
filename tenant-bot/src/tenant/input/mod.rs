//! What users type and upload for the group features, turned into clean
//! data or a clear reason: group selections, files, numbers, vCards and
//! invite links. Pure functions, tested without a server.

pub mod file;
pub mod links;
pub mod numbers;
pub mod selection;
pub mod vcf;
