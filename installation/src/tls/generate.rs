//! Making the authority and the certificates it signs, in memory. The authority's key
//! lives only inside [`authority_and_leaves`] and is dropped when it returns.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType,
};
use time::{Duration, OffsetDateTime};

use super::TlsError;

/// Validity of each daemon certificate (browsers cap a leaf's validity near 398 days).
pub const LEAF_DAYS: i64 = 397;
/// Days from the start of one daemon certificate to the start of the next: consecutive
/// certificates overlap by `LEAF_DAYS - LEAF_STEP_DAYS` (32) days, more than
/// [`super::RENEW_BEFORE_DAYS`], so the next one is valid when the current one is retired.
pub const LEAF_STEP_DAYS: i64 = 365;
/// How many daemon certificates the authority signs before its key is dropped: the
/// current one and the next four, about five years without a new authority to trust.
pub const LEAVES: usize = 5;

/// One daemon certificate as PEM: the certificate and its private key.
pub struct LeafPem {
    /// The certificate.
    pub cert: String,
    /// Its private key.
    pub key: String,
}

/// Makes a name-constrained authority valid from `now` and [`LEAVES`] daemon certificates
/// it signs, the `i`-th valid from `now + i × LEAF_STEP_DAYS` for `LEAF_DAYS`. Returns the
/// authority's certificate and the leaves, in order; the authority's key is dropped here.
pub fn authority_and_leaves(now: OffsetDateTime) -> Result<(String, Vec<LeafPem>), TlsError> {
    let err = |e: rcgen::Error| TlsError::Certificate(e.to_string());
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = name(&format!(
        "Passerelle autorité locale {}",
        now.unix_timestamp()
    ));
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".into()),
            GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 1], 32)),
            GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
                IpAddr::V6(Ipv6Addr::LOCALHOST),
                128,
            )),
        ],
        excluded_subtrees: vec![],
    });
    let last_start = LEAF_STEP_DAYS * (LEAVES as i64 - 1);
    ca.not_before = now - Duration::hours(1);
    ca.not_after = now + Duration::days(last_start + LEAF_DAYS + 1);
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut leaves = Vec::with_capacity(LEAVES);
    for i in 0..LEAVES as i64 {
        let start = now + Duration::days(i * LEAF_STEP_DAYS) - Duration::hours(1);
        let leaf_key = KeyPair::generate().map_err(err)?;
        let mut leaf = CertificateParams::default();
        leaf.distinguished_name = name("localhost");
        leaf.subject_alt_names = vec![
            SanType::DnsName("localhost".try_into().map_err(err)?),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ];
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.use_authority_key_identifier_extension = true;
        leaf.not_before = start;
        leaf.not_after = start + Duration::days(LEAF_DAYS);
        let cert = leaf.signed_by(&leaf_key, &issuer).map_err(err)?;
        leaves.push(LeafPem {
            cert: cert.pem(),
            key: leaf_key.serialize_pem(),
        });
    }
    Ok((ca_cert.pem(), leaves))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Passerelle");
    dn.push(DnType::CommonName, common_name);
    dn
}
