package io.wstunnel.cli.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.cli.AgentConfig;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AddressPolicyTest {

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal);
    }

    @ParameterizedTest
    @ValueSource(strings = {"169.254.169.254", "169.254.0.1", "100.100.100.200", "0.0.0.0", "0.1.2.3", "::",
            "fe80::1", "febf:ffff::1", "fd00:ec2::254", "::169.254.169.254"})
    void defaultsDenyLinkLocalAndMetadata(String address) throws Exception {
        assertThat(AddressPolicy.defaults().allowed(ip(address))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "::1", "10.1.2.3", "192.168.1.1", "8.8.8.8", "100.100.100.201",
            "169.255.0.1", "fd00:ec2::253", "fec0::1", "2001:db8::1"})
    void defaultsAllowTheRest(String address) throws Exception {
        assertThat(AddressPolicy.defaults().allowed(ip(address))).isTrue();
    }

    @Test
    void explicitRulesAddToTheDefaultsAndNoneDropsThem() throws Exception {
        AddressPolicy p = AddressPolicy.parse(List.of("10.0.0.0/8,192.0.2.7", "fd00::/8"));
        assertThat(p.allowed(ip("10.200.0.1"))).isFalse();
        assertThat(p.allowed(ip("192.0.2.7"))).isFalse();
        assertThat(p.allowed(ip("192.0.2.8"))).isTrue();
        assertThat(p.allowed(ip("fdff::1"))).isFalse();
        assertThat(p.allowed(ip("169.254.169.254"))).isFalse();
        assertThat(p.rules()).contains("169.254.0.0/16", "10.0.0.0/8", "192.0.2.7/32", "fd00:0:0:0:0:0:0:0/8");

        AddressPolicy none = AddressPolicy.parse(List.of("none"));
        assertThat(none.defaultsEnabled()).isFalse();
        assertThat(none.allowed(ip("169.254.169.254"))).isTrue();
        AddressPolicy onlyExplicit = AddressPolicy.parse(List.of("none,10.0.0.0/8"));
        assertThat(onlyExplicit.allowed(ip("169.254.169.254"))).isTrue();
        assertThat(onlyExplicit.allowed(ip("10.0.0.1"))).isFalse();
        assertThat(AddressPolicy.parse(null).rules()).isEqualTo(AddressPolicy.defaults().rules());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.1.2.3", "::10.1.2.3", "::ffff:10.1.2.3", "::ffff:0:10.1.2.3", "64:ff9b::10.1.2.3",
            "64:ff9b::a01:203"})
    void ipv6FormsThatReachAnIpv4HostAreCheckedAgainstIpv4Rules(String address) throws Exception {
        assertThat(AddressPolicy.parse(List.of("none", "10.0.0.0/8")).allowed(ip(address))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"::1", "::", "::ffff:1:10.1.2.3", "64:ff9b:1::10.1.2.3", "2001:db8::10.1.2.3", "11.1.2.3"})
    void otherIpv6AddressesAreNotMistakenForThem(String address) throws Exception {
        assertThat(AddressPolicy.parse(List.of("none", "10.0.0.0/8", "0.0.0.0/32")).allowed(ip(address))).isTrue();
    }

    @Test
    void prefixesAreMaskedBitwise() throws Exception {
        AddressPolicy p = AddressPolicy.parse(List.of("none", "192.168.1.77/28"));
        assertThat(p.rules()).containsExactly("192.168.1.64/28");
        assertThat(p.allowed(ip("192.168.1.64"))).isFalse();
        assertThat(p.allowed(ip("192.168.1.79"))).isFalse();
        assertThat(p.allowed(ip("192.168.1.80"))).isTrue();
        assertThat(p.allowed(ip("192.168.1.63"))).isTrue();
        assertThat(AddressPolicy.parse(List.of("none", "0.0.0.0/0")).allowed(ip("8.8.8.8"))).isFalse();
        assertThat(AddressPolicy.parse(List.of("none", "0.0.0.0/0")).allowed(ip("::1"))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "10.0.0.0/33", "::/129", "10.0.0.0/x", "10.0.0/8", "/8", "1.2.3.4/-1"})
    void badRulesAreRefusedWithoutLookingUpNames(String spec) {
        assertThatThrownBy(() -> AddressPolicy.parse(List.of(spec)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-deny '" + spec + "'");
    }

    @Test
    void defaultsDoNotApplyToTrustedHostsButExplicitRulesDo() throws Exception {
        AddressPolicy p = AddressPolicy.parse(List.of("192.0.2.0/24")).trusting("Metadata.Internal.");
        assertThat(p.allowed("metadata.internal", ip("169.254.169.254"))).isTrue();
        assertThat(p.allowed("other.internal", ip("169.254.169.254"))).isFalse();
        assertThat(p.allowed(ip("169.254.169.254"))).isFalse();
        assertThat(p.allowed("metadata.internal", ip("192.0.2.1"))).isFalse();
        assertThat(p.trusting("[fe80::1]").allowed("fe80::1", ip("fe80::1"))).isTrue();
    }

    @Test
    void agentPolicyTrustsTheServerHost() throws Exception {
        AgentConfig c = AgentConfig.builder().tunnel(URI.create("ws://h")).token("0123456789abcdef")
                .server(URI.create("http://169.254.169.254:8080/app")).build();
        AddressPolicy p = AddressPolicy.forAgent(c);
        assertThat(p.allowed("169.254.169.254", ip("169.254.169.254"))).isTrue();
        assertThat(p.allowed("169.254.169.253", ip("169.254.169.253"))).isFalse();
        assertThat(p.allowed("evil.example", ip("169.254.169.254"))).isFalse();
        AgentConfig noServer = AgentConfig.builder().tunnel(URI.create("ws://h")).token("0123456789abcdef").build();
        assertThat(AddressPolicy.forAgent(noServer).allowed("169.254.169.254", ip("169.254.169.254"))).isFalse();
    }

    @Test
    void resolveChecksEveryAddressOfAName() throws Exception {
        Map<String, InetAddress[]> hosts = Map.of(
                "mixed.test", new InetAddress[] {ip("192.0.2.10"), ip("169.254.169.254")},
                "fine.test", new InetAddress[] {ip("192.0.2.10")});
        AddressPolicy p = AddressPolicy.defaults().resolvingWith(h -> {
            InetAddress[] a = hosts.get(h);
            if (a == null) {
                throw new UnknownHostException(h);
            }
            return a;
        });
        assertThat(p.resolve("fine.test")).containsExactly(ip("192.0.2.10"));
        InetAddress metadata = ip("169.254.169.254");
        assertThatThrownBy(() -> p.resolve("mixed.test"))
                .isInstanceOfSatisfying(DeniedAddressException.class, e -> {
                    assertThat(e.host()).isEqualTo("mixed.test");
                    assertThat(e.address()).isEqualTo(metadata);
                    assertThat(e.rule()).isEqualTo("169.254.0.0/16");
                })
                .hasMessage("mixed.test resolves to denied address 169.254.169.254 (wstunnel cli -deny 169.254.0.0/16)");
        assertThatThrownBy(() -> p.resolve("nowhere.test")).isInstanceOf(UnknownHostException.class)
                .isNotInstanceOf(DeniedAddressException.class);
    }

    @Test
    void literalsAreCheckedToo() throws Exception {
        GuardedDnsResolver r = new GuardedDnsResolver(AddressPolicy.defaults());
        assertThatThrownBy(() -> r.resolve("169.254.169.254")).isInstanceOf(DeniedAddressException.class);
        assertThatThrownBy(() -> r.resolve("[fd00:ec2::254]", 80)).isInstanceOf(DeniedAddressException.class);
        assertThat(r.resolve("127.0.0.1", 8080)).hasSize(1);
        assertThat(r.resolve("[::1]")).containsExactly(ip("::1"));
    }

    @Test
    void deniedExceptionIsFoundInACauseChain() throws Exception {
        DeniedAddressException d = new DeniedAddressException("h", ip("0.0.0.0"), "0.0.0.0/8");
        assertThat(DeniedAddressException.find(new RuntimeException(new java.io.IOException(d)))).isSameAs(d);
        assertThat(DeniedAddressException.find(new RuntimeException("x"))).isNull();
    }
}
