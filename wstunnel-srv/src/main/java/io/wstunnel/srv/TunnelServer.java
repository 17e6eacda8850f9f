package io.wstunnel.srv;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import io.wstunnel.srv.agent.AgentEndpoint;
import io.wstunnel.srv.agent.V2Session;
import io.wstunnel.srv.http.RequestLog;
import io.wstunnel.srv.http.Router;
import io.wstunnel.srv.tunnel.CallerStream;
import io.wstunnel.srv.tunnel.TokenRegistry;
import io.wstunnel.srv.tunnel.Tunnel;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.Options;

/** The running server: one Undertow listener for callers and agents alike. */
public final class TunnelServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TunnelServer.class);

    private final ServerConfig config;
    private final TokenRegistry registry;
    private final io.wstunnel.srv.admin.AdminHub admin;
    private final RequestLog requestLog;
    private final Set<V2Session> sessions = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService housekeeping;
    private volatile boolean shuttingDown;
    private volatile io.wstunnel.srv.http.MainListener listener;
    private Undertow adminUndertow;
    private int adminPort = -1;
    private int port;
    private io.wstunnel.srv.auth.PasswordStore passwordStore;
    private io.wstunnel.srv.tls.ServerTls tls;

    private TunnelServer(ServerConfig config) {
        this.config = config;
        this.admin = new io.wstunnel.srv.admin.AdminHub(config);
        this.registry = new TokenRegistry(config.maxRequestsPerTunnel(), config.maxClientsPerToken(),
                config.limits().maxTunnels(), admin, config.reconnectGrace(), System::nanoTime);
        admin.attach(registry);
        this.requestLog = new RequestLog(admin);
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wstunnel-srv-housekeeping");
            t.setDaemon(true);
            return t;
        });
    }

    /** Binds and starts serving; returns once the port is bound. */
    public static TunnelServer start(ServerConfig config) {
        TunnelServer s = new TunnelServer(config);
        s.startUndertow();
        return s;
    }

    private void startUndertow() {
        passwordStore = io.wstunnel.srv.auth.PasswordStore.load(config.passwords(), config.passwordsFile());
        tls = config.tls().enabled() ? io.wstunnel.srv.tls.ServerTls.load(config.tls()) : null;
        io.wstunnel.srv.auth.AgentAuth auth = new io.wstunnel.srv.auth.AgentAuth(passwordStore,
                tls == null ? null : tls::agentCertificates);
        AgentEndpoint agents = new AgentEndpoint(config, auth, registry, () -> shuttingDown, new AgentEndpoint.SessionTracker() {
            @Override
            public void opened(V2Session s) {
                sessions.add(s);
            }

            @Override
            public void closed(V2Session s) {
                sessions.remove(s);
            }

            @Override
            public void refusedLate(String token, String remote, int status) {
                admin.agentRefusedLate(token, remote, status);
            }
        });
        boolean separateAdmin = !config.adminListen().isEmpty();
        Router router = new Router(config, registry, admin.observeAgents(agents), () -> shuttingDown, requestLog,
                new io.wstunnel.srv.admin.AdminHandler(admin, !separateAdmin));
        int ioThreads = Math.max(2, Runtime.getRuntime().availableProcessors());
        org.xnio.OptionMap.Builder serverOptions = org.xnio.OptionMap.builder()
                .set(UndertowOptions.MAX_ENTITY_SIZE, 0L) // bodies stream; 0 = no limit
                .set(UndertowOptions.RECORD_REQUEST_START_TIME, false);
        org.xnio.OptionMap.Builder socketOptions = org.xnio.OptionMap.builder().set(Options.TCP_NODELAY, true);
        io.wstunnel.srv.limits.ListenerLimits.apply(serverOptions, socketOptions, config);
        if (tls != null) {
            io.wstunnel.srv.tls.TlsListener.apply(serverOptions, socketOptions, tls);
        }
        io.wstunnel.srv.http.HeadGuard.Registry guards = new io.wstunnel.srv.http.HeadGuard.Registry();
        HttpHandler root = new HttpContinueReadHandler(new io.wstunnel.srv.limits.CallerGate(config.limits(), admin, router,
                new io.wstunnel.srv.admin.ClientAddress(config.trustedProxies())::isTrusted, guards));
        listener = io.wstunnel.srv.http.MainListener.start(config.host(), config.port(), ioThreads, ioThreads * 2,
                serverOptions.getMap(), socketOptions.getMap(), tls == null ? null : tls.sslContext(), root, guards);
        if (config.reloadInterval().toMillis() > 0) {
            long every = config.reloadInterval().toMillis();
            housekeeping.scheduleWithFixedDelay(this::reloadFiles, every, every, TimeUnit.MILLISECONDS);
        }
        port = listener.address().getPort();
        if (separateAdmin) {
            InetSocketAddress at = io.wstunnel.srv.admin.AdminHandler.parseListen(config.adminListen());
            adminUndertow = Undertow.builder()
                    .addHttpListener(at.getPort(), at.getHostString())
                    .setIoThreads(1)
                    .setWorkerThreads(2)
                    .setServerOption(UndertowOptions.BUFFER_PIPELINED_DATA, false) // as on the main listener
                    .setHandler(new io.wstunnel.srv.admin.AdminHandler(admin, true))
                    .build();
            adminUndertow.start();
            adminPort = ((InetSocketAddress) adminUndertow.getListenerInfo().get(0).getAddress()).getPort();
            log.info("wstunnel srv admin endpoints on {}:{}", at.getHostString(), adminPort);
        }
        long sweepMs = Math.max(1000, Math.min(60_000, config.tokenIdleTimeout().toMillis() / 4));
        housekeeping.scheduleWithFixedDelay(() -> registry.sweep(config.tokenIdleTimeout(),
                c -> c.fail(404, TokenRegistry.UNKNOWN_TOKEN_TEXT)), sweepMs, sweepMs, TimeUnit.MILLISECONDS);
        // Queued requests fail within a quarter of the grace (at most 1 s) once it has passed.
        long agentlessMs = Math.max(100, Math.min(1000, config.reconnectGrace().toMillis() / 4));
        housekeeping.scheduleWithFixedDelay(registry::failAgentless, agentlessMs, agentlessMs, TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(admin::heartbeat, 15, 15, TimeUnit.SECONDS);
        log.info("wstunnel srv listening on {}://{}:{}{}", tls == null ? "http" : "https", config.host(), port,
                config.basePath().isEmpty() ? "" : " base path " + config.basePath());
    }

    /** Re-reads the TLS files and the passwords file when they changed (see ServerTls, PasswordStore). */
    private void reloadFiles() {
        try {
            if (tls != null) {
                io.wstunnel.srv.http.MainListener l = listener;
                tls.reloadIfChanged(ctx -> {
                    if (l != null) {
                        l.updateSslContext(ctx);
                    }
                });
            }
            passwordStore.reloadIfChanged();
        } catch (RuntimeException e) {
            log.warn("reloading TLS/password files failed", e);
        }
    }

    /** The TLS material served, or null without native TLS. */
    public io.wstunnel.srv.tls.ServerTls tls() {
        return tls;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return port;
    }

    /** The bound port of the separate admin listener, or -1 when there is none. */
    public int adminPort() {
        return adminPort;
    }

    public ServerConfig config() {
        return config;
    }

    /** Tunnelled requests in flight. */
    public int inFlight() {
        return requestLog.inFlight();
    }

    /** Connected agent sockets. */
    public int agents() {
        return sessions.size();
    }

    /**
     * Graceful stop: refuse new requests (503), let in-flight ones finish within {@code grace},
     * then close agent sockets with 1001 going away and unbind. Idempotent.
     */
    public synchronized void stop(Duration grace) {
        if (listener == null) {
            return;
        }
        shuttingDown = true;
        log.info("wstunnel srv stopping: {} requests in flight, grace {} s", inFlight(), grace.toSeconds());
        for (Tunnel t : registry.all()) {
            for (CallerStream c : t.drainQueue()) {
                c.fail(503, "Server is shutting down");
            }
        }
        long deadline = System.nanoTime() + grace.toNanos();
        while (inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (V2Session s : sessions) {
            s.goAway("server shutting down");
        }
        long closeDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!sessions.isEmpty() && System.nanoTime() < closeDeadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (V2Session s : sessions) {
            s.abort("server stopped");
        }
        housekeeping.shutdownNow();
        listener.stop();
        listener = null;
        if (adminUndertow != null) {
            adminUndertow.stop();
            adminUndertow = null;
        }
        admin.close();
        log.info("wstunnel srv stopped");
    }

    @Override
    public void close() {
        stop(Duration.ZERO);
    }
}
