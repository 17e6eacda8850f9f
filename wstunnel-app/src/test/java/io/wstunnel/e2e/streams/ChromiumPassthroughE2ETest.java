package io.wstunnel.e2e.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A browser app behind the tunnel, unchanged: headless Chromium loads a small page (served by the test)
 * whose script opens a WebSocket through the tunnel server to the echo server behind the agent, sends a
 * text and a binary message and writes the echoes into the DOM, which {@code --dump-dom} prints.
 *
 * <p>The page's HTML is held open (chunked) until its script has reported the echoes with a fetch, so
 * the load event, and therefore the DOM dump, comes after the WebSocket traffic. Fails when no
 * Chromium is installed (CI installs it): a skip would hide a broken passthrough.
 */
@Timeout(90)
class ChromiumPassthroughE2ETest {
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

    static String page(String wsUrl) {
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>ws echo</title></head><body>\n"
                + "<!-- " + "padding ".repeat(300) + "-->\n"
                + "<div id=\"text\">pending</div><div id=\"binary\">pending</div><div id=\"state\">connecting</div>\n"
                + "<script>\n"
                + "const ws = new WebSocket(" + '"' + wsUrl + '"' + ");\n"
                + "ws.binaryType = 'arraybuffer';\n"
                + "let got = 0;\n"
                + "function report(what) { fetch('/report', {method: 'POST', body: what}); }\n"
                + "ws.onopen = () => { document.getElementById('state').textContent = 'open';\n"
                + "  ws.send('hello from chromium');\n"
                + "  ws.send(new Uint8Array([1, 2, 3, 250, 0, 255]).buffer); };\n"
                + "ws.onmessage = (e) => {\n"
                + "  if (typeof e.data === 'string') { document.getElementById('text').textContent = 'text:' + e.data; }\n"
                + "  else { document.getElementById('binary').textContent = 'binary:' + Array.from(new Uint8Array(e.data)).join(','); }\n"
                + "  if (++got === 2) { document.getElementById('state').textContent = 'echoed';\n"
                + "    report(document.getElementById('text').textContent + '|' + document.getElementById('binary').textContent); } };\n"
                + "ws.onerror = () => { document.getElementById('state').textContent = 'error'; report('error'); };\n"
                + "</script>\n";
    }

    @Test
    void chromiumPageTalksThroughThePassthrough() throws Exception {
        Path chrome = chromium();
        assertThat(chrome).as("chromium (/usr/bin/chromium) is needed by this test").isNotNull();
        CompletableFuture<String> reported = new CompletableFuture<>();
        CountDownLatch finishPage = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        HttpServer web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        web.setExecutor(pool);
        Process p = null;
        try (StreamsFixture f = new StreamsFixture(s -> s, a -> a)) {
            String html = page(f.ws("/echo").toString());
            web.createContext("/report", ex -> {
                byte[] body = ex.getRequestBody().readAllBytes();
                reported.complete(new String(body, StandardCharsets.UTF_8));
                respond(ex, 204, new byte[0]);
            });
            web.createContext("/", ex -> {
                if (!ex.getRequestURI().getPath().equals("/")) {
                    respond(ex, 404, new byte[0]);
                    return;
                }
                ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
                ex.getResponseHeaders().set("Cache-Control", "no-store");
                ex.sendResponseHeaders(200, 0); // chunked: the rest of the page follows the report
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(html.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    finishPage.await(30, TimeUnit.SECONDS);
                    out.write("<div id=\"done\">page complete</div></body></html>\n".getBytes(StandardCharsets.UTF_8));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            web.start();
            String url = "http://127.0.0.1:" + web.getAddress().getPort() + "/";
            p = new ProcessBuilder(chrome.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                    "--disable-extensions", "--user-data-dir=" + profile.resolve("profile"), "--dump-dom", url)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            Process chromium = p;
            ByteArrayOutputStream dom = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> {
                try {
                    chromium.getInputStream().transferTo(dom);
                } catch (IOException e) {
                    // chromium killed
                }
            }, "chromium-stdout");
            reader.setDaemon(true);
            reader.start();

            String echoes;
            try {
                echoes = reported.get(40, TimeUnit.SECONDS);
            } finally {
                finishPage.countDown();
            }
            assertThat(echoes).isEqualTo("text:hello from chromium|binary:1,2,3,250,0,255");
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("chromium exits after dumping the DOM").isTrue();
            reader.join(5000);
            String dumped = dom.toString(StandardCharsets.UTF_8);
            assertThat(dumped)
                    .contains("<div id=\"text\">text:hello from chromium</div>")
                    .contains("<div id=\"binary\">binary:1,2,3,250,0,255</div>")
                    .contains("<div id=\"state\">echoed</div>")
                    .contains("page complete");
        } finally {
            finishPage.countDown();
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            web.stop(0);
            pool.shutdownNow();
        }
    }

    private static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }
}
