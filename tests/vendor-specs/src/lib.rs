//! The vendor's real API metadata files, each expanded by `#[acsgen::api]` and compiled, read from the
//! directory `ACSGEN_VENDOR_METADATA` names (never copied into the project; CI sets it to
//! `../shared/metadata`). Without it, this crate is empty: the project's own specs cover the same shapes
//! (`tests/specs/shapes.json`).

include!(concat!(env!("OUT_DIR"), "/vendor.rs"));

#[cfg(all(test, vendor_metadata))]
mod tests {
    /// Every operation of every file became a client method.
    #[test]
    fn every_operation_is_generated() {
        assert_eq!(super::aiccs_2024::OPERATIONS.len(), 149);
        assert_eq!(super::aiccs_2025::OPERATIONS.len(), 164);
        assert_eq!(super::ecs::OPERATIONS.len(), 347);
        assert_eq!(super::sms::OPERATIONS.len(), 38);
        assert_eq!(super::sts::OPERATIONS.len(), 4);
        assert_eq!(super::actiontrail::OPERATIONS.len(), 21);
        assert_eq!(super::cs::OPERATIONS.len(), 117);
        assert_eq!(super::ocr::OPERATIONS.len(), 74);
        assert!(super::aiccs_2025::OPERATIONS.contains(&"ImportTaskNumberDatas"));
    }

    /// The hostile-input pass's eighth finding, on the real file: `GetAgentBasisStatus` with only its
    /// `InstanceId` sent `AgentIds=&DepIds=` too (joined-style lists the caller never set).
    #[test]
    fn unset_joined_lists_are_not_sent() {
        use acsgen::credentials::Credentials;
        let config =
            acsgen::Config::builder().region("cn-hangzhou").credentials(Credentials::new("id", "s")).build().unwrap();
        let client = super::aiccs_2024::Client::new(&config);
        let request = client.get_agent_basis_status("inst-1").into_request();
        let time = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let signed = client.service_client().build_request(&request, &Credentials::new("id", "s"), time, "n").unwrap();
        let query = signed.url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        assert_eq!(query, "InstanceId=inst-1");
    }
}
