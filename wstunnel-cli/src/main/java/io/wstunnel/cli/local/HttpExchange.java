package io.wstunnel.cli.local;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.net.LocalFailure;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.ExchangeStream;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RedactedTarget;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.nio.support.BasicRequestProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tunnelled HTTP request forwarded to the local service.
 *
 * <p>Phases move WAITING_HEAD → STREAMING → DONE (or straight to DONE) by compare-and-set only, so
 * exactly one of "reply 502", "reset UPSTREAM_ERROR", "completed" and "cancelled" wins. No lock is
 * held while calling HttpClient or the relay.
 */
final class HttpExchange implements StreamHandler {
    private static final Logger log = LoggerFactory.getLogger(HttpExchange.class);
    private static final List<String> NOT_FORWARDED = List.of("X-Host", "Host", "Content-Length", "Transfer-Encoding");

    enum Phase { WAITING_HEAD, STREAMING, DONE }

    private final AgentConfig config;
    private final CloseableHttpAsyncClient client;
    private final ScheduledExecutorService scheduler;
    private final RequestHead head;
    private final boolean endStream;
    private final ExchangeStream stream;
    private final ResponseRelay relay;
    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.WAITING_HEAD);
    private volatile RequestBodyProducer body;
    private volatile Future<Void> future;
    private volatile ScheduledFuture<?> headTimer;
    private final HttpClientContext context = HttpClientContext.create();
    private final java.util.concurrent.Executor launcher;
    private volatile boolean completed;
    private String url;
    /** {@link #url} as log lines show it: query values replaced ({@link RedactedTarget}). */
    private String shownUrl;

    HttpExchange(AgentConfig config, CloseableHttpAsyncClient client, org.apache.hc.client5.http.config.RequestConfig requestConfig,
            ScheduledExecutorService scheduler, java.util.concurrent.Executor launcher, RequestHead head, boolean endStream,
            ExchangeStream stream) {
        this.config = config;
        context.setRequestConfig(requestConfig);
        this.launcher = launcher;
        this.client = client;
        this.scheduler = scheduler;
        this.head = head;
        this.endStream = endStream;
        this.stream = stream;
        this.relay = new ResponseRelay(stream, this);
    }

    void start() {
        Target target = Target.resolve(head.headers().first("X-Host"), config.server(), config.hostPattern(), head.target());
        if (target instanceof Target.Refuse r) {
            phase.set(Phase.DONE);
            log.info("Stream {}: {} {} refused: {}", stream.id(), head.method(), RedactedTarget.of(head.target()), r.message());
            replyText(r.status(), r.message());
            return;
        }
        Target.Forward f = (Target.Forward) target;
        url = f.url();
        shownUrl = RedactedTarget.of(url);
        BasicHttpRequest request = new BasicHttpRequest(head.method(), new HttpHost(f.scheme(), f.host(), f.port()), f.path());
        for (Header h : head.headers().withoutHopByHop().without(NOT_FORWARDED).fields()) {
            request.addHeader(h.name(), h.value());
        }
        long length = contentLength(head.headers());
        if (!endStream || length >= 0) {
            body = new RequestBodyProducer(stream, length, endStream);
        }
        log.debug("Stream {}: {} {}", stream.id(), head.method(), shownUrl);
        headTimer = scheduler.schedule(this::headTimeout, config.localResponseTimeout().toMillis(), TimeUnit.MILLISECONDS);
        // HttpClient resolves host names on the calling thread: keep that off the tunnel's reader thread,
        // unless the host is an address literal (nothing to resolve; saves a thread hop per request).
        // Body DATA arriving meanwhile waits in the producer (bounded by our window).
        if (isAddressLiteral(f.host())) {
            launch(request);
        } else {
            launcher.execute(() -> launch(request));
        }
    }

    static boolean isAddressLiteral(String host) {
        if (host.indexOf(':') >= 0) {
            return true; // IPv6
        }
        int dots = 0;
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return dots == 3;
    }

    private void launch(BasicHttpRequest request) {
        if (phase.get() != Phase.WAITING_HEAD) {
            return; // reset or timed out before it started
        }
        try {
            future = client.execute(new BasicRequestProducer(request, body), relay, null, context, new FutureCallback<>() {
                @Override public void completed(Void v) { }
                @Override public void failed(Exception e) { fail(e); }
                @Override public void cancelled() { }
            });
        } catch (RuntimeException e) {
            fail(e);
            return;
        }
        if (phase.get() == Phase.DONE && !completed) {
            abortLocal(); // a reset or timeout raced with the launch
        }
    }

    // ---------------------------------------------------------------- from the tunnel (reader thread)

    @Override
    public void onData(ByteBuffer payload, boolean end) {
        RequestBodyProducer b = body;
        if (b != null) {
            b.offer(payload, end);
        } else {
            stream.consumed(payload.remaining()); // no body expected or refused: drop, keep the server unblocked
        }
    }

    @Override
    public void onWindowUpdate() {
        relay.pump();
    }

    @Override
    public void onReset(ErrorCode code, String reason) {
        Phase was = phase.getAndSet(Phase.DONE);
        cancelTimer();
        if (was != Phase.DONE) {
            // Only while the exchange runs: afterwards its connection may be back in the pool.
            log.debug("Stream {}: reset ({} {}), cancelling {}", stream.id(), code, reason, shownUrl);
            abortLocal();
        }
        discardBody();
    }

    /** Cancels the local exchange and closes its connection, so the local service sees the caller go. */
    private void abortLocal() {
        Future<Void> f = future;
        if (f != null) {
            f.cancel(true);
        }
        AbortableConnections.abort(context);
    }

    // ---------------------------------------------------------------- from the relay / HttpClient

    /** The response head arrived: @return false if the exchange is already over (head timeout, reset). */
    boolean headArrived() {
        boolean ok = phase.compareAndSet(Phase.WAITING_HEAD, Phase.STREAMING);
        cancelTimer();
        return ok;
    }

    /** The whole response went out. */
    void completed() {
        completed = true;
        phase.set(Phase.DONE);
        cancelTimer();
        RequestBodyProducer b = body;
        if (b != null && b.discard()) {
            // The local service answered before taking the whole body. Its connection can carry
            // nothing more (the request is unfinished), and HttpClient would hold it, waiting for
            // body bytes that no longer come: close it.
            log.debug("Stream {}: response complete before the request body, closing the connection to {}", stream.id(), shownUrl);
            AbortableConnections.abort(context);
        }
    }

    void fail(Throwable t) {
        Phase was = phase.getAndSet(Phase.DONE);
        cancelTimer();
        io.wstunnel.cli.net.DeniedAddressException denied = io.wstunnel.cli.net.DeniedAddressException.find(t);
        if (was == Phase.WAITING_HEAD && denied != null) {
            // -deny: refused before any connection; the address stays in the agent's log, not in the answer
            String xHost = head.headers().first("X-Host");
            String msg = xHost != null
                    ? "X-Host target " + denied.host() + " resolves to a denied address (wstunnel cli -deny)"
                    : "target " + denied.host() + " resolves to a denied address (wstunnel cli -deny)";
            log.info("Stream {}: {} refused: {}", stream.id(), shownUrl, denied.getMessage());
            replyText(403, msg);
        } else if (was == Phase.WAITING_HEAD) {
            String why = LocalFailure.describe(t);
            log.info("Stream {}: wstunnel cli: cannot reach {}: {}", stream.id(), shownUrl, why);
            replyText(502, "wstunnel cli: cannot reach " + url + ": " + why);
        } else if (was == Phase.STREAMING) {
            log.info("Stream {}: {} failed after the response head: {}", stream.id(), shownUrl, LocalFailure.describe(t));
            stream.reset(ErrorCode.UPSTREAM_ERROR, "local response failed: " + LocalFailure.describe(t));
        }
        discardBody();
    }

    private void headTimeout() {
        if (!phase.compareAndSet(Phase.WAITING_HEAD, Phase.DONE)) {
            return;
        }
        abortLocal();
        String why = "no response within " + config.localResponseTimeout().toMillis() + " ms";
        log.info("Stream {}: wstunnel cli: cannot reach {}: {}", stream.id(), shownUrl, why);
        replyText(502, "wstunnel cli: cannot reach " + url + ": " + why);
        discardBody();
    }

    /** A response to HEAD carries the GET's Content-Length and no body (PROTOCOL.md §3.3). */
    private void replyText(int status, String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        Headers h = io.wstunnel.cli.tunnel.AgentResponse.textHeaders(bytes.length);
        relay.sendLocal(new ResponseHead(status, status == 403 ? "Forbidden" : "Bad Gateway", h),
                "HEAD".equals(head.method()) ? new byte[0] : bytes);
    }

    private void cancelTimer() {
        ScheduledFuture<?> t = headTimer;
        if (t != null) {
            t.cancel(false);
        }
    }

    private void discardBody() {
        RequestBodyProducer b = body;
        if (b != null) {
            b.discard();
        }
    }

    private static long contentLength(Headers headers) {
        String v = headers.first("Content-Length");
        if (v == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(v.trim());
            return n >= 0 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
