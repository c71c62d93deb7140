"""Configurations copied from the Junos PKI guide (12.1X46), as test data.

Edits to the guide's text, each because the PDF broke it, not Junos:
- commands the PDF wrapped over two lines are joined on one line (the guide itself says
  "remove any line breaks");
- Chapter 11 `x509- signature` (a line-break hyphen) is written `x509-signature`;
- Chapter 11's statements typed under `[edit ...]` levels are written as full `set` lines.
"""

# Chapter 10, Example: Configuring a CA Profile (steps 1-3), plus the enrollment URL of
# Chapter 11's "Enrolling a Local Certificate Online Using SCEP" and the auto-re-enrollment
# of "Using SCEP to Automatically Renew a Local Certificate" for the same profile.
CA_PROFILE_IPSEC = """\
set security pki ca-profile ca-profile-ipsec ca-identity microsoft-2008 revocation-check crl refresh-interval 48 url http://www.my-ca.com/my-crl.crl
set security pki ca-profile ca-profile-ipsec enrollment retry 20
set security pki ca-profile ca-profile-ipsec enrollment retry-interval 1800
set security pki ca-profile ca-profile-ipsec enrollment url http://10.155.8.1/certsrv/mscep/mscep.dll
set security pki auto-re-enrollment certificate-id ca-ipsec ca-profile-name ca-profile-ipsec challenge-password abc re-enroll-trigger-time-percentage 10 re-generate-keypair
"""  # noqa: E501

# Chapter 12, Example: Configuring a Certificate Authority Profile with CRL Locations.
MY_PROFILE = """\
set security pki ca-profile my_profile revocation-check url http://abc/abc-crl.crl
"""

# Chapter 11, Example: Configuring PKI (the SRX of Figure 5), steps in the guide's order.
CHAPTER11_SRX = """\
# PKI Basic Configuration
set interfaces ge-0/0/0 unit 0 family inet address 10.10.10.1/24
set interfaces ge-0/0/3 unit 0 family inet address 1.1.1.2/30
set routing-options static route 0.0.0.0/0 next-hop 1.1.1.1
set system time-zone PST8PDT
set system name-server 4.2.2.1
set system name-server 4.2.2.2

# Configuring a CA Profile
set security pki ca-profile ms-ca ca-identity labdomain.com
set security pki ca-profile ms-ca revocation-check crl
set security pki ca-profile ms-ca revocation-check crl refresh-interval 48
set security pki ca-profile ms-ca revocation-check crl url http://labsrv1.labdomain.com/CertEnroll/LABDOMAIN.crl
set security pki ca-profile ms-ca administrator email-address certadmin@labdomain.com

# Configuring the IPsec VPN with the Certificates
set security zones security-zone trust interfaces ge-0/0/0.0
set security zones security-zone untrust interfaces ge-0/0/3.0
set security zones security-zone trust host-inbound-traffic system-services all
set security zones security-zone untrust host-inbound-traffic system-services ike
set security zones security-zone trust address-book address local-net 10.10.10.0/24
set security zones security-zone untrust address-book address remote-net 192.168.168.0/24
set security ike proposal rsa-prop1 authentication-method rsa-signatures
set security ike proposal rsa-prop1 encryption-algorithm 3des-cbc
set security ike proposal rsa-prop1 authentication-algorithm sha1
set security ike proposal rsa-prop1 dh-group group2
set security ike policy ike-policy1 mode main
set security ike policy ike-policy1 proposals rsa-prop1
set security ike policy ike-policy1 certificate local-certificate ms-cert
set security ike policy ike-policy1 certificate peer-certificate-type x509-signature
set security ike policy ike-policy1 certificate trusted-ca use-all
set security ike gateway ike-gate external-interface ge-0/0/3.0
set security ike gateway ike-gate ike-policy ike-policy1
set security ike gateway ike-gate dynamic hostname ssg5.example.net
set security ipsec policy vpn-policy1 proposal-set standard
set security ipsec policy vpn-policy1 perfect-forward-secrecy keys group2
set security ipsec vpn ike-vpn ike gateway ike-gate
set security ipsec vpn ike-vpn ike ipsec-policy vpn-policy1
set security policies from-zone trust to-zone untrust policy tunnel-policy-out match source-address local-net
set security policies from-zone trust to-zone untrust policy tunnel-policy-out match destination-address remote-net
set security policies from-zone trust to-zone untrust policy tunnel-policy-out match application any
set security policies from-zone trust to-zone untrust policy tunnel-policy-out then permit tunnel ipsec-vpn ike-vpn pair-policy tunnel-policy-in
set security policies from-zone untrust to-zone trust policy tunnel-policy-in match source-address remote-net
set security policies from-zone untrust to-zone trust policy tunnel-policy-in match destination-address local-net
set security policies from-zone untrust to-zone trust policy tunnel-policy-in match application any
set security policies from-zone untrust to-zone trust policy tunnel-policy-in then permit tunnel ipsec-vpn ike-vpn pair-policy tunnel-policy-out
set security nat source rule-set nat-out from zone trust
set security nat source rule-set nat-out to zone untrust
set security nat source rule-set nat-out rule interface-nat match source-address 192.168.10.0/24
set security nat source rule-set nat-out rule interface-nat match destination-address 0.0.0.0/0
set security nat source rule-set nat-out rule interface-nat then source-nat interface
set security policies from-zone trust to-zone untrust policy any-permit match source-address any
set security policies from-zone trust to-zone untrust policy any-permit match destination-address any
set security policies from-zone trust to-zone untrust policy any-permit match application any
set security policies from-zone trust to-zone untrust policy any-permit then permit
set security flow tcp-mss ipsec-vpn mss 1350

# Setting up IKE and PKI Traceoptions to Troubleshoot IKE Setup Issues with Certificates
set security ike traceoptions file size 1m
set security ike traceoptions flag ike
set security ike traceoptions flag policy-manager
set security ike traceoptions flag routing-socket
set security ike traceoptions flag certificates
set security pki traceoptions file size 1m
set security pki traceoptions flag all
"""  # noqa: E501

