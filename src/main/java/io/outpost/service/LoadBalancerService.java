package io.outpost.service;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.RetryConfig;
import io.outpost.config.ServiceConfig;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.RetryPolicy;
import io.outpost.proxy.ForwardListener;
import io.outpost.proxy.ForwardOptions;
import io.outpost.proxy.ProxyExchange;
import io.outpost.proxy.RetriedResponse;
import io.outpost.proxy.UpstreamTarget;
import io.outpost.upstream.Cluster;
import io.outpost.upstream.Endpoint;
import io.outpost.upstream.Ticker;
import io.outpost.upstream.resilience.Backoff;
import io.outpost.upstream.resilience.ResourceLimits;
import java.time.Clock;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * A {@code loadBalancer} service: a {@link Cluster} of endpoints with priorities, a balancing
 * policy, active and passive health, circuit-breaking limits, retries and sticky sessions.
 *
 * <p>A request that never reached its endpoint (connect failure, reset before any response byte)
 * goes to another endpoint, for every method, since the service never saw it. Retries of answered
 * requests ({@code retry.on}) are for the configured methods and replayable requests only. Every
 * retry needs a slot of the cluster's retry budget, so retries cannot amplify an outage.
 *
 * <pre>{@code
 * Service web = LoadBalancerService.create("web", config, LoadBalancerService.Env.system(scheduler, clock), null);
 * }</pre>
 */
public final class LoadBalancerService implements Service, Addressable {

    /**
     * What the service reads time and randomness from, where it schedules background work, and
     * {@code onActivation}, which runs an action once the service serves: in a gateway, when its
     * snapshot is swapped in (see {@code BuildContext.onActivation}); the action takes over or stops
     * the previous service's health checks, so it must not run for a snapshot that is rejected.
     */
    public record Env(ScheduledExecutorService scheduler, Ticker ticker, RandomGenerator random, Clock clock,
                      Consumer<Runnable> onActivation) {
        /** For a service that serves as soon as it is built: actions run at once. */
        public Env(ScheduledExecutorService scheduler, Ticker ticker, RandomGenerator random, Clock clock) {
            this(scheduler, ticker, random, clock, Runnable::run);
        }

        public static Env system(ScheduledExecutorService scheduler, Clock clock) {
            return new Env(scheduler, Ticker.system(), io.outpost.upstream.PerThreadRandom.INSTANCE, clock);
        }
    }

    private static final String ATTEMPT = "outpost.lb.attempt";

    private final String name;
    private final ServiceConfig.LoadBalancer config;
    private final Cluster cluster;
    private final ResourceLimits limits;
    private final ForwardOptions options;
    private final RetryConfig retry;
    private final Backoff retryBackoff;
    private final Member[] members;
    private final Map<Endpoint, Member> byEndpoint = new IdentityHashMap<>();
    private final Map<String, Member> byCookie = new HashMap<>();
    private final StickyCookie sticky;
    private final HealthWatch watch;
    private final Env env;
    private final String overflowBody;
    private final HttpHeaders overflowHeaders;
    private final Exchange.CompletionListener releaseRequest;
    private final Exchange.ResponseListener pinResponse;

