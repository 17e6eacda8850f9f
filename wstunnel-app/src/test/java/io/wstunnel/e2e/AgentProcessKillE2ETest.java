package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The agent is a separate JVM (the real launcher, {@code wstunnel cli}) killed with SIGKILL: no
 * GOAWAY, no WebSocket close, the OS just drops its sockets. The in-process server must turn that
 * into a visibly broken response for a stream that had its REPLY, a 502 for one that had not (and
 * never send it again, PROTOCOL.md §5), and keep the token's state for the next agent.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentProcessKillE2ETest {

    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private final CountDownLatch holdArrived = new CountDownLatch(1);
    private final AtomicInteger holdCount = new AtomicInteger();

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> {
        http.createContext("/slow", this::slow);
        http.createContext("/hold", ex -> {
            holdCount.incrementAndGet();
            holdArrived.countDown();
            try {
                Thread.sleep(3000);
                respond(ex, "held");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the agent that asked is dead
            } finally {
                ex.close();
            }
        });
        http.createContext("/ok", ex -> respond(ex, "ok " + ex.getRequestURI()));
    }).noAgent();

    private ChildJvm agentJvm;

    private static void respond(HttpExchange ex, String text) throws IOException {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private void slow(HttpExchange ex) {
        try {
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            byte[] kib = new byte[1024];
            for (int i = 0; i < 1000; i++) {
                out.write(kib);
                out.flush();
                slowStarted.countDown();
                Thread.sleep(50);
            }
        } catch (IOException | InterruptedException e) {
            // expected once the agent is gone
        } finally {
            ex.close();
        }
    }

    @BeforeEach
    void startAgentJvm(org.junit.jupiter.api.TestInfo info) throws Exception {
        String name = "agent-kill-cli-" + info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("x");
        agentJvm = ChildJvm.start(name, List.of("-Xmx128m"), "cli",
                "-tunnel", "ws://127.0.0.1:" + tunnel.serverPort(),
                "-server", tunnel.backendUrl(),
                "-token", tunnel.token(),
                "-log-level", "info");
        agentJvm.awaitReady("child agent serves requests", Duration.ofSeconds(40),
                () -> tunnel.client().send(tunnel.callerRequest("/ok?ready").timeout(Duration.ofSeconds(5))
                        .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
    }

    @AfterEach
    void stopAgentJvm() throws InterruptedException {
        if (agentJvm != null) {
            agentJvm.kill();
        }
    }

    @Test
    void killedAgentBreaksTheCallersStreamingResponse() throws Exception {
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (Socket caller = RawHttp.connect(tunnel.serverPort(), 30_000)) {
            RawHttp.send(caller, "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Token: " + tunnel.token(), new byte[0]);
            InputStream in = new BufferedInputStream(caller.getInputStream());
            RawHttp.Response head = RawHttp.readHead(in);
            assertThat(head.status()).isEqualTo(200);
            assertThat(slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(in.read()).as("first body byte").isGreaterThanOrEqualTo(0);

            agentJvm.kill();

            Future<?> rest = reader.submit(() -> {
                RawHttp.readChunked(in, OutputStream.nullOutputStream());
                return "clean end";
            });
            try {
                Object result = rest.get(20, TimeUnit.SECONDS);
                fail("the caller's response ended cleanly (%s) although the agent was killed mid-response", result);
            } catch (TimeoutException e) {
                fail("the caller's response neither ended nor broke within 20 s of the agent's death");
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(IOException.class).isNotInstanceOf(SocketTimeoutException.class);
            }
        } finally {
            TunnelFixture.shutdownAndWait(reader);
        }
    }

    @Test
    void requestInFlightBeforeItsReplyGets502AndIsNeverSentAgain() throws Exception {
        CompletableFuture<HttpResponse<String>> inFlight = tunnel.client().sendAsync(
                tunnel.callerRequest("/hold").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(holdArrived.await(10, TimeUnit.SECONDS)).as("request reached the backend").isTrue();

        agentJvm.kill();

        HttpResponse<String> r = inFlight.get(15, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as("a request that may have been processed fails with 502").isEqualTo(502);

        tunnel.startAgent();
        HttpResponse<String> next = tunnel.callerGet("/ok?next");
        assertThat(next.statusCode()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("ok /ok?next");
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                .until(() -> holdCount.get() == 1);
    }

    @Test
    void requestArrivingAfterTheKillWaitsForTheNextAgent() throws Exception {
        agentJvm.kill();
        Thread.sleep(500); // let the server see the dropped socket

        CompletableFuture<HttpResponse<String>> waiting = tunnel.client().sendAsync(
                tunnel.callerRequest("/ok?gap").GET().build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(1000);
        assertThat(waiting).as("request for a known token with its agent gone waits (got %s)",
                waiting.isDone() ? waiting.getNow(null) : "pending").isNotDone();

        tunnel.startAgent();

        HttpResponse<String> r = waiting.get(20, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok /ok?gap");
    }
}
