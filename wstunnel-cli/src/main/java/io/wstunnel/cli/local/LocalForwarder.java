package io.wstunnel.cli.local;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.net.TlsContexts;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.StreamHandlerFactory;
import io.wstunnel.cli.tunnel.TunnelStream;
import io.wstunnel.protocol.RequestHead;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManager;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.HostnameVerificationPolicy;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.http.nio.ssl.TlsStrategy;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local side: one Apache HttpClient 5 async client shared by all streams, configured as a
 * transparent forwarder (no redirects, no content (de)compression, no retries, no cookies, HTTP/1.1,
 * no socket read timeout so long-lived bodies survive; the response-head timeout is per exchange).
 */
public final class LocalForwarder implements StreamHandlerFactory, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalForwarder.class);

    /** Most fields in a local response head (HttpClient: "Maximum header count exceeded", a 502). */
    static final int MAX_RESPONSE_FIELDS = 200;
    /** Longest line of a local response head (HttpClient: "Maximum line length limit exceeded", a 502). */
    static final int MAX_RESPONSE_LINE = 32 * 1024;

    private final AgentConfig config;
    private final ScheduledExecutorService scheduler;
    private final Executor launcher;
    private final CloseableHttpAsyncClient client;
    private final RequestConfig requestConfig;

    /** @param launcher runs request starts (which may block on DNS), off the tunnel's reader thread */
    public LocalForwarder(AgentConfig config, ScheduledExecutorService scheduler, Executor launcher) {
        this.config = config;
        this.scheduler = scheduler;
        this.launcher = launcher;
        int streams = config.settings().maxConcurrentStreams();
        // -deny: every address a local connection could go to (names, literals, rebinding) is checked at connect time
        io.wstunnel.cli.net.AddressPolicy policy = io.wstunnel.cli.net.AddressPolicy.forAgent(config);
        log.info("Local targets: {}", policy);
        PoolingAsyncClientConnectionManager cm = PoolingAsyncClientConnectionManagerBuilder.create()
                .setDnsResolver(new io.wstunnel.cli.net.GuardedDnsResolver(policy))
                .setTlsStrategy(tlsStrategy())
                .setMaxConnTotal(streams)
                .setMaxConnPerRoute(streams)
                .setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build())
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(config.localConnectTimeout()))
                        .setSocketTimeout(Timeout.DISABLED)
                        .build())
                .build();
        // The minimal client: no classic exec chain (redirects, retries, cookies, auth, compression are
        // all off anyway); per-request settings come from REQUEST_CONFIG in each exchange's context.
        this.client = HttpAsyncClients.createMinimal(
                org.apache.hc.core5.http2.config.H2Config.DEFAULT,
                // 64 KiB reads: a bulk response crosses the tunnel in a few large DATA frames, not many 8 KiB ones.
                // Response heads: the server's limits on request heads (200 fields, -max-header-bytes' 32 KiB a
                // line), not HttpClient's 100 fields / 8 KiB lines; a head parsed here holds at most 6.4 MiB.
                org.apache.hc.core5.http.config.Http1Config.custom().setBufferSize(64 * 1024)
                        .setMaxHeaderCount(MAX_RESPONSE_FIELDS).setMaxLineLength(MAX_RESPONSE_LINE).build(),
                IOReactorConfig.custom()
                        .setIoThreadCount(Math.min(2, Runtime.getRuntime().availableProcessors()))
                        .setSoTimeout(Timeout.DISABLED)
                        .build(),
                new AbortableConnections(cm));
        this.requestConfig = RequestConfig.custom()
                .setRedirectsEnabled(false)
                .setContentCompressionEnabled(false)
                .setResponseTimeout(Timeout.DISABLED)
                .setConnectionRequestTimeout(Timeout.of(config.localResponseTimeout()))
                .build();
        client.start();
    }

    private TlsStrategy tlsStrategy() {
        ClientTlsStrategyBuilder b = ClientTlsStrategyBuilder.create();
        if (config.insecure() || config.certFile() != null) {
            b.setSslContext(TlsContexts.create(config.insecure(), config.certFile()));
        }
        if (config.insecure()) {
            // the one loud warning is TunnelDialer.insecureWarning, logged at start
            b.setHostVerificationPolicy(HostnameVerificationPolicy.CLIENT);
            b.setHostnameVerifier(NoopHostnameVerifier.INSTANCE);
        }
        return b.buildAsync();
    }

    @Override
    public StreamHandler open(RequestHead head, boolean endStream, TunnelStream stream) {
        return openHttp(head, endStream, stream);
    }

    /** A legacy-framed request (cli.legacy): always plain HTTP, same local side and rules as v2. */
    @Override
    public StreamHandler openHttp(RequestHead head, boolean endStream, io.wstunnel.cli.tunnel.ExchangeStream stream) {
        HttpExchange x = new HttpExchange(config, client, requestConfig, scheduler, launcher, head, endStream, stream);
        x.start();
        return x;
    }

    @Override
    public void close() {
        // A graceful start avoids the reactor logging ClosedSelectorExceptions; in-flight exchanges were
        // already given their grace by the tunnel, so what is left is cut short.
        client.initiateShutdown();
        try {
            client.awaitShutdown(TimeValue.ofMilliseconds(500));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close(CloseMode.IMMEDIATE);
    }
}