    private LoadBalancerService(String name, ServiceConfig.LoadBalancer config, io.outpost.tls.UpstreamTls tls, Env env, LoadBalancerService previous) {
        this.name = name;
        this.config = config;
        this.env = env;
        var cb = config.circuitBreakers();
        this.limits = previous != null && previous.config.circuitBreakers().equals(cb) ? previous.limits
                : new ResourceLimits(cb.maxConnections(), cb.maxPendingRequests(), cb.maxRequests(), cb.maxRetries());
        Cluster.Builder b = Cluster.builder(name)
                .endpoints(config.endpoints().stream()
                        .map(e -> Endpoint.of(e.url().toString(), e.weight(), e.priority())).toList())
                .policy(config.policy().toString())
                .overprovisioningFactor(config.overprovisioningFactor())
                .panicThreshold(config.panicThreshold())
                .random(env.random())
                .limits(limits)
                .previous(previous == null ? null : previous.cluster);
        config.hashOn().ifPresent(k -> b.hashOn(k.toString()));
        if (previous != null) {
            b.retryBudget(previous.cluster.retryBudget());
        }
        this.cluster = b.build();
        this.retry = config.retry().orElse(null);
        this.retryBackoff = new Backoff(retry == null ? RetryConfig.Backoff.DEFAULT.base() : retry.backoff().base(),
                retry == null ? RetryConfig.Backoff.DEFAULT.max() : retry.backoff().max(), env.random());
        long headerMillis = config.timeouts().responseHeader().toMillis();
        if (retry != null && retry.perTryTimeout().isPresent()) {
            headerMillis = Math.min(headerMillis, retry.perTryTimeout().get().toMillis());
        }
        this.options = new ForwardOptions((int) Math.max(1, config.timeouts().connect().toMillis()),
                Math.max(1, headerMillis), config.passHostHeader(), Math.max(1, config.timeouts().idle().toMillis()));
        this.sticky = config.sticky().map(s -> new StickyCookie(s.cookie())).orElse(null);
        this.members = new Member[cluster.endpoints().size()];
        for (int i = 0; i < members.length; i++) {
            Endpoint e = cluster.endpoints().get(i);
            Member m = new Member(e, UpstreamTarget.of(e.id(), tls), sticky == null ? null
                    : StickyCookie.valueFor(e.id()));
            members[i] = m;
            byEndpoint.put(e, m);
            if (sticky != null) {
                byCookie.put(m.cookieValue, m);
            }
        }
        this.watch = HealthWatch.start(this, cluster, config.healthCheck(), config.outlierDetection(), tls,
                previous == null ? null : previous.watch, env);
        this.overflowHeaders = new DefaultHttpHeaders().set("Retry-After", "1");
        this.overflowBody = "{\"status\":503,\"error\":\"Service Unavailable\",\"reason\":\"service " + name
                + " is over its limit of " + limits.requests().max() + " requests in flight\"}\n";
        this.releaseRequest = (ex, status, nanos) -> limits.requests().release();
        this.pinResponse = this::pin;
    }

    /**
     * Builds the service; {@code previous} is the same-named service of the snapshot being replaced
     * (or null), whose endpoint health, ejections and health checks carry over. Its health checks
     * start, and {@code previous}'s stop or pass to it, on {@link Env#onActivation}.
     */
    public static LoadBalancerService create(String name, ServiceConfig.LoadBalancer config,
                                             io.outpost.tls.UpstreamTls tls, Env env, LoadBalancerService previous) {
        return new LoadBalancerService(name, config, tls, env, previous);
    }

    public String name() {
        return name;
    }

    public Cluster cluster() {
        return cluster;
    }

    @Override
    public java.util.List<Endpoint> endpoints() {
        return cluster.endpoints();
    }

    /** Returns endpoints whose ejection is over now (the scheduler also does this every interval). */
    public void sweepOutliers() {
        if (watch.outliers() != null) {
            watch.outliers().sweep();
        }
    }

