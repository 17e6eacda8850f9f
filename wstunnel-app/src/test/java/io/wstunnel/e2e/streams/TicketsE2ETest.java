package io.wstunnel.e2e.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One-time tickets: POST /admin/tickets, then /_ticket/&lt;id&gt;/... once. */
@Timeout(60)
class TicketsE2ETest {
    static final String ADMIN_TOKEN = "admin-token-for-tickets";
    static final ObjectMapper JSON = new ObjectMapper();
    static StreamsFixture f;
    static Path auditLog;

    @BeforeAll
    static void start() throws Exception {
        auditLog = Files.createTempDirectory("tickets-audit").resolve("audit.jsonl");
        f = new StreamsFixture(s -> s.auditLog(auditLog.toString()).adminToken(ADMIN_TOKEN), a -> a);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    static JsonNode create(String body) throws Exception {
        HttpResponse<String> r = f.client.send(HttpRequest.newBuilder(URI.create(f.http() + "/admin/tickets"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return JSON.readTree(r.body());
    }

    static WebSocketHandshakeException refused(String url) {
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> f.client.newWebSocketBuilder()
                .buildAsync(URI.create(url), new StreamsFixture.Client(true)).join());
        assertThat(t).isInstanceOf(CompletionException.class).cause().isInstanceOf(WebSocketHandshakeException.class);
        return (WebSocketHandshakeException) t.getCause();
    }

    @Test
    void websocketTicketIsSingleUseAndAudited() throws Exception {
        JsonNode t = create("{\"token\":\"" + f.token + "\",\"target\":{\"type\":\"websocket\",\"pathPrefix\":\"/echo\"},"
                + "\"ttlSeconds\":60}");
        String url = t.get("url").asText();
        assertThat(url).startsWith("ws://127.0.0.1:" + f.server.port() + "/_ticket/").endsWith("/echo");
        assertThat(t.toString()).doesNotContain(f.token);
        StreamsFixture.Client c = new StreamsFixture.Client(true);
        WebSocket ws = f.client.newWebSocketBuilder().buildAsync(URI.create(url), c).join();
        ws.sendText("via ticket", true).join();
        assertThat(c.messages.poll(10, TimeUnit.SECONDS)).isEqualTo("via ticket");
        ws.sendClose(1000, "").join();

        WebSocketHandshakeException again = refused(url);
        assertThat(again.getResponse().statusCode()).isEqualTo(401);
        assertThat((String) again.getResponse().body()).contains("Ticket already used");

        String id = url.substring(url.indexOf("/_ticket/") + 9, url.indexOf("/_ticket/") + 15);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String audit = Files.exists(auditLog) ? Files.readString(auditLog) : "";
            assertThat(audit).contains("\"ticket_created\"").contains("\"ticket_used\"").contains("\"ticket_refused\"")
                    .contains(id).contains("Ticket already used").doesNotContain(f.token);
        });
    }

    @Test
    void tcpTicketAndWrongTarget() throws Exception {
        JsonNode t = create("{\"token\":\"" + f.token + "\",\"target\":{\"type\":\"tcp\",\"name\":\"echo\"},\"ttlSeconds\":60}");
        String url = t.get("url").asText();
        assertThat(url).endsWith("/_tcp/echo");
        // wrong target: another TCP name, or plain HTTP → 401 and the ticket stays usable
        WebSocketHandshakeException wrong = refused(url.replace("/_tcp/echo", "/_tcp/closed"));
        assertThat(wrong.getResponse().statusCode()).isEqualTo(401);
        assertThat((String) wrong.getResponse().body()).contains("not valid for this target");
        HttpResponse<String> plain = f.client.send(HttpRequest.newBuilder(URI.create(url.replace("ws://", "http://"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(401);

        StreamsFixture.Client c = new StreamsFixture.Client(true);
        WebSocket ws = f.client.newWebSocketBuilder().buildAsync(URI.create(url), c).join();
        ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).join();
        assertThat((byte[]) c.messages.poll(10, TimeUnit.SECONDS)).containsExactly(1, 2, 3);
        ws.sendClose(1000, "").join();
    }

    @Test
    void expiredTicket() throws Exception {
        JsonNode t = create("{\"token\":\"" + f.token + "\",\"target\":{\"type\":\"http\",\"pathPrefix\":\"/\"},\"ttlSeconds\":1}");
        Thread.sleep(1300);
        HttpResponse<String> r = f.client.send(HttpRequest.newBuilder(URI.create(t.get("url").asText() + "x")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("Ticket expired");
    }

    @Test
    void httpTicketLetsOneRequestThrough() throws Exception {
        JsonNode t = create("{\"token\":\"" + f.token + "\",\"target\":{\"type\":\"http\",\"pathPrefix\":\"/nows\"},\"ttlSeconds\":30}");
        String url = t.get("url").asText();
        HttpResponse<String> first = f.client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(403); // the backend's own answer
        assertThat(first.body()).isEqualTo("no websocket here");
        HttpResponse<String> second = f.client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(second.statusCode()).isEqualTo(401);
        assertThat(second.body()).contains("Ticket already used");
    }

    @Test
    void creationNeedsAdminAuthAndAValidBody() throws Exception {
        String body = "{\"token\":\"" + f.token + "\",\"target\":{\"type\":\"tcp\",\"name\":\"echo\"}}";
        // A DNS name in Host from loopback without the admin token: refused (as every admin endpoint).
        assertThat(rawPost("tickets.example", null, body)).startsWith("HTTP/1.1 403");
        assertThat(rawPost("tickets.example", "Bearer wrong", body)).startsWith("HTTP/1.1 403");
        assertThat(rawPost("tickets.example", "Bearer " + ADMIN_TOKEN, body)).startsWith("HTTP/1.1 201");
        HttpResponse<String> bad = f.client.send(HttpRequest.newBuilder(URI.create(f.http() + "/admin/tickets"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"x\",\"target\":{\"type\":\"udp\"}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("http, websocket or tcp");
        assertThatThrownBy(() -> create("not json")).isInstanceOf(AssertionError.class);
    }

    static String rawPost(String host, String authorization, String body) throws Exception {
        try (Socket s = new Socket("127.0.0.1", f.server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            out.write(("POST /admin/tickets HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
                    + (authorization == null ? "" : "Authorization: " + authorization + "\r\n")
                    + "Content-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
