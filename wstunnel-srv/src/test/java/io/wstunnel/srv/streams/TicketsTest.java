package io.wstunnel.srv.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TicketsTest {
    static final String TOKEN = "0123456789abcdef-secret";
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final List<String> audit = new ArrayList<>();
    final List<Map<String, Object>> records = new ArrayList<>();
    final Tickets tickets = new Tickets((event, fields) -> {
        audit.add(event);
        records.add(fields);
    }, now::get);

    @Test
    void singleUse() {
        Tickets.Ticket t = tickets.create(TOKEN, Tickets.Type.WEBSOCKET, "/term", Duration.ofSeconds(60), "127.0.0.1:1");
        assertThat(t.path()).startsWith("/_ticket/").endsWith("/term");
        String id = t.id();
        assertThat(id).hasSizeGreaterThanOrEqualTo(32);
        assertThat(tickets.use(id, "/term/shell", true, "10.0.0.1:5"))
                .isEqualTo(new Tickets.Decision.Granted(TOKEN, "/term/shell"));
        assertThat(tickets.use(id, "/term/shell", true, "10.0.0.1:6"))
                .isEqualTo(new Tickets.Decision.Refused("Ticket already used"));
        assertThat(audit).containsExactly("ticket_created", "ticket_used", "ticket_refused");
        assertThat(records.get(1)).containsEntry("remote_addr", "10.0.0.1:5").containsEntry("target_type", "websocket")
                .containsKey("token_id");
        assertThat(records.toString()).doesNotContain(TOKEN).doesNotContain(id);
    }

    @Test
    void expiry() {
        Tickets.Ticket t = tickets.create(TOKEN, Tickets.Type.HTTP, "/", Duration.ofSeconds(30), "admin");
        now.addAndGet(Duration.ofSeconds(31).toNanos());
        assertThat(tickets.use(t.id(), "/x", false, "r")).isEqualTo(new Tickets.Decision.Refused("Ticket expired"));
        now.addAndGet(Tickets.GRACE.toNanos());
        assertThat(tickets.use(t.id(), "/x", false, "r")).isEqualTo(new Tickets.Decision.Refused("Unknown ticket"));
    }

    @Test
    void wrongTargetDoesNotConsume() {
        Tickets.Ticket tcp = tickets.create(TOKEN, Tickets.Type.TCP, "ssh", Duration.ofSeconds(30), "admin");
        assertThat(tickets.use(tcp.id(), "/_tcp/db", true, "r")).isInstanceOf(Tickets.Decision.Refused.class)
                .extracting(d -> ((Tickets.Decision.Refused) d).reason()).asString().contains("not valid for this target")
                .contains("'ssh'");
        assertThat(tickets.use(tcp.id(), "/_tcp/ssh", false, "r")).isInstanceOf(Tickets.Decision.Refused.class);
        assertThat(tickets.use(tcp.id(), "/_tcp/ssh", true, "r")).isEqualTo(new Tickets.Decision.Granted(TOKEN, "/_tcp/ssh"));

        Tickets.Ticket http = tickets.create(TOKEN, Tickets.Type.HTTP, "/api", Duration.ofSeconds(30), "admin");
        assertThat(tickets.use(http.id(), "/apix", false, "r")).isInstanceOf(Tickets.Decision.Refused.class);
        assertThat(tickets.use(http.id(), "/api/x", true, "r")).isInstanceOf(Tickets.Decision.Refused.class);
        assertThat(tickets.use(http.id(), "/_tcp/ssh", false, "r")).isInstanceOf(Tickets.Decision.Refused.class);
        assertThat(tickets.use(http.id(), "/api/x", false, "r")).isInstanceOf(Tickets.Decision.Granted.class);
    }

    @Test
    void badRequests() {
        assertThatThrownBy(() -> tickets.create("", Tickets.Type.HTTP, "/", Duration.ofSeconds(1), "a"))
                .hasMessageContaining("token");
        assertThatThrownBy(() -> tickets.create(TOKEN, Tickets.Type.TCP, "a b", Duration.ofSeconds(1), "a"))
                .hasMessageContaining("name");
        assertThatThrownBy(() -> tickets.create(TOKEN, Tickets.Type.HTTP, "/a/../b", Duration.ofSeconds(1), "a"))
                .hasMessageContaining("pathPrefix");
        assertThatThrownBy(() -> tickets.create(TOKEN, Tickets.Type.HTTP, "/", Duration.ZERO, "a"))
                .hasMessageContaining("ttlSeconds");
        assertThatThrownBy(() -> Tickets.Type.parse("udp")).hasMessageContaining("http, websocket or tcp");
        assertThat(tickets.use("nope", "/", false, "r")).isEqualTo(new Tickets.Decision.Refused("Unknown ticket"));
    }

    @Test
    void dotSegmentsDoNotLeaveThePrefix() {
        Tickets.Ticket http = tickets.create(TOKEN, Tickets.Type.HTTP, "/public", Duration.ofSeconds(30), "admin");
        for (String p : List.of("/public/../private", "/public/%2e%2e/private", "/public/.%2E/private",
                "/public/..;/private", "/public/..%5cprivate", "/public/x%2f..%2f..%2fprivate", "/public/./x")) {
            assertThat(tickets.use(http.id(), p, false, "r")).as(p).isInstanceOf(Tickets.Decision.Refused.class)
                    .extracting(d -> ((Tickets.Decision.Refused) d).reason()).asString().contains("not valid for this target");
        }
        assertThat(tickets.use(http.id(), "/public/a..b/%2e%2ex/.well-known", false, "r"))
                .isEqualTo(new Tickets.Decision.Granted(TOKEN, "/public/a..b/%2e%2ex/.well-known"));

        Tickets.Ticket ws = tickets.create(TOKEN, Tickets.Type.WEBSOCKET, "/term/", Duration.ofSeconds(30), "admin");
        assertThat(tickets.use(ws.id(), "/term/%2E%2E/admin", true, "r")).isInstanceOf(Tickets.Decision.Refused.class);
        assertThat(tickets.use(ws.id(), "/term/shell", true, "r")).isInstanceOf(Tickets.Decision.Granted.class);

        Tickets.Ticket all = tickets.create(TOKEN, Tickets.Type.HTTP, "/", Duration.ofSeconds(30), "admin");
        assertThat(tickets.use(all.id(), "/a/../b", false, "r")).isInstanceOf(Tickets.Decision.Granted.class);
    }

    @Test
    void prefixes() {
        assertThat(Tickets.underPrefix("/a", "/a")).isTrue();
        assertThat(Tickets.underPrefix("/a/b", "/a")).isTrue();
        assertThat(Tickets.underPrefix("/ab", "/a")).isFalse();
        assertThat(Tickets.underPrefix("/a", "/a/")).isTrue();
        assertThat(Tickets.underPrefix("/anything", "/")).isTrue();
    }
}
