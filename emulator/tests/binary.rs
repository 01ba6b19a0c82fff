//! The `acsgen-emulator` command: its first stdout line, keys from the command line, the demo pair.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn start(args: &[&str]) -> (std::process::Child, Vec<String>) {
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_acsgen-emulator")).args(args).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let mut out = vec![first];
    if args.iter().all(|a| *a != "--access-key") {
        out.push(lines.next().unwrap().unwrap());
    }
    (child, out)
}

#[test]
fn first_line_is_the_real_address() {
    let (mut child, lines) =
        start(&["--listen", "127.0.0.1:0", "--access-key", "ID:SECRET", "--access-key", "STS.ID:S2:TOKEN"]);
    let address = lines[0].strip_prefix("listening on http://127.0.0.1:").expect(&lines[0]);
    assert!(address.parse::<u16>().unwrap() > 0);
    child.kill().unwrap();
}

#[test]
fn without_keys_it_prints_the_demo_pair() {
    let (mut child, lines) = start(&["--listen", "127.0.0.1:0", "--seed", "3"]);
    assert!(lines[0].starts_with("listening on http://127.0.0.1:"));
    assert_eq!(lines[1], "demo access key: acsgen-demo-key / acsgen-demo-secret");
    child.kill().unwrap();
}

#[test]
fn bad_arguments_are_explained() {
    let out = Command::new(env!("CARGO_BIN_EXE_acsgen-emulator")).args(["--fault-throttle", "2"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a probability between 0 and 1"));
    let out = Command::new(env!("CARGO_BIN_EXE_acsgen-emulator")).args(["--access-key", "nosecret"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("ID:SECRET"));
}
