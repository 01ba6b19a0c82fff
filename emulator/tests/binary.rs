//! The `acsgen-emulator` command: its first stdout line, keys from the command line, the demo pair.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// A child process, killed when dropped (a failed assertion does not leave it running).
struct Running(std::process::Child);

impl std::ops::Deref for Running {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, Vec<String>) {
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_acsgen-emulator")).args(args).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let mut out = vec![first];
    if args.iter().all(|a| *a != "--access-key") {
        out.push(lines.next().unwrap().unwrap());
    }
    (Running(child), out)
}

#[test]
fn first_line_is_the_real_address() {
    let (_child, lines) =
        start(&["--listen", "127.0.0.1:0", "--access-key", "ID:SECRET", "--access-key", "STS.ID:S2:TOKEN"]);
    let address = lines[0].strip_prefix("listening on http://127.0.0.1:").expect(&lines[0]);
    assert!(address.parse::<u16>().unwrap() > 0);
}

#[test]
fn without_keys_it_prints_the_demo_pair() {
    let (_child, lines) = start(&["--listen", "127.0.0.1:0", "--seed", "3"]);
    assert!(lines[0].starts_with("listening on http://127.0.0.1:"));
    assert_eq!(lines[1], "demo access key: acsgen-demo-key / acsgen-demo-secret");
}

