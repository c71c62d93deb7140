"""The typed device configuration: the guide's configurations, ranges and references."""

import dataclasses
import ipaddress
from datetime import timedelta

import pytest

from pki.profiles import (
    ConfigError,
    PkiTraceFlag,
    RevocationMethod,
    crl_refresh_interval,
    crl_urls,
)
from sim.junos.config import (
    AuthenticationMethod,
    DhGroup,
    EncryptionAlgorithm,
    IdentityType,
    IkeAuthenticationAlgorithm,
    IkeIdentity,
    IkeMode,
    IkeTraceFlag,
    IpsecAuthenticationAlgorithm,
    IpsecProtocol,
    PeerCertificateType,
    PolicyAction,
    ProposalSet,
    parse_config,
)
from sim.junos.setcmd import ConfigSyntaxError
from tests.junos.junos_guide_configs import (
    CA_PROFILE_IPSEC,
    CHAPTER11_SRX,
    CHAPTER11_SRX_CURLY,
    HOST_A_ROOT_CA_DYNAMIC,
    HOST_A_SET,
    HOST_A_SHOW_IKE,
    HOST_A_SHOW_IPSEC,
    HOST_A_SHOW_PKI,
    HOST_A_SHOW_SECURITY,
    HOST_B_SHOW_SECURITY,
    MY_PROFILE,
)


@pytest.fixture(scope="module")
def srx():
    return parse_config(CHAPTER11_SRX, source="srx")


# --- the guide's configurations -------------------------------------------------------------


def test_chapter10_ca_profile_ipsec():
    config = parse_config(CA_PROFILE_IPSEC, source="host")
    profile = config.pki.ca_profiles["ca-profile-ipsec"]
    assert profile.ca_identity == "microsoft-2008"
    assert (profile.enrollment.retry, profile.enrollment.retry_interval) == (20, 1800)
    assert profile.enrollment.url == "http://10.155.8.1/certsrv/mscep/mscep.dll"
    crl = profile.revocation_check.crl
    assert (crl.refresh_interval, crl.url) == (48, "http://www.my-ca.com/my-crl.crl")
    assert crl_refresh_interval(profile, next_update_in=timedelta(hours=1)) == timedelta(hours=48)
    renew = config.pki.auto_re_enrollment["ca-ipsec"]
    assert (renew.ca_profile_name, renew.challenge_password) == ("ca-profile-ipsec", "abc")
    assert (renew.re_enroll_trigger_time_percentage, renew.re_generate_keypair) == (10, True)


def test_chapter12_crl_location():
    config = parse_config(MY_PROFILE, source="host")
    profile = config.pki.ca_profiles["my_profile"]
    # The certificate's CDP first, then the profile's URL (Chapters 5 and 12).
    assert crl_urls(profile, cdp_urls=["ldap://cdp/x"]) == ("ldap://cdp/x",
                                                            "http://abc/abc-crl.crl")
    assert config.notes == ("host config line 1: 'revocation-check url' (guide Chapter 12) "
                            "read as 'revocation-check crl url'",)


def test_chapter11_pki(srx):
    profile = srx.pki.ca_profiles["ms-ca"]
    assert profile.ca_identity == "labdomain.com"
    assert profile.administrator_email == "certadmin@labdomain.com"
    assert profile.revocation_check.method is RevocationMethod.CRL
    assert crl_urls(profile) == ("http://labsrv1.labdomain.com/CertEnroll/LABDOMAIN.crl",)
    assert srx.pki.traceoptions.file.size == 1024 * 1024
    assert srx.pki.traceoptions.flags == {PkiTraceFlag.ALL}
    assert srx.pki.traceoptions.file.name is None  # the pkid log


