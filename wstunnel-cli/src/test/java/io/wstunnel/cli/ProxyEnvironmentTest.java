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

    private static Map<String, String> with(Map<String, String> base, String k, String v) {
        java.util.HashMap<String, String> m = new java.util.HashMap<>(base);
        m.put(k, v);
        return m;
    }
}
