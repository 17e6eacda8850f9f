package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProxyEnvironmentTest {
    private static final URI TUNNEL = URI.create("wss://tunnel.example.com/base");

    @Test
    void noVariablesMeansDirect() {
        assertThat(ProxyEnvironment.resolve(Map.of(), TUNNEL)).isNull();
    }

    @Test
    void httpsProxyWinsOverTheOthersAndKeepsCredentials() {
        URI p = ProxyEnvironment.resolve(Map.of("HTTPS_PROXY", "http://u:p@proxy:3128", "http_proxy", "http://other:1"), TUNNEL);
        assertThat(p).isEqualTo(URI.create("http://u:p@proxy:3128"));
        assertThat(p.getUserInfo()).isEqualTo("u:p");
    }

    @Test
    void lowerCaseAndHttpVariantsAreFallbacks() {
        assertThat(ProxyEnvironment.resolve(Map.of("https_proxy", "http://a:1"), TUNNEL)).isEqualTo(URI.create("http://a:1"));
        assertThat(ProxyEnvironment.resolve(Map.of("HTTP_PROXY", "http://b:2"), TUNNEL)).isEqualTo(URI.create("http://b:2"));
        assertThat(ProxyEnvironment.resolve(Map.of("http_proxy", "c:3"), TUNNEL)).isEqualTo(URI.create("http://c:3"));
        assertThat(ProxyEnvironment.resolve(Map.of("HTTPS_PROXY", " ", "http_proxy", "http://d:4"), TUNNEL))
                .isEqualTo(URI.create("http://d:4"));
    }

    @Test
    void noProxyExemptsExactHostsSuffixesAndStar() {
        Map<String, String> base = Map.of("HTTPS_PROXY", "http://proxy:3128");
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "tunnel.example.com"), TUNNEL)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "foo, .example.com"), TUNNEL)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "no_proxy", "example.com"), TUNNEL)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "*"), TUNNEL)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "tunnel.example.com:443"), TUNNEL)).isNull();
    }

    @Test
    void noProxyDoesNotMatchOtherHostsOrPorts() {
        Map<String, String> base = Map.of("HTTPS_PROXY", "http://proxy:3128");
        URI proxy = URI.create("http://proxy:3128");
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "ample.com,other.org"), TUNNEL)).isEqualTo(proxy);
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "tunnel.example.com:8443"), TUNNEL)).isEqualTo(proxy);
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", ""), TUNNEL)).isEqualTo(proxy);
    }

    @Test
    void noProxyCidrsMatchAddressLiteralHostsInTheRange() {
        Map<String, String> base = Map.of("HTTPS_PROXY", "http://proxy:3128");
        URI proxy = URI.create("http://proxy:3128");
        URI v4 = URI.create("wss://10.1.2.3:8443");
        URI v6 = URI.create("wss://[::1]/base");
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "10.0.0.0/8"), v4)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "foo.org, 10.1.2.0/24 "), v4)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "10.1.2.3/32"), v4)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "::1/128"), v6)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "::/0"), v6)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "11.0.0.0/8"), v4)).isEqualTo(proxy);
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "10.1.2.4/32"), v4)).isEqualTo(proxy);
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "0.0.0.0/0"), v6)).as("IPv4 range, IPv6 host").isEqualTo(proxy);
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "fd00::/8"), v6)).isEqualTo(proxy);
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "10.0.0.0/8"), TUNNEL))
                .as("a CIDR never matches a host name (nothing is resolved)").isEqualTo(proxy);
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "10.0.0.0/99, not/a/cidr"), v4))
                .as("malformed CIDRs match nothing").isEqualTo(proxy);
    }

    @Test
    void noProxyAddressesMatchHoweverWrittenWithOptionalPort() {
        Map<String, String> base = Map.of("HTTPS_PROXY", "http://proxy:3128");
        URI proxy = URI.create("http://proxy:3128");
        URI v6 = URI.create("ws://[fd00:0:0:0:0:0:0:7]:8080");
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "fd00::7"), v6)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "[fd00::7]"), v6)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "[fd00::7]:8080"), v6)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "[fd00::7]:9090"), v6)).isEqualTo(proxy);
        URI v4 = URI.create("ws://192.0.2.1:8080");
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "192.0.2.1:8080"), v4)).isNull();
        assertThat(ProxyEnvironment.resolve(with(base, "NO_PROXY", "192.0.2.1:80"), v4)).isEqualTo(proxy);
    }

    private static Map<String, String> with(Map<String, String> base, String k, String v) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>(base);
        m.put(k, v);
        return m;
    }
}
