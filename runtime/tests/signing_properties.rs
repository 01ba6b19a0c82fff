//! Properties of encoding and signing over arbitrary input: percent-encoding round-trips, the canonical
//! query ignores insertion order, any change to a signed byte changes the signature, and the V1 signature
//! computed without building the strings to sign is the one computed from them.

use acsgen::encode::{percent_decode, percent_encode};
use acsgen::sign::{SignableRequest, SigningKey, v1, v3};
use proptest::prelude::*;

const KEY: SigningKey<'static> =
    SigningKey { access_key_id: "id", access_key_secret: "secret", security_token: Some("token") };

fn pair() -> impl Strategy<Value = (String, String)> {
    ("[A-Za-z][A-Za-z0-9.]{0,12}", any::<String>())
}

proptest! {
    #[test]
    fn percent_encoding_round_trips(s in any::<String>()) {
        let encoded = percent_encode(&s);
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)), "{}", encoded);
        prop_assert_eq!(percent_decode(&encoded), s);
    }

    #[test]
    fn canonical_query_ignores_insertion_order(mut query in prop::collection::vec(pair(), 0..12), seed in any::<u64>()) {
        let before = v3::canonical_query(&query);
        let mut rng = fastrand::Rng::with_seed(seed);
        rng.shuffle(&mut query);
        prop_assert_eq!(v3::canonical_query(&query), before.clone());
        let v1_before = v1::canonicalized_query(&query);
        query.reverse();
        prop_assert_eq!(v1::canonicalized_query(&query), v1_before);
    }

    #[test]
    fn any_signed_byte_changes_the_v3_signature(
        query in prop::collection::vec(pair(), 1..6),
        body in prop::collection::vec(any::<u8>(), 1..64),
        which in 0usize..5,
        at in any::<prop::sample::Index>(),
    ) {
        let headers = vec![("host".to_owned(), "h.example".to_owned()), ("x-acs-action".to_owned(), "Op".to_owned())];
        let sign = |method: &str, query: &[(String, String)], headers: &[(String, String)], body: &[u8], ts: &str| {
            let r = SignableRequest { method, path: "/", query, headers, body };
            v3::sign(&r, &KEY, ts, "nonce").signature
        };
        let base = sign("POST", &query, &headers, &body, "2024-01-01T00:00:00Z");
        let (mut q, mut h, mut b, mut method, mut ts) =
            (query.clone(), headers.clone(), body.clone(), "POST".to_owned(), "2024-01-01T00:00:00Z".to_owned());
        match which {
            0 => { let i = at.index(b.len()); b[i] ^= 1; }
            1 => { let i = at.index(q.len()); q[i].1.push('x'); }
            2 => { h[1].1.push('x'); }
            3 => { method = "GET".into(); }
            _ => { ts = "2024-01-01T00:00:01Z".into(); }
        }
        prop_assert_ne!(sign(&method, &q, &h, &b, &ts), base);
    }

    #[test]
    fn any_signed_byte_changes_the_v1_signature(params in prop::collection::vec(pair(), 1..6), at in any::<prop::sample::Index>()) {
        let base = v1::sign("POST", &params, &KEY, "2024-01-01T00:00:00Z", "n").signature;
        let mut changed = params.clone();
        let i = at.index(changed.len());
        changed[i].1.push('x');
        prop_assert_ne!(v1::sign("POST", &changed, &KEY, "2024-01-01T00:00:00Z", "n").signature, base);
    }

    #[test]
    fn the_streamed_v1_signature_is_the_plain_one(params in prop::collection::vec(pair(), 0..8), method in "(GET|POST|post)") {
        let plain = v1::signature("secret", &v1::string_to_sign(&method, &v1::canonicalized_query(&params)));
        prop_assert_eq!(v1::signature_of(&method, &params, "secret"), plain);
    }

    #[test]
    fn the_streamed_v1_signature_holds_over_chunk_boundaries(value in "[ a-z+&=%中]{4000,12000}") {
        let params = vec![("A".to_owned(), value.clone()), ("B".to_owned(), value)];
        let plain = v1::signature("secret", &v1::string_to_sign("POST", &v1::canonicalized_query(&params)));
        prop_assert_eq!(v1::signature_of("POST", &params, "secret"), plain);
    }
}
