package io.wstunnel.app;

import io.wstunnel.cli.Agent;
import io.wstunnel.cli.AgentConfig;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code wstunnel demo}: a local HTTP service, a server and an agent in one process on loopback,
 * and the curl commands that go through the tunnel.
 */
@Command(name = "demo", sortOptions = false,
        description = "Start a small local HTTP service, a tunnel server and an agent in this process on "
                + "127.0.0.1, and print curl commands that go through the tunnel. Ctrl-C stops it.")
public final class DemoCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DemoCommand.class);
    private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(20);

    @Spec
    CommandSpec spec;

    @Option(names = {"-port", "--port"}, paramLabel = "PORT", defaultValue = "0",
            description = "Port of the tunnel server on 127.0.0.1; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = {"-exit-after-check", "--exit-after-check"}, arity = "0..1", fallbackValue = "true",
            defaultValue = "false",
            description = "Send requests through the tunnel, print the results and exit: 0 if they all worked, 1 if not.")
    boolean exitAfterCheck;

    @Mixin
    LoggingOptions logging;

    @Mixin
    HelpOption help;

    static String randomToken(int length) {
        SecureRandom rnd = new SecureRandom();
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALPHABET.charAt(rnd.nextInt(ALPHABET.length())));
        }
        return sb.toString();
    }

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UsageException("-port must be 0..65535, got " + port);
        }
        Logging.configure(logging);
        PrintWriter out = spec.commandLine().getOut();
        String token = randomToken(24);
        Duration grace = Duration.ofSeconds(exitAfterCheck ? 2 : 5);
        try (DemoService local = DemoService.start()) {
            TunnelServer server = TunnelServer.start(ServerConfig.builder()
                    .host("127.0.0.1").port(port).shutdownGrace(grace).build());
            Agent agent = null;
            try {
                URI base = URI.create("http://127.0.0.1:" + server.port());
                agent = Agent.start(AgentConfig.builder()
                        .tunnel(URI.create("ws://127.0.0.1:" + server.port()))
                        .token(token)
                        .server(local.uri())
                        .clientVersion(Version.clientVersion())
                        .shutdownGrace(grace)
                        .build());
                if (!agent.awaitConnected(CONNECT_TIMEOUT)) {
                    out.println("FAILED: the agent did not connect to the server within "
                            + CONNECT_TIMEOUT.toSeconds() + " s");
                    out.flush();
                    return Main.EXIT_FAILURE;
                }
                printBanner(out, local.uri(), base, token);
                if (exitAfterCheck) {
                    return check(out, base, token) ? Main.EXIT_OK : Main.EXIT_FAILURE;
                }
                out.println("Press Ctrl-C to stop.");
                out.flush();
                Termination.install(() -> { }).await(); // the finally block below stops everything
                return Main.EXIT_OK;
            } finally {
                stopQuietly(agent, server, grace);
            }
        }
    }

    private static void stopQuietly(Agent agent, TunnelServer server, Duration grace) {
        try {
            if (agent != null) {
                agent.stop(grace);
            }
        } catch (RuntimeException e) {
            LOG.debug("agent stop failed", e);
        }
        try {
            server.stop(grace);
        } catch (RuntimeException e) {
            LOG.debug("server stop failed", e);
        }
    }

    static void printBanner(PrintWriter out, URI local, URI base, String token) {
        out.println();
        out.println("wstunnel demo " + Version.get() + " is running, all on 127.0.0.1:");
        out.println("  local service : " + local + "   (/ says hello, /stream sends chunks, /echo echoes a POST)");
        out.println("  tunnel server : " + base + "   (agents connect to ws://" + base.getAuthority() + "/_tunnel)");
        out.println("  agent token   : " + token);
        out.println();
        out.println("These requests go through the tunnel to the local service:");
        out.println("  curl -H 'X-Token: " + token + "' " + base + "/");
        out.println("  curl " + base + "/_token/" + token + "/");
        out.println("  curl -N -H 'X-Token: " + token + "' " + base + "/stream");
        out.println("  curl -H 'X-Token: " + token + "' --data-binary 'hello tunnel' " + base + "/echo");
        out.println("and this one is answered by the server itself:");
        out.println("  curl " + base + "/_health_check");
        out.println();
        out.flush();
    }

    /** One round of requests through the tunnel; prints a line per request; true if all passed. */
    static boolean check(PrintWriter out, URI base, String token) {
        HttpClient client = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5))
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        List<Boolean> results = new ArrayList<>();
        results.add(expect(out, client, "GET / with X-Token",
                HttpRequest.newBuilder(base.resolve("/")).header("X-Token", token), DemoService.HELLO));
        results.add(expect(out, client, "GET /_token/<token>/",
                HttpRequest.newBuilder(base.resolve("/_token/" + token + "/")), DemoService.HELLO));
        results.add(expect(out, client, "POST /echo",
                HttpRequest.newBuilder(base.resolve("/echo")).header("X-Token", token)
                        .header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString("hello tunnel")), "hello tunnel"));
        results.add(expect(out, client, "GET /stream",
                HttpRequest.newBuilder(base.resolve("/stream")).header("X-Token", token),
                "chunk " + DemoService.STREAM_CHUNKS + " of " + DemoService.STREAM_CHUNKS));
        boolean ok = !results.contains(Boolean.FALSE);
        out.println(ok ? "CHECK PASSED: the tunnel works" : "CHECK FAILED");
        out.flush();
        return ok;
    }

    private static boolean expect(PrintWriter out, HttpClient client, String what, HttpRequest.Builder request,
            String expected) {
        long start = System.nanoTime();
        try {
            HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            long ms = (System.nanoTime() - start) / 1_000_000;
            boolean ok = r.statusCode() == 200 && r.body().contains(expected);
            out.printf("  %-4s %-22s -> %d %s (%d ms)%n", ok ? "ok" : "FAIL", what, r.statusCode(),
                    abbreviate(r.body()), ms);
            out.flush();
            return ok;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            out.printf("  %-4s %-22s -> %s%n", "FAIL", what, Main.describe(e));
            out.flush();
            return false;
        }
    }

    private static String abbreviate(String body) {
        String s = Main.oneLine(body);
        return "'" + (s.length() > 70 ? s.substring(0, 67) + "..." : s) + "'";
    }
}