def test_chapter11_ike(srx):
    proposal = srx.ike.proposals["rsa-prop1"]
    assert proposal.authentication_method is AuthenticationMethod.RSA_SIGNATURES
    assert proposal.encryption_algorithm is EncryptionAlgorithm.TRIPLE_DES_CBC
    assert proposal.authentication_algorithm is IkeAuthenticationAlgorithm.SHA1
    assert proposal.dh_group is DhGroup.GROUP2
    assert proposal.effective_lifetime_seconds == 28800
    policy = srx.ike.policies["ike-policy1"]
    assert (policy.mode, policy.proposals) == (IkeMode.MAIN, ("rsa-prop1",))
    assert policy.local_certificate == "ms-cert"
    assert policy.peer_certificate_type is PeerCertificateType.X509_SIGNATURE
    assert (policy.trusted_ca_use_all, policy.trusted_ca) == (True, None)
    gateway = srx.ike.gateways["ike-gate"]
    assert gateway.dynamic == IkeIdentity(type=IdentityType.HOSTNAME, value="ssg5.example.net")
    assert (gateway.addresses, gateway.external_interface) == ((), "ge-0/0/3.0")
    assert srx.ike.traceoptions.flags == {IkeTraceFlag.IKE, IkeTraceFlag.POLICY_MANAGER,
                                          IkeTraceFlag.ROUTING_SOCKET, IkeTraceFlag.CERTIFICATES}
    assert not srx.ike.traceoptions.traces(IkeTraceFlag.TIMER)


def test_chapter11_ipsec_policies_zones_routes(srx):
    policy = srx.ipsec.policies["vpn-policy1"]
    assert (policy.proposal_set, policy.perfect_forward_secrecy) == (ProposalSet.STANDARD,
                                                                     DhGroup.GROUP2)
    vpn = srx.ipsec.vpns["ike-vpn"]
    assert (vpn.gateway, vpn.ipsec_policy) == ("ike-gate", "vpn-policy1")
    out = srx.policies_between("trust", "untrust")
    assert [p.name for p in out] == ["tunnel-policy-out", "any-permit"]  # tunnel first
    assert (out[0].ipsec_vpn, out[0].pair_policy) == ("ike-vpn", "tunnel-policy-in")
    assert (out[1].action, out[1].ipsec_vpn) == (PolicyAction.PERMIT, None)
    back = srx.policies_between("untrust", "trust")[0]
    assert (back.source_addresses, back.destination_addresses) == (("remote-net",),
                                                                   ("local-net",))
    assert srx.zone_of("ge-0/0/3.0").name == "untrust"
    assert srx.zones["untrust"].accepts("ge-0/0/3.0", "ike")
    assert not srx.zones["untrust"].accepts("ge-0/0/3.0", "ssh")
    assert srx.zones["trust"].accepts("ge-0/0/0.0", "ssh")  # system-services all
    assert srx.zones["trust"].address_book["local-net"] == ipaddress.ip_network("10.10.10.0/24")
    assert srx.interfaces["ge-0/0/3"].units[0].addresses == (
        ipaddress.ip_interface("1.1.1.2/30"),)
    route = srx.static_routes[0]
    assert (str(route.destination), route.next_hops) == (
        "0.0.0.0/0", (ipaddress.ip_address("1.1.1.1"),))


def test_chapter11_statements_outside_the_model_are_recorded(srx):
    assert srx.ignored[0] == "srx config line 5: system time-zone PST8PDT"
    assert "srx config line 56: security flow tcp-mss ipsec-vpn mss 1350" in srx.ignored
    assert sum("security nat" in line for line in srx.ignored) == 5
    assert srx.notes == ("srx config line 14: 'administrator email-address' (guide Chapter 11) "
                         "read as 'e-mail-address'",)


def test_chapter11_both_forms_are_equal(srx):
    curly = parse_config(CHAPTER11_SRX_CURLY, source="srx")
    assert curly == srx
    assert len(curly.ignored) == len(srx.ignored)


