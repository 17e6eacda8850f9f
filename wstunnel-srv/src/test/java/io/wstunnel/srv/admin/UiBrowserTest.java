package io.wstunnel.srv.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.wstunnel.srv.FrameAgent;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin UI in a real browser: headless Chromium driven over the DevTools protocol (JDK WebSocket
 * client). Loads /admin/ui, connects an agent, and watches the tunnel appear and its request count rise;
 * and shows hostile values as text. Fails when no Chromium is installed (CI installs it).
 */
class UiBrowserTest extends AdminTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path profile;

    static Path chromium() {
        for (String c : new String[]{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
            if (Files.isExecutable(Path.of(c))) {
                return Path.of(c);
            }
        }
        return null;
    }

    /** A minimal CDP client: Runtime.evaluate on one page. */
    static final class Cdp implements AutoCloseable {
        private final WebSocket ws;
        private final AtomicInteger ids = new AtomicInteger();
        private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();

        Cdp(String url) throws Exception {
            StringBuilder partial = new StringBuilder();
            ws = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5))
                    .buildAsync(URI.create(url), new WebSocket.Listener() {
                        @Override
                        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                            partial.append(data);
                            if (last) {
                                try {
                                    JsonNode n = JSON.readTree(partial.toString());
                                    CompletableFuture<JsonNode> f = n.has("id") ? pending.remove(n.get("id").asInt()) : null;
                                    if (f != null) {
                                        f.complete(n);
                                    }
                                } catch (Exception ignored) {
                                    // events we do not care about
                                }
                                partial.setLength(0);
                            }
                            w.request(1);
                            return null;
                        }
                    }).get(10, TimeUnit.SECONDS);
        }

        JsonNode evaluate(String expression) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<JsonNode> f = new CompletableFuture<>();
            pending.put(id, f);
            String msg = JSON.writeValueAsString(Map.of("id", id, "method", "Runtime.evaluate",
                    "params", Map.of("expression", expression, "returnByValue", true)));
            synchronized (this) {
                ws.sendText(msg, true).get(5, TimeUnit.SECONDS);
            }
            return f.get(10, TimeUnit.SECONDS).path("result").path("result").path("value");
        }

        @Override
        public void close() {
            ws.abort();
        }
    }

    JsonNode waitFor(Cdp cdp, String expression, Predicate<JsonNode> ok, Duration max) throws Exception {
        long deadline = System.nanoTime() + max.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            last = cdp.evaluate(expression);
            if (ok.test(last)) {
                return last;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("page never satisfied the condition; last value of " + expression + ": " + last);
    }

    /** Starts headless Chromium on /admin/ui and connects to the page's DevTools target. */
    Cdp openDashboard() throws Exception {
        Path chrome = chromium();
        assertThat(chrome).as("chromium (/usr/bin/chromium) is needed by this test").isNotNull();
        ProcessBuilder pb = new ProcessBuilder(chrome.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--disable-extensions", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                "--user-data-dir=" + profile, "--window-size=390,844", // a phone-sized viewport
                "http://127.0.0.1:" + server.port() + "/admin/ui")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        closeLater(() -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        });
        Path portFile = profile.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(portFile) && Files.readAllLines(portFile).size() >= 1) && System.nanoTime() < deadline) {
            assertThat(p.isAlive()).as("chromium exited early").isTrue();
            Thread.sleep(100);
        }
        int devPort = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
        String wsUrl = null;
        while (wsUrl == null && System.nanoTime() < deadline) {
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + devPort + "/json/list"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            for (JsonNode t : JSON.readTree(list.body())) {
                if (t.path("type").asText().equals("page") && t.path("url").asText().contains("/admin/ui")) {
                    wsUrl = t.get("webSocketDebuggerUrl").asText();
                }
            }
            if (wsUrl == null) {
                Thread.sleep(100);
            }
        }
        assertThat(wsUrl).as("a page target for /admin/ui").isNotNull();
        return closeLater(new Cdp(wsUrl));
    }

    @Test
    void dashboardShowsTheTunnelAndItsRequestCountRising() throws Exception {
        start();
        Cdp cdp = openDashboard();
        waitFor(cdp, "document.getElementById('updated') && document.getElementById('updated').textContent",
                v -> v.asText().startsWith("updated"), Duration.ofSeconds(20));
        waitFor(cdp, "document.getElementById('conn').textContent", v -> v.asText().equals("events: live"),
                Duration.ofSeconds(20));
        assertThat(cdp.evaluate("document.querySelectorAll('#tunnels tr[data-token-id]').length").asInt()).isZero();

        FrameAgent agent = agent(VECTOR_TOKEN);
        String id = TokenIds.id(VECTOR_TOKEN);
        String row = "document.querySelector('#tunnels tr[data-token-id=\"" + id + "\"]')";
        waitFor(cdp, row + " !== null", JsonNode::asBoolean, Duration.ofSeconds(15));
        assertThat(cdp.evaluate(row + ".textContent").asText()).contains("vectorto...").doesNotContain(VECTOR_TOKEN);
        assertThat(cdp.evaluate(row + ".querySelector('td.req').textContent").asInt()).isZero();
        assertThat(cdp.evaluate("document.getElementById('events').textContent").asText()).contains("agent_connected");

        for (int i = 0; i < 3; i++) {
            CompletableFuture<HttpResponse<String>> r = tunnelled(VECTOR_TOKEN, "/ui-test/" + i);
            answer(agent, 200, "ok");
            assertThat(r.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        // the page polls every 5 s
        waitFor(cdp, row + " && " + row + ".querySelector('td.req').textContent", v -> v.asText().equals("3"),
                Duration.ofSeconds(15));
        assertThat(cdp.evaluate("document.getElementById('m-completed').textContent").asText()).isEqualTo("3");
        assertThat(cdp.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1 "
                + "|| getComputedStyle(document.querySelector('section')).overflowX === 'auto'").asBoolean())
                .as("tables scroll inside their section on a phone").isTrue();
    }

    /**
     * Values that agents and callers choose (token, X-Client-Version, request path) are shown as text: no
     * element they carry appears and no script they carry runs, in the tables and the event list.
     */
    @Test
    void hostileValuesAreShownAsText() throws Exception {
        start();
        String version = "\"><img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>";
        String token = "<b id=xss>" + VECTOR_TOKEN;
        FrameAgent agent = closeLater(FrameAgent.connect(server.port(), token, Map.of("X-Client-Version", version)));
        CompletableFuture<HttpResponse<String>> inFlight = tunnelled(token, "/x'onmouseover='window.__xss=3'");
        agent.next(io.wstunnel.protocol.Frame.Open.class);
        Cdp cdp = openDashboard();
        String agentRow = "document.querySelector('#agents tr')";
        waitFor(cdp, agentRow + " && " + agentRow + ".textContent", v -> v.asText().contains("window.__xss=2"),
                Duration.ofSeconds(20));
        waitFor(cdp, "document.getElementById('inflight').textContent", v -> v.asText().contains("window.__xss=3"),
                Duration.ofSeconds(20));
        assertThat(cdp.evaluate(agentRow + ".textContent").asText()).contains(version).contains("<b id=xs...");
        assertThat(cdp.evaluate("document.getElementById('events').textContent").asText()).contains("<b id=xs...");
        assertThat(cdp.evaluate("document.querySelectorAll('main img, main script, #xss').length").asInt()).isZero();
        assertThat(cdp.evaluate("String(window.__xss)").asText()).isEqualTo("undefined");
        inFlight.cancel(true);
    }
}
