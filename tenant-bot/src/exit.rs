//! How a process that cannot go on says why: one log line with the whole
//! chain of causes, phone numbers masked, and, in a container, the same
//! line as its termination message, which Kubernetes shows in the pod's
//! status (and the operator on the account).

use std::path::Path;

use crds::naming::Redacted;

/// Where the kubelet reads a container's termination message.
pub const TERMINATION_LOG: &str = "/dev/termination-log";

/// Logs `error` and leaves it as the termination message.
pub fn report(error: &anyhow::Error) {
    let said = why(error);
    tracing::error!(error = %said, "stopped");
    leave_message(Path::new(TERMINATION_LOG), &said);
}

/// `error` and its causes on one line, phone numbers masked.
pub fn why(error: &anyhow::Error) -> String {
    Redacted(format!("{error:#}")).to_string()
}

/// Writes `message` to `path` only when the file is there: the kubelet
/// makes it for a container; elsewhere nothing is created.
pub fn leave_message(path: &Path, message: &str) {
    if !path.is_file() {
        return;
    }
    if let Err(error) = std::fs::write(path, message) {
        tracing::warn!(error = %Redacted(error), "cannot write the termination message");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_on_one_line_with_numbers_masked() {
        let error = anyhow::anyhow!("permission denied")
            .context("cannot open /data/bot_data-42-447700900123.db");
        let said = why(&error);
        assert!(said.contains("cannot open"), "{said}");
        assert!(said.contains(": permission denied"), "{said}");
        assert!(!said.contains("447700900123"), "{said}");
    }

    #[test]
    fn a_message_is_left_only_where_the_file_exists() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("termination-log");
        leave_message(&absent, "why");
        assert!(!absent.exists());
        std::fs::write(&absent, "").unwrap();
        leave_message(&absent, "why");
        assert_eq!(std::fs::read_to_string(&absent).unwrap(), "why");
    }
}
