package io.wstunnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher as a real process (java -cp <test classpath> io.wstunnel.app.Main ...): exit codes,
 * signals, pid file. These need the real TunnelServer and Agent.
 */
class LauncherProcessTest {

    @TempDir
    Path dir;

    private Process launch(Path output, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx128m");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    @Test
    void demoExitAfterCheckGoesThroughTheTunnelAndExitsZero() throws Exception {
        Path out = dir.resolve("demo.out");
        Process p = launch(out, "demo", "-exit-after-check", "-log-level", "warn");
        boolean exited = p.waitFor(90, TimeUnit.SECONDS);
        if (!exited) {
            p.destroyForcibly();
        }
        String text = Files.readString(out);
        assertThat(exited).as("demo exited within 90 s; output:%n%s", text).isTrue();
        assertThat(p.exitValue()).as("exit code; output:%n%s", text).isZero();
        assertThat(text).contains("CHECK PASSED", "curl -H 'X-Token: ", "/_token/");
    }

    @Test
    void srvStopsGracefullyOnSigtermExitsZeroAndRemovesItsPidFile() throws Exception {
        Path out = dir.resolve("srv.out");
        Path pid = dir.resolve("srv.pid");
        Process p = launch(out, "srv", "-host", "127.0.0.1", "-port", "0", "-pidfile", pid.toString(),
                "-shutdown-grace", "2");
        try {
            Pattern listening = Pattern.compile("serving on 127\\.0\\.0\\.1:(\\d+)");
            await().atMost(Duration.ofSeconds(30)).until(() -> !p.isAlive()
                    || listening.matcher(Files.readString(out)).find());
            String text = Files.readString(out);
            Matcher m = listening.matcher(text);
            assertThat(m.find()).as("srv started; output:%n%s", text).isTrue();
            assertThat(Files.readString(pid).trim()).isEqualTo(Long.toString(p.pid()));
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + m.group(1) + "/_health_check")).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(health.body()).startsWith("WSTUNSRV RUNNING");

            p.destroy(); // SIGTERM
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("exit code; output:%n%s", Files.readString(out)).isZero();
            assertThat(pid).doesNotExist();
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void srvAndCliProcessesTunnelARequestAndTheAgentStopsOnSigterm() throws Exception {
        String token = DemoCommand.randomToken(20);
        com.sun.net.httpserver.HttpServer backend = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        backend.createContext("/", ex -> {
            byte[] body = ("backend saw " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        Path srvOut = dir.resolve("srv.out");
        Path cliOut = dir.resolve("cli.out");
        Path cliPid = dir.resolve("cli.pid");
        Path status = dir.resolve("cli.status");
        Path yaml = Files.writeString(dir.resolve("cli.yaml"), "token: " + token + "\ntimeout: 3\n");
        Process srv = launch(srvOut, "srv", "-host=127.0.0.1", "-port=0", "-shutdown-grace=1");
        Process cli = null;
        try {
            Pattern listening = Pattern.compile("serving on 127\\.0\\.0\\.1:(\\d+)");
            await().atMost(Duration.ofSeconds(30)).until(() -> !srv.isAlive()
                    || listening.matcher(Files.readString(srvOut)).find());
            Matcher m = listening.matcher(Files.readString(srvOut));
            assertThat(m.find()).as("srv started; output:%n%s", Files.readString(srvOut)).isTrue();
            String base = "http://127.0.0.1:" + m.group(1);
            cli = launch(cliOut, "cli", "-tunnel", "ws://127.0.0.1:" + m.group(1), "-config", yaml.toString(),
                    "-server", "http://127.0.0.1:" + backend.getAddress().getPort(), "-pidfile", cliPid.toString(),
                    "-statusfile", status.toString(), "-shutdown-grace", "1");
            HttpClient client = HttpClient.newHttpClient();
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/hello?x=1")).header("X-Token", token).build();
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).body())
                    .isEqualTo("backend saw /hello?x=1");
            assertThat(Files.readString(cliPid).trim()).isEqualTo(Long.toString(cli.pid()));
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(status));

            cli.destroy(); // SIGTERM
            assertThat(cli.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(cli.exitValue()).as("cli exit code; output:%n%s", Files.readString(cliOut)).isZero();
            assertThat(cliPid).doesNotExist();
        } finally {
            if (cli != null) {
                cli.destroyForcibly();
            }
            srv.destroyForcibly();
            backend.stop(0);
        }
    }

    @Test
    void portInUseIsOneLineAndExitCodeOne() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path out = dir.resolve("busy.out");
            Process p = launch(out, "srv", "-host", "127.0.0.1", "-port", Integer.toString(busy.getLocalPort()),
                    "-log-level", "warn");
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String text = Files.readString(out);
            assertThat(p.exitValue()).as(text).isEqualTo(1);
            assertThat(text).hasLineCount(1).startsWith("wstunnel srv: cannot start on 127.0.0.1:")
                    .contains("Address already in use");
        }
    }
}
