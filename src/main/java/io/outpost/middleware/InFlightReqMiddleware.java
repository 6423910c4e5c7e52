package io.outpost.middleware;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Stops one source from occupying a service: at most {@code amount} of its requests are in
 * flight at once, and the excess gets 429 at once instead of queueing. The source is the client
 * IP or the value of a header (requests without the header share one source, as in Traefik).
 *
 * <p>A slot is taken when the request passes and given back when its exchange ends, however it
 * ends. Counters exist only while a source has requests in flight: the last release removes the
 * counter, so a stream of distinct sources (spoofed headers, a scan) cannot grow the map without
 * bound. Taking and releasing are lock-free, and a counter that is being retired is marked so that
 * a concurrent request makes a fresh one rather than counting into a dead one.
 */
final class InFlightReqMiddleware implements Middleware {

    private final int amount;
    private final String headerName;
    private final String tooMany;
    private final ConcurrentHashMap<String, Slots> inFlight = new ConcurrentHashMap<>();
    private final Function<String, Slots> newSlots = Slots::new;

    InFlightReqMiddleware(String name, MiddlewareConfig.InFlightReq config) {
        if (config.amount() <= 0) {
            throw Middlewares.invalid(name, "amount: " + config.amount() + " (expected: > 0)");
        }
        RequestKey key = config.sourceCriterion();
        if (key.source() == RequestKey.Source.HEADER) {
            headerName = key.name();
        } else if (key.source() == RequestKey.Source.CLIENT_IP) {
            headerName = null;
        } else {
            throw Middlewares.invalid(name, "sourceCriterion: \"" + key + "\" (expected: clientIp or header:NAME)");
        }
        amount = config.amount();
        tooMany = LocalErrors.body(HttpResponseStatus.TOO_MANY_REQUESTS,
                "more than " + amount + " requests in flight from this source");
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        String source = sourceOf(exchange);
        while (true) {
            Slots slots = inFlight.get(source);
            if (slots == null) {
                slots = inFlight.computeIfAbsent(source, newSlots);
            }
            int taken = slots.tryTake(amount);
            if (taken > 0) {
                exchange.onComplete(slots);
                next.proceed(exchange);
                return;
            }
            if (taken == 0) {
                exchange.respond(HttpResponseStatus.TOO_MANY_REQUESTS, null, LocalErrors.JSON, tooMany);
                return;
            }
            // Retired between the lookup and the take: drop it (if still mapped) and start afresh.
            inFlight.remove(source, slots);
        }
    }

    private String sourceOf(Exchange exchange) {
        if (headerName == null) {
            String ip = exchange.clientIp();
            return ip == null ? "" : ip;
        }
        String value = exchange.header(headerName);
        return value == null ? "" : value;
    }

    /** Sources with a request in flight right now; for tests and metrics. */
    int trackedSources() {
        return inFlight.size();
    }

    /**
     * The in-flight count of one source. It is also the completion listener of every request that
     * holds one of its slots, so releasing needs no per-request object. A count of -1 marks a
     * retired counter.
     */
    private final class Slots extends AtomicInteger implements Exchange.CompletionListener {

        private final String source;

        Slots(String source) {
            this.source = source;
        }

        /** 1 when a slot was taken, 0 when all are in use, -1 when this counter is retired. */
        int tryTake(int max) {
            while (true) {
                int n = get();
                if (n < 0) {
                    return -1;
                }
                if (n >= max) {
                    return 0;
                }
                if (compareAndSet(n, n + 1)) {
                    return 1;
                }
            }
        }

        @Override
        public void onComplete(Exchange exchange, int status, long durationNanos) {
            if (decrementAndGet() == 0 && compareAndSet(0, -1)) {
                inFlight.remove(source, this);
            }
        }
    }
}