def test_chapter14_host_a():
    host_a = parse_config(HOST_A_SET, source="Host-A")
    assert list(host_a.pki.ca_profiles) == ["Root-CA", "Eng-CA", "Dev-CA"]
    assert all(p.enables_dynamic_profiles for p in host_a.pki.ca_profiles.values())
    assert host_a.pki.ca_profiles["Dev-CA"].enrollment.url == (
        "http://10.157.88.230:8080/scep/Dev/")
    gateway = host_a.ike.gateways["ike_cert_gw_01"]
    assert gateway.addresses == ("30.1.1.51",)
    assert gateway.local_identity == IkeIdentity(type=IdentityType.INET, value="30.1.1.31")
    assert host_a.ike.proposals["ike_cert_prop_01"].encryption_algorithm is (
        EncryptionAlgorithm.AES_256_CBC)
    proposal = host_a.ipsec.proposals["ipsec_prop_01"]
    assert (proposal.protocol, proposal.authentication_algorithm) == (
        IpsecProtocol.ESP, IpsecAuthenticationAlgorithm.HMAC_SHA1_96)
    assert (proposal.lifetime_seconds, proposal.effective_lifetime_seconds) == (300, 300)
    assert host_a.ipsec.vpns["ipsec_cert_vpn_01"].bind_interface == "st0.1"


def test_chapter14_show_output_matches_the_quick_configuration_but_for_two_guide_slips():
    """The guide's `show` results differ from its own set commands in two places: Root-CA's
    ca-identity (CA-Root vs Root-CA) and the missing local-identity line."""
    curly = parse_config(f"security {{\n pki {{\n{HOST_A_SHOW_PKI}}}\n ike {{\n{HOST_A_SHOW_IKE}"
                         f"}}\n ipsec {{\n{HOST_A_SHOW_IPSEC}}}\n}}\n", source="Host-A")
    host_a = parse_config(HOST_A_SET, source="Host-A")
    assert curly.ipsec == host_a.ipsec
    assert curly.pki != host_a.pki
    root = dataclasses.replace(host_a.pki.ca_profiles["Root-CA"], ca_identity="Root-CA")
    assert curly.pki.ca_profiles == {**host_a.pki.ca_profiles, "Root-CA": root}
    gateway = dataclasses.replace(host_a.ike.gateways["ike_cert_gw_01"], local_identity=None)
    assert curly.ike == dataclasses.replace(host_a.ike, gateways={"ike_cert_gw_01": gateway})


def test_chapter7_show_security_host_a_and_host_b():
    host_a = parse_config(HOST_A_SHOW_SECURITY, source="Host-A", relative_to="security")
    host_b = parse_config(HOST_B_SHOW_SECURITY, source="Host-B", relative_to="security")
    assert list(host_a.pki.ca_profiles) == ["Root-CA", "Eng-CA", "Dev-CA"]
    assert list(host_b.pki.ca_profiles) == ["Root-CA", "Sales-CA"]
    assert host_b.pki.ca_profiles["Sales-CA"].enrollment.url == "www.example.net/scep/Sales/"
    assert not host_a.pki.ca_profiles["Root-CA"].enables_dynamic_profiles
    dynamic = parse_config(HOST_A_ROOT_CA_DYNAMIC, source="Host-A", relative_to="security")
    assert dynamic.pki.ca_profiles["Root-CA"].enables_dynamic_profiles


# --- values Junos refuses at commit ---------------------------------------------------------

P = "set security pki ca-profile ms-ca"


