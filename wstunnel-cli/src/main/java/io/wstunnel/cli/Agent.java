package io.wstunnel.cli;

import io.wstunnel.cli.local.LocalForwarder;
import io.wstunnel.cli.net.JdkClientProperties;
import io.wstunnel.cli.net.TunnelDialer;
import io.wstunnel.cli.tunnel.Connector;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: keeps a tunnel to the server open and forwards the requests it carries to
 * local services. Threads: one scheduler thread (timers, reconnects, writer wake-ups), the JDK
 * WebSocket client's executor (frame reading), a pool starting local requests (HttpClient resolves
 * names on the caller's thread), HttpClient 5's I/O reactor (local traffic). All
 * are daemon threads and all are shut down by {@link #stop}.
 */
public final class Agent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final Connector connector;
    private final LocalForwarder local;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ExecutorService wsExecutor;
    private final ExecutorService localExecutor;
    private final AtomicBoolean stopped = new AtomicBoolean();

    static {
        // Before the JDK client is first used: it reads some of these only once.
        JdkClientProperties.apply();
    }

    private Agent(AgentConfig config) {
        scheduler = new ScheduledThreadPoolExecutor(1, daemon("wstunnel-agent"));
        scheduler.setRemoveOnCancelPolicy(true);
        wsExecutor = Executors.newCachedThreadPool(daemon("wstunnel-ws"));
        // Starts local requests whose host needs a DNS lookup. Few threads: many would only contend on
        // HttpClient's reactor; the queue is bounded by the streams the agent accepts.
        ThreadPoolExecutor launcher = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), daemon("wstunnel-local"));
        launcher.allowCoreThreadTimeOut(true);
        localExecutor = launcher;
        try {
            TunnelDialer dialer = new TunnelDialer(config, wsExecutor);
            local = new LocalForwarder(config, scheduler, localExecutor);
            connector = new Connector(config, dialer, local, scheduler);
        } catch (RuntimeException e) {
            scheduler.shutdownNow();
            wsExecutor.shutdownNow();
            localExecutor.shutdownNow();
            throw e;
        }
    }

    /** Starts dialing the server in the background (reconnecting forever) and returns at once. */
    public static Agent start(AgentConfig config) {
        Agent agent = new Agent(config);
        log.info("Agent starting: tunnel {}, target {}", TunnelDialer.tunnelUri(config.tunnel()),
                config.server() == null ? "(X-Host only)" : AgentConfig.redact(config.server()));
        agent.connector.start();
        return agent;
    }

    /** True while a tunnel socket is open and its HELLO exchange is done. */
    public boolean isConnected() {
        return connector.isConnected();
    }

    /** Waits until connected; false on timeout. */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        return connector.awaitConnected(timeout);
    }

    /** Graceful stop: accept no new streams, let in-flight ones finish within {@code grace}, close. */
    public void stop(Duration grace) {
        if (!stopped.compareAndSet(false, true)) {
            return;
        }
        log.info("Agent stopping (grace {})", grace);
        try {
            connector.stop(grace);
        } finally {
            local.close();
            scheduler.shutdownNow();
            wsExecutor.shutdownNow();
            localExecutor.shutdownNow();
            try {
                scheduler.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
