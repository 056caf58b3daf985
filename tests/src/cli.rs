//! Running the cluster's command-line tools (`kubectl`, `helm`) from a
//! test and reading what they said.

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

/// Runs `command`, feeding it `stdin`, and returns what it did.
///
/// # Panics
/// When the command cannot be started.
pub fn run(mut command: Command, stdin: Option<&str>) -> Output {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start a command");
    let mut input = child.stdin.take().expect("the command's input");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("feed the command");
    }
    drop(input);
    child.wait_with_output().expect("the command's output")
}

/// The standard output of a command that must have succeeded.
///
/// # Panics
/// When it failed, with `what` and what it printed.
pub fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
