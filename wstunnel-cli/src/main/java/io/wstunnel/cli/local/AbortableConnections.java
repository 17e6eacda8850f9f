package io.wstunnel.cli.local;

import java.io.IOException;
import java.util.concurrent.Future;
import org.apache.hc.client5.http.EndpointInfo;
import org.apache.hc.client5.http.HttpRoute;
import org.apache.hc.client5.http.nio.AsyncClientConnectionManager;
import org.apache.hc.client5.http.nio.AsyncConnectionEndpoint;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.nio.AsyncClientExchangeHandler;
import org.apache.hc.core5.http.nio.AsyncPushConsumer;
import org.apache.hc.core5.http.nio.HandlerFactory;
import org.apache.hc.core5.http.protocol.HttpContext;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.ConnectionInitiator;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Lets an exchange close its own connection. Cancelling the future returned by
 * {@code CloseableHttpAsyncClient.execute} can be lost when the connect and execute steps race
 * (the client's cancellable dependency is overwritten by a stale one), leaving a cancelled request
 * running against the local service. This wrapper records, in the exchange's context, the endpoint
 * the exchange runs on, so {@link #abort(HttpContext)} can close that connection for certain.
 */
final class AbortableConnections implements AsyncClientConnectionManager {
    private static final String ENDPOINT = AbortableConnections.class.getName() + ".endpoint";

    private final AsyncClientConnectionManager delegate;

    AbortableConnections(AsyncClientConnectionManager delegate) {
        this.delegate = delegate;
    }

    /** Closes the connection the exchange of {@code context} runs on, if it has one. */
    static void abort(HttpContext context) {
        Object endpoint = context.getAttribute(ENDPOINT);
        if (endpoint instanceof AsyncConnectionEndpoint e) {
            e.close(CloseMode.IMMEDIATE);
        }
    }

    @Override
    public Future<AsyncConnectionEndpoint> lease(String id, HttpRoute route, Object state, Timeout timeout,
            FutureCallback<AsyncConnectionEndpoint> callback) {
        org.apache.hc.core5.concurrent.BasicFuture<AsyncConnectionEndpoint> result =
                new org.apache.hc.core5.concurrent.BasicFuture<>(callback);
        Future<AsyncConnectionEndpoint> inner = delegate.lease(id, route, state, timeout, new FutureCallback<>() {
            @Override
            public void completed(AsyncConnectionEndpoint endpoint) {
                if (!result.completed(new Recording(endpoint))) {
                    // the lease was cancelled meanwhile: give the connection back rather than leak it
                    delegate.release(endpoint, null, TimeValue.ZERO_MILLISECONDS);
                }
            }
            @Override public void failed(Exception ex) { result.failed(ex); }
            @Override public void cancelled() { result.cancel(); }
        });
        return new Future<>() {
            @Override public boolean cancel(boolean mayInterrupt) { inner.cancel(mayInterrupt); return result.cancel(mayInterrupt); }
            @Override public boolean isCancelled() { return result.isCancelled(); }
            @Override public boolean isDone() { return result.isDone(); }
            @Override public AsyncConnectionEndpoint get() throws InterruptedException, java.util.concurrent.ExecutionException {
                return result.get();
            }
            @Override public AsyncConnectionEndpoint get(long t, java.util.concurrent.TimeUnit u)
                    throws InterruptedException, java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
                return result.get(t, u);
            }
        };
    }

    @Override
    public void release(AsyncConnectionEndpoint endpoint, Object newState, TimeValue validDuration) {
        delegate.release(unwrap(endpoint), newState, validDuration);
    }

    @Override
    public Future<AsyncConnectionEndpoint> connect(AsyncConnectionEndpoint endpoint, ConnectionInitiator initiator,
            Timeout timeout, Object attachment, HttpContext context, FutureCallback<AsyncConnectionEndpoint> callback) {
        Recording wrapper = endpoint instanceof Recording r ? r : null;
        org.apache.hc.core5.concurrent.BasicFuture<AsyncConnectionEndpoint> result =
                new org.apache.hc.core5.concurrent.BasicFuture<>(callback);
        delegate.connect(unwrap(endpoint), initiator, timeout, attachment, context,
                relay(result, connected -> wrapper != null ? wrapper : connected));
        return result;
    }

    @Override
    public void upgrade(AsyncConnectionEndpoint endpoint, Object attachment, HttpContext context) {
        delegate.upgrade(unwrap(endpoint), attachment, context);
    }

    @Override
    public void close(CloseMode closeMode) {
        delegate.close(closeMode);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }

    private static FutureCallback<AsyncConnectionEndpoint> relay(
            org.apache.hc.core5.concurrent.BasicFuture<AsyncConnectionEndpoint> result,
            java.util.function.UnaryOperator<AsyncConnectionEndpoint> map) {
        return new FutureCallback<>() {
            @Override public void completed(AsyncConnectionEndpoint e) { result.completed(map.apply(e)); }
            @Override public void failed(Exception ex) { result.failed(ex); }
            @Override public void cancelled() { result.cancel(); }
        };
    }

    private static AsyncConnectionEndpoint unwrap(AsyncConnectionEndpoint e) {
        return e instanceof Recording r ? r.inner : e;
    }

    /** Delegates everything; on execute, remembers itself in the exchange's context. */
    private static final class Recording extends AsyncConnectionEndpoint {
        final AsyncConnectionEndpoint inner;

        Recording(AsyncConnectionEndpoint inner) {
            this.inner = inner;
        }

        @Override
        public void execute(String id, AsyncClientExchangeHandler handler, HandlerFactory<AsyncPushConsumer> push,
                HttpContext context) {
            if (context != null) {
                context.setAttribute(ENDPOINT, this);
            }
            inner.execute(id, handler, push, context);
        }

        @Override public boolean isConnected() { return inner.isConnected(); }
        @Override public void setSocketTimeout(Timeout timeout) { inner.setSocketTimeout(timeout); }
        @Override public void close(CloseMode closeMode) { inner.close(closeMode); }
        @Override public EndpointInfo getInfo() { return inner.getInfo(); }
    }
}
