// The vendor's real metadata files the vendor-file suite reads, each with the name it goes by (the module
// it becomes, and its snapshots of generated names). Included by this crate's build script and by the
// generator's tests, so both read the same list.
const VENDOR_FILES: &[(&str, &str)] = &[
    ("aiccs_2024", "aiccs-2019-10-15.2024-06.json"),
    ("aiccs_2025", "aiccs-2019-10-15.2025-12.stripped.json"),
    ("ecs", "ecs-2014-05-26.json"),
    ("sms", "dysmsapi-2017-05-25.json"),
    ("sts", "sts-2015-04-01.json"),
    ("actiontrail", "actiontrail-2020-07-06.json"),
    ("cs", "cs-2015-12-15.json"),
    ("ocr", "ocr-api-2021-07-07.json"),
];
