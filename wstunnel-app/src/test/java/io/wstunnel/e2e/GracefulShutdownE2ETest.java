package io.wstunnel.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** server.stop(grace): in-flight requests finish, new ones are refused (503 or no connection). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GracefulShutdownE2ETest {

    private final CountDownLatch slowArrived = new CountDownLatch(1);

    @RegisterExtension
    final TunnelFixture tunnel = TunnelFixture.withJdkBackend(http -> http.createContext("/slow", ex -> {
        slowArrived.countDown();
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        byte[] body = "finished after 1 s".getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }));

    @Test
    void inFlightRequestCompletesAndNewRequestIsRefusedDuringShutdown() throws Exception {
        CompletableFuture<HttpResponse<String>> inFlight = tunnel.client().sendAsync(
                tunnel.callerRequest("/slow").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(slowArrived.await(10, TimeUnit.SECONDS)).as("slow request reached the backend").isTrue();

        CompletableFuture<Void> stopping = CompletableFuture.runAsync(
                () -> tunnel.tunnelServer().stop(Duration.ofSeconds(10)));
        Thread.sleep(200);

        // A new request while the server is shutting down (the slow one is still running).
        try {
            HttpResponse<String> late = tunnel.client().send(
                    tunnel.callerRequest("/late").timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(late.statusCode()).as("a request arriving during shutdown").isEqualTo(503);
            System.out.println("request during shutdown: 503 " + late.body());
        } catch (ConnectException refused) {
            // acceptable: the listener is already closed
            System.out.println("request during shutdown: connection refused");
        } catch (IOException other) {
            fail("a request during shutdown should get 503 or a refused connection, not %s", other.toString());
        }

        HttpResponse<String> r;
        try {
            r = inFlight.get(15, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("the in-flight request failed during the graceful stop", e.getCause());
        }
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("finished after 1 s");
        stopping.get(15, TimeUnit.SECONDS);
    }
}
