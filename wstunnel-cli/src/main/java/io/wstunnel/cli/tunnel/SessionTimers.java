package io.wstunnel.cli.tunnel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The timers a session owns, all cancelled when it ends. Guarded by the session monitor. A
 * scheduler that refuses work means the agent is stopping: its own shutdown ends the session.
 */
final class SessionTimers {
    private final ScheduledExecutorService scheduler;
    private final List<ScheduledFuture<?>> timers = new ArrayList<>();

    SessionTimers(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    void later(Runnable task, long millis) {
        try {
            timers.add(scheduler.schedule(task, millis, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // the agent is stopping
        }
    }

    void every(Runnable task, long periodMillis) {
        try {
            timers.add(scheduler.scheduleAtFixedRate(task, periodMillis, periodMillis, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // the agent is stopping
        }
    }

    void cancelAll() {
        timers.forEach(t -> t.cancel(false));
        timers.clear();
    }
}