#[test]
fn bad_arguments_are_explained() {
    let out = Command::new(env!("CARGO_BIN_EXE_acsgen-emulator")).args(["--fault-throttle", "2"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a probability between 0 and 1"));
    let out = Command::new(env!("CARGO_BIN_EXE_acsgen-emulator")).args(["--access-key", "nosecret"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("ID:SECRET"));
}

/// The emulator's peak resident set size in KiB, from the kernel's own accounting of the process.
fn peak_kib(child: &std::process::Child) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// Sends `body` as an unsigned form POST and reads the answer's status line.
fn post_unsigned(address: &str, body: &[u8]) -> String {
    post(address, body).lines().next().unwrap_or_default().to_owned()
}

/// Sends `body` as a form POST and reads the whole answer.
fn post(address: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    let _ = stream.write_all(body);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The hostile-input pass's sixth finding: three unsigned 16 MB bodies of `a&a&…` at once took the
/// emulator to 2.67 GB. The parameters are counted before any is decoded, so each request costs about
/// its body.
#[test]
fn unsigned_bodies_of_millions_of_parameters_cost_about_their_size() {
    let (child, lines) = start(&["--listen", "127.0.0.1:0", "--access-key", "ID:SECRET"]);
    let address = lines[0].strip_prefix("listening on http://").unwrap().to_owned();
    let before = peak_kib(&child);
    let body = "a&".repeat(8 * 1024 * 1024 - 1).into_bytes();
    let answers: Vec<String> = std::thread::scope(|scope| {
        let sends: Vec<_> = (0..3).map(|_| scope.spawn(|| post_unsigned(&address, &body))).collect();
        sends.into_iter().map(|send| send.join().unwrap()).collect()
    });
    assert!(answers.iter().all(|a| a.starts_with("HTTP/1.1 400")), "{answers:?}");
    let grown_mib = (peak_kib(&child) - before) / 1024;
    assert!(grown_mib <= 3 * 16 * 3, "three 16 MB bodies grew the emulator by {grown_mib} MiB");
}

/// A V1 request anyone can write — a known key ID, the current time, any signature — with a 16 MB value
/// of `+`: encoded twice to be signed, each space is five bytes. The signature is checked as it is
/// computed, so the request costs about its size (building the strings to sign took 262 MB).
#[test]
fn a_v1_request_of_16_mb_costs_about_its_size_to_verify() {
    let (child, lines) = start(&["--listen", "127.0.0.1:0", "--access-key", "ID:SECRET"]);
    let address = lines[0].strip_prefix("listening on http://").unwrap().to_owned();
    let before = peak_kib(&child);
    let now = acsgen::sign::format_timestamp(std::time::SystemTime::now());
    let head = format!(
        "Action=ListTasks&Version=2019-10-15&AccessKeyId=ID&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&SignatureNonce=n1&Timestamp={}&Signature=x&Big=",
        acsgen::encode::percent_encode(&now)
    );
    let body = [head.as_bytes(), "+".repeat(acsgen_emulator::MAX_BODY - head.len()).as_bytes()].concat();
    let answer = post(&address, &body);
    assert!(answer.starts_with("HTTP/1.1 400") && answer.contains("SignatureDoesNotMatch"), "{answer:.300}");
    let grown_mib = (peak_kib(&child) - before) / 1024;
    assert!(grown_mib <= 4 * 16, "a 16 MB request grew the emulator by {grown_mib} MiB");
}

/// A parameter name that is not UTF-8 is named in the refusal by its first characters, not echoed whole.
#[test]
fn a_16_mb_parameter_name_is_not_echoed_back() {
    let (_child, lines) = start(&["--listen", "127.0.0.1:0", "--access-key", "ID:SECRET"]);
    let address = lines[0].strip_prefix("listening on http://").unwrap().to_owned();
    let most = acsgen_emulator::MAX_BODY;
    for body in [format!("%FF{}=1", "a".repeat(most - 5)), format!("{0}=1&{0}=2", "b".repeat(most / 2 - 4))] {
        let answer = post(&address, body.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 400") && answer.contains("InvalidParameter"), "{answer:.300}");
        assert!(answer.len() < 2048, "a {}-byte answer", answer.len());
    }
}

/// CPU seconds (user and system) the process has used, from the kernel's own accounting.
fn cpu_seconds(child: &std::process::Child) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", child.id())).unwrap();
    // Fields after the command name, which is in parentheses: utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0 // USER_HZ, 100 on Linux
}

/// The hostile-input pass's seventh finding: out of file descriptors, the accept loop tried again at
/// once and spun at over 100% CPU until connections closed. It now waits between tries.
#[test]
fn out_of_file_descriptors_the_emulator_waits_instead_of_spinning() {
    let exe = env!("CARGO_BIN_EXE_acsgen-emulator");
    let mut child = Command::new("sh")
        .args(["-c", &format!("ulimit -n 48 && exec {exe} --listen 127.0.0.1:0 --access-key ID:SECRET")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let child = Running(child);
    let mut lines = BufReader::new(stdout).lines();
    let address = lines.next().unwrap().unwrap().strip_prefix("listening on http://").unwrap().to_owned();
    // More connections than descriptors left: the rest wait in the queue, and accepting them fails.
    let held: Vec<std::net::TcpStream> = (0..80).map(|_| std::net::TcpStream::connect(&address).unwrap()).collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = cpu_seconds(&child);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let used = cpu_seconds(&child) - before;
    assert!(used < 0.5, "{used:.2} s of CPU in 2 s with descriptors exhausted");
    drop(held);
}

/// One raw HTTP/1.1 exchange: the whole answer.
fn exchange(address: &str, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// `--metadata --imdsv2-only`: no key without a token; with one, a new key each fetch, lasting
/// `--metadata-lifetime`. The STS settings need `--sts`.
#[test]
fn the_command_plays_the_metadata_service_and_sts() {
    let (_child, lines) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--access-key",
        "ID:SECRET",
        "--metadata",
        "--metadata-role",
        "Importer",
        "--metadata-lifetime",
        "905",
        "--imdsv2-only",
        "--sts",
    ]);
    let address = lines[0].strip_prefix("listening on http://").unwrap().to_owned();
    let role = "/latest/meta-data/ram/security-credentials/Importer";
    let get = |path: &str, token: &str| {
        exchange(&address, &format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n{token}\r\n"))
    };
    assert!(get(role, "").starts_with("HTTP/1.1 401"));
    let answer = exchange(
        &address,
        "PUT /latest/api/token HTTP/1.1\r\nhost: x\r\nconnection: close\r\nx-aliyun-ecs-metadata-token-ttl-seconds: 60\r\ncontent-length: 0\r\n\r\n",
    );
    let token = answer.split("\r\n\r\n").nth(1).unwrap().to_owned();
    let header = format!("x-aliyun-ecs-metadata-token: {token}\r\n");
    assert_eq!(get("/latest/meta-data/ram/security-credentials/", &header).split("\r\n\r\n").nth(1), Some("Importer"));
    let keys: Vec<serde_json::Value> =
        (0..2).map(|_| serde_json::from_str(get(role, &header).split("\r\n\r\n").nth(1).unwrap()).unwrap()).collect();
    assert_ne!(keys[0]["AccessKeyId"], keys[1]["AccessKeyId"], "a new key each fetch");
    let expires = acsgen::sign::parse_timestamp(keys[0]["Expiration"].as_str().unwrap()).unwrap();
    let lasts = expires.duration_since(std::time::SystemTime::now()).unwrap().as_secs();
    assert!((900..=905).contains(&lasts), "{lasts} s");
    assert!(
        String::from_utf8_lossy(
            &Command::new(env!("CARGO_BIN_EXE_acsgen-emulator"))
                .args(["--sts-duration", "905"])
                .output()
                .unwrap()
                .stderr
        )
        .contains("--sts")
    );
}

/// `--spec`: a file the reader refuses stops the command with every problem and where it is; a good one
/// is served, and the unsigned stub and call endpoints answer as documented.
#[test]
fn specs_are_served_and_stubs_scripted_over_http() {
    let broken = std::env::temp_dir().join(format!("acsgen-broken-spec-{}.json", std::process::id()));
    std::fs::write(
        &broken,
        r#"{"info": {"style": "RPC", "product": "x", "version": "1"}, "apis": {"A": {"parameters": 3}}}"#,
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_acsgen-emulator")).arg("--spec").arg(&broken).output().unwrap();
    let _ = std::fs::remove_file(&broken);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot be served:") && stderr.contains("/apis/A/parameters"), "{stderr}");

    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/specs/paged.json");
    let (_child, lines) = start(&["--spec", spec, "--list-items", "30", "--access-key", "k:s"]);
    let address = lines[0].trim_start_matches("listening on http://").to_owned();
    let post = |body: &str| {
        let request = format!(
            "POST /__emulator/stubs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        exchange(&address, &request)
    };
    let get = |path: &str| exchange(&address, &format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"));
    let queued = post(
        r#"{"action": "ListThings", "responses": [{"status": 429, "code": "Throttling", "retry_after_ms": 5}, {"body": {}}]}"#,
    );
    assert!(queued.starts_with("HTTP/1.1 200") && queued.ends_with(r#"{"queued":2}"#), "{queued}");
    let refused = post(r#"{"action": "ListThings", "responses": [{"body": {}, "code": "X"}]}"#);
    assert!(refused.starts_with("HTTP/1.1 400") && refused.contains("InvalidStub"), "{refused}");
    assert!(get("/__emulator/stubs").ends_with(r#"[{"action":"ListThings","responses":2}]"#));
    assert!(get("/__emulator/calls").ends_with("\r\n\r\n[]"), "no call yet");
    let unsigned = exchange(&address, "GET /?Action=ListThings HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
    assert!(unsigned.contains("IncompleteSignature"), "{unsigned}");
    let calls = get("/__emulator/calls?action=ListThings");
    assert!(calls.contains(r#""action":"ListThings""#) && calls.contains(r#""code":"IncompleteSignature""#), "{calls}");
    assert!(
        get("/__emulator/stubs").ends_with(r#"[{"action":"ListThings","responses":2}]"#),
        "a refused request takes no stub"
    );
}