@pytest.mark.parametrize("line, message", [
    (f"{P} enrollment retry 2000",
     "security pki ca-profile ms-ca enrollment retry 2000: value must be 0..1080"),
    (f"{P} enrollment retry-interval 3601",
     "security pki ca-profile ms-ca enrollment retry-interval 3601: value must be 0..3600"),
    (f"{P} enrollment retry abc",
     "security pki ca-profile ms-ca enrollment retry abc: value must be a number"),
    (f"{P} revocation-check crl refresh-interval 8785",
     "security pki ca-profile ms-ca revocation-check crl refresh-interval 8785: "
     "value must be 0..8784"),
    ("set security pki auto-re-enrollment certificate-id c re-enroll-trigger-time-percentage 0",
     "security pki auto-re-enrollment certificate-id c re-enroll-trigger-time-percentage 0: "
     "value must be 1..99"),
    ("set security pki traceoptions file files 1",
     "security pki traceoptions file files 1: value must be 2..1000"),
    ("set security pki traceoptions file size 9k",
     "security pki traceoptions file size 9216: value must be 10240..1073741824"),
    ("set security ike traceoptions file size 2g",
     "security ike traceoptions file size 2147483648: value must be 10240..1073741824"),
    ("set security ike traceoptions file size 1t",
     "security ike traceoptions file size 1t: value must be a number with an optional "
     "k, m or g"),
    ("set security ike proposal p lifetime-seconds 179",
     "security ike proposal p lifetime-seconds 179: value must be 180..86400"),
    ("set security ipsec proposal p lifetime-seconds 86401",
     "security ipsec proposal p lifetime-seconds 86401: value must be 180..86400"),
    ("set security ipsec proposal p lifetime-kilobytes 63",
     "security ipsec proposal p lifetime-kilobytes 63: value must be 64..1048576"),
    ("set security ipsec proposal p protocol ah\n"
     "set security ipsec proposal p encryption-algorithm 3des-cbc",
     "security ipsec proposal p encryption-algorithm: AH does not encrypt"),
    ("set interfaces ge-0/0/0 unit 16385",
     "interfaces ge-0/0/0 unit 16385: value must be 0..16384"),
    ("set interfaces ge-0/0/0 unit x",
     "interfaces ge-0/0/0 unit x: value must be a number"),
    ("set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.300/24",
     "interfaces ge-0/0/0 unit 0 family inet address 10.0.0.300/24: not an IPv4 "
     "address/length"),
    ("set routing-options static route 0.0.0.0/0 next-hop gw",
     "routing-options static route 0.0.0.0/0 next-hop gw: not an IP address or interface "
     "name"),
    ("set routing-options static route 0.0.0.0/0",
     "routing-options static route 0.0.0.0/0: next-hop must be configured"),
    ("set security zones security-zone trust address-book address local-net 10.10.10/24",
     "security zones security-zone trust address-book address local-net 10.10.10/24: "
     "not an IPv4 prefix"),
], ids=["retry", "retry-interval", "retry-not-number", "refresh-interval", "trigger", "files",
        "size-small", "size-large", "size-unit", "ike-lifetime", "ipsec-lifetime", "kilobytes",
        "ah-encrypts", "unit-range", "unit-not-number", "address", "next-hop",
        "no-next-hop", "address-book"])
def test_range_and_value_errors(line, message):
    text = f"# line 1\n{line}\n"
    with pytest.raises(ConfigError) as exc:
        parse_config(text, source="Host-A")
    last_line = text.count("\n")
    assert str(exc.value) == f"Host-A config line {last_line}: {message}"


def test_range_error_in_curly_form_names_its_line():
    text = ("security {\n  pki {\n    ca-profile ms-ca {\n      enrollment {\n"
            "        url x;\n        retry 2000;\n      }\n    }\n  }\n}\n")
    with pytest.raises(ConfigError) as exc:
        parse_config(text, source="Host-B")
    assert str(exc.value) == ("Host-B config line 6: security pki ca-profile ms-ca enrollment "
                              "retry 2000: value must be 0..1080")


def test_world_readable_the_later_statement_wins():
    base = "set security ike traceoptions file kmd-trace"
    first = parse_config(f"{base} world-readable\n{base} no-world-readable\n", source="t")
    second = parse_config(f"{base} no-world-readable\n{base} world-readable\n", source="t")
    assert first.ike.traceoptions.file.world_readable is False
    assert second.ike.traceoptions.file.world_readable is True
    assert second.ike.traceoptions.file.name == "kmd-trace"


# --- references and completeness ------------------------------------------------------------

GW = "set security ike gateway gw"
GOOD_GW = (f"set security ike policy pol mode main\n{GW} ike-policy pol\n"
           f"{GW} address 30.1.1.51\n{GW} external-interface ge-0/0/1.0\n")


