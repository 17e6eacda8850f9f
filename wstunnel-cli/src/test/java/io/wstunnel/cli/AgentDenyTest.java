package io.wstunnel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.cli.net.AddressPolicy;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * -deny: the agent is not an open proxy. Names resolve through an injected resolver (a hosts map),
 * so "a name that resolves into a denied range" and DNS rebinding are testable on loopback:
 * 127.0.0.1 plays an allowed address, 127.0.0.2 a denied one.
 */
@Timeout(60)
class AgentDenyTest {
    /** Counts connections and answers every request with its own address, then closes (no keep-alive). */
    static final class Backend implements AutoCloseable {
        final ServerSocket socket;
        final AtomicInteger connections = new AtomicInteger();
        private final Thread thread;

        Backend(String address, int port) throws IOException {
            socket = new ServerSocket(port, 50, InetAddress.getByName(address));
            thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        connections.incrementAndGet();
                        s.setSoTimeout(10_000);
                        RawBackend.readHead(s.getInputStream());
                        String body = "backend " + address;
                        RawBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length()
                                + "\r\nConnection: close\r\n\r\n" + body);
                    } catch (IOException e) {
                        // closed, or a client that went away
                    }
                }
            }, "deny-backend-" + address);
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    Backend allowed;
    Backend denied;
    final Map<String, String> hosts = new ConcurrentHashMap<>();

    @BeforeEach
    void backends() throws IOException {
        allowed = new Backend("127.0.0.1", 0);
        denied = new Backend("127.0.0.2", allowed.port()); // same port: a rebinding name keeps its URL
    }

    @AfterEach
    void stop() throws IOException {
        allowed.close();
        denied.close();
    }

    private AddressPolicy.Resolver hostsMap() {
        return name -> {
            String a = hosts.get(name);
            if (a != null) {
                return new InetAddress[] {InetAddress.getByName(a)};
            }
            if (name.endsWith(".test")) {
                throw new UnknownHostException(name);
            }
            return InetAddress.getAllByName(name); // literals
        };
    }

    private String url(String host) {
        return "http://" + host + ":" + allowed.port();
    }

    private Harness agent(AddressPolicy policy, URI server) throws InterruptedException {
        return new Harness(Settings.DEFAULT, b -> b.server(server).hostPattern(Pattern.compile(".*"))
                .denyRules(policy.resolvingWith(hostsMap())));
    }

    private static Harness.Response get(Harness h, int id, String xHost) throws InterruptedException {
        h.conn.send(Harness.get(id, "/x", xHost == null ? Headers.EMPTY : Headers.of("X-Host", xHost)));
        return h.collect(id);
    }

    @Test
    void xHostAllowedByRegexpButResolvingIntoADeniedRangeIs403AndNotContacted() throws Exception {
        hosts.put("internal.test", "127.0.0.2");
        hosts.put("public.test", "127.0.0.1");
        try (Harness h = agent(AddressPolicy.parse(List.of("127.0.0.2/32")), null)) {
            Harness.Response r = get(h, 1, url("internal.test"));
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.reply().head().headers().first("Content-Type")).startsWith("text/plain");
            assertThat(r.text()).isEqualTo("X-Host target internal.test resolves to a denied address (wstunnel cli -deny)");

            Harness.Response ok = get(h, 3, url("public.test"));
            assertThat(ok.reply().head().status()).isEqualTo(200);
            assertThat(ok.text()).isEqualTo("backend 127.0.0.1");
        }
        assertThat(denied.connections.get()).isZero();
        assertThat(allowed.connections.get()).isEqualTo(1);
    }

    @Test
    void dnsRebindingIsCheckedOnEveryConnect() throws Exception {
        hosts.put("rebind.test", "127.0.0.1");
        try (Harness h = agent(AddressPolicy.parse(List.of("127.0.0.2")), null)) {
            assertThat(get(h, 1, url("rebind.test")).reply().head().status()).isEqualTo(200);
            hosts.put("rebind.test", "127.0.0.2"); // the name now points at a forbidden address
            Harness.Response r = get(h, 3, url("rebind.test"));
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.text()).contains("rebind.test resolves to a denied address");
        }
        assertThat(denied.connections.get()).isZero();
    }

    @Test
    void literalDeniedAddressesAreRefused() throws Exception {
        try (Harness h = agent(AddressPolicy.parse(List.of("127.0.0.2/32")), null)) {
            Harness.Response r = get(h, 1, url("127.0.0.2"));
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.text()).isEqualTo("X-Host target 127.0.0.2 resolves to a denied address (wstunnel cli -deny)");
            // the default list: cloud metadata and 0.0.0.0 (which Linux routes to this host)
            assertThat(get(h, 3, "http://169.254.169.254/latest/meta-data/").reply().head().status()).isEqualTo(403);
            assertThat(get(h, 5, "http://[fd00:ec2::254]/").reply().head().status()).isEqualTo(403);
            assertThat(get(h, 7, url("0.0.0.0")).reply().head().status()).isEqualTo(403);
        }
        assertThat(denied.connections.get()).isZero();
        assertThat(allowed.connections.get()).isZero();
    }

    @Test
    void serverPointingIntoADefaultDeniedRangeStillWorks() throws Exception {
        // 127.0.0.2/32 plays a default-denied range (like 169.254.0.0/16), which loopback cannot host
        hosts.put("metadata.test", "127.0.0.2");
        hosts.put("other.test", "127.0.0.2");
        AddressPolicy policy = AddressPolicy.of(List.of("127.0.0.2/32"), List.of());
        try (Harness h = agent(policy, URI.create(url("metadata.test")))) {
            Harness.Response viaServer = get(h, 1, null);
            assertThat(viaServer.reply().head().status()).isEqualTo(200);
            assertThat(viaServer.text()).isEqualTo("backend 127.0.0.2");
            // the same range under another name, through X-Host, is still refused
            Harness.Response other = get(h, 3, url("other.test"));
            assertThat(other.reply().head().status()).isEqualTo(403);
        }
        assertThat(denied.connections.get()).isEqualTo(1);
    }

    @Test
    void explicitRulesApplyToTheServerTooWithA403() throws Exception {
        try (Harness h = agent(AddressPolicy.parse(List.of("127.0.0.2/32")), URI.create(url("127.0.0.2")))) {
            Harness.Response r = get(h, 1, null);
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.text()).isEqualTo("target 127.0.0.2 resolves to a denied address (wstunnel cli -deny)");
        }
        assertThat(denied.connections.get()).isZero();
    }

    @Test
    void denyNoneAllowsEverything() throws Exception {
        hosts.put("internal.test", "127.0.0.2");
        try (Harness h = agent(AddressPolicy.parse(List.of("none")), null)) {
            Harness.Response r = get(h, 1, url("internal.test"));
            assertThat(r.reply().head().status()).isEqualTo(200);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("backend 127.0.0.2");
        }
    }

    @Test
    void webSocketTargetInADeniedRangeIs403NamingNeitherAddressNorRule() throws Exception {
        hosts.put("internal.test", "127.0.0.2");
        try (Harness h = agent(AddressPolicy.parse(List.of("127.0.0.2/32")), null)) {
            h.conn.send(new Frame.Open(1, StreamKind.WEBSOCKET, new RequestHead("GET", "/x", "srv.example", "http",
                    Headers.of("X-Host", url("internal.test"), "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
                            "Sec-WebSocket-Version", "13")), false));
            Harness.Response r = h.collect(1);
            assertThat(r.reply().head().status()).isEqualTo(403);
            assertThat(r.text()).isEqualTo("wstunnel cli: internal.test resolves to a denied address (wstunnel cli -deny)\n");
        }
        assertThat(denied.connections.get()).isZero();
    }
}