    @Override
    public void handle(ProxyExchange exchange) {
        if (!limits.requests().tryAcquire()) {
            exchange.respond(HttpResponseStatus.SERVICE_UNAVAILABLE, overflowHeaders, "application/json", overflowBody);
            return;
        }
        exchange.onComplete(releaseRequest);
        Member m = null;
        if (sticky != null) {
            exchange.onResponse(pinResponse);
            String pinned = sticky.valueIn(exchange);
            Member p = pinned == null ? null : byCookie.get(pinned);
            if (p != null && p.endpoint.healthy()) {
                m = p;
            }
        }
        if (m == null) {
            Endpoint e = cluster.pick(cluster.hash(exchange, claimsOf(exchange)));
            if (e == null) {
                exchange.fail(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy upstream");
                return;
            }
            m = byEndpoint.get(e);
        }
        send(exchange, m);
    }

    @Override
    public UpstreamTarget choose(Exchange exchange) {
        Endpoint e = cluster.pick(cluster.hash(exchange, claimsOf(exchange)));
        return e == null ? null : byEndpoint.get(e).target;
    }

    @SuppressWarnings("unchecked")
    private static java.util.function.Function<String, Object> claimsOf(Exchange exchange) {
        Object claims = exchange.attribute(io.outpost.middleware.auth.Claims.ATTRIBUTE);
        return claims instanceof Map<?, ?> map ? ((Map<String, Object>) map)::get : null;
    }

    private void send(ProxyExchange exchange, Member m) {
        if (exchange.finished()) {
            return;
        }
        m.endpoint.state().requestStarted();
        exchange.forward(m.target, m, options);
    }

    private void pin(Exchange exchange, HttpResponse response) {
        UpstreamTarget target = ((ProxyExchange) exchange).target();
        if (target == null) {
            return;
        }
        Member m = memberOf(target);
        if (m != null && !m.cookieValue.equals(sticky.valueIn(exchange))) {
            StickyCookie.set(response, m.cookieHeader);
        }
    }

    private Member memberOf(UpstreamTarget target) {
        for (Member m : members) {
            if (m.target == target) {
                return m;
            }
        }
        return null;
    }

    /** Per-request retry bookkeeping; exists only for requests that were retried. */
    private final class Attempt implements Exchange.CompletionListener {
        int retries;
        int budgetHeld;

        @Override
        public void onComplete(Exchange exchange, int status, long durationNanos) {
            for (; budgetHeld > 0; budgetHeld--) {
                cluster.retryBudget().release();
            }
        }
    }

    /** Takes a retry slot for {@code exchange}, or returns null when it may not be retried again. */
    private Attempt nextRetry(ProxyExchange exchange, int maxRetries) {
        Attempt a = (Attempt) exchange.attribute(ATTEMPT);
        int done = a == null ? 0 : a.retries;
        if (done >= maxRetries) {
            return null;
        }
        if (a != null && a.budgetHeld > 0) {
            // The previous retry's attempt has ended: the budget counts retries in flight, not made.
            a.budgetHeld--;
            cluster.retryBudget().release();
        }
        if (!cluster.retryBudget().tryAcquire(limits.requests().used())) {
            return null;
        }
        if (a == null) {
            a = new Attempt();
            exchange.attribute(ATTEMPT, a);
            exchange.onComplete(a);
        }
        a.retries++;
        a.budgetHeld++;
        return a;
    }

    /** How many times a request that did not reach its endpoint may be sent again. */
    private int notReachedRetries(ProxyExchange exchange) {
        RetryPolicy policy = RetryPolicy.of(exchange);
        int base = Math.max(members.length - 1, retry == null ? 0 : retry.attempts());
        return policy == null ? base : Math.max(base, policy.attempts());
    }

    private boolean retriesResponse(ProxyExchange exchange, int status) {
        if (retry == null || !retry.methods().contains(exchange.method())) {
            return false;
        }
        boolean gateway = status == 502 || status == 503 || status == 504;
        return retry.on().contains(RetryConfig.On.FIVE_XX) && status >= 500
                || retry.on().contains(RetryConfig.On.GATEWAY_ERROR) && gateway;
    }

    private void resend(ProxyExchange exchange, Member failed, Attempt a, boolean backoff) {
        Member next = another(failed);
        if (next == null) {
            next = failed;
        }
        long delay = 0;
        RetryPolicy policy = RetryPolicy.of(exchange);
        if (policy != null) {
            delay = policy.backoff().delayNanos(a.retries - 1);
        } else if (backoff) {
            delay = retryBackoff.delayNanos(a.retries - 1);
        }
        Member chosen = next;
        if (delay <= 0) {
            send(exchange, chosen);
        } else {
            exchange.eventLoop().schedule(() -> send(exchange, chosen), delay, TimeUnit.NANOSECONDS);
        }
    }

    /** Another endpoint than {@code failed}: a few policy picks, then the next healthy one in order. */
    private Member another(Member failed) {
        for (int i = 0; i < 3; i++) {
            Endpoint e = cluster.pick();
            if (e != null && e != failed.endpoint) {
                return byEndpoint.get(e);
            }
        }
        int start = failed.index();
        for (int i = 1; i < members.length; i++) {
            Member m = members[(start + i) % members.length];
            if (m.endpoint.healthy()) {
                return m;
            }
        }
        return members.length > 1 ? members[(start + 1) % members.length] : null;
    }

    /** One endpoint as the proxy sees it; also the listener of every attempt sent to it. */
    private final class Member implements ForwardListener {
        final Endpoint endpoint;
        final UpstreamTarget target;
        final String cookieValue;
        final String cookieHeader;

        Member(Endpoint endpoint, UpstreamTarget target, String cookieValue) {
            this.endpoint = endpoint;
            this.target = target;
            this.cookieValue = cookieValue == null ? "" : cookieValue;
            this.cookieHeader = cookieValue == null ? null : sticky.header(cookieValue);
        }

        int index() {
            for (int i = 0; i < members.length; i++) {
                if (members[i] == this) {
                    return i;
                }
            }
            return 0;
        }

        @Override
        public boolean beforeConnect(ProxyExchange exchange, UpstreamTarget t) {
            if (!cluster.limits().connections().tryAcquire()) {
                return false;
            }
            if (!cluster.limits().pendingRequests().tryAcquire()) {
                cluster.limits().connections().release();
                return false;
            }
            return true;
        }

        @Override
        public void afterConnect(ProxyExchange exchange, UpstreamTarget t) {
            cluster.limits().pendingRequests().release();
        }

        @Override
        public void connectionClosed(UpstreamTarget t) {
            cluster.limits().connections().release();
        }

        @Override
        public boolean onNotReached(ProxyExchange exchange, UpstreamTarget t, Throwable cause) {
            boolean answered = cause instanceof RetriedResponse;
            if (!answered && watch.outliers() != null) {
                watch.outliers().onConnectFailure(endpoint);
            }
            Attempt a = answered ? (Attempt) exchange.attribute(ATTEMPT) : nextRetry(exchange, notReachedRetries(exchange));
            if (a == null) {
                return false;
            }
            endpoint.state().requestFinished();
            resend(exchange, this, a, answered);
            return true;
        }

        @Override
        public boolean retryResponse(ProxyExchange exchange, UpstreamTarget t, int status) {
            if (!retriesResponse(exchange, status)) {
                return false;
            }
            if (nextRetry(exchange, retry.attempts()) == null) {
                return false;
            }
            if (watch.outliers() != null) {
                watch.outliers().onResponse(endpoint, status);
            }
            return true;
        }

        @Override
        public void onResponse(ProxyExchange exchange, UpstreamTarget t, int status) {
            if (watch.outliers() != null) {
                watch.outliers().onResponse(endpoint, status);
            }
        }

        @Override
        public void onEnd(ProxyExchange exchange, UpstreamTarget t, int outcome) {
            endpoint.state().requestFinished();
            if (outcome == -504 && watch.outliers() != null) {
                watch.outliers().onResponse(endpoint, 504);
            }
        }
    }

    @Override
    public Map<String, Object> describe() {
        return ClusterDetails.describe(config, cluster, watch, env);
    }

    @Override
    public void close() {
        watch.close(this);
    }

    @Override
    public String toString() {
        return "loadBalancer " + name + cluster.endpoints();
    }
}
