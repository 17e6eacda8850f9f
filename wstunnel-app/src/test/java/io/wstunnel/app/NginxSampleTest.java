package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import io.wstunnel.srv.admin.ClientAddress;
import io.wstunnel.srv.tls.TestPki;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * nginx/wstunnel-srv.conf and config/srv.yaml are safe together: nginx lets only local callers reach
 * /admin, /metrics and /_stats, and the server believes nginx's X-Forwarded-For, so a caller behind
 * nginx is local only if it really is.
 */
class NginxSampleTest {
    private static final Path NGINX = Path.of("..", "nginx", "wstunnel-srv.conf");
    private static final Path SRV = Path.of("..", "config", "srv.yaml");

    private static String conf() throws IOException {
        return Files.readString(NGINX);
    }

    /** The body of {@code location <spec> { ... }} (no nested blocks but {@code if}). */
    private static String location(String conf, String spec) {
        Matcher m = Pattern.compile("(?m)^\\s*location " + Pattern.quote(spec) + " \\{\\n((?:.*\\n)*?)\\s*}\\n").matcher(conf);
        assertThat(m.find()).as("nginx conf has `location %s`", spec).isTrue();
        return m.group(1);
    }

    @Test
    void nginxLetsOnlyLocalCallersReachAdminMetricsAndStats() throws IOException {
        String conf = conf();
        for (String spec : new String[] {"/admin/", "= /admin", "= /_stats"}) {
            String body = location(conf, spec);
            assertThat(body).as("location %s", spec).contains("allow 127.0.0.1;", "allow ::1;", "deny all;");
        }
        // /metrics with X-Token is a tunnelled application's own: only the server's is restricted.
        assertThat(location(conf, "= /metrics")).contains("if ($wstunnel_metrics_denied)", "return 403;");
        assertThat(conf).containsPattern("geo \\$wstunnel_local_caller \\{\\s*default\\s+0;\\s*127\\.0\\.0\\.1\\s+1;\\s*::1\\s+1;\\s*}")
                .containsPattern("map \"\\$wstunnel_local_caller:\\$http_x_token\" \\$wstunnel_metrics_denied \\{\\s*default 0;\\s*\"0:\"\\s+1;\\s*}");
    }

    @Test
    void srvSampleListensWhereNginxProxiesAndTrustsItsForwardedFor() throws Exception {
        Matcher upstream = Pattern.compile("upstream wstunnel_srv \\{\\s*server ([0-9.]+):([0-9]+);").matcher(conf());
        assertThat(upstream.find()).as("upstream wstunnel_srv in the nginx conf").isTrue();
        ServerConfig c = ((SrvCommand) Cmd.parse("srv", "-config", SRV.toString())).serverConfig();
        assertThat(c.host() + ":" + c.port()).isEqualTo(upstream.group(1) + ":" + upstream.group(2));
        // nginx connects to a loopback upstream from 127.0.0.1
        assertThat(new ClientAddress(c.trustedProxies()).isTrusted(InetAddress.getByName("127.0.0.1")))
                .as("srv.yaml trusted-proxies covers the nginx in front").isTrue();

        TunnelServer server = TunnelServer.start(c.toBuilder().port(0).build());
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            // What nginx sends on for a caller on its own host, and for one elsewhere.
            String local = "127.0.0.1";
            String remote = "203.0.113.9";
            assertThat(get(http, server, "/metrics", local).statusCode()).as("/metrics, local caller via nginx").isEqualTo(200);
            assertThat(get(http, server, "/metrics", remote).statusCode()).as("/metrics, remote caller via nginx").isEqualTo(403);
            assertThat(get(http, server, "/metrics", "127.0.0.1, " + remote).statusCode())
                    .as("/metrics, remote caller claiming to be local").isEqualTo(403);
            assertThat(get(http, server, "/_stats", local).body()).doesNotContain("More stats available");
            assertThat(get(http, server, "/_stats", remote).body()).contains("More stats available when called from localhost...");
        } finally {
            server.stop(Duration.ZERO);
        }
    }

    private static HttpResponse<String> get(HttpClient http, TunnelServer server, String path, String forwardedFor)
            throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("X-Forwarded-For", forwardedFor).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** {@code nginx -t} of the shipped file (certificates and ports swapped for test ones), where nginx is installed. */
    @Test
    void nginxAcceptsTheConfiguration(@TempDir Path dir) throws Exception {
        Path nginx = onPath("nginx");
        Assumptions.assumeTrue(nginx != null, "nginx is not installed");
        Path[] pem = new TestPki(dir).selfSigned("srv", "EC", "CN=localhost", "SAN=dns:localhost")
                .writePem(dir.resolve("fullchain.pem"), dir.resolve("privkey.pem"));
        String site = conf()
                .replace("/etc/ssl/wstunnel/fullchain.pem", pem[0].toString())
                .replace("/etc/ssl/wstunnel/privkey.pem", pem[1].toString())
                .replaceAll("listen \\[::\\]:[0-9]+( ssl)?;", "")
                .replace("listen 443 ssl;", "listen unix:" + dir.resolve("https.sock") + " ssl;")
                .replace("listen 80;", "listen unix:" + dir.resolve("http.sock") + ";");
        Files.writeString(dir.resolve("site.conf"), site);
        Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(dir.resolve("nginx.conf"), String.join("\n",
                "pid " + dir.resolve("nginx.pid") + ";",
                "error_log " + dir.resolve("error.log") + ";",
                "events {}",
                "http {",
                "  access_log off;",
                "  client_body_temp_path " + dir.resolve("tmp") + ";",
                "  proxy_temp_path " + dir.resolve("tmp") + ";",
                "  include " + dir.resolve("site.conf") + ";",
                "}", ""));
        Process p = new ProcessBuilder(nginx.toString(), "-t", "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("nginx -t finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("nginx -t: %s", out).isZero();
        assertThat(out).contains("test is successful");
    }

    /** The executable {@code command} on PATH or in /usr/sbin, or null. */
    private static Path onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "") + java.io.File.pathSeparator + "/usr/sbin";
        for (String d : path.split(java.io.File.pathSeparator)) {
            Path p = Path.of(d.isEmpty() ? "." : d, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
