package io.outpost.middleware.auth;

import com.nimbusds.jose.jwk.JWKSet;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.outpost.config.MiddlewareConfig;
import io.outpost.middleware.Exchange;
import io.outpost.middleware.Middleware;
import io.outpost.middleware.Next;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * Lets a request through only with a valid bearer JWT (RFC 6750), and hands the validated claims to
 * later middlewares and services ({@link Claims}). A token with a key id the cache lacks makes the
 * request wait for one JWKS refresh (rate-limited); everything else is decided on the event loop
 * without I/O. Failures answer 401 (403 for a missing scope) with a {@code WWW-Authenticate} header
 * whose description names the failed check; a missing token gets a bare {@code Bearer realm}.
 */
public final class JwtMiddleware implements Middleware {

    static final String REALM = "outpost";

    private final JwtValidator validator;
    private final KeySource keys;
    private final String consumerClaim;
    private final String[] claimNames;
    private final String[] headerNames;
    private final boolean forwardToken;
    private final Map<JwtValidator.Failure, HttpHeaders> failureHeaders = new EnumMap<>(JwtValidator.Failure.class);
    private final Map<JwtValidator.Failure, String> failureBodies = new EnumMap<>(JwtValidator.Failure.class);
    private final HttpHeaders challenge = Rejections.header(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"" + REALM + "\"");
    private final String missingBody = Rejections.body(HttpResponseStatus.UNAUTHORIZED, "missing bearer token");

    /** Builds the middleware {@code name}; reads {@code jwksFile} or the secret's environment variable now. */
    public JwtMiddleware(String name, MiddlewareConfig.Jwt config, Clock clock) {
        this(name, config, clock, keySource(name, config, clock, System::getenv));
    }

    JwtMiddleware(String name, MiddlewareConfig.Jwt config, Clock clock, KeySource keys) {
        this.keys = keys;
        this.validator = new JwtValidator(keys, new JwtValidator.Policy(config.issuer(), config.audience(),
                config.clockSkew(), config.requiredScopes()), clock);
        this.consumerClaim = config.consumerClaim().orElse(null);
        this.claimNames = config.claimsToHeaders().keySet().toArray(new String[0]);
        this.headerNames = config.claimsToHeaders().values().toArray(new String[0]);
        this.forwardToken = config.forwardToken();
        String scopes = String.join(" ", config.requiredScopes());
        for (JwtValidator.Failure f : JwtValidator.Failure.values()) {
            HttpResponseStatus status = HttpResponseStatus.valueOf(f.status);
            failureBodies.put(f, Rejections.body(status, f.description));
            HttpHeaders h = new DefaultHttpHeaders();
            if (f.error != null) {
                h.set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"" + REALM + "\", error=\"" + f.error
                        + "\", error_description=\"" + f.description + "\""
                        + (f == JwtValidator.Failure.SCOPE ? ", scope=\"" + scopes + "\"" : ""));
            } else {
                h.set(HttpHeaderNames.RETRY_AFTER, "5");
            }
            failureHeaders.put(f, h);
        }
    }

    static KeySource keySource(String name, MiddlewareConfig.Jwt config, Clock clock, UnaryOperator<String> env) {
        if (config.jwksUrl().isPresent()) {
            return RemoteJwks.shared("middleware " + name, URI.create(config.jwksUrl().get()), config.tls(), clock,
                    config.jwksCacheDuration(), config.jwksMinRefreshInterval(), java.time.Duration.ofSeconds(5));
        }
        if (config.jwksFile().isPresent()) {
            try {
                return KeySource.fixed(KeySet.of(JWKSet.load(config.jwksFile().get().toFile())));
            } catch (IOException | java.text.ParseException | IllegalArgumentException e) {
                throw new IllegalArgumentException("middleware " + name + ": jwksFile: " + config.jwksFile().get()
                        + ": " + e.getMessage(), e);
            }
        }
        String secret = config.secret().orElse(null);
        if (secret == null && config.secretEnv().isPresent()) {
            secret = env.apply(config.secretEnv().get());
            if (secret == null || secret.isEmpty()) {
                throw new IllegalArgumentException("middleware " + name + ": secretEnv: environment variable "
                        + config.secretEnv().get() + " is not set");
            }
        }
        if (secret == null) {
            throw new IllegalArgumentException("middleware " + name + ": no key source (expected jwksUrl, jwksFile, secret or secretEnv)");
        }
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 32) {
            throw new IllegalArgumentException("middleware " + name + ": secret: " + bytes.length
                    + " bytes (expected: at least 32 for HS256)");
        }
        return KeySource.fixed(KeySet.ofSecret(bytes));
    }

    @Override
    public void handle(Exchange exchange, Next next) {
        String token = bearerToken(exchange.header("Authorization"));
        if (token == null) {
            exchange.respond(HttpResponseStatus.UNAUTHORIZED, challenge, Rejections.JSON, missingBody);
            return;
        }
        KeySet current = keys.current();
        JwtValidator.Result result = validator.validate(token, current);
        if (result == JwtValidator.Failure.UNKNOWN_KEY) {
            CompletableFuture<KeySet> refreshed = keys.refresh();
            if (refreshed != null) {
                refreshed.whenComplete((fresh, error) -> {
                    KeySet retry = fresh != null ? fresh : keys.current();
                    JwtValidator.Result second = validator.validate(token, retry);
                    if (exchange.eventLoop().inEventLoop()) {
                        finish(exchange, next, second, retry);
                    } else {
                        exchange.eventLoop().execute(() -> finish(exchange, next, second, retry));
                    }
                });
                return;
            }
            // A fetch may have finished between reading the keys and asking for a refresh.
            KeySet latest = keys.current();
            if (latest != current) {
                current = latest;
                result = validator.validate(token, latest);
            }
        }
        finish(exchange, next, result, current);
    }

    private void finish(Exchange exchange, Next next, JwtValidator.Result result, KeySet keySet) {
        if (result instanceof JwtValidator.Valid valid) {
            accept(exchange, valid.claims());
            next.proceed(exchange);
            return;
        }
        JwtValidator.Failure failure = (JwtValidator.Failure) result;
        if (failure == JwtValidator.Failure.UNKNOWN_KEY && keySet.isEmpty()) {
            failure = JwtValidator.Failure.KEYS_UNAVAILABLE;
        }
        exchange.respond(HttpResponseStatus.valueOf(failure.status), failureHeaders.get(failure), Rejections.JSON,
                failureBodies.get(failure));
    }

    private void accept(Exchange exchange, Map<String, Object> claims) {
        Claims.set(exchange, claims);
        if (consumerClaim != null) {
            String consumer = Claims.text(claims.get(consumerClaim));
            if (consumer != null) {
                Consumers.set(exchange, consumer);
            }
        }
        HttpHeaders headers = exchange.request().headers();
        for (int i = 0; i < claimNames.length; i++) {
            // Whatever the client sent under this name is dropped: only the token speaks here.
            headers.remove(headerNames[i]);
            String value = Claims.text(claims.get(claimNames[i]));
            if (value != null && isHeaderSafe(value)) {
                headers.set(headerNames[i], value);
            }
        }
        if (!forwardToken) {
            headers.remove(HttpHeaderNames.AUTHORIZATION);
        }
    }

    /** The token of an {@code Authorization: Bearer ...} header, or null. */
    static String bearerToken(String authorization) {
        if (authorization == null || authorization.length() <= 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    private static boolean isHeaderSafe(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 && c != '\t' || c == 0x7f || c > 0xff) {
                return false;
            }
        }
        return true;
    }
}
