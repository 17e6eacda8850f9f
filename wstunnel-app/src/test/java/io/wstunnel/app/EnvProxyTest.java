package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvProxyTest {
    private static final URI TUNNEL = URI.create("wss://tun.example.com/wstunnel");

    @Test
    void noVariablesNoProxy() {
        assertThat(EnvProxy.resolve(Map.of(), TUNNEL)).isEmpty();
    }

    @Test
    void orderOfVariables() {
        assertThat(EnvProxy.resolve(Map.of("http_proxy", "http://d:1", "HTTP_PROXY", "http://c:1",
                "https_proxy", "http://b:1"), TUNNEL)).contains(URI.create("http://b:1"));
        assertThat(EnvProxy.resolve(Map.of("http_proxy", "http://d:1"), TUNNEL)).contains(URI.create("http://d:1"));
    }

    @Test
    void schemeIsOptionalAndCredentialsAreKept() {
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "user:pw@proxy:3128"), TUNNEL))
                .contains(URI.create("http://user:pw@proxy:3128"));
    }

    @Test
    void noProxyForms() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://p:1");
        for (String noProxy : new String[] {"*", "tun.example.com", "example.com", ".example.com", "*.example.com",
            "tun.example.com:443", "other.org, example.com"}) {
            assertThat(EnvProxy.resolve(withNoProxy(env, noProxy), TUNNEL)).as(noProxy).isEmpty();
        }
        for (String noProxy : new String[] {"ample.com", "tun.example.com:8443", " , foo.org , "}) {
            assertThat(EnvProxy.resolve(withNoProxy(env, noProxy), TUNNEL)).as(noProxy).isPresent();
        }
    }

    private static Map<String, String> withNoProxy(Map<String, String> env, String noProxy) {
        Map<String, String> m = new java.util.HashMap<>(env);
        m.put("NO_PROXY", noProxy);
        return m;
    }

    @Test
    void noProxyFromEitherSpelling() {
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1", "no_proxy", "example.com"), TUNNEL)).isEmpty();
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY", "example.com"), TUNNEL)).isEmpty();
    }

    @Test
    void loopbackIsNeverProxied() {
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1"), URI.create("ws://127.0.0.1:8080"))).isEmpty();
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1"), URI.create("ws://localhost:8080"))).isEmpty();
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1"), URI.create("ws://127.9.8.7:8080"))).isEmpty();
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1"), URI.create("ws://[::1]:8080"))).isEmpty();
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1"), URI.create("ws://[0:0:0:0:0:0:0:1]:8080")))
                .isEmpty();
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1"), URI.create("ws://128.0.0.1:8080"))).isPresent();
        assertThat(EnvProxy.resolve(Map.of("HTTPS_PROXY", "http://p:1"), URI.create("ws://127.example.com"))).isPresent();
    }

    @Test
    void noProxyCidrsForAddressLiteralTunnels() {
        Map<String, String> env = Map.of("HTTPS_PROXY", "http://p:1", "NO_PROXY", "example.org, 10.0.0.0/8, fd00::/8");
        assertThat(EnvProxy.resolve(env, URI.create("wss://10.20.30.40/wstunnel"))).isEmpty();
        assertThat(EnvProxy.resolve(env, URI.create("wss://[fd12::7]:8443"))).isEmpty();
        assertThat(EnvProxy.resolve(env, URI.create("wss://11.0.0.1"))).isPresent();
        assertThat(EnvProxy.resolve(env, URI.create("wss://[fe80::1]"))).isPresent();
    }

    @Test
    void badProxyValue() {
        assertThatThrownBy(() -> EnvProxy.resolve(Map.of("HTTPS_PROXY", "https://p:1"), TUNNEL))
                .isInstanceOf(UsageException.class).hasMessageContaining("HTTPS_PROXY");
    }

    @Test
    void credentialsAreHiddenInLogs() {
        assertThat(EnvProxy.withoutUserInfo(URI.create("http://user:pw@proxy:3128"))).isEqualTo("http://***@proxy:3128");
    }
}