# Chapter 14, Example: Configuring a Device for Peer Certificate Chain Validation (Host-A):
# the two "CLI Quick Configuration" blocks.
HOST_A_SET = """\
set security pki ca-profile Root-CA ca-identity CA-Root
set security pki ca-profile Root-CA enrollment url http://10.157.88.230:8080/scep/Root/
set security pki ca-profile Root-CA revocation-check crl
set security pki ca-profile Eng-CA ca-identity Eng-CA
set security pki ca-profile Eng-CA enrollment url http://10.157.88.230:8080/scep/Eng/
set security pki ca-profile Eng-CA revocation-check crl
set security pki ca-profile Dev-CA ca-identity Dev-CA
set security pki ca-profile Dev-CA enrollment url http://10.157.88.230:8080/scep/Dev/
set security pki ca-profile Dev-CA revocation-check crl

set security ike proposal ike_cert_prop_01 authentication-method rsa-signatures
set security ike proposal ike_cert_prop_01 dh-group group5
set security ike proposal ike_cert_prop_01 authentication-algorithm sha1
set security ike proposal ike_cert_prop_01 encryption-algorithm aes-256-cbc
set security ike policy ike_cert_pol_01 mode main
set security ike policy ike_cert_pol_01 proposals ike_cert_prop_01
set security ike policy ike_cert_pol_01 certificate local-certificate Host-A
set security ike gateway ike_cert_gw_01 ike-policy ike_cert_pol_01
set security ike gateway ike_cert_gw_01 address 30.1.1.51
set security ike gateway ike_cert_gw_01 external-interface ge-0/0/1.0
set security ike gateway ike_cert_gw_01 local-identity 30.1.1.31
set security ipsec proposal ipsec_prop_01 protocol esp
set security ipsec proposal ipsec_prop_01 authentication-algorithm hmac-sha1-96
set security ipsec proposal ipsec_prop_01 encryption-algorithm 3des-cbc
set security ipsec proposal ipsec_prop_01 lifetime-seconds 300
set security ipsec policy ipsec_pol_01 proposals ipsec_prop_01
set security ipsec vpn ipsec_cert_vpn_01 bind-interface st0.1
set security ipsec vpn ipsec_cert_vpn_01 ike gateway ike_cert_gw_01
set security ipsec vpn ipsec_cert_vpn_01 ike ipsec-policy ipsec_pol_01
"""

# Chapter 14, the same example's "Results": `show security pki`, `show security ike` and
# `show security ipsec`, each printed relative to its own level.
HOST_A_SHOW_PKI = """\
ca-profile Root-CA {
  ca-identity Root-CA;
  enrollment {
    url "http://10.157.88.230:8080/scep/Root/";
  }
  revocation-check {
    crl;
  }
}
ca-profile Eng-CA {
  ca-identity Eng-CA;
  enrollment {
    url "http://10.157.88.230:8080/scep/Eng/";
  }
  revocation-check {
    crl;
  }
}
ca-profile Dev-CA {
  ca-identity Dev-CA;
  enrollment {
    url "http://10.157.88.230:8080/scep/Dev/";
  }
  revocation-check {
    crl;
  }
}
"""

HOST_A_SHOW_IKE = """\
proposal ike_cert_prop_01 {
authentication-method rsa-signatures;
dh-group group5;
authentication-algorithm sha1;
encryption-algorithm aes-256-cbc;
}
policy ike_cert_pol_01 {
  mode main;
  proposals ike_cert_prop_01;
  certificate {
    local-certificate Host-A;
  }
}
gateway ike_cert_gw_01 {
  ike-policy ike_cert_pol_01;
  address 30.1.1.51;
  external-interface ge-0/0/1.0;
}
"""

HOST_A_SHOW_IPSEC = """\
proposal ipsec_prop_01 {
  protocol esp;
  authentication-algorithm hmac-sha1-96;
  encryption-algorithm 3des-cbc;
  lifetime-seconds 300;
}
policy ipsec_pol_01 {
  proposals ipsec_prop_01;
}
vpn ipsec_cert_vpn_01 {
  bind-interface st0.1;
  ike {
    gateway ike_cert_gw_01;
    ipsec-policy ipsec_pol_01;
  }
}
"""

