//! What the emulator's tests share.

use acsgen::SignedRequest;

/// `signed` as HTTP/1.1 bytes, body included, on a connection to be closed after it.
pub fn wire_of(signed: &SignedRequest) -> Vec<u8> {
    let path = signed.url.split_once("://").unwrap().1.split_once('/').unwrap().1;
    let mut head =
        format!("{} /{path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n", signed.method, signed.body.len());
    for (k, v) in &signed.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut wire = head.into_bytes();
    wire.extend_from_slice(&signed.body);
    wire
}
