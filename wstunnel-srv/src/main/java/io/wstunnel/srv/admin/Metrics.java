package io.wstunnel.srv.admin;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Prometheus metrics through Micrometer. Per-token series carry a {@code token} label (the cut
 * token) for at most {@code maxTokenLabels} tokens — the first that carry traffic — and every other
 * token is counted under {@code token="other"}, so cardinality stays bounded whatever the number of
 * tokens.
 */
final class Metrics implements AutoCloseable {
    static final String OTHER = "other";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final int maxTokenLabels;
    private final ConcurrentHashMap<String, Label> tokenLabels = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Label, TokenMeters> tokenMeters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> byStatusClass = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> rejects = new ConcurrentHashMap<>();
    private final Counter bytesIn;
    private final Counter bytesOut;
    private final Counter agentConnects;
    private final Counter agentReconnects;
    private final Counter agentDisconnects;
    private final Timer duration;
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /** The labels of a token's series: its cut form and its id (both "other" beyond the cap). */
    record Label(String token, String tokenId) {
        static final Label OTHER_LABEL = new Label(OTHER, OTHER);

        io.micrometer.core.instrument.Tags tags() {
            return io.micrometer.core.instrument.Tags.of("token", token, "token_id", tokenId);
        }
    }

    private record TokenMeters(Counter requests, Counter bytesIn, Counter bytesOut) {
    }

    Metrics(int maxTokenLabels, Supplier<Number> tunnels, Supplier<Number> connectedTunnels, Supplier<Number> agents,
            Supplier<Number> inFlight, Supplier<Number> queued, Supplier<Number> blocked) {
        this.maxTokenLabels = maxTokenLabels;
        gauge("wstunnel_tunnels", "Tokens known to the server", tunnels);
        gauge("wstunnel_tunnels_connected", "Tokens with at least one agent connected", connectedTunnels);
        gauge("wstunnel_agents", "Connected agent sockets", agents);
        gauge("wstunnel_requests_in_flight", "Tunnelled requests not yet complete", inFlight);
        gauge("wstunnel_requests_queued", "Requests waiting for an agent stream (all tokens)", queued);
        gauge("wstunnel_tokens_blocked", "Tokens blocked by an administrator", blocked);
        bytesIn = Counter.builder("wstunnel_bytes_in").description("Request body bytes read from callers")
                .register(registry);
        bytesOut = Counter.builder("wstunnel_bytes_out").description("Response body bytes written to callers")
                .register(registry);
        agentConnects = Counter.builder("wstunnel_agent_connects").description("Agent sockets accepted").register(registry);
        agentReconnects = Counter.builder("wstunnel_agent_reconnects")
                .description("Agent sockets accepted for a token that had an agent before").register(registry);
        agentDisconnects = Counter.builder("wstunnel_agent_disconnects").description("Agent sockets closed").register(registry);
        duration = Timer.builder("wstunnel_request_duration").description("Tunnelled request duration, start to last byte")
                .serviceLevelObjectives(ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(2500),
                        ms(5000), ms(10_000), ms(30_000), ms(60_000), ms(300_000))
                .register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        gc.bindTo(registry);
    }

    private static Duration ms(long v) {
        return Duration.ofMillis(v);
    }

    private void gauge(String name, String help, Supplier<Number> s) {
        Gauge.builder(name, s).description(help).strongReference(true).register(registry);
    }

    /** The labels of a token: its own for the first N tokens that carry traffic, "other" after that. */
    Label tokenLabel(String token) {
        Label l = tokenLabels.get(token);
        if (l != null) {
            return l;
        }
        if (tokenLabels.size() >= maxTokenLabels) {
            return Label.OTHER_LABEL;
        }
        return tokenLabels.computeIfAbsent(token, t -> new Label(TokenIds.cut(t), TokenIds.id(t)));
    }

    private TokenMeters token(String token) {
        return tokenMeters.computeIfAbsent(tokenLabel(token), label -> new TokenMeters(
                Counter.builder("wstunnel_token_requests").description("Completed requests per token (capped labels)")
                        .tags(label.tags()).register(registry),
                Counter.builder("wstunnel_token_bytes_in").description("Request body bytes per token (capped labels)")
                        .tags(label.tags()).register(registry),
                Counter.builder("wstunnel_token_bytes_out").description("Response body bytes per token (capped labels)")
                        .tags(label.tags()).register(registry)));
    }

    void bytesIn(String token, long n) {
        bytesIn.increment(n);
        token(token).bytesIn().increment(n);
    }

    void bytesOut(String token, long n) {
        bytesOut.increment(n);
        token(token).bytesOut().increment(n);
    }

    /** @param millis the request's duration, or -1 for a byte stream (lifetimes are no latencies: not recorded) */
    void completed(String token, int status, long millis) {
        String cls = status >= 100 && status < 600 ? (status / 100) + "xx" : "other";
        byStatusClass.computeIfAbsent(cls, c -> Counter.builder("wstunnel_requests")
                .description("Completed tunnelled requests by status class (499 = caller went away)")
                .tag("status_class", c).register(registry)).increment();
        token(token).requests().increment();
        if (millis >= 0) {
            duration.record(Duration.ofMillis(millis));
        }
    }

    void reject(String reason) {
        rejects.computeIfAbsent(reason, r -> Counter.builder("wstunnel_rejects")
                .description("Refused agents, callers and admin requests by reason").tag("reason", r)
                .register(registry)).increment();
    }

    void agentConnected(boolean reconnect) {
        agentConnects.increment();
        if (reconnect) {
            agentReconnects.increment();
        }
    }

    void agentDisconnected() {
        agentDisconnects.increment();
    }

    String scrape() {
        return registry.scrape();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
