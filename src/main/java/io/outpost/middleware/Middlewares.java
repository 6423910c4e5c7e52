package io.outpost.middleware;

import io.outpost.upstream.PerThreadRandom;
import io.outpost.config.JournalConfig;
import io.outpost.config.MiddlewareConfig;
import io.outpost.middleware.auth.ApiKeyMiddleware;
import io.outpost.middleware.auth.BasicAuthMiddleware;
import io.outpost.middleware.auth.ForwardAuthMiddleware;
import io.outpost.middleware.auth.JwtMiddleware;
import io.outpost.middleware.ratelimit.QuotaMiddleware;
import io.outpost.middleware.ratelimit.QuotaStore;
import io.outpost.middleware.ratelimit.RateLimitMiddleware;
import java.nio.file.Path;
import java.time.Clock;
import java.util.function.LongSupplier;
import io.outpost.upstream.Ticker;

/**
 * Builds a middleware from its configuration. Every type goes through this one entry point with
 * the same shape (name, configuration), so the code that compiles a configuration snapshot needs
 * no knowledge of individual middlewares, and every build error names the middleware it came from.
 * Middlewares are built once per snapshot and shared by all its requests; they precompute what they
 * can here so that handling a request allocates little.
 *
 * <pre>{@code
 * Middleware strip = Middlewares.create("strip", new MiddlewareConfig.StripPrefix(List.of("/pos")));
 * }</pre>
 */
public final class Middlewares {

    private Middlewares() {
    }

    /**
     * What some middlewares need from the gateway: where quota counts persist (the gateway passes
     * {@code <journal.dir>/quota}), the wall clock, and a nanosecond ticker for rate limits.
     */
    public record Context(Path quotaDir, Clock clock, LongSupplier ticker) {
        public static final Context DEFAULT =
                new Context(JournalConfig.DEFAULT.dir().resolve("quota"), Clock.systemUTC(), System::nanoTime);
    }

    /** Builds the middleware {@code name} from {@code config} with the {@link Context#DEFAULT default context}. */
    public static Middleware create(String name, MiddlewareConfig config) {
        return create(name, config, Context.DEFAULT);
    }

    /**
     * Builds the middleware {@code name} from {@code config}.
     *
     * @throws IllegalArgumentException      when the configuration cannot be built; the message starts
     *                                       with {@code middleware NAME:}
     */
    public static Middleware create(String name, MiddlewareConfig config, Context context) {
        if (config == null) {
            throw invalid(name, "no configuration");
        }
        if (config instanceof MiddlewareConfig.StripPrefix c) {
            return new StripPrefixMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.AddPrefix c) {
            return new AddPrefixMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.ReplacePath c) {
            return new ReplacePathMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.Headers c) {
            return new HeadersMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.RedirectScheme c) {
            return new RedirectSchemeMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.IpAllowList c) {
            return new IpAllowListMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.MaxBodySize c) {
            return new MaxBodySizeMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.InFlightReq c) {
            return new InFlightReqMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.Buffering c) {
            return new BufferingMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.Jwt c) {
            return new JwtMiddleware(name, c, context.clock());
        }
        if (config instanceof MiddlewareConfig.ApiKey c) {
            return new ApiKeyMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.BasicAuth c) {
            return new BasicAuthMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.ForwardAuth c) {
            return new ForwardAuthMiddleware(name, c);
        }
        if (config instanceof MiddlewareConfig.RateLimit c) {
            return new RateLimitMiddleware(name, c, context.ticker());
        }
        if (config instanceof MiddlewareConfig.Quota c) {
            return new QuotaMiddleware(name, c, QuotaStore.shared(context.quotaDir()), context.clock());
        }
        if (config instanceof MiddlewareConfig.CircuitBreaker c) {
            // The composition root: the only place the breaker's clock and randomness are chosen.
            return new CircuitBreakerMiddleware(name, c, Ticker.system(), PerThreadRandom.INSTANCE);
        }
        if (config instanceof MiddlewareConfig.Retry c) {
            return new RetryMiddleware(name, c, PerThreadRandom.INSTANCE);
        }
        throw invalid(name, "unknown type " + config.type());
    }

    /** An error for the middleware {@code name}, in the form {@code middleware NAME: DETAIL}. */
    static IllegalArgumentException invalid(String name, String detail) {
        return new IllegalArgumentException("middleware " + name + ": " + detail);
    }
}
