//! A V3-style operation with a raw body — OCR's RecognizeGeneral, an image to recognise — sends the exact
//! bytes with the official OCR SDK's (`alibabacloud-ocr-api20210707`) content type and hash: both send the same
//! image to a capturing server and the requests are compared, our V3 signature included. Part of the
//! vendor-file suite: it runs when `ACSGEN_VENDOR_METADATA` is set.
#![cfg(vendor_metadata)]

use std::process::Command;

use acsgen_tests::capture::{self, assert_same_request, captured, headers};
use acsgen_tests::{ChildServer, python, python_script};
use acsgen_vendor_specs::ocr::Client;

/// Bytes that are not UTF-8 and not text: every byte value, twice.
fn image() -> Vec<u8> {
    (0..512u32).map(|i| (i % 256) as u8).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_body_is_sent_as_the_official_ocr_sdk_sends_it() {
    let mut command = Command::new(python());
    command.arg(python_script("capture.py")).args(["--key", "LTAItest:test-secret"]);
    let server = ChildServer::start(&mut command);
    let file = std::env::temp_dir().join(format!("acsgen-ocr-{}.bin", std::process::id()));
    std::fs::write(&file, image()).unwrap();
    let output = Command::new(python())
        .arg(python_script("sdk_ocr.py"))
        .args([server.endpoint.as_str(), "LTAItest", "test-secret"])
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.trim(), "ok", "the official SDK's call went through");

    let config = capture::config(&server.endpoint);
    // The capturing server's answer is not OCR's; what counts is what was sent.
    let _ = Client::new(&config).recognize_general().body(image()).send().await;

    let requests = captured(&server);
    assert_eq!(requests.len(), 2);
    assert_same_request(&requests[0], &requests[1], "RecognizeGeneral");
    let hex: String = image().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(requests[1]["body_hex"], hex.as_str(), "the exact bytes");
    assert_eq!(headers(&requests[1])["content-type"], "application/octet-stream");
    assert_eq!((requests[1]["method"].as_str(), requests[1]["path"].as_str()), (Some("POST"), Some("/")));
}
