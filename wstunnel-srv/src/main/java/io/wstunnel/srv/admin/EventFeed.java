package io.wstunnel.srv.admin;

import io.undertow.server.HttpServerExchange;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operator events (agent_connected, token_blocked, ...): each goes to the audit log, to the live
 * /admin/events subscribers and into a ring of the last {@value #RECENT_EVENTS} that a new subscriber
 * gets first. The ring is guarded by itself; the stream does its own locking.
 */
final class EventFeed {
    private static final Logger log = LoggerFactory.getLogger(AdminHub.class); // the category operators know
    private static final int RECENT_EVENTS = 100;

    private final AuditLog.Sink audit;
    private final EventStream stream = new EventStream();
    private final ArrayDeque<String> recent = new ArrayDeque<>(); // guarded by itself

    EventFeed(AuditLog.Sink audit) {
        this.audit = audit;
    }

    /** Audit record + SSE event + recent-events ring. */
    void publish(String type, Map<String, Object> fields) {
        audit.write(type, fields);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", Instant.now().toString());
        e.put("type", type);
        e.putAll(fields);
        String json;
        try {
            json = AdminHub.JSON.writeValueAsString(e);
        } catch (Exception ex) {
            log.warn("cannot encode event {}: {}", type, ex.toString());
            return;
        }
        String frame = EventStream.format(type, json);
        synchronized (recent) {
            if (recent.size() >= RECENT_EVENTS) {
                recent.pollFirst();
            }
            recent.addLast(frame);
        }
        stream.publish(type, json);
    }

    List<String> recentEvents() {
        synchronized (recent) {
            return new ArrayList<>(recent);
        }
    }

    /** Streams events to {@code exchange}, the recent ones first. */
    void subscribe(HttpServerExchange exchange) {
        stream.subscribe(exchange, recentEvents());
    }

    /** Keeps idle event streams open through proxies. */
    void heartbeat() {
        stream.heartbeat();
    }

    void closeAll() {
        stream.closeAll();
    }
}
