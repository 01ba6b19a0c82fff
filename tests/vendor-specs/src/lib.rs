//! The vendor's real API metadata files, read by relative path from `../shared/metadata/` (never copied
//! into the project), each expanded by `#[acsgen::api]` and compiled as part of the workspace build.

/// aiccs 2019-10-15, June 2024 (149 operations, full documentation).
#[acsgen::api(spec = "../../../shared/metadata/aiccs-2019-10-15.2024-06.json")]
pub mod aiccs_2024 {}

/// aiccs 2019-10-15, late 2025, stripped to parameters (164 operations, no responses).
#[acsgen::api(spec = "../../../shared/metadata/aiccs-2019-10-15.2025-12.stripped.json")]
pub mod aiccs_2025 {}

/// ECS 2014-05-26 (347 operations): the scale test.
#[acsgen::api(spec = "../../../shared/metadata/ecs-2014-05-26.json")]
pub mod ecs {}

/// SMS 2017-05-25.
#[acsgen::api(spec = "../../../shared/metadata/dysmsapi-2017-05-25.json")]
pub mod sms {}

/// STS 2015-04-01.
#[acsgen::api(spec = "../../../shared/metadata/sts-2015-04-01.json")]
pub mod sts {}

/// ActionTrail 2020-07-06.
#[acsgen::api(spec = "../../../shared/metadata/actiontrail-2020-07-06.json")]
pub mod actiontrail {}

#[cfg(test)]
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
        assert!(super::aiccs_2025::OPERATIONS.contains(&"ImportTaskNumberDatas"));
    }
}