@pytest.mark.parametrize("extra, message", [
    (f"{GW} ike-policy nopol",
     "line 5: security ike gateway gw ike-policy nopol: IKE policy 'nopol' is not defined"),
    ("set security ike policy pol proposals nothere",
     "line 5: security ike policy pol proposals nothere: IKE proposal 'nothere' is not "
     "defined"),
    ("set security ike policy pol certificate trusted-ca Root-CA",
     "line 5: security ike policy pol certificate trusted-ca Root-CA: CA profile 'Root-CA' "
     "is not defined"),
    (f"{GW} dynamic hostname peer.example.net",
     "line 2: security ike gateway gw: configure either address or dynamic"),
    (f"{GW} local-identity inet peer.example.net",
     "line 5: security ike gateway gw local-identity inet peer.example.net: not an IPv4 "
     "address"),
    (f"{GW} remote-identity user-at-hostname example.net",
     "line 5: security ike gateway gw remote-identity user-at-hostname example.net: not an "
     "e-mail address"),
    ("set security ike gateway gw2 address 1.1.1.1\n"
     "set security ike gateway gw2 external-interface ge-0/0/1.0",
     "line 5: security ike gateway gw2: ike-policy must be configured"),
    ("set security ipsec vpn v ike gateway nogw\nset security ipsec vpn v ike ipsec-policy p",
     "line 5: security ipsec vpn v ike gateway nogw: IKE gateway 'nogw' is not defined"),
    ("set security ipsec vpn v ike gateway gw",
     "line 5: security ipsec vpn v: ike ipsec-policy must be configured"),
    ("set security ipsec policy p proposals nothere",
     "line 5: security ipsec policy p proposals nothere: IPsec proposal 'nothere' is not "
     "defined"),
    ("set security pki auto-re-enrollment certificate-id c ca-profile-name nothere",
     "line 5: security pki auto-re-enrollment certificate-id c ca-profile-name nothere: "
     "CA profile 'nothere' is not defined"),
], ids=["ike-policy", "ike-proposal", "trusted-ca", "address-and-dynamic", "inet",
        "user-at-hostname", "no-ike-policy", "vpn-gateway",
        "vpn-ipsec-policy", "ipsec-proposal", "re-enrollment-profile"])
