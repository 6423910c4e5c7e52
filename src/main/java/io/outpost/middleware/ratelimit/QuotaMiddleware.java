package io.outpost.middleware.ratelimit;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.config.RequestKey;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import io.outpost.middleware.auth.RequestKeys;
import io.outpost.middleware.auth.Rejections;
import java.time.Clock;

/**
 * At most {@code limit} requests per key (by default the consumer) in each fixed {@code period} window,
 * aligned to the epoch (a 24h quota resets at 00:00 UTC). The excess gets 429 with {@code Retry-After}
 * set to the end of the window. Counts persist in a {@link QuotaStore}, so a restart does not hand out
 * fresh quotas. A request without the key (no consumer identified) gets 401: put an authentication
 * middleware before the quota.
 */
public final class QuotaMiddleware implements Middleware {

    private final QuotaTable table;
    private final Clock clock;
    private final long periodMillis;
    private final long limit;
    private final RequestKey key;
    private final String limitText;
    private final String exhausted = Rejections.body(HttpResponseStatus.TOO_MANY_REQUESTS, "quota exhausted");
    private final String full = Rejections.body(HttpResponseStatus.TOO_MANY_REQUESTS, "quota table full");
    private final String anonymous = Rejections.body(HttpResponseStatus.UNAUTHORIZED, "no consumer for the quota");

    public QuotaMiddleware(String name, MiddlewareConfig.Quota config, QuotaStore store, Clock clock) {
        if (config.limit() <= 0 || config.period().toMillis() < 1000) {
            throw new IllegalArgumentException("middleware " + name + ": limit must be > 0 and period >= 1s");
        }
        this.table = store.table(name, config.maxKeys());
        this.clock = clock;
        this.periodMillis = config.period().toMillis();
        this.limit = config.limit();
        this.key = config.key();
        this.limitText = Long.toString(limit);
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        String k = RequestKeys.value(key, exchange);
        if (k == null || k.isEmpty()) {
            exchange.respond(HttpResponseStatus.UNAUTHORIZED, null, Rejections.JSON, anonymous);
            return;
        }
        long now = clock.millis();
        long windowStart = Math.floorDiv(now, periodMillis) * periodMillis;
        long left = table.tryAcquire(k, windowStart, limit);
        if (left >= 0) {
            next.proceed(exchange);
            return;
        }
        String reset = Long.toString(Math.max(1, (windowStart + periodMillis - now + 999) / 1000));
        HttpHeaders h = new DefaultHttpHeaders();
        h.set(HttpHeaderNames.RETRY_AFTER, reset);
        h.set(RateLimitMiddleware.LIMIT, limitText);
        h.set(RateLimitMiddleware.REMAINING, "0");
        h.set(RateLimitMiddleware.RESET, reset);
        exchange.respond(HttpResponseStatus.TOO_MANY_REQUESTS, h, Rejections.JSON,
                left == QuotaTable.FULL ? full : exhausted);
    }
}