# Chapter 7, Understanding Certificate Chains: `show security` on Host-A and Host-B, and
# Host-A's Root-CA profile enabling dynamic CA profiles.
HOST_A_SHOW_SECURITY = """\
pki {
  ca-profile Root-CA {
    ca-identity Root-CA;
    enrollment {
      url "www.example.net/scep/Root/";
    }
  }
  ca-profile Eng-CA {
    ca-identity Eng-CA;
    enrollment {
      url "www.example.net/scep/Eng/";
    }
  }
  ca-profile Dev-CA {
    ca-identity Dev-CA;
    enrollment {
      url "www.example.net/scep/Dev/";
    }
  }
}
"""

HOST_B_SHOW_SECURITY = """\
pki {
  ca-profile Root-CA {
    ca-identity Root-CA;
    enrollment {
        url "www.example.net/scep/Root/";
    }
}
ca-profile Sales-CA {
    ca-identity Sales-CA;
    enrollment {
        url "www.example.net/scep/Sales/";
    }
}
}
"""

HOST_A_ROOT_CA_DYNAMIC = """\
pki {
    ca-profile Root-CA {
        ca-identity Root-CA;
        enrollment {
            url "www.example.net/scep/Root/";
        }
        revocation-check {
            crl;
        }
    }
}
"""

# CHAPTER11_SRX as `show configuration` would print it (written for the tests, not in the
# guide): the same statements in the curly-brace form.
CHAPTER11_SRX_CURLY = """\
system {
    time-zone PST8PDT;
    name-server {
        4.2.2.1;
        4.2.2.2;
    }
}
interfaces {
    ge-0/0/0 {
        unit 0 {
            family inet {
                address 10.10.10.1/24;
            }
        }
    }
    ge-0/0/3 {
        unit 0 {
            family inet {
                address 1.1.1.2/30;
            }
        }
    }
}
routing-options {
    static {
        route 0.0.0.0/0 next-hop 1.1.1.1;
    }
}
security {
    pki {
        ca-profile ms-ca {
            ca-identity labdomain.com;
            revocation-check {
                crl {
                    refresh-interval 48;
                    url http://labsrv1.labdomain.com/CertEnroll/LABDOMAIN.crl;
                }
            }
            administrator {
                e-mail-address certadmin@labdomain.com;
            }
        }
        traceoptions {
            file size 1m;
            flag all;
        }
    }
    ike {
        traceoptions {
            file size 1m;
            flag ike;
            flag policy-manager;
            flag routing-socket;
            flag certificates;
        }
        proposal rsa-prop1 {
            authentication-method rsa-signatures;
            dh-group group2;
            authentication-algorithm sha1;
            encryption-algorithm 3des-cbc;
        }
        policy ike-policy1 {
            mode main;
            proposals rsa-prop1;
            certificate {
                local-certificate ms-cert;
                peer-certificate-type x509-signature;
                trusted-ca use-all;
            }
        }
        gateway ike-gate {
            ike-policy ike-policy1;
            dynamic hostname ssg5.example.net;
            external-interface ge-0/0/3.0;
        }
    }
    ipsec {
        policy vpn-policy1 {
            perfect-forward-secrecy {
                keys group2;
            }
            proposal-set standard;
        }
        vpn ike-vpn {
            ike {
                gateway ike-gate;
                ipsec-policy vpn-policy1;
            }
        }
    }
    flow {
        tcp-mss {
            ipsec-vpn {
                mss 1350;
            }
        }
    }
    nat {
        source {
            rule-set nat-out {
                from zone trust;
                to zone untrust;
                rule interface-nat {
                    match {
                        source-address 192.168.10.0/24;
                        destination-address 0.0.0.0/0;
                    }
                    then {
                        source-nat {
                            interface;
                        }
                    }
                }
            }
        }
    }
    policies {
        from-zone trust to-zone untrust {
            policy tunnel-policy-out {
                match {
                    source-address local-net;
                    destination-address remote-net;
                    application any;
                }
                then {
                    permit {
                        tunnel {
                            ipsec-vpn ike-vpn;
                            pair-policy tunnel-policy-in;
                        }
                    }
                }
            }
            policy any-permit {
                match {
                    source-address any;
                    destination-address any;
                    application any;
                }
                then {
                    permit;
                }
            }
        }
        from-zone untrust to-zone trust {
            policy tunnel-policy-in {
                match {
                    source-address remote-net;
                    destination-address local-net;
                    application any;
                }
                then {
                    permit {
                        tunnel {
                            ipsec-vpn ike-vpn;
                            pair-policy tunnel-policy-out;
                        }
                    }
                }
            }
        }
    }
    zones {
        security-zone trust {
            address-book {
                address local-net 10.10.10.0/24;
            }
            host-inbound-traffic {
                system-services {
                    all;
                }
            }
            interfaces {
                ge-0/0/0.0;
            }
        }
        security-zone untrust {
            address-book {
                address remote-net 192.168.168.0/24;
            }
            host-inbound-traffic {
                system-services {
                    ike;
                }
            }
            interfaces {
                ge-0/0/3.0;
            }
        }
    }
}
"""