def test_ike_ipsec_reference_errors(extra, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(GOOD_GW + extra, source="Host-A")
    assert str(exc.value) == f"Host-A config {message}"


def test_good_gateway_parses():
    config = parse_config(GOOD_GW + "set security ike policy pol certificate trusted-ca use-all",
                          source="Host-A")
    assert config.ike.gateways["gw"].ike_policy == "pol"


POL = "set security policies from-zone trust to-zone untrust policy p"
ZONES = ("set security zones security-zone trust address-book address local-net 10.0.0.0/8\n"
         "set security zones security-zone untrust interfaces ge-0/0/3.0\n")
MATCH = f"{POL} match source-address local-net destination-address any application any\n"


@pytest.mark.parametrize("text, message", [
    (ZONES + f"{POL} match source-address remote-net",
     "line 3: security policies from-zone trust to-zone untrust policy p match source-address "
     "remote-net: address 'remote-net' is not in the address book of zone trust"),
    (ZONES + MATCH + f"{POL} then permit tunnel ipsec-vpn novpn",
     "line 4: security policies from-zone trust to-zone untrust policy p then permit tunnel "
     "ipsec-vpn novpn: IPsec VPN 'novpn' is not defined"),
    (ZONES + MATCH,
     "line 3: security policies from-zone trust to-zone untrust policy p: then permit, deny "
     "or reject must be configured"),
    (ZONES + f"{POL} then permit",
     "line 3: security policies from-zone trust to-zone untrust policy p: match source-address "
     "must be configured"),
    (ZONES + MATCH + f"{POL} then permit\n{POL} then deny",
     "line 4: security policies from-zone trust to-zone untrust policy p then: permit, deny "
     "and reject are exclusive"),
    ("set security policies from-zone trust to-zone dmz policy p then permit",
     "line 1: security policies from-zone trust to-zone dmz: security zone 'trust' is not "
     "defined"),
], ids=["address-book", "tunnel-vpn", "no-action", "no-match", "two-actions", "no-zone"])
def test_security_policy_errors(text, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(text, source="Host-A")
    assert str(exc.value) == f"Host-A config {message}"


def test_pair_policy_must_run_the_other_way(srx):
    broken = CHAPTER11_SRX.replace("pair-policy tunnel-policy-in", "pair-policy tunnel-policy-x")
    with pytest.raises(ConfigError) as exc:
        parse_config(broken, source="srx")
    assert str(exc.value) == (
        "srx config line 42: security policies from-zone trust to-zone untrust policy "
        "tunnel-policy-out then permit tunnel pair-policy tunnel-policy-x: no policy "
        "'tunnel-policy-x' from-zone untrust to-zone trust")


def test_syntax_errors_pass_through_parse_config():
    with pytest.raises(ConfigSyntaxError, match="'mian': syntax error"):
        parse_config("set security ike policy p mode mian", source="Host-A")


def test_empty_configuration():
    config = parse_config("", source="empty")
    assert config.pki.ca_profiles == {} and config.policies == () and config.ignored == ()


# --- traceoptions stay in /var/log ----------------------------------------------------------

NAME_RULE = ("use letters, digits, '.', '_' and '-', starting with a letter or digit (at most "
             "63 characters)")


@pytest.mark.parametrize("daemon", ["ike", "pki"])
@pytest.mark.parametrize("words, shown, problem", [
    ("file ../../x", "file ../../x", NAME_RULE),
    ("file /tmp/kmd-trace", "file /tmp/kmd-trace", NAME_RULE),
    ("file logs/kmd", "file logs/kmd", NAME_RULE),
    ("file ..", "file ..", NAME_RULE),
    ("file .", "file .", NAME_RULE),
    ("file .hidden", "file .hidden", NAME_RULE),
    (f"file {'t' * 64}", f"file {'t' * 64}", NAME_RULE),
    ('file "a b"', 'file "a b"', NAME_RULE),
    ("file match (", "file match (",
     "not a valid regular expression: missing ), unterminated subpattern at position 0"),
    ('file match "[a-"', 'file match "[a-"',
     "not a valid regular expression: unterminated character set at position 0"),
    ('file match "(.*.*)*QQQ"', 'file match (.*.*)*QQQ',
     "not a valid regular expression: a repetition inside a repetition, which can take "
     "exponential time to match"),
    ('file match "a{2,1}"', 'file match "a{2,1}"',
     "not a valid regular expression: min repeat greater than max repeat at position 2"),
], ids=["dotdot", "absolute", "slash", "parent", "self", "hidden", "long", "space",
        "match-paren", "match-set", "match-backtracking", "match-repeat"])
def test_trace_files_stay_names_under_var_log(daemon, words, shown, problem):
    with pytest.raises(ConfigError) as exc:
        parse_config(f"# line 1\nset security {daemon} traceoptions {words}\n", source="Host-A")
    assert str(exc.value) == (f"Host-A config line 2: security {daemon} traceoptions {shown}: "
                              f"{problem}")


def test_a_plain_trace_file_name_and_expression_are_kept_a_path_is_not():
    config = parse_config("set security ike traceoptions file kmd-trace.log match "
                          '"Phase-1 (done|failed)" size 10k files 2\n', source="Host-A")
    trace = config.ike.traceoptions.file
    assert (trace.name, trace.match, trace.size, trace.files) == (
        "kmd-trace.log", "Phase-1 (done|failed)", 10240, 2)
    with pytest.raises(ConfigError, match="kmd-trace.log/x: use letters"):
        parse_config("set security ike traceoptions file kmd-trace.log/x\n", source="Host-A")


# --- numbers and names as Junos reads them --------------------------------------------------


@pytest.mark.parametrize("line, message", [
    ("set security ike proposal p lifetime-seconds ５００",
     "security ike proposal p lifetime-seconds ５００: value must be a number"),
    ("set security ike proposal p lifetime-seconds ²",
     "security ike proposal p lifetime-seconds ²: value must be a number"),
    ("set security pki ca-profile ms-ca enrollment retry ٣",
     "security pki ca-profile ms-ca enrollment retry ٣: value must be a number"),
    ("set security ike proposal p lifetime-seconds 1" + "0" * 40,
     "security ike proposal p lifetime-seconds 1" + "0" * 40 + ": value out of range"),
    ("set interfaces ge-0/0/0 unit ０",
     "interfaces ge-0/0/0 unit ０: a name must be 1..63 printable ASCII characters"),
    ("set interfaces ge-0/0/0 unit 1" + "0" * 30,
     "interfaces ge-0/0/0 unit 1" + "0" * 30 + ": value out of range"),
    ("set security ike traceoptions file size ５m",
     "security ike traceoptions file size ５m: value must be a number with an optional k, m "
     "or g"),
    ("set security ike proposal pé lifetime-seconds 300",
     "security ike proposal pé: a name must be 1..63 printable ASCII characters"),
    ('set security ike proposal "" lifetime-seconds 300',
     'security ike proposal "": a name must be 1..63 printable ASCII characters'),
    (f"set security zones security-zone {'z' * 70}",
     f"security zones security-zone {'z' * 64}...: a name must be 1..63 printable ASCII "
     "characters"),
    ("set security pki ca-profile ../x ca-identity x",
     f"security pki ca-profile ../x: {NAME_RULE}"),
    ("set security pki auto-re-enrollment certificate-id a/b re-generate-keypair",
     f"security pki auto-re-enrollment certificate-id a/b: {NAME_RULE}"),
    ("set security ike policy p certificate local-certificate ../../key",
     f"security ike policy p certificate local-certificate ../../key: {NAME_RULE}"),
    ("set security ike gateway g external-interface ge-0/0/1.x",
     "security ike gateway g external-interface ge-0/0/1.x: not an interface name "
     "(e.g. ge-0/0/3.0, st0.1)"),
], ids=["fullwidth", "superscript", "arabic-digit", "huge", "unit-fullwidth", "unit-huge",
        "size-fullwidth", "non-ascii-name", "empty-name", "long-name", "profile-path",
        "certificate-id-path", "local-certificate-path", "interface-unit"])
def test_numbers_and_names_as_junos_reads_them(line, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(f"# line 1\n{line}\n", source="Host-A")
    assert str(exc.value) == f"Host-A config line 2: {message}"


@pytest.mark.parametrize("kind", ["ike", "ipsec"])
def test_a_policy_offers_at_most_255_proposals(kind):
    """ISAKMP numbers an offer's proposals and transforms in one byte: 256 used to fail
    mid-run with struct.error."""
    names = [f"p{i}" for i in range(256)]
    lines = [f"set security {kind} proposal {name} description x" for name in names]
    lines.append(f"set security {kind} policy pol proposals [ {' '.join(names)} ]")
    with pytest.raises(ConfigError) as info:
        parse_config("\n".join(lines) + "\n", source="Host-A")
    assert str(info.value) == (
        f"Host-A config line 257: security {kind} policy pol proposals: 256 proposals; an "
        "offer carries at most 255 (ISAKMP numbers them in one byte)")
    parse_config("\n".join(lines[:255] + [lines[-1].replace(" p255 ]", " ]")]) + "\n",
                 source="Host-A")


def test_an_identity_set_again_replaces_the_one_before_as_on_junos():
    """local-identity and remote-identity are a choice: the last `set` wins."""
    config = parse_config(GOOD_GW + f"{GW} remote-identity hostname a.example.net\n"
                          f"{GW} remote-identity inet 1.1.1.1\n"
                          f"{GW} local-identity inet 30.1.1.31\n"
                          f"{GW} local-identity hostname me.example.net\n", source="t")
    gateway = config.ike.gateways["gw"]
    assert (gateway.remote_identity.type.value, gateway.remote_identity.value) == (
        "inet", "1.1.1.1")
    assert (gateway.local_identity.type.value, gateway.local_identity.value) == (
        "hostname", "me.example.net")
