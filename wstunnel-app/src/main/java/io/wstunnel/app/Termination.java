package io.wstunnel.app;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns SIGTERM / SIGINT into a graceful stop followed by exit code 0.
 *
 * <p>The signal only wakes the main thread ({@link #await()}); the main thread then stops the
 * server or agent and returns normally, so the process exits 0 rather than 143/130. A second signal
 * (SIGINT, i.e. Ctrl-C twice) while stopping halts at once. A JVM shutdown hook runs the same stop action (once) when the JVM
 * exits for another reason (SIGHUP, System.exit elsewhere).
 */
public final class Termination {
    private static final Logger LOG = LoggerFactory.getLogger(Termination.class);

    private final CountDownLatch signalled = new CountDownLatch(1);
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Runnable stopAction;
    private volatile String signalName;
    private volatile long firstSignalNanos;

    private Termination(Runnable stopAction) {
        this.stopAction = stopAction;
    }

    /** Installs the signal handlers and the fallback shutdown hook. */
    public static Termination install(Runnable stopAction) {
        Termination t = new Termination(stopAction);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), sig -> t.onSignal(sig.getName()));
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                LOG.debug("cannot handle SIG{} ({}), relying on the shutdown hook", name, e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(t::stopOnce, "wstunnel-shutdown"));
        return t;
    }

    private void onSignal(String name) {
        long now = System.nanoTime();
        if (signalled.getCount() == 0) {
            // A repeated SIGTERM is common (timeout(1) and some supervisors signal the process and its
            // group); only a second Ctrl-C, not right after the first, means "stop waiting".
            if (name.equals("INT") && now - firstSignalNanos > 500_000_000L) {
                LOG.warn("SIGINT again while stopping: exiting now");
                Runtime.getRuntime().halt(130);
            }
            LOG.debug("SIG{} again while stopping: ignored", name);
            return;
        }
        firstSignalNanos = now;
        signalName = "SIG" + name;
        signalled.countDown();
    }

    /** Blocks until SIGTERM or SIGINT, then runs the stop action (once). */
    public void await() throws InterruptedException {
        signalled.await();
        LOG.info("{} received: stopping gracefully", signalName);
        stopOnce();
    }

    /** Requests a stop as a signal would (used by tests and by the demo check). */
    public void requestStop() {
        signalName = "stop request";
        signalled.countDown();
    }

    public void stopOnce() {
        if (stopped.compareAndSet(false, true)) {
            stopAction.run();
        }
    }
}
