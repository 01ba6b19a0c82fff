//! Endpoint resolution, in the official clients' order: an explicit endpoint, else the product's
//! region→endpoint map from its metadata, else the rule `<product>[-suffix][-network][.<region>].aliyuncs.com`.

use std::fmt;

/// Whether the rule puts the region in the host name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointRule {
    /// `<product>.<region>.aliyuncs.com`.
    Regional,
    /// `<product>.aliyuncs.com`.
    Central,
}

/// What a generated client knows about its product's endpoints.
#[derive(Debug)]
pub struct ServiceEndpoints {
    /// The product code, e.g. `aiccs` (lowercased for host names).
    pub product: &'static str,
    /// The rule used for regions the map does not list.
    pub rule: EndpointRule,
    /// Region ID → host, from the metadata's `endpoints`.
    pub map: &'static [(&'static str, &'static str)],
}

/// Where requests go: scheme and authority (host, with a port when one was given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    scheme: &'static str,
    authority: String,
}

impl Endpoint {
    /// Parses `https://host[:port]`, `http://host[:port]` or a bare `host[:port]` (HTTPS).
    pub fn parse(text: &str) -> Result<Self, EndpointError> {
        let text = text.trim();
        let (scheme, rest) = if let Some(rest) = text.strip_prefix("https://") {
            ("https", rest)
        } else if let Some(rest) = text.strip_prefix("http://") {
            ("http", rest)
        } else if text.contains("://") {
            return Err(EndpointError(format!("endpoint `{text}`: only http:// and https:// are supported")));
        } else {
            ("https", text)
        };
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains(['/', '?', '#', ' ', '@']) {
            return Err(EndpointError(format!(
                "endpoint `{text}`: expected a host with an optional port and scheme, like `https://aiccs.aliyuncs.com` or `http://127.0.0.1:8080`"
            )));
        }
        Ok(Self { scheme, authority: authority.to_owned() })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// Host and optional port: the `host` header's value.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// `scheme://authority/`.
    pub fn base_url(&self) -> String {
        format!("{}://{}/", self.scheme, self.authority)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.authority)
    }
}

/// An endpoint could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EndpointError(String);

/// The host the vendor's rule gives for `product` (product code), `region`, `rule`, `network` and `suffix`.
pub fn endpoint_from_rule(
    product: &str,
    region: Option<&str>,
    rule: EndpointRule,
    network: Option<&str>,
    suffix: Option<&str>,
) -> Result<String, EndpointError> {
    let mut host = product.to_ascii_lowercase();
    if let Some(suffix) = suffix.filter(|s| !s.is_empty()) {
        host.push('-');
        host.push_str(suffix);
    }
    if let Some(network) = network.filter(|n| !n.is_empty() && *n != "public") {
        host.push('-');
        host.push_str(network);
    }
    if rule == EndpointRule::Regional {
        let region = region.filter(|r| !r.is_empty()).ok_or_else(|| {
            EndpointError("RegionId is empty: set a region (Config::builder().region(..) or ALIBABA_CLOUD_REGION_ID) or an endpoint".into())
        })?;
        host.push('.');
        host.push_str(region);
    }
    host.push_str(".aliyuncs.com");
    Ok(host)
}

/// Resolves where a call goes: `explicit` if given, else the map entry for `region`, else the rule.
pub fn resolve(
    explicit: Option<&str>,
    region: Option<&str>,
    service: &ServiceEndpoints,
    network: Option<&str>,
    suffix: Option<&str>,
) -> Result<Endpoint, EndpointError> {
    if let Some(explicit) = explicit {
        return Endpoint::parse(explicit);
    }
    let plain_network = network.is_none_or(|n| n.is_empty() || n == "public");
    let mapped = region
        .filter(|_| plain_network && suffix.is_none_or(str::is_empty))
        .and_then(|region| service.map.iter().find(|(r, _)| *r == region));
    if let Some((_, host)) = mapped {
        return Endpoint::parse(host);
    }
    Endpoint::parse(&endpoint_from_rule(service.product, region, service.rule, network, suffix)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The vendor's endpoint-rule vectors.
    #[test]
    fn rule_vectors() {
        assert_eq!(
            endpoint_from_rule("ecs", Some("cn-hangzhou"), EndpointRule::Regional, None, None).unwrap(),
            "ecs.cn-hangzhou.aliyuncs.com"
        );
        assert_eq!(
            endpoint_from_rule("ecs", Some("cn-hangzhou"), EndpointRule::Central, Some("intl"), Some("test")).unwrap(),
            "ecs-test-intl.aliyuncs.com"
        );
        let err = endpoint_from_rule("ecs", Some(""), EndpointRule::Regional, None, None).unwrap_err();
        assert!(err.0.starts_with("RegionId is empty"), "{err}");
        assert_eq!(
            endpoint_from_rule("Ecs", None, EndpointRule::Central, Some("public"), None).unwrap(),
            "ecs.aliyuncs.com"
        );
    }

    const AICCS: ServiceEndpoints = ServiceEndpoints {
        product: "aiccs",
        rule: EndpointRule::Central,
        map: &[("cn-hangzhou", "aiccs.aliyuncs.com"), ("cn-shanghai", "aiccs.aliyuncs.com")],
    };

    #[test]
    fn resolution_order() {
        let explicit = resolve(Some("http://127.0.0.1:8080"), Some("cn-hangzhou"), &AICCS, None, None).unwrap();
        assert_eq!((explicit.scheme(), explicit.authority()), ("http", "127.0.0.1:8080"));
        assert_eq!(
            resolve(None, Some("cn-shanghai"), &AICCS, None, None).unwrap().to_string(),
            "https://aiccs.aliyuncs.com"
        );
        // A region the map does not list falls back to the rule (aiccs is central).
        assert_eq!(resolve(None, Some("eu-west-1"), &AICCS, None, None).unwrap().authority(), "aiccs.aliyuncs.com");
        let ecs = ServiceEndpoints { product: "Ecs", rule: EndpointRule::Regional, map: &[] };
        assert_eq!(
            resolve(None, Some("cn-beijing"), &ecs, None, None).unwrap().authority(),
            "ecs.cn-beijing.aliyuncs.com"
        );
        assert!(resolve(None, None, &ecs, None, None).is_err());
    }

    #[test]
    fn endpoint_parsing() {
        assert_eq!(Endpoint::parse("aiccs.aliyuncs.com").unwrap().base_url(), "https://aiccs.aliyuncs.com/");
        assert_eq!(Endpoint::parse("http://localhost:9/").unwrap().authority(), "localhost:9");
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("https://").is_err());
        assert!(Endpoint::parse("https://host/path").is_err());
    }
}
